// The benchmark's measurement, shared by `npm run bench` (bench/index.mjs) and the site's benchmark
// page (demo/web/bench/): benchmark.js runs, sampled in rotated rounds, medians and paired ratios.
// No Node imports: the page bundles this file as it is.
import Benchmark from 'benchmark';
import lodash from 'lodash';

// benchmark.js as Node loads it, in a bundle too: a bundler does not see its require('lodash') (a
// wrapper calls it), so it gets lodash (its own dependency) here. And where there is a document it
// compiles its test loops by injecting <script> elements that name a global `Benchmark`, which a
// bundled copy does not define; without one it compiles them with Function, as in Node. The loop
// calls the step function either way.
const Bench = Benchmark.runInContext({ _: lodash, document: null });

/** Bytes one step moves per element: read p, g, m, v, write p, m, v. */
export const BYTES_PER_ELEMENT = 28;

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) / 2;
  return (s[Math.floor(i)] + s[Math.ceil(i)]) / 2;
}

/** Rounds and benchmark.js options by N: a full run, or --quick (the page's quick=1). */
export function harness(quick) {
  return {
    rounds: (n) => (quick ? 2 : n >= 1 << 24 ? 3 : 5),
    options: (n) => ({ maxTime: quick ? 0.08 : 0.3, minSamples: n >= 1 << 20 || quick ? 2 : 5, initCount: 1 }),
  };
}

/**
 * Samples the prepared cases `instances` ({ id, label, elems, step, activate? }) in rotated rounds:
 * one benchmark.js run of every case per round, the order rotated each round, so that a slow spell
 * of a shared machine hits every case alike. Returns per case: ns per element per round (median of
 * that round's benchmark.js samples), the raw samples (seconds per step), and `ns`, the median
 * over rounds. `pause` is awaited after every run (the page repaints its progress there).
 */
export async function measure(title, instances, nRounds, options, { log = () => {}, pause } = {}) {
  const out = Object.fromEntries(
    instances.map((c) => [c.id, { label: c.label, elems: c.elems, rounds: [], samples: [] }]),
  );
  for (let r = 0; r < nRounds; r++) {
    for (let j = 0; j < instances.length; j++) {
      const c = instances[(j + r) % instances.length];
      await c.activate?.();
      const b = new Bench(c.label, c.step, options);
      b.run();
      if (b.error) throw b.error;
      const ns = (median(b.stats.sample) * 1e9) / c.elems;
      out[c.id].rounds.push(ns);
      out[c.id].samples.push(b.stats.sample);
      log(`  ${title} round ${r + 1}/${nRounds}  ${c.label.padEnd(24)} ${ns.toPrecision(3).padStart(8)} ns/element`);
      await pause?.();
    }
  }
  for (const c of Object.values(out)) c.ns = median(c.rounds);
  return out;
}

/** Median over rounds of a/b, for two cases measured in the same rounds. */
export const pairedRatio = (a, b) => median(a.rounds.map((x, i) => x / b.rounds[i]));

/**
 * The implementations `cases` ({ id, label, make(n) }) side by side at N = n: prepared, sampled in
 * `nRounds` rounds, disposed. Every case gets its time relative to the case 'simd' (> 1: slower),
 * and, when a case 'roofline' is among them, the share of that bandwidth ceiling it reaches.
 */
export async function bySize(n, cases, nRounds, options, { log = () => {}, pause } = {}) {
  const instances = [];
  try {
    for (const c of cases) {
      log(`  N=${n}: preparing ${c.label}`);
      instances.push({ ...c, elems: n, ...(await c.make(n)) });
    }
    const res = await measure(`N=${n}`, instances, nRounds, options, { log, pause });
    for (const c of Object.values(res)) c.gbPerS = BYTES_PER_ELEMENT / c.ns;
    for (const [id, c] of Object.entries(res)) {
      c.timesSimd = pairedRatio(c, res.simd);
      if (res.roofline) c.ofRoofline = id === 'roofline' ? 1 : pairedRatio(res.roofline, c);
    }
    return res;
  } finally {
    for (const c of instances) c.dispose();
  }
}
