// The benchmark scripts are product features too: a smoke run keeps them from breaking silently
// (their numbers are checked by the benchmarks themselves, never here).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('benchmarks run', () => {
  it('bench/kernel.mjs --quick: backends, fused calls, unroll variants checked against the shipped kernel', () => {
    const out = execFileSync(process.execPath, ['bench/kernel.mjs', '--quick'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toMatch(/opt\.step\(\), one tensor/);
    expect(out).toMatch(/shipped/);
  }, 120_000);
});
