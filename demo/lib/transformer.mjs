// A small Post-LN Transformer encoder in plain JavaScript, forward and backward, no dependencies.
//
//   x_0   = tokEmb[token] * embScale + posEmb[position]
//   per layer (Post-LN, as in Vaswani et al. 2017 and the RAdam paper's models):
//     x = LN(x + MultiHeadSelfAttention(x))
//     x = LN(x + W2 relu(W1 x + b1) + b2)
//   logits = x_L Wout + bout,  loss = mean softmax cross-entropy over the positions whose target >= 0
//
// Tensors are flat row-major arrays; a linear layer's weight is [in, out] (y = x W + b). The model
// never allocates during a step: `createWorkspace` preallocates every activation and gradient
// buffer. `weights`/`grads` are arrays of typed arrays in `modelSpec` order, so they can be an
// optimizer's live parameter views. The code is generic over the array type: with Float64Array
// weights and a Float64Array workspace it runs in double precision (the gradient test uses that).
// Deterministic: fixed loop orders, no Math.random (initialisation takes a seeded rng), and exp, log
// and cos from fdlibm.mjs rather than Math.*, whose last bit differs between engines: the same
// weights and batch give the same bits in Node and in a browser.

import { cos, exp, log } from './fdlibm.mjs';

export { mulberry32 } from './rng.mjs';

/** Fills in the derived and default fields of a model configuration. */
export function normalizeConfig(cfg) {
  const c = {
    vocab: 16,
    outVocab: undefined,
    seqLen: 16,
    dModel: 32,
    heads: 4,
    layers: 2,
    dFF: undefined,
    batch: 16,
    causal: false,
    positional: 'learned', // or 'sinusoidal' (initial values; still a parameter with a gradient)
    embScale: undefined, // default sqrt(dModel), as in the original Transformer
    embInit: undefined, // std of the token embedding's init, default dModel^-0.5 (fairseq)
    lnEps: 1e-5,
    ...cfg,
  };
  if (c.outVocab === undefined) c.outVocab = c.vocab;
  if (c.dFF === undefined) c.dFF = 4 * c.dModel;
  if (c.embScale === undefined) c.embScale = Math.sqrt(c.dModel);
  if (c.embInit === undefined) c.embInit = 1 / Math.sqrt(c.dModel);
  if (c.dModel % c.heads !== 0) throw new RangeError(`dModel ${c.dModel} is not a multiple of heads ${c.heads}`);
  return c;
}

const LAYER_TENSORS = 16;

/** The parameter tensors in order: name, element count, and an initialiser taking a rng () => [0, 1). */
export function modelSpec(cfg) {
  const c = normalizeConfig(cfg);
  const { vocab, outVocab, seqLen: T, dModel: d, dFF: f, layers: L } = c;
  const normal = (n, std) => (rng) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = std * gauss(rng);
    return a;
  };
  // Xavier (Glorot) uniform, as fairseq's Transformer initialises its linear layers.
  const xavier = (nin, nout) => (rng) => {
    const a = new Float32Array(nin * nout),
      lim = Math.sqrt(6 / (nin + nout));
    for (let i = 0; i < a.length; i++) a[i] = (2 * rng() - 1) * lim;
    return a;
  };
  const zeros = (n) => () => new Float32Array(n);
  const ones = (n) => () => new Float32Array(n).fill(1);
  // Math.sin/cos and ** here: not the same bits in every engine (the demo uses learned positions).
  const sinusoid = () => {
    const a = new Float32Array(T * d);
    for (let t = 0; t < T; t++)
      for (let i = 0; i < d; i += 2) {
        const w = t / 10000 ** (i / d);
        a[t * d + i] = Math.sin(w);
        if (i + 1 < d) a[t * d + i + 1] = Math.cos(w);
      }
    return a;
  };
  const spec = [
    { name: 'tokEmb', size: vocab * d, init: normal(vocab * d, c.embInit) },
    {
      name: 'posEmb',
      size: T * d,
      init: c.positional === 'sinusoidal' ? sinusoid : normal(T * d, c.embInit * c.embScale),
    },
  ];
  for (let l = 0; l < L; l++) {
    const p = (name, size, init) => spec.push({ name: `layer${l}.${name}`, size, init });
    p('Wq', d * d, xavier(d, d));
    p('bq', d, zeros(d));
    p('Wk', d * d, xavier(d, d));
    p('bk', d, zeros(d));
    p('Wv', d * d, xavier(d, d));
    p('bv', d, zeros(d));
    p('Wo', d * d, xavier(d, d));
    p('bo', d, zeros(d));
    p('ln1.gamma', d, ones(d));
    p('ln1.beta', d, zeros(d));
    p('W1', d * f, xavier(d, f));
    p('b1', f, zeros(f));
    p('W2', f * d, xavier(f, d));
    p('b2', d, zeros(d));
    p('ln2.gamma', d, ones(d));
    p('ln2.beta', d, zeros(d));
  }
  spec.push({ name: 'Wout', size: d * outVocab, init: xavier(d, outVocab) });
  spec.push({ name: 'bout', size: outVocab, init: zeros(outVocab) });
  return spec;
}

