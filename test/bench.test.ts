// The benchmark scripts are product features too: a smoke run keeps them from breaking silently
// (their numbers are checked by the benchmarks themselves, never here).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('benchmarks run', () => {
  it('bench/kernel.mjs --quick: backends, fused calls, unroll variants checked against the shipped kernel', () => {
    const out = execFileSync(process.execPath, ['bench/kernel.mjs', '--quick'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(out).toMatch(/opt\.step\(\), one tensor/);
    expect(out).toMatch(/shipped/);
  }, 120_000);

  it('npm run bench -- --quick: every implementation, the roofline, tensors, subnormals, guards, and the report', () => {
    const out = execFileSync(process.execPath, ['bench/index.mjs', '--quick'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const label of [
      'radam-wasm simd',
      'plain JS loop',
      'tfjs-wasm Adam',
      'tfjs-cpu RAdam (ops)',
      'roofline',
      '200 tensors',
      'subnormal v, flush',
      'skipNonFinite',
    ]) {
      expect(out).toContain(label);
    }
    expect(out).toMatch(/target\s+measured/);
  }, 300_000);
});
