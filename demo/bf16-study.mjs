// node demo/bf16-study.mjs [--seeds 5] [--steps 400] [--shadow-steps 10000] [--long-seeds 1] [--out demo/out/bf16]
// (~4 min on 2 cores with the defaults; npm run build first)
//
// How good is bfloat16 optimizer state (`stateDtype: 'bfloat16'`: m to nearest even, v by stochastic
// rounding) against float32 state? Three measurements, written to <out>/study.json and study.md
// (the same bytes for the same arguments: no dates, no timings):
//  (a) training: the demo's Post-LN Transformer task (demo/setup.mjs, lib/paper.mjs's trainRun) with
//      RAdam and with Adam + warmup at the demo's lr, float32 vs bfloat16 state, seeds 1..--seeds:
//      final training loss, held-out loss and token accuracy (the demo's 128 fixed sequences).
//      Long: RAdam for --shadow-steps steps at LONG_LR, seeds 1..--long-seeds, the same figures.
//  (b) shadow: a float32-state optimizer, a bfloat16-state one, and a float32-state one whose m and v
//      are rounded to bfloat16 to nearest even after every step ("plain bf16", simulated here), fed
//      the same gradients from the same params (the float32 one's are copied into the others before
//      every step, so only the state differs). Two gradient streams: the float32 RAdam's own training
//      of the Transformer, and a synthetic one (64K params, per-element scales over 4 decades, the
//      noise dropping 10x at 1/3 and 2/3 of the run). At checkpoints: the cosine of the step's update
//      Δp against float32's and its size ||Δp|| / ||Δp_f32||, ||m - m_f32|| / ||m_f32||, the same
//      for v, and the median over elements of |v - v_f32| / v_f32 (the norm is dominated by the
//      largest v; the median is not).
//  (c) stagnation: beta2 0.999, g = 1 for 3000 steps then 0.1 for 7000 steps: v of float32,
//      bfloat16 (stochastic rounding: mean, sd, range over the elements) and plain bf16.
// The runs go to a pool of worker threads (this same file, as demo/index.mjs's worker.mjs does).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort } from 'node:worker_threads';
import { RAdam } from '../dist/index.js';
import { jobsOf, setupOf } from './lib/experiment.mjs';
import { log } from './lib/fdlibm.mjs';
import { modelConfig, trainRun } from './lib/paper.mjs';
import { progressBar, runJobs } from './lib/pool.mjs';
import { mulberry32 } from './lib/rng.mjs';
import { heldOut, makeBatch } from './lib/seq-task.mjs';
import { createWorkspace, evaluate, lossAndGrad, modelSpec } from './lib/transformer.mjs';
import { SETUP } from './setup.mjs';

const WORKER_FLAG = 'RADAM_BF16_STUDY_WORKER'; // set by the main thread for its workers only
export const ARMS = ['radam', 'adam-warmup'];
export const DTYPES = ['float32', 'bfloat16'];
export const STAGNATION = { beta2: 0.999, high: 1, low: 0.1, switchAt: 3000, steps: 10_000, size: 4096 };
export const STAGNATION_AT = [1000, 2000, 3000, 4000, 6000, 10_000];
// The long runs' lr (the Transformer's shadow and the long training): at the demo's 1.6e-2, and at
// 8e-3, the model trains in ~1000 steps, then falls back to the uniform prediction (loss ~ln 16)
// within 2000-5000 steps, with float32 state too; at 4e-3 it stays trained over 10^4 steps.
export const LONG_LR = 4e-3;

// ---- pure helpers (test/bf16-study.test.ts) ---------------------------------------------------------

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** x rounded to float32, then to bfloat16 to nearest, ties to even (NaN stays NaN), as a number. */
export function roundBf16(x) {
  if (Number.isNaN(x)) return Number.NaN;
  f32[0] = x;
  const b = u32[0];
  u32[0] = (((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) << 16) >>> 0;
  return f32[0];
}

/** Rounds every element of a Float32Array to bfloat16 (nearest even), in place. */
export function roundBf16Array(a) {
  const w = new Uint32Array(a.buffer, a.byteOffset, a.length);
  for (let i = 0; i < w.length; i++) {
    const b = w[i];
    if ((b & 0x7f800000) === 0x7f800000 && b & 0x7fffff) continue; // NaN
    w[i] = ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) << 16;
  }
  return a;
}