/** Initial weights for a seeded rng, in modelSpec order (Float32Arrays). */
export function initWeights(cfg, rng) {
  return modelSpec(cfg).map((t) => t.init(rng));
}

/** Preallocated activations and gradient scratch for batches of up to cfg.batch sequences. */
export function createWorkspace(cfg, ArrayType = Float32Array) {
  const c = normalizeConfig(cfg);
  const { seqLen: T, dModel: d, dFF: f, layers: L, heads: H, batch: B, outVocab: V } = c;
  const N = B * T;
  const A = (n) => new ArrayType(n);
  const layers = [];
  for (let l = 0; l < L; l++) {
    layers.push({
      q: A(N * d),
      k: A(N * d),
      v: A(N * d),
      p: A(B * H * T * T), // attention probabilities
      a: A(N * d), // attention output before Wo
      xhat1: A(N * d),
      rstd1: A(N),
      x1: A(N * d),
      h: A(N * f), // relu(W1 x1 + b1)
      xhat2: A(N * d),
      rstd2: A(N),
    });
  }
  return {
    cfg: c,
    maxBatch: B,
    x: Array.from({ length: L + 1 }, () => A(N * d)), // x[l] = input of layer l; x[L] = final output
    layers,
    tmp: A(N * d),
    logits: A(N * V), // after forward: the softmax probabilities
    row: new Float64Array(Math.max(T, V)),
    dx: A(N * d),
    dr: A(N * d),
    dx1: A(N * d),
    dh: A(N * f),
    da: A(N * d),
    dq: A(N * d),
    dk: A(N * d),
    dv: A(N * d),
    dlogits: A(N * V),
  };
}

// ---- building blocks ------------------------------------------------------------------------

/** Y[n, :] = b + X[n, :] W for n < N; X is N x din, W is din x dout (i-k-j order, 4 rows at a time). */
function linear(X, W, b, Y, N, din, dout) {
  let n = 0;
  for (; n + 4 <= N; n += 4) {
    const y0 = n * dout,
      y1 = y0 + dout,
      y2 = y1 + dout,
      y3 = y2 + dout;
    const x0 = n * din,
      x1 = x0 + din,
      x2 = x1 + din,
      x3 = x2 + din;
    for (let j = 0; j < dout; j++) {
      const bj = b[j];
      Y[y0 + j] = bj;
      Y[y1 + j] = bj;
      Y[y2 + j] = bj;
      Y[y3 + j] = bj;
    }
    for (let p = 0; p < din; p++) {
      const a0 = X[x0 + p],
        a1 = X[x1 + p],
        a2 = X[x2 + p],
        a3 = X[x3 + p];
      const wo = p * dout;
      for (let j = 0; j < dout; j++) {
        const w = W[wo + j];
        Y[y0 + j] += a0 * w;
        Y[y1 + j] += a1 * w;
        Y[y2 + j] += a2 * w;
        Y[y3 + j] += a3 * w;
      }
    }
  }
  for (; n < N; n++) {
    const yo = n * dout,
      xo = n * din;
    for (let j = 0; j < dout; j++) Y[yo + j] = b[j];
    for (let p = 0; p < din; p++) {
      const a = X[xo + p],
        wo = p * dout;
      for (let j = 0; j < dout; j++) Y[yo + j] += a * W[wo + j];
    }
  }
}

