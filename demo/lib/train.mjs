// One training run: a deep MLP on spirals with Adam, Adam with linear warmup, or RAdam, all three
// through radam-wasm's kernel (Adam = RAdam's adaptive step without the rectifier). The warmup is
// radam-wasm/schedules' LinearLR.
import { Adam, RAdam } from '../../dist/index.js';
import { LinearLR } from '../../dist/schedules.js';
import { initWeights, lcg, lossAndGrad, spirals } from './task.mjs';

export const OPTIMIZERS = {
  adam: { label: 'Adam', make: (lr) => Adam.create({ lr }) },
  'adam-warmup': { label: 'Adam + linear warmup', make: (lr) => Adam.create({ lr }), warmup: true },
  radam: { label: 'RAdam', make: (lr) => RAdam.create({ lr }) },
};

export async function train({ optimizer, lr, seed, steps, batch, depth, width, warmupFraction = 0.2, curveEvery = 5 }) {
  const data = spirals({ seed });
  const test = spirals({ seed: seed + 500 });
  const sizes = [2, ...Array(depth).fill(width), data.classes];
  const init = initWeights(sizes, seed);
  const spec = OPTIMIZERS[optimizer];
  const opt = await spec.make(lr);
  const params = init.map((layer) => ({
    W: opt.addParam(layer.W),
    b: opt.addParam(layer.b),
    nin: layer.nin,
    nout: layer.nout,
  }));
  const layers = () => params.map((p) => ({ W: p.W.data, b: p.b.data, nin: p.nin, nout: p.nout }));
  const grads = () => params.map((p) => ({ W: p.W.grad, b: p.b.grad }));
  const rand = lcg(seed + 77);
  // The lr of step t is lr * min(1, t / warmup): from lr / warmup at step 1 to lr at step `warmup`.
  const warmup = Math.max(1, Math.round(warmupFraction * steps));
  const schedule = spec.warmup
    ? new LinearLR(opt, { startFactor: 1 / warmup, endFactor: 1, totalIters: Math.max(1, warmup - 1) })
    : null;
  const curve = [];
  const all = Array.from({ length: data.n }, (_, i) => i);
  for (let t = 1; t <= steps; t++) {
    const idx = Array.from({ length: batch }, () => Math.floor(rand() * data.n));
    const { loss } = lossAndGrad(layers(), data, idx, grads());
    if (!Number.isFinite(loss)) {
      curve.push([t, NaN]);
      break;
    }
    opt.step();
    schedule?.step();
    if (t % curveEvery === 0 || t === 1) curve.push([t, lossAndGrad(layers(), data, all).loss]);
  }
  const final = lossAndGrad(layers(), data, all);
  const held = lossAndGrad(
    layers(),
    test,
    Array.from({ length: test.n }, (_, i) => i),
  );
  opt.dispose();
  return { optimizer, lr, seed, loss: final.loss, trainAccuracy: final.accuracy, accuracy: held.accuracy, curve };
}
