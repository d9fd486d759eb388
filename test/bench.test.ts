// The benchmark scripts are product features too: a smoke run keeps them from breaking silently
// (their numbers are checked by the benchmarks themselves, never here). The harness they share with
// the site's benchmark page (bench/lib/measure.mjs) and the page's pure parts are checked by value;
// the page itself runs in Chromium in scripts/test-site.mjs.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { plainJs } from '../bench/impls/plain-js.mjs';
import { radamWasm } from '../bench/impls/radam-wasm.mjs';
import { BYTES_PER_ELEMENT, bySize, harness, measure, median, pairedRatio } from '../bench/lib/measure.mjs';
import {
  chartData,
  DEFAULT_SIZES,
  fmt,
  parseQuery,
  resultsJson,
  shortN,
  tableRows,
} from '../demo/web/bench/report.mjs';

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

describe('the harness bench/index.mjs and the benchmark page share (bench/lib/measure.mjs)', () => {
  it('median and paired ratios', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5])).toBe(5);
    // Per-round ratios 2, 4, 3: the median of the ratios, not the ratio of the medians (3.5 / 1.5).
    expect(pairedRatio({ rounds: [2, 8, 3] }, { rounds: [1, 2, 1] })).toBe(3);
  });

  it('rounds and benchmark.js options: a full run, and --quick (the page: quick=1)', () => {
    const full = harness(false);
    const quick = harness(true);
    expect([4096, 1 << 20, 1 << 24].map(full.rounds)).toEqual([5, 5, 3]);
    expect([4096, 1 << 24].map(quick.rounds)).toEqual([2, 2]);
    expect(full.options(65536)).toEqual({ maxTime: 0.3, minSamples: 5, initCount: 1 });
    expect(full.options(1 << 20)).toEqual({ maxTime: 0.3, minSamples: 2, initCount: 1 });
    expect(quick.options(4096)).toEqual({ maxTime: 0.08, minSamples: 2, initCount: 1 });
  });

  it('measure: every case once per round, the order rotated each round, figures per round and their median', async () => {
    const order: string[] = [];
    const fake = (id: string) => ({
      id,
      label: `case ${id}`,
      elems: 1000,
      step: () => {},
      activate: () => order.push(id),
    });
    const lines: string[] = [];
    let pauses = 0;
    const out = await measure(
      't',
      ['a', 'b', 'c'].map(fake),
      2,
      { maxTime: 0.01, minSamples: 2, initCount: 1 },
      {
        log: (line: string) => lines.push(line),
        pause: async () => void pauses++,
      },
    );
    expect(order).toEqual(['a', 'b', 'c', 'b', 'c', 'a']);
    expect(pauses).toBe(6);
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(/^ {2}t round 1\/2 {2}case a +[\d.e+-]+ ns\/element$/);
    for (const id of ['a', 'b', 'c']) {
      const c = out[id];
      expect(c.label).toBe(`case ${id}`);
      expect(c.rounds).toHaveLength(2);
      expect(c.samples).toHaveLength(2);
      expect(c.ns).toBe(median(c.rounds));
      expect(c.rounds[0]).toBeCloseTo((median(c.samples[0]) * 1e9) / 1000, 12);
    }
  });

  it('bySize: the cases side by side at one N, ratios to simd, disposed after', async () => {
    const disposed: string[] = [];
    const tracked = (
      id: string,
      make: () => Promise<{ step: () => void; dispose: () => void }> | { step: () => void; dispose: () => void },
    ) => ({
      id,
      label: id,
      make: async () => {
        const c = await make();
        const dispose = () => {
          disposed.push(id);
          c.dispose();
        };
        return { ...c, dispose };
      },
    });
    const { rounds, options } = harness(true);
    const res = await bySize(
      4096,
      [tracked('simd', () => radamWasm('simd', [4096])), tracked('plain-js', () => plainJs(4096))],
      rounds(4096),
      options(4096),
    );
    expect(disposed.sort()).toEqual(['plain-js', 'simd']);
    expect(res.simd.timesSimd).toBe(1);
    // The plain JS loop runs the same step in float64 JavaScript: several times the kernel's time.
    expect(res['plain-js'].timesSimd).toBeGreaterThan(1);
    expect(res['plain-js'].timesSimd).toBe(pairedRatio(res['plain-js'], res.simd));
    for (const c of Object.values(res) as { ns: number; gbPerS: number; ofRoofline?: number }[]) {
      expect(c.gbPerS).toBe(BYTES_PER_ELEMENT / c.ns);
      expect(c.ofRoofline).toBeUndefined(); // no roofline case among them
    }
  }, 60_000);

  it('the benchmark page runs bench/ code, and nothing of Node (its module graph, import by import)', () => {
    const files = new Set<string>();
    const bare = new Set<string>();
    const visit = (file: string) => {
      if (files.has(file)) return;
      files.add(file);
      const text = fs.readFileSync(file, 'utf8');
      for (const [, spec] of text.matchAll(/^\s*(?:import|export)\b[^'"]*?(?:from\s*)?['"]([^'"]+)['"]/gm)) {
        if (spec.startsWith('.')) {
          const target = path.resolve(path.dirname(file), spec.replace(/\?.*$/, ''));
          if (/\.m?js$/.test(target) && !target.includes(`${path.sep}dist${path.sep}`)) visit(target);
        } else bare.add(spec.replace(/\?.*$/, ''));
      }
    };
    visit(path.join(root, 'demo/web/bench/main.mjs'));
    const rel = [...files].map((f) => path.relative(root, f).split(path.sep).join('/'));
    expect(rel).toEqual(
      expect.arrayContaining([
        'bench/lib/measure.mjs',
        'bench/impls/radam-wasm.mjs',
        'bench/impls/plain-js.mjs',
        'bench/impls/tfjs-cases.mjs',
        'bench/impls/inputs.mjs',
      ]),
    );
    expect([...bare].filter((spec) => isBuiltin(spec))).toEqual([]);
    // bench/index.mjs measures with the same module, not a copy of it.
    const node = fs.readFileSync(path.join(root, 'bench/index.mjs'), 'utf8');
    expect(node).toMatch(/from '\.\/lib\/measure\.mjs'/);
    expect(node).not.toMatch(/new Benchmark\b/);
  });
});