/** Mean and sample standard deviation (n - 1; 0 for one value). */
export function meanSd(xs) {
  const n = xs.length;
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const ss = xs.reduce((s, x) => s + (x - mean) ** 2, 0);
  return { mean, sd: n > 1 ? Math.sqrt(ss / (n - 1)) : 0 };
}

/** The cosine of two vectors (arrays of equal length), in float64; NaN if either is zero. */
export function cosine(a, b) {
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : Number.NaN;
}

/** The Euclidean norm, in float64. */
export function norm(a) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

/** ||x - ref|| / ||ref|| in float64 (NaN if ref is zero). */
export function relErr(x, ref) {
  let d = 0,
    r = 0;
  for (let i = 0; i < ref.length; i++) {
    d += (x[i] - ref[i]) ** 2;
    r += ref[i] * ref[i];
  }
  return r > 0 ? Math.sqrt(d / r) : Number.NaN;
}

/** The median over the elements with ref > 0 of |x - ref| / ref. */
export function medianRelErr(x, ref) {
  const e = [];
  for (let i = 0; i < ref.length; i++) if (ref[i] > 0) e.push(Math.abs(x[i] - ref[i]) / ref[i]);
  if (!e.length) return Number.NaN;
  e.sort((p, q) => p - q);
  return e.length % 2 ? e[(e.length - 1) / 2] : (e[e.length / 2 - 1] + e[e.length / 2]) / 2;
}

/** The shadow checkpoints of a T-step run: 10, 100, 1000, and 30%, 40%, 70%, 100% of T (around the phase changes). */
export function checkpointsOf(T) {
  const ts = [10, 100, 1000, Math.round(0.3 * T), Math.round(0.4 * T), Math.round(0.7 * T), T];
  return [...new Set(ts.filter((t) => t >= 1 && t <= T))].sort((a, b) => a - b);
}

/** The synthetic stream's noise scale at step t of T: 1, then 0.1 after T/3, then 0.01 after 2T/3. */
export const phaseScale = (t, T) => (t <= Math.round(T / 3) ? 1 : t <= Math.round((2 * T) / 3) ? 0.1 : 0.01);

/** v of the float64 recurrence v = beta2 v + (1 - beta2) g^2 with the stagnation scenario's gradients, at step t. */
export function stagnationExact(t, { beta2, high, low, switchAt } = STAGNATION) {
  let v = 0;
  for (let s = 1; s <= t; s++) {
    const g = s <= switchAt ? high : low;
    v = beta2 * v + (1 - beta2) * g * g;
  }
  return v;
}

/** A number for the tables: 4 significant digits, exponent form below 1e-3 (and for 1e4 and up). */
export function num(x, digits = 4) {
  if (x === null || x === undefined || Number.isNaN(x)) return 'n/a';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e4)) return x.toExponential(digits - 2);
  return x.toPrecision(digits);
}
/** mean ± sd. */
export const pm = ({ mean, sd }, digits = 4) => `${num(mean, digits)} ± ${num(sd, 2)}`;
/** The cosine with its distance from 1 (which 6 decimals would hide). */
export const cosText = (c) => (Number.isNaN(c) ? 'n/a' : `${c.toFixed(6)} (1 − ${num(1 - c, 2)})`);

// ---- the worker's jobs --------------------------------------------------------------------------------

/** One standard normal per call, Marsaglia's polar method (fdlibm's log: the same bits in every engine). */
function normals(rng) {
  let spare = null;
  return () => {
    if (spare !== null) {
      const z = spare;
      spare = null;
      return z;
    }
    let u, v, s;
    do {
      u = 2 * rng() - 1;
      v = 2 * rng() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * log(s)) / s);
    spare = v * f;
    return u * f;
  };
}

/**
 * Three optimizers over the same params: float32 state (the reference), bfloat16 state, and float32
 * state rounded to bfloat16 to nearest after every step ('rne'). step(g) copies the reference's
 * params and the gradient (already in the reference's grads) into the others, steps all three.
 */