/** dW += X^T dY, db += column sums of dY; dX = dY W^T (or += when `accumulate`), if dX is given. */
function linearBackward(X, dY, W, dW, db, dX, N, din, dout, accumulate) {
  let n = 0;
  for (; n + 4 <= N; n += 4) {
    const y0 = n * dout,
      y1 = y0 + dout,
      y2 = y1 + dout,
      y3 = y2 + dout;
    const x0 = n * din,
      x1 = x0 + din,
      x2 = x1 + din,
      x3 = x2 + din;
    for (let j = 0; j < dout; j++) db[j] += dY[y0 + j] + dY[y1 + j] + dY[y2 + j] + dY[y3 + j];
    for (let p = 0; p < din; p++) {
      const a0 = X[x0 + p],
        a1 = X[x1 + p],
        a2 = X[x2 + p],
        a3 = X[x3 + p];
      const wo = p * dout;
      for (let j = 0; j < dout; j++)
        dW[wo + j] += a0 * dY[y0 + j] + a1 * dY[y1 + j] + a2 * dY[y2 + j] + a3 * dY[y3 + j];
    }
    if (dX) {
      for (let p = 0; p < din; p++) {
        const wo = p * dout;
        let s0 = 0,
          s1 = 0,
          s2 = 0,
          s3 = 0;
        for (let j = 0; j < dout; j++) {
          const w = W[wo + j];
          s0 += dY[y0 + j] * w;
          s1 += dY[y1 + j] * w;
          s2 += dY[y2 + j] * w;
          s3 += dY[y3 + j] * w;
        }
        if (accumulate) {
          dX[x0 + p] += s0;
          dX[x1 + p] += s1;
          dX[x2 + p] += s2;
          dX[x3 + p] += s3;
        } else {
          dX[x0 + p] = s0;
          dX[x1 + p] = s1;
          dX[x2 + p] = s2;
          dX[x3 + p] = s3;
        }
      }
    }
  }
  for (; n < N; n++) {
    const yo = n * dout,
      xo = n * din;
    for (let j = 0; j < dout; j++) db[j] += dY[yo + j];
    for (let p = 0; p < din; p++) {
      const a = X[xo + p],
        wo = p * dout;
      for (let j = 0; j < dout; j++) dW[wo + j] += a * dY[yo + j];
    }
    if (dX) {
      for (let p = 0; p < din; p++) {
        const wo = p * dout;
        let s = 0;
        for (let j = 0; j < dout; j++) s += dY[yo + j] * W[wo + j];
        if (accumulate) dX[xo + p] += s;
        else dX[xo + p] = s;
      }
    }
  }
}

/** Y = LN(R) row-wise with gain g and bias b; keeps xhat and 1/std for the backward pass. */
function layerNorm(R, g, b, Y, xhat, rstd, N, d, eps) {
  for (let n = 0; n < N; n++) {
    const o = n * d;
    let mean = 0;
    for (let c = 0; c < d; c++) mean += R[o + c];
    mean /= d;
    let v = 0;
    for (let c = 0; c < d; c++) {
      const z = R[o + c] - mean;
      v += z * z;
    }
    const rs = 1 / Math.sqrt(v / d + eps);
    rstd[n] = rs;
    for (let c = 0; c < d; c++) {
      const xh = (R[o + c] - mean) * rs;
      xhat[o + c] = xh;
      Y[o + c] = g[c] * xh + b[c];
    }
  }
}

/** dR = d LN / dR applied to dY; dg += sum dY*xhat, db += sum dY. */
function layerNormBackward(dY, g, xhat, rstd, dg, db, dR, N, d) {
  for (let n = 0; n < N; n++) {
    const o = n * d;
    let m1 = 0,
      m2 = 0;
    for (let c = 0; c < d; c++) {
      const dy = dY[o + c],
        xh = xhat[o + c];
      dg[c] += dy * xh;
      db[c] += dy;
      const dxh = dy * g[c];
      m1 += dxh;
      m2 += dxh * xh;
    }
    m1 /= d;
    m2 /= d;
    const rs = rstd[n];
    for (let c = 0; c < d; c++) dR[o + c] = rs * (dY[o + c] * g[c] - m1 - xhat[o + c] * m2);
  }
}

