// The demo's task and model, in plain JavaScript: a generated spiral classification data set and a
// deep ReLU MLP (no normalisation layers, as where Adam's early steps do harm), trained with
// softmax cross-entropy. Its weights live in an optimizer's parameters; backprop writes their grads.

/** K interleaved spiral arms in 2-D, `perClass` points each, deterministic for a seed. */
export function spirals({ classes = 4, perClass = 200, noise = 0.15, seed = 1 } = {}) {
  const rand = lcg(seed);
  const n = classes * perClass;
  const x = new Float32Array(n * 2),
    y = new Int32Array(n);
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < perClass; i++) {
      const r = i / perClass,
        k = c * perClass + i;
      const angle = (c * 2 * Math.PI) / classes + r * 4 + noise * gauss(rand);
      x[2 * k] = r * Math.cos(angle);
      x[2 * k + 1] = r * Math.sin(angle);
      y[k] = c;
    }
  }
  return { x, y, n, classes, features: 2 };
}

export function lcg(seed) {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
}
const gauss = (rand) => Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());

/** Layer sizes → He-initialised weights (W: out x in, row-major) and zero biases, for a seed. */
export function initWeights(sizes, seed) {
  const rand = lcg(seed + 1000);
  const layers = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const [nin, nout] = [sizes[l], sizes[l + 1]];
    const std = Math.sqrt(2 / nin);
    layers.push({
      W: Float32Array.from({ length: nin * nout }, () => std * gauss(rand)),
      b: new Float32Array(nout),
      nin,
      nout,
    });
  }
  return layers;
}

/**
 * Mean cross-entropy of the batch `idx` and, when `grads` is given, its gradient written into
 * grads[l].W / grads[l].b. `layers[l].W`/`.b` are the weights (Float32Array views).
 */
export function lossAndGrad(layers, data, idx, grads) {
  const L = layers.length,
    B = idx.length;
  const acts = [new Float32Array(B * data.features)];
  idx.forEach((k, i) => {
    acts[0][2 * i] = data.x[2 * k];
    acts[0][2 * i + 1] = data.x[2 * k + 1];
  });
  for (let l = 0; l < L; l++) {
    const { W, b, nin, nout } = layers[l];
    const a = acts[l],
      z = new Float32Array(B * nout);
    for (let i = 0; i < B; i++) {
      for (let o = 0; o < nout; o++) {
        let s = b[o];
        const row = o * nin,
          ai = i * nin;
        for (let j = 0; j < nin; j++) s += W[row + j] * a[ai + j];
        z[i * nout + o] = l < L - 1 ? Math.max(0, s) : s;
      }
    }
    acts.push(z);
  }
  const logits = acts[L],
    C = layers[L - 1].nout;
  let loss = 0,
    correct = 0;
  let delta = new Float32Array(B * C);
  for (let i = 0; i < B; i++) {
    let max = -Infinity,
      arg = 0;
    for (let c = 0; c < C; c++)
      if (logits[i * C + c] > max) {
        max = logits[i * C + c];
        arg = c;
      }
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(logits[i * C + c] - max);
    const label = data.y[idx[i]];
    loss += Math.log(sum) - (logits[i * C + label] - max);
    if (arg === label) correct++;
    for (let c = 0; c < C; c++)
      delta[i * C + c] = (Math.exp(logits[i * C + c] - max) / sum - (c === label ? 1 : 0)) / B;
  }
  if (grads) {
    for (let l = L - 1; l >= 0; l--) {
      const { W, nin, nout } = layers[l];
      const a = acts[l],
        gW = grads[l].W,
        gb = grads[l].b;
      gW.fill(0);
      gb.fill(0);
      const prev = l > 0 ? new Float32Array(B * nin) : null;
      for (let i = 0; i < B; i++) {
        for (let o = 0; o < nout; o++) {
          const d = delta[i * nout + o];
          if (d === 0) continue;
          gb[o] += d;
          const row = o * nin,
            ai = i * nin;
          for (let j = 0; j < nin; j++) gW[row + j] += d * a[ai + j];
          if (prev) for (let j = 0; j < nin; j++) prev[ai + j] += d * W[row + j];
        }
      }
      if (prev) {
        for (let k = 0; k < prev.length; k++) if (a[k] <= 0) prev[k] = 0;
        delta = prev;
      }
    }
  }
  return { loss: loss / B, accuracy: correct / B };
}