async function shadowTrio(inits, options) {
  const make = async (extra) => {
    const opt = await RAdam.create({ ...options, ...extra });
    const params = inits.map((x) => opt.addParam(x));
    return { opt, params, data: params.map((p) => p.data), grad: params.map((p) => p.grad) };
  };
  const ref = await make({});
  const bf16 = await make({ stateDtype: 'bfloat16' });
  const rne = await make({});
  const total = inits.reduce((s, x) => s + x.length, 0);
  const flat = (arrays, out = new Float64Array(total)) => {
    let o = 0;
    for (const a of arrays) for (let i = 0; i < a.length; i++) out[o++] = a[i];
    return out;
  };
  const state = (o, name) => flat(o.params.map((p) => p[name])); // bfloat16: float32 copies, exact
  const before = new Float64Array(total);
  return {
    ref,
    bf16,
    rne,
    total,
    memoryBytes: { float32: ref.opt.memoryBytes, bfloat16: bf16.opt.memoryBytes },
    /** One step of all three; with `measure`, what the step did (cosines and state errors). */
    step(measure) {
      for (const o of [bf16, rne])
        for (let k = 0; k < inits.length; k++) {
          o.data[k].set(ref.data[k]);
          o.grad[k].set(ref.grad[k]);
        }
      if (measure) flat(ref.data, before);
      for (const o of [ref, bf16, rne]) o.opt.step();
      for (const p of rne.params) {
        roundBf16Array(p.expAvg); // live views with float32 state
        roundBf16Array(p.expAvgSq);
      }
      if (!measure) return null;
      const delta = (o) => flat(o.data).map((x, i) => x - before[i]);
      const d = { ref: delta(ref), bf16: delta(bf16), rne: delta(rne) };
      const m = { ref: state(ref, 'expAvg'), bf16: state(bf16, 'expAvg'), rne: state(rne, 'expAvg') };
      const v = { ref: state(ref, 'expAvgSq'), bf16: state(bf16, 'expAvgSq'), rne: state(rne, 'expAvgSq') };
      const of = (k) => ({
        cos: cosine(d[k], d.ref),
        stepRatio: norm(d[k]) / norm(d.ref), // the size of the step against float32's: cos ignores it
        mRelErr: relErr(m[k], m.ref),
        vRelErr: relErr(v[k], v.ref),
        vMedianRelErr: medianRelErr(v[k], v.ref),
      });
      return { bf16: of('bf16'), rne: of('rne') };
    },
    dispose() {
      for (const o of [ref, bf16, rne]) o.opt.dispose();
    },
  };
}

/** (b) on the Transformer: the float32 RAdam's own training gives the gradients. */
async function shadowModel({ seed, steps, lr, model, task, batch, betas }) {
  const cfg = modelConfig({ model, task, batch });
  const spec = modelSpec(cfg);
  const initRng = mulberry32(seed * 1000003 + 17); // trainRun's streams
  const dataRng = mulberry32(seed * 7919 + 1);
  const trio = await shadowTrio(
    spec.map((t) => t.init(initRng)),
    { lr, betas },
  );
  const ws = createWorkspace(cfg);
  const at = new Set(checkpointsOf(steps));
  const checkpoints = [];
  const tail = Math.max(1, Math.round(steps / 10));
  let window = 0,
    since = 0,
    tailLoss = 0;
  for (let t = 1; t <= steps; t++) {
    const loss = lossAndGrad(cfg, trio.ref.data, trio.ref.grad, makeBatch(dataRng, cfg), ws);
    if (!Number.isFinite(loss)) throw new Error(`shadow: the float32 run diverged at step ${t} (lr ${lr})`);
    window += loss;
    since++;
    if (t > steps - tail) tailLoss += loss / tail;
    const r = trio.step(at.has(t));
    if (r) {
      // loss: the float32 run's mean minibatch loss since the previous checkpoint
      checkpoints.push({ step: t, loss: window / since, ...r });
      window = since = 0;
    }
  }
  // The float32 run is trainRun's RAdam run for this seed and lr, bit for bit (same streams, same
  // kernel): its final figures, defined as trainRun's, are the long comparison's float32 side.
  const held = evaluate(cfg, trio.ref.data, heldOut(cfg, 128), ws);
  const { total, memoryBytes } = trio;
  trio.dispose();
  const final = { loss: tailLoss, heldOut: { loss: held.loss, tokenAccuracy: held.tokenAccuracy } };
  return { params: total, memoryBytes, checkpoints, final };
}

