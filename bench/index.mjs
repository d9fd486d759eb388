// npm run bench [-- --quick]
//
// One optimizer step, side by side in one run: radam-wasm (simd, scalar, js), a plain JavaScript
// loop, TensorFlow.js 4.22 (cpu and wasm backends: built-in Adam and RAdam written with ops) and
// the memory-bandwidth roofline, at N = 4,096 ... 16,777,216 elements; then 200 mixed tensors vs
// one tensor, the subnormal state with and without flushSubnormals, the guards and step options at
// 1M elements (skipNonFinite, maxGradNorm, Lookahead, ema, clipValue, accumulate, all at once), the
// threads, model.fit time per epoch with radam-wasm/tfjs's RAdamOptimizer vs tf.train.adam
// (bench/fit.mjs), and float32 vs bfloat16 moment state on 1 and 2 threads with their rooflines
// (bench/bf16/section.mjs).
//
// Harness: benchmark.js measures each case (its samples are seconds per step). Cases are sampled in
// rounds, one benchmark.js run of every case per round with the order rotated, so that a noisy
// spell of a shared machine hits every case alike; a case's figure is the median over rounds of its
// per-run median, and ratios are medians of per-round ratios. That harness is bench/lib/measure.mjs,
// shared with the site's benchmark page (demo/web/bench/).
//
// Writes bench/results/latest.json (machine, runtime, versions, raw samples) and latest.svg, and
// the table in README.md; --quick (a reduced set, under a minute) writes bench/results/quick.*;
// --only a,b writes bench/results/a-b.json (the README's bench table comes from full runs only);
// --out NAME writes bench/results/NAME.json instead.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './lib/asc.mjs';
import { machine, writeResults } from './lib/report.mjs';
import {
  BYTES_PER_ELEMENT,
  bySize as bySizeShared,
  harness,
  measure as measureShared,
  median,
  pairedRatio,
} from './lib/measure.mjs';
import { radamWasm } from './impls/radam-wasm.mjs';
import { WARM_STEPS } from './impls/inputs.mjs';
import { plainJs } from './impls/plain-js.mjs';
import { tfjsAdam, tfjsRAdam, tfjsReady } from './impls/tfjs.mjs';
import { roofline } from './impls/roofline.mjs';
import { fitBench } from './fit.mjs';
import { bf16Section, bf16Tables } from './bf16/section.mjs';
import { Lookahead, RAdam } from '../dist/index.js';
// The simd kernel this process runs (dist/ may be rebuilt from a working tree that differs from HEAD).
import { WASM_BASE64 as SIMD_BASE64 } from '../dist/generated/simd-bytes.js';
import { createHash } from 'node:crypto';

const QUICK = process.argv.includes('--quick');
// --only a,b: run only these sections (sizes, tensors, subnormals, guards, threads, fit, bf16).
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1].split(',') : null;
const wanted = (section) => !ONLY || ONLY.includes(section);
// --out NAME: write bench/results/NAME.json instead (a name, not a path), e.g. one file per run of
// a section run several times. A partial or --quick run may not take 'latest' (the full run's file,
// which also renders the README's table).
const OUT = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1] : null;
if (OUT !== null && (!/^[\w.-]+$/.test(OUT) || ((ONLY || QUICK) && OUT === 'latest')))
  throw new Error(`--out ${OUT}: expected a file name (letters, digits, . _ -), and not latest for a partial run`);
const SIZES = QUICK ? [4096, 65536, 1 << 20] : [4096, 65536, 1 << 20, 1 << 24];
const log = (...a) => console.error(...a);

const { rounds, options: benchOptions } = harness(QUICK);
const measure = (title, instances, nRounds, options) => measureShared(title, instances, nRounds, options, { log });

/** The implementations compared at every size. */
const CASES = [
  { id: 'simd', label: 'radam-wasm simd', make: (n) => radamWasm('simd', [n]) },
  { id: 'scalar', label: 'radam-wasm scalar', make: (n) => radamWasm('scalar', [n]) },
  { id: 'js', label: 'radam-wasm js', make: (n) => radamWasm('js', [n]) },
  { id: 'plain-js', label: 'plain JS loop', make: (n) => plainJs(n) },
  { id: 'tfjs-wasm-adam', label: 'tfjs-wasm Adam', make: (n) => tfjsAdam('wasm', n) },
  { id: 'tfjs-wasm-radam', label: 'tfjs-wasm RAdam (ops)', make: (n) => tfjsRAdam('wasm', n) },
  { id: 'tfjs-cpu-adam', label: 'tfjs-cpu Adam', make: (n) => tfjsAdam('cpu', n) },
  { id: 'tfjs-cpu-radam', label: 'tfjs-cpu RAdam (ops)', make: (n) => tfjsRAdam('cpu', n) },
  { id: 'roofline', label: 'roofline (traffic only)', make: (n) => roofline(n, log) },
];