function attention(q, k, v, P, out, B, T, d, H, causal, row) {
  const dh = d / H,
    scale = 1 / Math.sqrt(dh);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) {
      const ho = h * dh;
      for (let i = 0; i < T; i++) {
        const qo = (b * T + i) * d + ho;
        const jmax = causal ? i + 1 : T;
        let mx = -Infinity;
        for (let j = 0; j < jmax; j++) {
          const ko = (b * T + j) * d + ho;
          let s = 0;
          for (let c = 0; c < dh; c++) s += q[qo + c] * k[ko + c];
          s *= scale;
          row[j] = s;
          if (s > mx) mx = s;
        }
        let z = 0;
        for (let j = 0; j < jmax; j++) {
          const e = exp(row[j] - mx);
          row[j] = e;
          z += e;
        }
        const po = ((b * H + h) * T + i) * T;
        for (let c = 0; c < dh; c++) out[qo + c] = 0;
        for (let j = 0; j < T; j++) {
          if (j >= jmax) {
            P[po + j] = 0;
            continue;
          }
          const pj = row[j] / z;
          P[po + j] = pj;
          const vo = (b * T + j) * d + ho;
          for (let c = 0; c < dh; c++) out[qo + c] += pj * v[vo + c];
        }
      }
    }
}

function attentionBackward(q, k, v, P, dout, dq, dk, dv, B, T, d, H, causal, row) {
  const dh = d / H,
    scale = 1 / Math.sqrt(dh),
    N = B * T;
  dq.fill(0, 0, N * d);
  dk.fill(0, 0, N * d);
  dv.fill(0, 0, N * d);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) {
      const ho = h * dh;
      for (let i = 0; i < T; i++) {
        const qo = (b * T + i) * d + ho;
        const po = ((b * H + h) * T + i) * T;
        const jmax = causal ? i + 1 : T;
        let sum = 0;
        for (let j = 0; j < jmax; j++) {
          const vo = (b * T + j) * d + ho,
            pj = P[po + j];
          let s = 0;
          for (let c = 0; c < dh; c++) {
            s += dout[qo + c] * v[vo + c];
            dv[vo + c] += pj * dout[qo + c];
          }
          row[j] = s;
          sum += pj * s;
        }
        for (let j = 0; j < jmax; j++) {
          const ds = P[po + j] * (row[j] - sum) * scale;
          if (ds === 0) continue;
          const ko = (b * T + j) * d + ho;
          for (let c = 0; c < dh; c++) {
            dq[qo + c] += ds * k[ko + c];
            dk[ko + c] += ds * q[qo + c];
          }
        }
      }
    }
}

// ---- the model ------------------------------------------------------------------------------

/** The workspace's (normalised) config, after checking that `cfg` describes the same model. */
function configOf(cfg, ws) {
  const c = ws.cfg;
  for (const k of ['seqLen', 'dModel', 'heads', 'layers', 'vocab', 'outVocab', 'dFF', 'causal'])
    if (cfg[k] !== undefined && cfg[k] !== c[k]) throw new RangeError(`cfg.${k} ${cfg[k]} != the workspace's ${c[k]}`);
  return c;
}

function batchSize(c, batch, ws) {
  const B = batch.inputs.length / c.seqLen;
  if (!Number.isInteger(B) || B < 1 || B > ws.maxBatch)
    throw new RangeError(`batch of ${batch.inputs.length} tokens: not 1..${ws.maxBatch} sequences of ${c.seqLen}`);
  return B;
}