describe('the benchmark page: query, JSON, table and chart (demo/web/bench/report.mjs)', () => {
  // Two sizes; threads measured at the first only, as if a run had stopped there.
  const row = (label: string, ns: number, timesSimd: number) => ({
    label,
    ns,
    timesSimd,
    gbPerS: BYTES_PER_ELEMENT / ns,
    rounds: [ns, ns * 1.1],
  });
  const sizes = {
    4096: {
      'plain-js': row('plain JS loop', 9.5, 8),
      simd: row('radam-wasm simd', 1.2, 1),
      threads: row('radam-wasm simd, 2 threads', 1.3, 1.05),
    },
    65536: { simd: row('radam-wasm simd', 0.7, 1), 'plain-js': row('plain JS loop', 150.4, 21.5) },
  };

  it('query: sizes (sorted, once each), quick, auto; a bad size is refused with its value', () => {
    expect(parseQuery('')).toEqual({ sizes: DEFAULT_SIZES, quick: false, auto: false });
    expect(DEFAULT_SIZES).toEqual([4096, 16384, 65536, 262144, 1048576, 4194304]);
    expect(parseQuery('?sizes=65536,4096,4096&quick=1&auto=1')).toEqual({
      sizes: [4096, 65536],
      quick: true,
      auto: true,
    });
    for (const bad of ['4096,x', '0', '1.5', '', '33554432'])
      expect(() => parseQuery(`?sizes=${bad}`)).toThrow(`bench page: sizes=${bad}: expected a comma list`);
  });

  it('the JSON the Copy button copies: environment first, one result per implementation and N', () => {
    const json = JSON.parse(resultsJson({ browser: 'UA', cpus: 2, isolated: true, quick: true }, sizes));
    expect(Object.keys(json)).toEqual(['browser', 'cpus', 'isolated', 'quick', 'results']);
    expect(json.results.map((r: { impl: string; n: number }) => `${r.impl}@${r.n}`)).toEqual([
      'simd@4096',
      'simd@65536',
      'threads@4096',
      'plain-js@4096',
      'plain-js@65536',
    ]);
    expect(json.results[3]).toEqual({
      impl: 'plain-js',
      label: 'plain JS loop',
      n: 4096,
      nsPerElement: 9.5,
      timesSimd: 8,
      gbPerS: 2.95,
      rounds: [9.5, 10.45],
    });
  });

  it('the table: a row per implementation, ns per element and the time relative to simd', () => {
    const { head, rows } = tableRows(sizes);
    expect(head).toEqual(['N = 4K', 'N = 64K']);
    expect(rows.map((r) => r.label)).toEqual(['radam-wasm simd', 'radam-wasm simd, 2 threads', 'plain JS loop']);
    expect(rows[1].cells).toEqual([{ ns: '1.30', ratio: '1.05x' }, null]);
    expect(rows[2].cells).toEqual([
      { ns: '9.50', ratio: '8.00x' },
      { ns: '150', ratio: '21.5x' },
    ]);
    expect([fmt(0.71234), fmt(1234.5), shortN(4096), shortN(4194304), shortN(1000)]).toEqual([
      '0.712',
      '1,235',
      '4K',
      '4M',
      '1000',
    ]);
  });

  it("the chart's data: N, then one series per implementation, null where not measured", () => {
    const { impls, data } = chartData(sizes);
    expect(impls.map((i) => i.id)).toEqual(['simd', 'threads', 'plain-js']);
    expect(data).toEqual([
      [4096, 65536],
      [1.2, 0.7],
      [1.3, null],
      [9.5, 150.4],
    ]);
  });
});
