// Kernel benchmark: ns per element of one optimizer step, medians of many interleaved samples.
//
//   npm run build && node bench/kernel.mjs [--quick] [--only backends,fused,unroll] [--out file.json]
//
// 1. backends: simd, scalar and js at N = 65,536 and 4,194,304 (one tensor, default hyperparameters),
//    and the plain JS loop of bench/impls/plain-js.mjs beside them, twice: plainJs is the only
//    closure ever made from its function (a fresh module instance per N), plainJsShared one of
//    several (one module for all N): V8 11 (Node 20) optimizes the first case much better;
// 2. fused: one kernel call walking a 200-entry table vs one call per tensor vs one 1M tensor;
// 3. unroll: bench/unroll/variants.ts, the kernel's default path unrolled 1, 2, 4 and 8 f32x4
//    vectors per iteration, at N = 4,096, 65,536 and 4,194,304, to choose the unroll factor.
// Prints tables and writes bench/results/kernel.json (machine, versions, medians, raw samples), or
// the --out file (bench/node-versions.mjs runs it under several Node binaries, one file each).
//
// Harness: a hand-rolled loop rather than benchmark.js. benchmark.js runs each benchmark to
// completion before the next one starts, so on a shared, noisy 2-core machine a slow phase of the
// host lands on whichever case happens to run then, and it summarizes with mean ± RME. Here each
// comparison group (cases that are compared with each other) is sampled round-robin: one sample
// of every case per round, the order rotated each round, so drift hits all cases alike; the
// reported figure is the median over rounds, and ratios are medians of the per-round ratios
// (samples of one round are adjacent in time). A sample times enough back-to-back calls to last
// ~TARGET_MS, which makes timer resolution and call overhead negligible even for 4,096 elements.
// Every case is warmed up first (>= 10 calls and >= WARMUP_MS): V8 runs wasm in its baseline
// compiler (Liftoff) until the function is hot, and the optimizer has to be past step 5 for the
// rectified (adaptive) path, which is what is measured and asserted.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RAdam } from '../dist/index.js';
import { mulberry32 } from '../demo/lib/rng.mjs';
import { hooksOf } from '../dist/optimizer/internals.js';
import { plainJs } from './impls/plain-js.mjs';
import { ROOT, allocator, ascModule } from './lib/asc.mjs';
import {
  ENTRY_BYTES,
  E_FLAGS,
  E_GRAD_SCALE,
  E_DECOUPLED_DECAY_FACTOR,
  E_BETA1,
  E_ONE_MINUS_BETA1,
  E_BETA2,
  E_ONE_MINUS_BETA2,
  E_EPS,
  E_STEP_SIZE,
  MODE_MASK,
  MODE_ADAPTIVE,
} from '../dist/pipeline/layout.js';

const QUICK = process.argv.includes('--quick'); // smoke test of the script itself, not for results
const TARGET_MS = 10;
const WARMUP_MS = QUICK ? 100 : 400;
const ROUNDS = { backends: 80, fused: 100, unroll: 200 };
if (QUICK) for (const k of Object.keys(ROUNDS)) ROUNDS[k] = 8;
const arg = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const ONLY = arg('--only')?.split(',') ?? ['backends', 'fused', 'unroll'];
const OUT = arg('--out');

const log = (...a) => console.error(...a); // progress on stderr, tables on stdout

// ---------------------------------------------------------------------------------------------
// Harness

const now = () => process.hrtime.bigint();
const nsSince = (t0) => Number(now() - t0);

function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (i - lo);
}
const median = (xs) => quantile(xs, 0.5);

/**
 * Samples `cases` ({ name, elems, fn }) round-robin and returns, per case, ns/element of one call:
 * median, quartiles and the samples (in round order, so samples of one round can be paired).
 */