async function bySize(n) {
  return bySizeShared(n, CASES, rounds(n), benchOptions(n), { log });
}

/** 200 tensors of mixed sizes (100 matrix + bias pairs) vs one tensor of the same total. */
async function manyTensors() {
  const sizes = Array.from({ length: 100 }, (_, k) => 64 * (1 + (k % 16))).flatMap((b) => [b * 18, b]);
  const total = sizes.reduce((a, b) => a + b, 0);
  const many = await radamWasm('simd', sizes),
    one = await radamWasm('simd', [total]);
  const res = await measure(
    'tensors',
    [
      { id: 'one', label: `simd, 1 tensor`, elems: total, ...one },
      { id: 'many', label: `simd, ${sizes.length} tensors`, elems: total, ...many },
    ],
    QUICK ? 2 : 7,
    benchOptions(total),
  );
  many.dispose();
  one.dispose();
  return { sizes: sizes.length, total, ...res, manyOverOne: pairedRatio(res.many, res.one) };
}

/**
 * v holding subnormals, as after a long run where some gradients stay zero (m has underflowed to
 * zero long before: it decays by beta1). Each round restores that state, since stepping decays it.
 */
async function subnormals() {
  const n = 1 << 20;
  const normal = await radamWasm('simd', [n]);
  const make = async (flushSubnormals) => {
    const c = await radamWasm('simd', [n], { flushSubnormals });
    c.params[0].grad.fill(0);
    const sd = c.opt.stateDict();
    sd.state[0].step = 1000;
    sd.state[0].expAvg.fill(0);
    let s = 7;
    sd.state[0].expAvgSq = Float32Array.from(
      { length: n },
      () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 + 0.01) * 1e-39,
    );
    return { ...c, activate: () => c.opt.loadStateDict(sd) };
  };
  const sub = await make(false),
    flushed = await make(true);
  const res = await measure(
    'subnormals',
    [
      { id: 'normal', label: 'simd, normal state', elems: n, ...normal },
      { id: 'subnormal', label: 'simd, subnormal v', elems: n, ...sub },
      { id: 'flushed', label: 'simd, subnormal v, flush', elems: n, ...flushed },
    ],
    QUICK ? 2 : 7,
    benchOptions(n),
  );
  [normal, sub, flushed].forEach((c) => c.dispose());
  return {
    n,
    ...res,
    subnormalOverNormal: pairedRatio(res.subnormal, res.normal),
    flushedOverNormal: pairedRatio(res.flushed, res.normal),
  };
}

/**
 * The guards' and step options' cost at 1M elements, each relative to a plain step measured in the
 * same rounds: the non-finite check, clipping, Lookahead (every 6th step), the weight EMA, the
 * value clamp, gradient accumulation, and all of them at once.
 *
 * With accumulate: k a sample is whole windows of k back-to-back step() calls (k - 1 accumulate
 * passes and one applied step), so every sample has the same mix; the row's ns/element is per call
 * (elems = k * n), and "per applied step" is k times that.
 */
