// One training run of the demo's main experiment: the Post-LN Transformer of transformer.mjs on a
// task of seq-task.mjs, with one of the paper's arms, every one through radam-wasm's kernel:
//   adam         Adam (radam-wasm's Adam: the same kernel with rectify: false)
//   adam-warmup  Adam with a linear warmup (radam-wasm/schedules' LinearLR)
//   radam        RAdam, no warmup
//   adam-2k      Adam whose first K steps update only v (the library's secondMomentOnly), then Adam
//   adam-eps     Adam with eps at this model's gradient scale: adamEpsRatio x the median |g| of the
//                first step (the paper's 1e-4 is negligible here; demo/README.md); adam-eps-paper: 1e-4
//   sgd          SGD with momentum: RAdam's own momentum step (p -= lr * m / (1 - b1^t)) with the
//                rectification threshold out of reach, so every step is a momentum step
// Deterministic: the initial weights and the batches come from seeded rngs (the same for every arm
// of a seed), and the kernel's float32 arithmetic is exact IEEE (no fused multiply-add). The same
// in every engine too: the model and the histograms take exp, log and log10 from fdlibm.mjs, and
// beta2^t is the library's correctly rounded powInt, not Math.pow.
import { Adam, RAdam } from '../../dist/index.js';
import { powInt } from '../../dist/math/pow.js';
import { LinearLR } from '../../dist/schedules.js';
import { log10 } from './fdlibm.mjs';
import { heldOut, makeBatch, taskVocab } from './seq-task.mjs';
import { createWorkspace, evaluate, lossAndGrad, modelSpec, mulberry32, normalizeConfig } from './transformer.mjs';

export const ARMS = {
  adam: { label: 'Adam', make: (o) => Adam.create(o) },
  'adam-warmup': { label: 'Adam + warmup', make: (o) => Adam.create(o), warmup: true },
  radam: { label: 'RAdam', make: (o) => RAdam.create(o) },
  'adam-2k': { label: 'Adam-2k', make: (o) => Adam.create({ ...o, secondMomentOnly: true }), secondMomentOnly: true },
  // eps set before the first step, from that step's gradients (trainRun).
  'adam-eps': { label: 'Adam-eps', make: (o) => Adam.create(o), relativeEps: true },
  // Outside the criteria: the paper's own eps, negligible against this model's gradients.
  'adam-eps-paper': { label: 'Adam, eps 1e-4', make: (o, job) => Adam.create({ ...o, eps: job.paperEps ?? 1e-4 }) },
  sgd: { label: 'SGD + momentum', make: (o) => RAdam.create({ ...o, threshold: Number.MAX_VALUE }) },
};

/** Histogram bins of log10 |Δθ|: [LOG_MIN, LOG_MAX) in BINS bins; a zero update goes below the first. */
export const DELTA_BINS = { min: -9, max: 0, bins: 36 };

/** The model configuration a job describes (task vocabulary included). */
export function modelConfig(job) {
  return normalizeConfig({ ...job.model, ...job.task, ...taskVocab(job.task), batch: job.batch });
}

/** The median over all parameters of |g|: the first step's is sqrt(v̂_1), the scale Adam-eps's eps is set to. */
export function medianAbs(grads, total) {
  const all = new Float32Array(total);
  let o = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) all[o++] = Math.abs(g[i]);
  all.sort();
  return all[total >> 1];
}

/**
 * job: { arm, lr, seed, steps, batch, model, task, betas, warmupSteps, secondMomentSteps,
 *        curveEvery, deltaSteps (0: none), medianDeltaSteps, adamEpsRatio, paperEps, stateDtype? }
 * hooks: onStep(t, loss, opt, params), onCurve([t, loss]) per curve point, onDeltas(t, histogram)
 * for each of the first deltaSteps steps: what the page draws as the run goes.
 * Returns { arm, lr, seed, loss (mean training loss of the last `tail` steps), heldOut, curve,
 *          deltas (per step of the first deltaSteps: bin counts), medianDelta, params } and, for
 *          Adam-eps, { firstGradScale (median |g| of step 1), eps (adamEpsRatio x that) }.
 */