/** Forward pass; returns { loss, count, correct, seqCorrect, seqs } and leaves activations in ws. */
function forward(c, W, batch, ws) {
  const { seqLen: T, dModel: d, dFF: f, layers: L, heads: H, outVocab: V, causal, lnEps } = c;
  const B = batchSize(c, batch, ws),
    N = B * T;
  const { inputs, targets } = batch;
  const tok = W[0],
    pos = W[1],
    es = c.embScale;
  const x0 = ws.x[0];
  for (let n = 0; n < N; n++) {
    const to = inputs[n] * d,
      po = (n % T) * d,
      o = n * d;
    for (let j = 0; j < d; j++) x0[o + j] = tok[to + j] * es + pos[po + j];
  }
  for (let l = 0; l < L; l++) {
    const w = 2 + l * LAYER_TENSORS,
      s = ws.layers[l],
      X = ws.x[l];
    linear(X, W[w], W[w + 1], s.q, N, d, d);
    linear(X, W[w + 2], W[w + 3], s.k, N, d, d);
    linear(X, W[w + 4], W[w + 5], s.v, N, d, d);
    attention(s.q, s.k, s.v, s.p, s.a, B, T, d, H, causal, ws.row);
    const r = ws.tmp;
    linear(s.a, W[w + 6], W[w + 7], r, N, d, d);
    for (let i = 0; i < N * d; i++) r[i] += X[i];
    layerNorm(r, W[w + 8], W[w + 9], s.x1, s.xhat1, s.rstd1, N, d, lnEps);
    linear(s.x1, W[w + 10], W[w + 11], s.h, N, d, f);
    for (let i = 0; i < N * f; i++) if (s.h[i] < 0) s.h[i] = 0;
    linear(s.h, W[w + 12], W[w + 13], r, N, f, d);
    for (let i = 0; i < N * d; i++) r[i] += s.x1[i];
    layerNorm(r, W[w + 14], W[w + 15], ws.x[l + 1], s.xhat2, s.rstd2, N, d, lnEps);
  }
  const o = 2 + L * LAYER_TENSORS;
  const P = ws.logits;
  linear(ws.x[L], W[o], W[o + 1], P, N, d, V);
  let loss = 0,
    count = 0,
    correct = 0,
    seqCorrect = 0;
  for (let b = 0; b < B; b++) {
    let allRight = true;
    for (let t = 0; t < T; t++) {
      const n = b * T + t,
        lo = n * V;
      let mx = -Infinity,
        arg = 0;
      for (let j = 0; j < V; j++)
        if (P[lo + j] > mx) {
          mx = P[lo + j];
          arg = j;
        }
      let z = 0;
      for (let j = 0; j < V; j++) {
        const e = exp(P[lo + j] - mx);
        ws.row[j] = e;
        z += e;
      }
      const y = targets[n];
      if (y >= 0) {
        loss += log(z) - (P[lo + y] - mx);
        count++;
        if (arg === y) correct++;
        else allRight = false;
      }
      for (let j = 0; j < V; j++) P[lo + j] = ws.row[j] / z;
    }
    if (allRight) seqCorrect++;
  }
  return { loss: count ? loss / count : 0, count, correct, seqCorrect, seqs: B };
}

/** Mean cross-entropy of a batch, no backward pass. */
export function loss(cfg, weights, batch, ws) {
  return forward(configOf(cfg, ws), weights, batch, ws).loss;
}

/** { loss, tokenAccuracy, sequenceAccuracy } of one batch (of at most cfg.batch sequences). */
export function accuracy(cfg, weights, batch, ws) {
  const r = forward(configOf(cfg, ws), weights, batch, ws);
  return { loss: r.loss, tokenAccuracy: r.correct / r.count, sequenceAccuracy: r.seqCorrect / r.seqs };
}

/**
 * Loss and accuracies over a whole data set { inputs, targets } of any number of sequences, in
 * chunks of the workspace's batch size; token-weighted mean loss.
 */
export function evaluate(cfg, weights, set, ws) {
  const c = configOf(cfg, ws),
    T = c.seqLen,
    n = set.inputs.length / T;
  let loss = 0,
    count = 0,
    correct = 0,
    seqCorrect = 0;
  for (let s = 0; s < n; s += ws.maxBatch) {
    const e = Math.min(n, s + ws.maxBatch);
    const r = forward(
      c,
      weights,
      { inputs: set.inputs.subarray(s * T, e * T), targets: set.targets.subarray(s * T, e * T) },
      ws,
    );
    loss += r.loss * r.count;
    count += r.count;
    correct += r.correct;
    seqCorrect += r.seqCorrect;
  }
  return { loss: loss / count, tokenAccuracy: correct / count, sequenceAccuracy: seqCorrect / n };
}