const ACCUMULATE = 4;
async function guards() {
  const n = 1 << 20,
    k = ACCUMULATE;
  const ema = { decay: 0.999 };
  // The gradients are N(0, 0.1^2) (bench/impls/radam-wasm.mjs): their norm is ~100, so maxGradNorm 1
  // clips, and clipValue 0.01 clamps ~92% of the elements (|g| > 0.1 sigma).
  const clip = 0.01;
  const plain = await radamWasm('simd', [n]);
  const checked = await radamWasm('simd', [n], { skipNonFinite: true });
  const clipped = await radamWasm('simd', [n], { maxGradNorm: 1 });
  const ahead = await radamWasm('simd', [n]);
  const la = new Lookahead(ahead.opt, { k: 6, alpha: 0.5 });
  const averaged = await radamWasm('simd', [n], { ema });
  const clamped = await radamWasm('simd', [n], { clipValue: clip });
  const windowed = async (options) => {
    const c = await radamWasm('simd', [n], options);
    // radamWasm took WARM_STEPS calls, i.e. WARM_STEPS / k applied steps: take the rest, so the
    // applied steps are on the rectified path too (and a window starts with the next call).
    for (let t = 0; t < (k - 1) * WARM_STEPS; t++) c.opt.step();
    if (c.params[0].step !== WARM_STEPS) throw new Error(`accumulate warm-up: ${c.params[0].step} steps`);
    const step = () => {
      for (let j = 0; j < k; j++) c.opt.step();
    };
    return { ...c, step, elems: k * n };
  };
  const accumulated = await windowed({ accumulate: k });
  // All at once. The clamp acts on the gradient scaled by the norm clipping (~1/100 here), so its
  // bound is scaled too, to clamp the same ~92% of the elements.
  const allOn = { ema, clipValue: clip / 100, accumulate: k, maxGradNorm: 1, skipNonFinite: true };
  const everything = await windowed(allOn);
  const all = [plain, checked, clipped, ahead, averaged, clamped, accumulated, everything];
  const res = await measure(
    'guards',
    [
      { id: 'plain', label: 'simd, plain step', elems: n, ...plain },
      { id: 'skipNonFinite', label: 'simd, skipNonFinite', elems: n, ...checked },
      { id: 'maxGradNorm', label: 'simd, maxGradNorm (clipping)', elems: n, ...clipped },
      { id: 'lookahead', label: 'simd, Lookahead k=6', elems: n, ...ahead, step: () => la.step() },
      { id: 'ema', label: `simd, ema (decay ${ema.decay})`, elems: n, ...averaged },
      { id: 'clipValue', label: `simd, clipValue ${clip}`, elems: n, ...clamped },
      { id: 'accumulate', label: `simd, accumulate ${k} (per call)`, ...accumulated },
      { id: 'everything', label: `simd, all on (per call)`, ...everything },
    ],
    QUICK ? 2 : 7,
    benchOptions(n),
  );
  // Where an accumulation window's time goes: each call of a window timed alone (performance.now,
  // not paired with the plain step; the plain step timed the same way alongside, for scale).
  const perCall = { plain: [], first: [], add: [], applied: [] };
  for (let w = 0; w < (QUICK ? 10 : 60); w++) {
    let t0 = performance.now();
    plain.step();
    perCall.plain.push(((performance.now() - t0) * 1e6) / n);
    for (let j = 0; j < k; j++) {
      t0 = performance.now();
      accumulated.opt.step();
      perCall[j === 0 ? 'first' : j === k - 1 ? 'applied' : 'add'].push(((performance.now() - t0) * 1e6) / n);
    }
  }
  all.forEach((c) => c.dispose());
  const ratios = Object.fromEntries(
    ['skipNonFinite', 'maxGradNorm', 'lookahead', 'ema', 'clipValue', 'accumulate', 'everything'].map((id) => [
      `${id}OverPlain`,
      pairedRatio(res[id], res.plain),
    ]),
  );
  const out = {
    n,
    windowCalls: k, // accumulate: k (the case itself is under 'accumulate')
    emaDecay: ema.decay,
    clipValue: clip,
    allOn,
    ...res,
    ...ratios,
    // A window of k calls (one applied step's worth of work) against k plain steps (the same
    // number as the per-call ratio) and against one plain step (k times it).
    accumulateWindowOverKPlain: ratios.accumulateOverPlain,
    accumulateWindowOverOnePlain: k * ratios.accumulateOverPlain,
    everythingWindowOverKPlain: ratios.everythingOverPlain,
    everythingWindowOverOnePlain: k * ratios.everythingOverPlain,
    accumulateCalls: Object.fromEntries(Object.entries(perCall).map(([id, xs]) => [id, median(xs)])),
  };
  out.emaTarget = {
    what: 'step with ema / plain step, N=1048576',
    value: out.emaOverPlain,
    need: '<= 1.3x',
    ok: out.emaOverPlain <= 1.3,
  };
  return out;
}

/** The rows that bench/lib/report.mjs's guards table does not show (it knows the first four). */
function printGuardsExtra(g) {
  const rows = [
    [`step options (simd, N=${g.n})`, 'ns/element', 'vs plain', 'per applied step'],
    [g.plain.label, g.plain.ns.toPrecision(3), '1x', ''],
    ...['ema', 'clipValue'].map((id) => [
      g[id].label,
      g[id].ns.toPrecision(3),
      `${g[`${id}OverPlain`].toFixed(3)}x`,
      '',
    ]),
    ...['accumulate', 'everything'].map((id) => [
      g[id].label,
      g[id].ns.toPrecision(3),
      `${g[`${id}OverPlain`].toFixed(3)}x`,
      `${(g.windowCalls * g[id].ns).toPrecision(3)} ns/el = ${g[`${id}WindowOverOnePlain`].toFixed(2)}x one plain step`,
    ]),
  ];
  const c = g.accumulateCalls;
  rows.push([
    `accumulate ${g.windowCalls}, calls timed alone`,
    `${c.first.toPrecision(2)} / ${c.add.toPrecision(2)} / ${c.applied.toPrecision(2)}`,
    '',
    `first (copy) / add / applied; plain ${c.plain.toPrecision(2)}`,
  ]);
  const w = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  console.log(
    `\n${rows.map((r) => r.map((x, j) => (j === 0 ? x.padEnd(w[j]) : x.padStart(w[j]))).join('  ')).join('\n')}`,
  );
}