/** (b) on the synthetic stream: g_i ~ N(0, (s(t) sigma_i)^2), sigma_i log-uniform over [1e-5, 1e-1]. */
async function shadowSynthetic({ seed, steps, size, lr, betas }) {
  const rng = mulberry32(seed);
  const sigma = Float64Array.from({ length: size }, () => 10 ** (-5 + 4 * rng()));
  const normal = normals(mulberry32(seed + 1));
  const trio = await shadowTrio([new Float32Array(size)], { lr, betas });
  const g = trio.ref.grad[0];
  const at = new Set(checkpointsOf(steps));
  const checkpoints = [];
  for (let t = 1; t <= steps; t++) {
    const s = phaseScale(t, steps);
    for (let i = 0; i < size; i++) g[i] = s * sigma[i] * normal();
    const r = trio.step(at.has(t));
    if (r) checkpoints.push({ step: t, scale: s, ...r });
  }
  const { memoryBytes } = trio;
  trio.dispose();
  return { params: size, memoryBytes, checkpoints };
}

/** (c): v over the stagnation scenario, float32, bfloat16 and plain bf16 (nearest even). */
async function stagnation({ beta2, high, low, switchAt, steps, size, at }) {
  const options = { lr: 1e-3, betas: [0.9, beta2] };
  const trio = await shadowTrio([new Float32Array(size)], options);
  const g = trio.ref.grad[0];
  const rows = [];
  const want = new Set(at);
  // Every element sees the same g: float32 and nearest-even v are the same in all (checked), the
  // stochastically rounded ones differ by their random bits (index-keyed): a distribution.
  const one = (v) => {
    if (!v.every((x) => x === v[0])) throw new Error('stagnation: a deterministic v differs between elements');
    return v[0];
  };
  for (let t = 1; t <= steps; t++) {
    g.fill(t <= switchAt ? high : low);
    trio.step(false);
    if (!want.has(t)) continue;
    const sr = Array.from(trio.bf16.params[0].expAvgSq);
    rows.push({
      step: t,
      exact: stagnationExact(t, { beta2, high, low, switchAt }),
      float32: one(trio.ref.params[0].expAvgSq),
      bfloat16: { ...meanSd(sr), min: Math.min(...sr), max: Math.max(...sr) },
      nearest: one(trio.rne.params[0].expAvgSq),
    });
  }
  trio.dispose();
  return rows;
}

// ---- main ----------------------------------------------------------------------------------------------

if (!isMainThread && process.env[WORKER_FLAG] === '1') {
  parentPort.on('message', async (job) => {
    try {
      const run = { train: trainRun, 'shadow-model': shadowModel, 'shadow-synthetic': shadowSynthetic, stagnation };
      const t0 = performance.now();
      const result = await run[job.kind](job);
      parentPort.postMessage({ id: job.id, result: { result, seconds: (performance.now() - t0) / 1000 } });
    } catch (e) {
      parentPort.postMessage({ id: job.id, error: String(e?.stack ?? e) });
    }
  });
}

