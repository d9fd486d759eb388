// Linear regression on generated data, trained by minibatch gradient descent
// with radam-wasm's RAdam and with the same RAdam written as a plain JavaScript loop (float64
// arrays, the way a user would write it), printing the loss of both each epoch and the time spent
// in the optimizer step.
import { RAdam } from 'radam-wasm';

const N = 8192,
  D = 256,
  BATCH = 128,
  EPOCHS = 12,
  LR = 0.03;

// Deterministic data: y = X w* + b* + noise.
let seed = 42;
const rand = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const X = Float32Array.from({ length: N * D }, normal);
const wTrue = Float32Array.from({ length: D }, normal);
const y = new Float32Array(N);
for (let i = 0; i < N; i++) {
  let s = 0.5;
  for (let j = 0; j < D; j++) s += X[i * D + j] * wTrue[j];
  y[i] = s + 0.1 * normal();
}

/** Mean squared error of (w, b) on the whole set. */
function loss(w, b) {
  let total = 0;
  for (let i = 0; i < N; i++) {
    let s = b[0];
    for (let j = 0; j < D; j++) s += X[i * D + j] * w[j];
    total += (s - y[i]) ** 2;
  }
  return total / N;
}

/** Gradient of the batch MSE at rows [start, start + BATCH) into gw, gb. */
function gradient(w, b, start, gw, gb) {
  gw.fill(0);
  gb[0] = 0;
  for (let i = start; i < start + BATCH; i++) {
    let s = b[0];
    for (let j = 0; j < D; j++) s += X[i * D + j] * w[j];
    const e = (2 * (s - y[i])) / BATCH;
    for (let j = 0; j < D; j++) gw[j] += e * X[i * D + j];
    gb[0] += e;
  }
}

/** RAdam as a user would write it in plain JavaScript (torch's formulas, float64). */
function plainRAdam(params, { lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8 }) {
  const state = params.map((p) => ({ m: new Float64Array(p.length), v: new Float64Array(p.length) }));
  let t = 0;
  const rhoInf = 2 / (1 - beta2) - 1;
  return (grads) => {
    t++;
    const bc1 = 1 - beta1 ** t,
      bc2 = 1 - beta2 ** t;
    const rhoT = rhoInf - (2 * t * beta2 ** t) / bc2;
    const rect = rhoT > 5 ? Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) : 0;
    params.forEach((p, k) => {
      const { m, v } = state[k],
        g = grads[k];
      for (let i = 0; i < p.length; i++) {
        m[i] = beta1 * m[i] + (1 - beta1) * g[i];
        v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
        const mhat = m[i] / bc1;
        p[i] -= rhoT > 5 ? (lr * mhat * rect * Math.sqrt(bc2)) / (Math.sqrt(v[i]) + eps) : lr * mhat;
      }
    });
  };
}

const opt = await RAdam.create({ lr: LR });
const w = opt.addParam(D),
  b = opt.addParam(1);
const pw = new Float64Array(D),
  pb = new Float64Array(1);
const gw = new Float64Array(D),
  gb = new Float64Array(1);
const plainStep = plainRAdam([pw, pb], { lr: LR });

console.log(
  `Linear regression, ${N} samples x ${D} features, batch ${BATCH}, lr ${LR}; RAdam (backend ${opt.backend}) vs RAdam in plain JS`,
);
console.log('epoch   loss radam-wasm   loss plain JS');
console.log(
  `${'0'.padStart(5)}   ${loss(w.data, b.data).toExponential(4).padStart(15)}   ${loss(pw, pb).toExponential(4).padStart(13)}`,
);
let tWasm = 0,
  tPlain = 0,
  steps = 0;
for (let epoch = 1; epoch <= EPOCHS; epoch++) {
  for (let start = 0; start + BATCH <= N; start += BATCH) {
    gradient(w.data, b.data, start, w.grad, b.grad);
    let t0 = performance.now();
    opt.step();
    tWasm += performance.now() - t0;

    gradient(pw, pb, start, gw, gb);
    t0 = performance.now();
    plainStep([gw, gb]);
    tPlain += performance.now() - t0;
    steps++;
  }
  console.log(
    `${String(epoch).padStart(5)}   ${loss(w.data, b.data).toExponential(4).padStart(15)}   ${loss(pw, pb).toExponential(4).padStart(13)}`,
  );
}
let err = 0;
for (let j = 0; j < D; j++) err = Math.max(err, Math.abs(w.data[j] - wTrue[j]));
console.log(
  `\nmax |w - w*| after training: ${err.toExponential(2)} (noise 0.1); bias ${b.data[0].toFixed(4)} (true 0.5)`,
);
console.log(
  `optimizer time over ${steps} steps: radam-wasm ${((tWasm / steps) * 1e3).toFixed(1)} us/step, plain JS ${((tPlain / steps) * 1e3).toFixed(1)} us/step`,
);
console.log('(the step is tiny at this size; `npm run bench:kernel` measures the kernels at realistic sizes)');
opt.dispose();