function measure(cases, rounds) {
  for (const c of cases) {
    let calls = 0;
    const t0 = now();
    while (calls < 10 || nsSince(t0) < WARMUP_MS * 1e6) {
      c.fn();
      calls++;
    }
    // Calls per sample, from a fresh timing now that the code is optimized.
    let reps = 1,
      t;
    for (;;) {
      const t1 = now();
      for (let r = 0; r < reps; r++) c.fn();
      t = nsSince(t1);
      if (t >= 2e6 || reps >= 1 << 20) break;
      reps *= 2;
    }
    c.reps = Math.max(1, Math.round((TARGET_MS * 1e6 * reps) / t));
    c.samples = [];
  }
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < cases.length; j++) {
      const c = cases[(j + r) % cases.length];
      const { fn, reps } = c;
      const t0 = now();
      for (let k = 0; k < reps; k++) fn();
      c.samples[r] = nsSince(t0) / reps / c.elems;
    }
  }
  const out = {};
  for (const c of cases) {
    out[c.name] = {
      elems: c.elems,
      callsPerSample: c.reps,
      rounds,
      median: median(c.samples),
      p25: quantile(c.samples, 0.25),
      p75: quantile(c.samples, 0.75),
      samples: c.samples.map((x) => +x.toPrecision(5)),
    };
  }
  return out;
}

/** a/b per round (both sampled in the same round): median and quartiles over rounds. */
function pairedRatio(a, b) {
  const q = a.samples.map((x, r) => x / b.samples[r]);
  return { median: median(q), p25: quantile(q, 0.25), p75: quantile(q, 0.75) };
}

// ---------------------------------------------------------------------------------------------
// Inputs

// Deterministic inputs (the demo's seeded rng), so that runs differ only by the machine.
const rand = mulberry32(0x5eed);
function normals(n, scale = 1) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  return a;
}

// Adds a param with random values and gradient. The gradient stays fixed during timing: the kernel
// does not look at values beyond their float class, and with nonzero gradients m and v stay far
// from subnormals however many steps are taken.
function addParam(opt, n) {
  const p = opt.addParam(normals(n, 0.1));
  p.grad.set(normals(n));
  return p;
}

function tableI32(opt, count) {
  const { kernel, table } = hooksOf(opt);
  return new Int32Array(kernel.memory.buffer, table.base, (count * ENTRY_BYTES) / 4);
}

// Every entry must be in the rectified (adaptive) mode when timing starts.
function assertAdaptive(opt, count) {
  const i32 = tableI32(opt, count);
  for (let k = 0; k < count; k++) {
    const mode = i32[(k * ENTRY_BYTES + E_FLAGS) / 4] & MODE_MASK;
    if (mode !== MODE_ADAPTIVE) throw new Error(`${opt.backend}: table entry ${k} has mode ${mode}, not adaptive`);
  }
}

// ---------------------------------------------------------------------------------------------
// Output

