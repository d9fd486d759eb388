// One training run of the search: the Post-LN Transformer on a generated sequence task with one
// optimizer arm. Adam / RAdam through radam-wasm's kernel (their live param.data / param.grad are
// the model's weights and grads, no copies), warmup via radam-wasm/schedules' LinearLR, and a
// hand-written SGD with momentum (torch form: buf = m*buf + g; p -= lr*buf) as a baseline.
import { Adam, RAdam } from '../../dist/index.js';
import { LinearLR } from '../../dist/schedules.js';
import { heldOut, makeBatch, taskVocab } from '../lib/seq-task.mjs';
import { createWorkspace, evaluate, lossAndGrad, modelSpec, mulberry32 } from '../lib/transformer.mjs';

/**
 * Arms: adam, adam-warmup, radam, radam-warmup, adam-eps (eps 1e-4, or job.eps), sgdm (job.sgdScale x lr).
 * job: { model, task, vocab, steps, lr, arm, seed, warmup (steps), beta2, sgdScale, evalEvery, tail }
 */
export async function trainRun(job) {
  const t0 = performance.now();
  const { arm, lr, seed, steps } = job;
  const cfg = { task: job.task, vocab: job.vocab, noise: job.noise ?? 0, ...job.model };
  Object.assign(cfg, taskVocab(cfg));
  const spec = modelSpec(cfg);
  const init = (() => {
    const rng = mulberry32(seed * 7919 + 1);
    return spec.map((t) => t.init(rng));
  })();
  const betas = [job.beta1 ?? 0.9, job.beta2 ?? 0.999];
  let opt = null,
    sched = null,
    weights,
    grads,
    sgdStep = null;
  if (arm === 'sgdm') {
    weights = init;
    grads = spec.map((t) => new Float32Array(t.size));
    const bufs = spec.map((t) => new Float32Array(t.size));
    const slr = lr * (job.sgdScale ?? 100);
    sgdStep = () => {
      for (let t = 0; t < weights.length; t++) {
        const w = weights[t],
          g = grads[t],
          b = bufs[t];
        for (let i = 0; i < w.length; i++) {
          b[i] = 0.9 * b[i] + g[i];
          w[i] -= slr * b[i];
        }
      }
    };
  } else {
    const rectified = arm.startsWith('radam');
    const eps = arm === 'adam-eps' ? (job.eps ?? 1e-4) : 1e-8;
    opt = await (rectified ? RAdam : Adam).create({ lr, betas, eps });
    const params = init.map((a) => opt.addParam(a));
    weights = params.map((p) => p.data); // after adding all params: memory growth detaches old views
    grads = params.map((p) => p.grad);
    if (arm.endsWith('-warmup')) {
      const W = job.warmup;
      sched = new LinearLR(opt, { startFactor: 1 / W, endFactor: 1, totalIters: Math.max(1, W - 1) });
    }
  }
  const ws = createWorkspace(cfg);
  const data = mulberry32(seed * 104729 + 3);
  const curve = [];
  const tail = job.tail ?? Math.max(10, Math.round(steps / 10));
  let tailSum = 0,
    tailN = 0,
    diverged = false;
  const every = job.evalEvery ?? 10;
  let windowSum = 0,
    windowN = 0;
  for (let t = 1; t <= steps; t++) {
    const l = lossAndGrad(cfg, weights, grads, makeBatch(data, cfg), ws);
    if (!Number.isFinite(l)) {
      diverged = true;
      break;
    }
    windowSum += l;
    windowN++;
    if (t % every === 0 || t === 1) {
      curve.push([t, windowSum / windowN]);
      windowSum = windowN = 0;
    }
    if (t > steps - tail) {
      tailSum += l;
      tailN++;
    }
    if (opt) {
      opt.step();
      sched?.step();
    } else sgdStep();
  }
  const held = diverged ? null : evaluate(cfg, weights, heldOut(cfg, job.heldOut ?? 128), ws);
  opt?.dispose();
  return {
    arm,
    lr,
    seed,
    final: diverged ? Number.POSITIVE_INFINITY : tailSum / tailN,
    held: held?.loss ?? Number.POSITIVE_INFINITY,
    tokenAcc: held?.tokenAccuracy ?? 0,
    seqAcc: held?.sequenceAccuracy ?? 0,
    diverged,
    curve,
    seconds: (performance.now() - t0) / 1000,
  };
}