/**
 * Mean cross-entropy of the batch; OVERWRITES grads (modelSpec order) with its gradient.
 * A sinusoidal posEmb still gets its gradient written: leave it out of the optimizer to freeze it.
 */
export function lossAndGrad(cfg, weights, grads, batch, ws) {
  const c = configOf(cfg, ws);
  const W = weights;
  const r = forward(c, W, batch, ws);
  const { seqLen: T, dModel: d, dFF: f, layers: L, heads: H, outVocab: V, causal } = c;
  const B = r.seqs,
    N = B * T;
  for (const g of grads) g.fill(0);
  // d loss / d logits = (softmax - onehot) / count at the predicted positions
  const P = ws.logits,
    dl = ws.dlogits,
    inv = r.count ? 1 / r.count : 0,
    targets = batch.targets;
  for (let n = 0; n < N; n++) {
    const y = targets[n],
      lo = n * V;
    if (y < 0) {
      for (let j = 0; j < V; j++) dl[lo + j] = 0;
      continue;
    }
    for (let j = 0; j < V; j++) dl[lo + j] = P[lo + j] * inv;
    dl[lo + y] -= inv;
  }
  const o = 2 + L * LAYER_TENSORS;
  const { dx, dr, dx1, dh, da, dq, dk, dv } = ws;
  linearBackward(ws.x[L], dl, W[o], grads[o], grads[o + 1], dx, N, d, V, false);
  for (let l = L - 1; l >= 0; l--) {
    const w = 2 + l * LAYER_TENSORS,
      s = ws.layers[l],
      X = ws.x[l];
    // x_{l+1} = LN2(x1 + FFN(x1))
    layerNormBackward(dx, W[w + 14], s.xhat2, s.rstd2, grads[w + 14], grads[w + 15], dr, N, d);
    dx1.set(dr.subarray(0, N * d));
    linearBackward(s.h, dr, W[w + 12], grads[w + 12], grads[w + 13], dh, N, f, d, false);
    for (let i = 0; i < N * f; i++) if (s.h[i] <= 0) dh[i] = 0;
    linearBackward(s.x1, dh, W[w + 10], grads[w + 10], grads[w + 11], dx1, N, d, f, true);
    // x1 = LN1(X + Attn(X))
    layerNormBackward(dx1, W[w + 8], s.xhat1, s.rstd1, grads[w + 8], grads[w + 9], dr, N, d);
    dx.set(dr.subarray(0, N * d));
    linearBackward(s.a, dr, W[w + 6], grads[w + 6], grads[w + 7], da, N, d, d, false);
    attentionBackward(s.q, s.k, s.v, s.p, da, dq, dk, dv, B, T, d, H, causal, ws.row);
    linearBackward(X, dq, W[w], grads[w], grads[w + 1], dx, N, d, d, true);
    linearBackward(X, dk, W[w + 2], grads[w + 2], grads[w + 3], dx, N, d, d, true);
    linearBackward(X, dv, W[w + 4], grads[w + 4], grads[w + 5], dx, N, d, d, true);
  }
  // x0 = tokEmb[token] * embScale + posEmb[position]
  const gt = grads[0],
    gp = grads[1],
    es = c.embScale,
    inputs = batch.inputs;
  for (let n = 0; n < N; n++) {
    const to = inputs[n] * d,
      po = (n % T) * d,
      xo = n * d;
    for (let j = 0; j < d; j++) {
      gt[to + j] += dx[xo + j] * es;
      gp[po + j] += dx[xo + j];
    }
  }
  return r.loss;
}

function gauss(rng) {
  let u = rng();
  while (u <= 0) u = rng();
  return Math.sqrt(-2 * log(u)) * cos(2 * Math.PI * rng());
}

/** Total parameter count of a configuration. */
export function parameterCount(cfg) {
  return modelSpec(cfg).reduce((s, t) => s + t.size, 0);
}