function table(headers, rows) {
  const cells = [headers, ...rows].map((r) => r.map(String));
  const w = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(cells[0]), w.map((n) => '-'.repeat(n)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

function gitInfo() {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return { head, dirty };
  } catch {
    return null;
  }
}

// dist/ is what runs, and it can be rebuilt from a working tree that differs from HEAD: record which
// kernels the build produced (build/ and dist/ come from the same `npm run build`).
function buildInfo() {
  const info = { distBuilt: fs.statSync(path.join(ROOT, 'dist/index.js')).mtime.toISOString() };
  for (const target of ['simd', 'scalar']) {
    const file = path.join(ROOT, `build/radam.${target}.wasm`);
    if (fs.existsSync(file)) {
      const bytes = fs.readFileSync(file);
      info[target] = { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex').slice(0, 16) };
    }
  }
  return info;
}

// ---------------------------------------------------------------------------------------------
// 1. Backends: the full opt.step() (table scalars written in JS, then one kernel call).

async function benchBackends() {
  plainJs(16); // so that every closure of the imported plainJs is one of several, whatever N runs first
  const result = {};
  for (const n of [65536, 4194304]) {
    log(`backends, N = ${n}`);
    const opts = {};
    for (const backend of ['simd', 'scalar', 'js']) {
      const opt = await RAdam.create({ backend });
      if (opt.backend !== backend) throw new Error(`asked for ${backend}, got ${opt.backend}`);
      addParam(opt, n);
      opts[backend] = opt;
    }
    const cases = Object.entries(opts).map(([name, opt]) => ({ name, elems: n, fn: () => opt.step() }));
    // RAdam as a user would write it in plain JS (past its warm-up steps: rectified too). V8 can
    // specialize optimized code to a closure's context only while its function has one closure.
    const only = (await import(`./impls/plain-js.mjs?n=${n}`)).plainJs(n);
    const shared = plainJs(n); // a closure of the statically imported function: see plainJs(16) below
    cases.push({ name: 'plainJs', elems: n, fn: only.step }, { name: 'plainJsShared', elems: n, fn: shared.step });
    const r = measure(cases, ROUNDS.backends);
    for (const opt of Object.values(opts)) assertAdaptive(opt, 1);
    r.ratios = {
      simdOverScalar: pairedRatio(r.simd, r.scalar),
      scalarOverJs: pairedRatio(r.scalar, r.js),
      simdOverPlainJs: pairedRatio(r.simd, r.plainJs),
      simdOverPlainJsShared: pairedRatio(r.simd, r.plainJsShared),
    };
    result[n] = r;
    for (const opt of Object.values(opts)) opt.dispose();
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// 2. Fused multi-tensor step vs one kernel call per tensor (simd backend).

// 100 layers, each a weight matrix and its bias: 200 tensors, 1,029,960 elements. Biases span
// 64..1024; several sizes are not multiples of 16, so the one-vector loop and the tail run too.
const BIASES = [64, 100, 128, 256, 384, 500, 512, 768, 1000, 1024];
const WEIGHTS = [
  [64, 64],
  [128, 64],
  [100, 100],
  [128, 128],
  [96, 96],
  [64, 256],
  [120, 80],
  [32, 300],
  [128, 96],
  [50, 50],
];
const SIZES = Array.from({ length: 100 }, (_, i) => [WEIGHTS[i % 10][0] * WEIGHTS[i % 10][1], BIASES[i % 10]]).flat();

async function benchFused() {
  const total = SIZES.reduce((a, b) => a + b, 0);
  log(`fused, ${SIZES.length} tensors, ${total} elements`);
  const many = await RAdam.create({ backend: 'simd' });
  for (const n of SIZES) addParam(many, n);
  const one = await RAdam.create({ backend: 'simd' });
  addParam(one, total);
  const count = SIZES.length;
  // Read after all params are added: the table moves as it grows.
  const kernelStep = hooksOf(many).kernel.step,
    table = hooksOf(many).table.base;
  const oneStep = hooksOf(one).kernel.step,
    oneTable = hooksOf(one).table.base;
  if (hooksOf(many).table.slots.length !== count) throw new Error('unexpected table length');
  // opt.step() writes every entry's scalars; the kernel-only cases then reuse them.
  for (let i = 0; i < 10; i++) {
    many.step();
    one.step();
  }
  assertAdaptive(many, count);
  assertAdaptive(one, 1);
  const cases = [
    { name: 'optStep200', elems: total, fn: () => many.step() },
    { name: 'kernelFused200', elems: total, fn: () => kernelStep(table, count) },
    {
      name: 'kernelPerTensor200',
      elems: total,
      fn: () => {
        for (let k = 0; k < count; k++) kernelStep(table + k * ENTRY_BYTES, 1);
      },
    },
    { name: 'optStep1', elems: total, fn: () => one.step() },
    { name: 'kernel1', elems: total, fn: () => oneStep(oneTable, 1) },
  ];
  const r = measure(cases, ROUNDS.fused);
  r.tensors = count;
  r.sizes = SIZES;
  r.ratios = {
    perTensorOverFused: pairedRatio(r.kernelPerTensor200, r.kernelFused200),
    fused200OverOneTensor: pairedRatio(r.kernelFused200, r.kernel1),
    optStep200OverOptStep1: pairedRatio(r.optStep200, r.optStep1),
  };
  many.dispose();
  one.dispose();
  return r;
}

// ---------------------------------------------------------------------------------------------
// 3. Unroll factor.

const VARIANTS_TS = 'bench/unroll/variants.ts';
const UNROLLS = [1, 2, 4, 8];

const variantsModule = () =>
  ascModule(VARIANTS_TS, log, ['assembly/radam.ts', 'assembly/update.ts', 'src/pipeline/layout.ts']);

const view = (mem, ptr, n) => new Float32Array(mem.buffer, ptr, n);

/** The f32 scalars of table entry 0, as the variants take them. */
function entryScalars(opt) {
  const { kernel, table } = hooksOf(opt);
  const f32 = new Float32Array(kernel.memory.buffer, table.base, ENTRY_BYTES / 4);
  return [
    E_GRAD_SCALE,
    E_DECOUPLED_DECAY_FACTOR,
    E_BETA1,
    E_ONE_MINUS_BETA1,
    E_BETA2,
    E_ONE_MINUS_BETA2,
    E_EPS,
    E_STEP_SIZE,
  ].map((o) => f32[o / 4]);
}

// Every variant must compute the shipped simd kernel's bits: one step from the same p, g, m, v with
// the same scalars, at a size that runs the 8x loop, the one-vector loop and the scalar tail.
async function checkVariants(exports, alloc) {
  const n = 4096 + 27;
  const opt = await RAdam.create({ backend: 'simd' });
  const param = addParam(opt, n);
  param.expAvg.set(normals(n, 0.1));
  param.expAvgSq.set(normals(n, 0.1).map((x) => x * x));
  hooksOf(opt).setSteps(param, 9); // the next step is t = 10, rectified
  const inputs = [param.data.slice(), param.grad.slice(), param.expAvg.slice(), param.expAvgSq.slice()];
  opt.step();
  assertAdaptive(opt, 1);
  const scalars = entryScalars(opt);
  const expected = [param.data, param.expAvg, param.expAvgSq].map((a) => new Uint32Array(a.slice().buffer));
  for (const u of UNROLLS) {
    const b = alloc(n);
    [b.p, b.g, b.m, b.v].forEach((ptr, k) => view(exports.memory, ptr, n).set(inputs[k]));
    exports[`unroll${u}`](b.p, b.g, b.m, b.v, n, ...scalars);
    [b.p, b.m, b.v].forEach((ptr, k) => {
      const got = new Uint32Array(view(exports.memory, ptr, n).slice().buffer);
      const i = got.findIndex((x, j) => x !== expected[k][j]);
      if (i >= 0) throw new Error(`unroll${u}: ${['p', 'm', 'v'][k]}[${i}] differs from the shipped simd kernel`);
    });
  }
  opt.dispose();
  return scalars;
}

async function benchUnroll() {
  const exports = await variantsModule();
  const alloc = allocator(exports);
  const scalars = await checkVariants(exports, alloc);
  log('unroll variants match the shipped simd kernel bit for bit');
  const result = {};
  for (const n of [4096, 65536, 4194304]) {
    log(`unroll, N = ${n}`);
    // All variants update the same arrays, so each finds the cache as the previous one left it.
    const b = alloc(n);
    [b.p, b.g, b.m, b.v].forEach((ptr, k) =>
      view(exports.memory, ptr, n).set(k === 3 ? normals(n, 0.1).map((x) => x * x) : normals(n, 0.1)),
    );
    const cases = UNROLLS.map((u) => {
      const f = exports[`unroll${u}`];
      const [gs, pd, b1, c1, b2, c2, eps, st] = scalars;
      return { name: `u${u}`, elems: n, fn: () => f(b.p, b.g, b.m, b.v, n, gs, pd, b1, c1, b2, c2, eps, st) };
    });
    // The shipped kernel (unroll 4 behind the table dispatch), as a check that u4 stands for it.
    const opt = await RAdam.create({ backend: 'simd' });
    addParam(opt, n);
    for (let i = 0; i < 10; i++) opt.step();
    assertAdaptive(opt, 1);
    const kstep = hooksOf(opt).kernel.step,
      ktable = hooksOf(opt).table.base;
    cases.push({ name: 'shipped', elems: n, fn: () => kstep(ktable, 1) });
    const r = measure(cases, ROUNDS.unroll);
    r.ratiosToU4 = Object.fromEntries(
      [...UNROLLS.map((u) => `u${u}`), 'shipped'].map((k) => [k, pairedRatio(r[k], r.u4)]),
    );
    result[n] = r;
    opt.dispose();
  }
  return result;
}

// ---------------------------------------------------------------------------------------------

const meta = {
  date: new Date().toISOString(),
  cpu: os.cpus()[0].model,
  cpus: os.cpus().length,
  totalMemGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  node: process.version,
  v8: process.versions.v8,
  git: gitInfo(),
  build: buildInfo(),
  loadavgStart: os.loadavg(),
  harness: {
    kind: 'hand-rolled, round-robin interleaved',
    targetMsPerSample: TARGET_MS,
    warmupMs: WARMUP_MS,
    rounds: ROUNDS,
    quick: QUICK,
    only: ONLY,
  },
  unit: 'ns per element per step (median over rounds); ratios: median of per-round ratios',
};
log(`${meta.cpu} x${meta.cpus}, node ${meta.node}, load ${meta.loadavgStart.map((x) => x.toFixed(2)).join(' ')}`);

const t0 = now();
const backends = ONLY.includes('backends') ? await benchBackends() : undefined;
const fused = ONLY.includes('fused') ? await benchFused() : undefined;
const unroll = ONLY.includes('unroll') ? await benchUnroll() : undefined;
meta.loadavgEnd = os.loadavg();
meta.seconds = +(nsSince(t0) / 1e9).toFixed(1);

const fmt = (x, d = 3) => x.toFixed(d);
const iqr = (s) => `${fmt(s.p25)}–${fmt(s.p75)}`;
const cell = (s) => `${fmt(s.median)} (${iqr(s)})`;

console.log(
  `\n${meta.cpu} (${meta.cpus} CPUs), node ${meta.node}, ${meta.seconds} s, load ${meta.loadavgStart[0].toFixed(2)} -> ${meta.loadavgEnd[0].toFixed(2)}`,
);
console.log('ns/element per step: median over rounds (p25–p75); ratios: median (p25–p75) of per-round ratios');

if (backends) {
  console.log(
    '\n1. opt.step(), one tensor, default hyperparameters, rectified steps; plain JS = bench/impls/plain-js.mjs (only closure; shared: one of several)',
  );
  console.log(
    table(
      ['N', 'simd', 'scalar', 'js', 'plain JS', 'plain JS shared', 'simd/scalar', 'scalar/js', 'simd/plain JS'],
      Object.entries(backends).map(([n, r]) => [
        n,
        cell(r.simd),
        cell(r.scalar),
        cell(r.js),
        cell(r.plainJs),
        cell(r.plainJsShared),
        cell(r.ratios.simdOverScalar),
        cell(r.ratios.scalarOverJs),
        cell(r.ratios.simdOverPlainJs),
      ]),
    ),
  );
}

if (fused) {
  const total = fused.optStep1.elems;
  console.log(`\n2. simd, ${fused.tensors} tensors vs one tensor, ${total} elements either way`);
  console.log(
    table(
      ['case', 'ns/element', 'µs/step'],
      [
        ['opt.step(), 200 tensors', fused.optStep200],
        ['kernel, one call for 200 tensors', fused.kernelFused200],
        ['kernel, one call per tensor (200)', fused.kernelPerTensor200],
        ['opt.step(), one tensor', fused.optStep1],
        ['kernel, one tensor', fused.kernel1],
      ].map(([name, s]) => [name, cell(s), fmt((s.median * s.elems) / 1e3, 1)]),
    ),
  );
  console.log(
    table(
      ['ratio', 'median (p25–p75)'],
      [
        ['kernel: one call per tensor / one call for all', cell(fused.ratios.perTensorOverFused)],
        ['kernel: 200 tensors / one tensor', cell(fused.ratios.fused200OverOneTensor)],
        ['opt.step(): 200 tensors / one tensor', cell(fused.ratios.optStep200OverOptStep1)],
      ],
    ),
  );
}

if (unroll) {
  console.log('\n3. unroll factor (f32x4 vectors per iteration), default path; shipped = the package kernel (u4)');
  console.log(
    table(
      ['N', 'variant', 'ns/element', 'ratio to u4'],
      Object.entries(unroll).flatMap(([n, r]) =>
        [...UNROLLS.map((u) => `u${u}`), 'shipped'].map((k) => [n, k, cell(r[k]), cell(r.ratiosToU4[k])]),
      ),
    ),
  );
}

// --quick results are a smoke test: they go next to, not over, the full run's.
const out = OUT
  ? path.resolve(OUT)
  : path.join(ROOT, QUICK ? 'bench/results/kernel.quick.json' : 'bench/results/kernel.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(`${out}.tmp`, `${JSON.stringify({ meta, backends, fused, unroll }, null, 2)}\n`);
fs.renameSync(`${out}.tmp`, out); // a run that is interrupted leaves the previous results intact
log(`\nwrote ${path.relative(process.cwd(), out)}`);