/** What the results say, as markdown (study.md). */
export function studyMarkdown(study) {
  const { args, setup, training, shadow, stagnation: stag } = study;
  const lines = [
    '# bfloat16 optimizer state against float32',
    '',
    `\`node demo/bf16-study.mjs --seeds ${args.seeds} --steps ${args.steps} --shadow-steps ${args.shadowSteps} --long-seeds ${args.longSeeds}\``,
    '(written by it: demo/bf16-study.mjs says what each part measures).',
    '',
    `## (a) Training: the demo's Post-LN Transformer, ${args.steps} steps, lr ${setup.lr}, seeds 1-${args.seeds}`,
    '',
    `${setup.task.task} of ${setup.task.seqLen} tokens out of ${setup.task.vocab}, label noise ${setup.task.noise}; ${setup.model.layers} layers, d_model ${setup.model.dModel}; batch ${setup.batch}; betas ${setup.betas.join(', ')}; Adam's warmup ${setup.warmupSteps} steps. Final training loss: the mean minibatch loss of the last 10% of steps; held-out: the demo's 128 fixed sequences. Mean ± sd over the seeds; "bf16 − f32": the same seed's difference.`,
    '',
    '| arm | state | final training loss | held-out loss | held-out token accuracy |',
    '|---|---|---|---|---|',
  ];
  for (const arm of ARMS) {
    const a = training[arm];
    for (const d of [...DTYPES, 'difference'])
      lines.push(
        `| ${a.label} | ${d === 'difference' ? 'bf16 − f32' : d} | ${pm(a[d].loss.summary)} | ${pm(a[d].heldOutLoss.summary)} | ${pm(a[d].heldOutAccuracy.summary)} |`,
      );
  }
  lines.push('', 'Per seed (final training loss, float32 / bfloat16):', '');
  for (const arm of ARMS) {
    const a = training[arm];
    lines.push(
      `- ${a.label}: ${a.seeds.map((s, i) => `seed ${s} ${num(a.float32.loss.values[i])} / ${num(a.bfloat16.loss.values[i])}`).join(', ')}`,
    );
  }
  if (study.long.runs.length) {
    const L = study.long;
    lines.push(
      '',
      `## (a, long) Training: RAdam, lr ${L.lr}, ${L.steps} steps, seed${args.longSeeds > 1 ? `s 1-${args.longSeeds}` : ' 1'}`,
      '',
      `The same model and task, ${L.steps} steps at lr ${L.lr} (at the demo's lr the model falls back to the uniform prediction within a few thousand steps, float32 state too). Final training loss and held-out as in (a).`,
      '',
      '| seed | state | final training loss | held-out loss | held-out token accuracy |',
      '|---|---|---|---|---|',
      ...L.runs.map(
        (r) =>
          `| ${r.seed} | ${r.stateDtype} | ${num(r.loss)} | ${num(r.heldOut?.loss)} | ${num(r.heldOut?.tokenAccuracy)} |`,
      ),
    );
  }
  const shadowTable = (name, s, extra) => {
    lines.push(
      '',
      `## (b) Shadow, ${name}`,
      '',
      `${s.params} params; optimizer memory ${s.memoryBytes.float32} bytes with float32 state, ${s.memoryBytes.bfloat16} with bfloat16. Per checkpoint: cos(Δp, Δp_f32) of that step's update, from identical params and gradients, and its size ||Δp|| / ||Δp_f32||; ||m − m_f32|| / ||m_f32||, the same for v; the median over elements of |v − v_f32| / v_f32. "bf16": this library's bfloat16 state (m nearest even, v stochastic); "RNE": both rounded to nearest even (m is the same in both).`,
      '',
      `| step | ${extra.head} | cos bf16 | cos RNE | size bf16 | size RNE | m err bf16 (= RNE) | v err bf16 | v err RNE | v median err bf16 | v median err RNE |`,
      `|---|---|${'---|'.repeat(9)}`,
      ...s.checkpoints.map((c) => {
        const m =
          c.bf16.mRelErr === c.rne.mRelErr
            ? num(c.bf16.mRelErr, 3)
            : `${num(c.bf16.mRelErr, 3)} / ${num(c.rne.mRelErr, 3)}`;
        return `| ${c.step} | ${extra.cell(c)} | ${cosText(c.bf16.cos)} | ${cosText(c.rne.cos)} | ${num(c.bf16.stepRatio)} | ${num(c.rne.stepRatio)} | ${m} | ${num(c.bf16.vRelErr, 3)} | ${num(c.rne.vRelErr, 3)} | ${num(c.bf16.vMedianRelErr, 3)} | ${num(c.rne.vMedianRelErr, 3)} |`;
      }),
    );
  };
  shadowTable(
    `the Transformer's own gradients (float32 RAdam, lr ${shadow.transformer.lr}, seed ${shadow.transformer.seed}, ${args.shadowSteps} steps)`,
    shadow.transformer,
    { head: 'f32 loss', cell: (c) => num(c.loss) },
  );
  shadowTable(
    `synthetic gradients (RAdam, lr ${shadow.synthetic.lr}; g ~ N(0, (s(t) σ_i)²), σ_i log-uniform in [1e-5, 1e-1], s = 1, 0.1 after step ${Math.round(args.shadowSteps / 3)}, 0.01 after ${Math.round((2 * args.shadowSteps) / 3)})`,
    shadow.synthetic,
    { head: 's(t)', cell: (c) => String(c.scale) },
  );
  lines.push(
    '',
    `## (c) Stagnation: beta2 ${stag.beta2}, g = ${stag.high} for ${stag.switchAt} steps, then ${stag.low} (to step ${stag.steps})`,
    '',
    `v over ${stag.size} elements with the same g. float32 and nearest even are the same in every element; bfloat16 (stochastic rounding) is mean ± sd [min, max] over the elements. "exact": the float64 recurrence.`,
    '',
    '| step | exact | float32 | bfloat16 (stochastic) | bf16 nearest even |',
    '|---|---|---|---|---|',
    ...stag.rows.map(
      (r) =>
        `| ${r.step} | ${num(r.exact)} | ${num(r.float32)} | ${pm(r.bfloat16)} [${num(r.bfloat16.min, 3)}, ${num(r.bfloat16.max, 3)}] | ${num(r.nearest)} |`,
    ),
    '',
  );
  return lines.join('\n');
}