/**
 * Threads (2 here: this machine's cores) vs one thread, as shipped (below the break-even the step
 * stays on the calling thread) and forced to split, back to back (the worker spins between steps)
 * and with 2 ms of other work before each step (the worker has gone to sleep and must be woken).
 */
async function threadsSection() {
  const out = { threads: 2, sizes: {} };
  const sizes = QUICK ? [4096, 65536, 1 << 20] : [4096, 16384, 65536, 1 << 20, 1 << 24];
  for (const n of sizes) {
    const one = await radamWasm('simd', [n]),
      two = await radamWasm('simd', [n], { threads: 2 });
    const forced = await radamWasm('simd', [n], { threads: 2, minSplit: 0 });
    const res = await measure(
      `threads N=${n}`,
      [
        { id: 'one', label: '1 thread', elems: n, ...one },
        { id: 'two', label: '2 threads (as shipped)', elems: n, ...two },
        { id: 'forced', label: '2 threads, always split', elems: n, ...forced },
      ],
      rounds(n),
      benchOptions(n),
    );
    // With other work between steps: time the steps alone, alternating, medians.
    const gapped = { one: [], two: [] };
    if (n >= 65536) {
      for (let r = 0; r < (QUICK ? 20 : 60); r++) {
        for (const [id, c] of [
          ['one', one],
          ['two', two],
        ]) {
          const busy = performance.now() + 2;
          while (performance.now() < busy); // the caller's own work (computing gradients)
          const t0 = performance.now();
          c.step();
          gapped[id].push(((performance.now() - t0) * 1e6) / n);
        }
      }
    }
    out.sizes[n] = {
      ...res,
      shipped: pairedRatio(res.one, res.two),
      forcedSplit: pairedRatio(res.one, res.forced),
      gapped: gapped.one.length ? median(gapped.one) / median(gapped.two) : null,
    };
    [one, two, forced].forEach((c) => c.dispose());
  }
  return out;
}

const t0 = Date.now();
const loadAtStart = os.loadavg(); // the shared machine's load (1, 5, 15 min), at the start and the end
const { version: tfjsVersion } = await tfjsReady();
const probe = await RAdam.create();
log(`radam-wasm bench${QUICK ? ' --quick' : ''}: sizes ${SIZES.join(', ')}; backend auto = ${probe.backend}`);
probe.dispose();
const sizes = {};
if (wanted('sizes')) for (const n of SIZES) sizes[n] = await bySize(n);
const tensors = wanted('tensors') ? await manyTensors() : undefined;
const sub = wanted('subnormals') ? await subnormals() : undefined;
const guard = wanted('guards') ? await guards() : undefined;
const threads = wanted('threads') ? await threadsSection() : undefined;
// --quick leaves out the model.fit section (minutes of tfjs training): `node bench/fit.mjs --quick` runs it alone.
const fit = QUICK || !wanted('fit') ? undefined : await fitBench({ log });
const bf16 = wanted('bf16')
  ? await bf16Section({ quick: QUICK, log, measure, harness: { rounds, options: benchOptions } })
  : undefined;
const pkg = (name) =>
  JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
const meta = {
  ...machine(),
  date: new Date().toISOString(),
  seconds: Math.round((Date.now() - t0) / 1000),
  loadAverage: { start: loadAtStart, end: os.loadavg() },
  simdKernel: {
    bytes: Buffer.from(SIMD_BASE64, 'base64').length,
    sha256: createHash('sha256').update(Buffer.from(SIMD_BASE64, 'base64')).digest('hex').slice(0, 16),
  },
  quick: QUICK,
  versions: {
    'radam-wasm': JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version,
    '@tensorflow/tfjs-core': tfjsVersion,
    '@tensorflow/tfjs-backend-wasm': pkg('@tensorflow/tfjs-backend-wasm'),
    '@tensorflow/tfjs-layers': pkg('@tensorflow/tfjs-layers'),
    benchmark: pkg('benchmark'),
    assemblyscript: pkg('assemblyscript'),
  },
  harness: {
    rounds: Object.fromEntries(SIZES.map((n) => [n, rounds(n)])),
    benchmarkOptions: benchOptions(4096),
    bytesPerElement: BYTES_PER_ELEMENT,
  },
};
writeResults(
  { meta, sizes, tensors, subnormals: sub, guards: guard, threads, fit, bf16 },
  OUT ?? (QUICK ? 'quick' : ONLY ? ONLY.join('-') : 'latest'),
);
if (guard) printGuardsExtra(guard);
if (bf16) console.log(`\n${bf16Tables(bf16)}`);
