// Trains a tiny MLP in the page with radam-wasm and plots the loss live with uPlot.
// Served from the repository root (npm run example:browser) after npm run build.
import uPlot from '/node_modules/uplot/dist/uPlot.esm.js';
import { RAdam } from '/dist/index.js';

const STEPS = Number(new URLSearchParams(location.search).get('steps') ?? 1500);
const H = 32,
  N = 256;
const xs = Float32Array.from({ length: N }, (_, i) => -1 + (2 * i) / (N - 1));
const ys = xs.map((x) => Math.sin(3 * x));

const opt = await RAdam.create({ lr: 0.02 });
let seed = 1;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 2;
const w1 = opt.addParam(Float32Array.from({ length: H }, rand));
const b1 = opt.addParam(H);
const w2 = opt.addParam(Float32Array.from({ length: H }, () => rand() / Math.sqrt(H)));
const b2 = opt.addGroup({ weightDecay: 0 }).addParam(1);
document.querySelector('#status').textContent = `backend: ${opt.backend}`;

/** Mean squared error, with its gradient written into the params' grad views. */
function lossAndGradients() {
  const [W1, B1, W2, B2] = [w1.data, b1.data, w2.data, b2.data];
  const [g1, gb1, g2, gb2] = [w1.grad, b1.grad, w2.grad, b2.grad];
  opt.zeroGrad();
  let loss = 0;
  const h = new Float32Array(H);
  for (let n = 0; n < N; n++) {
    let out = B2[0];
    for (let j = 0; j < H; j++) {
      h[j] = Math.tanh(W1[j] * xs[n] + B1[j]);
      out += W2[j] * h[j];
    }
    const e = out - ys[n];
    loss += (e * e) / N;
    const d = (2 * e) / N;
    gb2[0] += d;
    for (let j = 0; j < H; j++) {
      g2[j] += d * h[j];
      const dh = d * W2[j] * (1 - h[j] * h[j]);
      g1[j] += dh * xs[n];
      gb1[j] += dh;
    }
  }
  return loss;
}

const steps = [],
  losses = [];
window.losses = losses;
const chart = new uPlot(
  {
    width: 800,
    height: 360,
    title: 'training loss (MSE)',
    scales: { x: { time: false }, y: { distr: 3 } },
    axes: [{ label: 'step' }, { label: 'loss', size: 70 }],
    series: [{ label: 'step' }, { label: 'RAdam', stroke: 'rgb(230, 40, 40)', width: 2 }],
  },
  [steps, losses],
  document.querySelector('#chart'),
);

for (let t = 1; t <= STEPS; t++) {
  const loss = lossAndGradients();
  opt.step();
  steps.push(t);
  losses.push(loss);
  if (t % 25 === 0 || t === STEPS) {
    chart.setData([steps, losses]);
    document.querySelector('#status').textContent =
      `backend: ${opt.backend} · step ${t}/${STEPS} · loss ${loss.toExponential(3)}`;
    await new Promise((r) => requestAnimationFrame(r)); // let the page paint
  }
}
window.trainingDone = true;