const main = isMainThread && process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (main) {
  const { values: args } = parseArgs({
    options: {
      seeds: { type: 'string', default: '5' },
      steps: { type: 'string', default: String(SETUP.steps) },
      'shadow-steps': { type: 'string', default: '10000' },
      'long-seeds': { type: 'string', default: '1' },
      out: { type: 'string' },
    },
  });
  const int = (flag, lo, hi) => {
    const x = Number(args[flag]);
    if (!Number.isInteger(x) || x < lo || x > hi)
      throw new RangeError(`bf16-study: --${flag} takes an integer in [${lo}, ${hi}], got '${args[flag]}'`);
    return x;
  };
  const K = int('seeds', 1, 100);
  const steps = int('steps', 1, 100_000);
  const shadowSteps = int('shadow-steps', 1, 1_000_000);
  const longSeeds = int('long-seeds', 0, 100);
  const here = path.dirname(fileURLToPath(import.meta.url));
  const out = path.resolve(args.out ?? path.join(here, 'out', 'bf16'));
  const seeds = Array.from({ length: K }, (_, i) => i + 1);
  const setupOfDtype = (d) => setupOf(SETUP, { steps, seeds, stateDtype: d });
  const base = setupOfDtype('float32');

  const shadowModelJob = { kind: 'shadow-model', seed: 1, steps: shadowSteps, lr: LONG_LR };
  Object.assign(shadowModelJob, { model: base.model, task: base.task, batch: base.batch, betas: base.betas });
  const syntheticJob = { kind: 'shadow-synthetic', seed: 20240601, steps: shadowSteps, size: 65_536, lr: 1e-3 };
  syntheticJob.betas = [0.9, 0.999];
  const stagnationJob = { kind: 'stagnation', ...STAGNATION, at: STAGNATION_AT };
  const trainJobs = DTYPES.flatMap((d) =>
    jobsOf(setupOfDtype(d))
      .filter((j) => ARMS.includes(j.arm) && j.lr === base.lr)
      .map((j) => ({ ...j, kind: 'train', dtype: d })),
  );
  // The long runs: RAdam for shadowSteps steps at LONG_LR, bfloat16 against float32, seeds 1..longSeeds.
  // Seed 1's float32 run is the Transformer shadow's float32 optimizer (the same run): not run twice.
  const longSeedList = Array.from({ length: longSeeds }, (_, i) => i + 1);
  const longJobs = longSeeds
    ? DTYPES.flatMap((d) =>
        jobsOf(setupOf(SETUP, { steps: shadowSteps, seeds: longSeedList, lr: LONG_LR, stateDtype: d }))
          .filter((j) => j.arm === 'radam' && j.lr === LONG_LR && !(d === 'float32' && j.seed === shadowModelJob.seed))
          .map((j) => ({ ...j, kind: 'train', dtype: d, long: true, deltaSteps: 0, medianDeltaSteps: 0 })),
      )
    : [];
  // The longest first: the Transformer's shadow and the long runs, while the other thread takes the rest.
  const jobs = [shadowModelJob, ...longJobs, syntheticJob, stagnationJob, ...trainJobs];
  const threads = Math.max(1, Math.min(os.availableParallelism?.() ?? os.cpus().length, 4));
  console.log(
    `bf16 study: ${trainJobs.length} training runs (${steps} steps), ${longJobs.length} long ones and 2 shadow runs (${shadowSteps} steps), the stagnation scenario; ${threads} threads`,
  );
  process.env[WORKER_FLAG] = '1';
  const t0 = performance.now();
  const done = await runJobs(fileURLToPath(import.meta.url), jobs, { threads, onResult: progressBar(jobs.length) });
  const wall = (performance.now() - t0) / 1000;
  process.stdout.write('\n');
  const resultOf = (job) => done[jobs.indexOf(job)].result;

  const training = {};
  for (const arm of ARMS) {
    const by = (d) => trainJobs.filter((j) => j.arm === arm && j.dtype === d).sort((a, b) => a.seed - b.seed);
    const rs = Object.fromEntries(DTYPES.map((d) => [d, by(d).map(resultOf)]));
    // A diverged run has no held-out numbers (trainRun's heldOut is null): NaN, which the tables show.
    const metrics = {
      loss: (r) => r.loss,
      heldOutLoss: (r) => r.heldOut?.loss ?? Number.NaN,
      heldOutAccuracy: (r) => r.heldOut?.tokenAccuracy ?? Number.NaN,
    };
    const keys = Object.keys(metrics);
    const block = (values) => ({ values, summary: meanSd(values) });
    const of = (d) => Object.fromEntries(keys.map((name) => [name, block(rs[d].map(metrics[name]))]));
    const a = {
      label: arm === 'radam' ? 'RAdam' : 'Adam + warmup',
      seeds,
      float32: of('float32'),
      bfloat16: of('bfloat16'),
    };
    a.difference = Object.fromEntries(
      keys.map((name) => [name, block(a.bfloat16[name].values.map((x, i) => x - a.float32[name].values[i]))]),
    );
    training[arm] = a;
  }
  const shadowModelResult = resultOf(shadowModelJob);
  const long = [];
  for (const seed of longSeedList)
    for (const d of DTYPES) {
      const job = longJobs.find((j) => j.seed === seed && j.dtype === d);
      const r = job ? resultOf(job) : shadowModelResult.final;
      long.push({ seed, stateDtype: d, loss: r.loss, heldOut: r.heldOut });
    }
  const study = {
    args: { seeds: K, steps, shadowSteps, longSeeds },
    setup: {
      lr: base.lr,
      steps,
      batch: base.batch,
      betas: base.betas,
      warmupSteps: base.warmupSteps,
      model: base.model,
      task: base.task,
    },
    training,
    long: { arm: 'radam', lr: LONG_LR, steps: shadowSteps, runs: long },
    shadow: {
      transformer: { seed: shadowModelJob.seed, lr: shadowModelJob.lr, ...shadowModelResult },
      synthetic: { seed: syntheticJob.seed, lr: syntheticJob.lr, ...resultOf(syntheticJob) },
    },
    stagnation: { ...STAGNATION, rows: resultOf(stagnationJob) },
  };
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'study.json'), `${JSON.stringify(study, null, 1)}\n`);
  const md = studyMarkdown(study);
  fs.writeFileSync(path.join(out, 'study.md'), md);
  console.log(`\n${md}`);
  const secs = jobs.map(
    (j, i) =>
      `${j.kind === 'train' ? `${j.long ? 'long ' : ''}${j.arm}/${j.dtype}/${j.seed}` : j.kind} ${done[i].seconds.toFixed(1)} s`,
  );
  console.log(
    `wrote ${path.relative(process.cwd(), out)}/study.json, study.md; wall ${wall.toFixed(0)} s (${secs.join(', ')})`,
  );
}