export async function trainRun(job, hooks = {}) {
  const cfg = modelConfig(job);
  const spec = modelSpec(cfg);
  const initRng = mulberry32(job.seed * 1000003 + 17);
  const dataRng = mulberry32(job.seed * 7919 + 1);
  const arm = ARMS[job.arm];
  if (!arm) throw new RangeError(`unknown arm ${job.arm}`);
  const options = { lr: job.lr, betas: job.betas ?? [0.9, 0.999], backend: job.backend ?? 'auto' };
  if (job.stateDtype) options.stateDtype = job.stateDtype; // 'bfloat16': m, v in 2 bytes each (default float32)
  const opt = await arm.make(options, job);
  const params = spec.map((t) => opt.addParam(t.init(initRng)));
  const weights = params.map((p) => p.data); // after every addParam: memory growth detaches views
  const grads = params.map((p) => p.grad);
  const total = params.reduce((s, p) => s + p.size, 0);
  const ws = createWorkspace(cfg);
  const warmup = arm.warmup ? job.warmupSteps : 0;
  // lr * t / warmup at step t (1-based), lr from step `warmup` on.
  const schedule =
    warmup > 1 ? new LinearLR(opt, { startFactor: 1 / warmup, endFactor: 1, totalIters: warmup - 1 }) : null;
  const K = arm.secondMomentOnly ? job.secondMomentSteps : 0;
  const deltaSteps = job.deltaSteps ?? 0;
  const { min, max, bins } = DELTA_BINS;
  const deltas = [];
  const medianSteps = job.medianDeltaSteps ?? 0;
  const before = deltaSteps || medianSteps ? new Float32Array(total) : null;
  const firstDeltas = medianSteps ? new Float32Array(total * medianSteps) : null;
  const curve = [];
  const tail = Math.max(1, Math.round(job.steps / 10));
  let tailLoss = 0,
    window = 0;
  let diverged = false;
  let relative = null;
  for (let t = 1; t <= job.steps; t++) {
    if (K && t === K + 1) opt.groups[0].secondMomentOnly = false;
    const batch = makeBatch(dataRng, cfg);
    let loss = lossAndGrad(cfg, weights, grads, batch, ws);
    if (t === 1 && arm.relativeEps) {
      const firstGradScale = medianAbs(grads, total);
      relative = { firstGradScale, eps: (job.adamEpsRatio ?? 1) * firstGradScale };
      opt.groups[0].eps = relative.eps;
    }
    if (!Number.isFinite(loss)) {
      diverged = true;
      loss = Number.POSITIVE_INFINITY;
    }
    const watch = before && (t <= deltaSteps || t <= medianSteps);
    if (watch) {
      let o = 0;
      for (const w of weights) {
        before.set(w, o);
        o += w.length;
      }
    }
    opt.step();
    schedule?.step();
    if (watch) {
      const hist = t <= deltaSteps ? new Array(bins + 1).fill(0) : null; // [0]: exactly zero
      let o = 0;
      for (const w of weights) {
        for (let i = 0; i < w.length; i++, o++) {
          const d = Math.abs(w[i] - before[o]);
          if (firstDeltas && t <= medianSteps) firstDeltas[(t - 1) * total + o] = d;
          if (!hist) continue;
          if (!(d > 0)) hist[0]++;
          else hist[1 + Math.min(bins - 1, Math.max(0, Math.floor(((log10(d) - min) / (max - min)) * bins)))]++;
        }
      }
      if (hist) {
        deltas.push(hist);
        hooks.onDeltas?.(t, hist);
      }
    }
    if (t > job.steps - tail) tailLoss += loss / tail;
    // The curve: the mean minibatch loss of the last curveEvery steps (one batch alone is noisy).
    const every = job.curveEvery ?? 10;
    window += loss;
    if (t === 1 && every > 1) {
      curve.push([1, loss]);
      hooks.onCurve?.(curve.at(-1));
    }
    if (t % every === 0) {
      curve.push([t, window / every]);
      hooks.onCurve?.(curve.at(-1));
      window = 0;
    }
    hooks.onStep?.(t, loss, opt, params);
    if (diverged) {
      // The curve ends in Infinity, at the point whose window holds step t: the figures tell a
      // diverged run from one in progress, and every curve stays on the same steps.
      if (curve.at(-1)?.[0] !== t) {
        curve.push([Math.ceil(t / every) * every, loss]);
        hooks.onCurve?.(curve.at(-1));
      }
      break;
    }
  }
  const held = diverged ? null : evaluate(cfg, weights, heldOut(cfg, 128), ws);
  // The scale eps competes with: the median over all parameters of sqrt(v / (1 - b2^t)).
  let medianSqrtV = null;
  if (job.reportGradientScale) {
    const t = params[0].step,
      bc = 1 - powInt((job.betas ?? [0.9, 0.999])[1], t);
    const all = new Float32Array(total);
    let o = 0;
    for (const p of params) for (const x of p.expAvgSq) all[o++] = Math.sqrt(x / bc);
    all.sort();
    medianSqrtV = all[total >> 1];
  }
  let medianDelta = null;
  if (firstDeltas) {
    const sorted = firstDeltas.slice().sort();
    medianDelta = sorted[sorted.length >> 1];
  }
  opt.dispose();
  return {
    arm: job.arm,
    lr: job.lr,
    seed: job.seed,
    loss: diverged ? Number.POSITIVE_INFINITY : tailLoss,
    heldOut: held && { loss: held.loss, tokenAccuracy: held.tokenAccuracy },
    curve,
    deltas,
    medianDelta,
    medianSqrtV,
    params: total,
    ...relative,
  };
}
