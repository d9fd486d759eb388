// A float64 RAdam written from the paper and torch's text, independently of the kernel (no folded
// step sizes, no float32 rounding): the reference of test/reference.test.ts and of the EMA and
// accumulation tests (test/ema.test.ts, test/accumulate.test.ts).

export interface Ref {
  p: Float64Array;
  m: Float64Array;
  v: Float64Array;
  vmax: Float64Array;
  t: number;
}

/** A reference at step 0 from the param's initial values. */
export function reference(init: Float32Array): Ref {
  const n = init.length;
  return {
    p: Float64Array.from(init),
    m: new Float64Array(n),
    v: new Float64Array(n),
    vmax: new Float64Array(n),
    t: 0,
  };
}

/** The golden tolerance's relative error, with the scale floored at 1e-3 as in test/reference.test.ts. */
export function worst(got: Float32Array, want: Float64Array, init: Float32Array): number {
  let w = 0;
  for (let i = 0; i < got.length; i++)
    w = Math.max(w, Math.abs(got[i] - want[i]) / Math.max(1e-3, Math.abs(want[i]), Math.abs(init[i])));
  return w;
}

export function referenceStep(s: Ref, grad: ArrayLike<number>, o: typeof base) {
  const [b1, b2] = o.betas;
  s.t += 1;
  const t = s.t;
  const bc1 = 1 - b1 ** t,
    bc2 = 1 - b2 ** t;
  const rhoInf = 2 / (1 - b2) - 1;
  const rhoT = rhoInf - (2 * t * b2 ** t) / bc2;
  for (let i = 0; i < s.p.length; i++) {
    let g = o.maximize ? -grad[i] : grad[i];
    let p = s.p[i];
    if (o.decoupledWeightDecay) p *= 1 - o.lr * o.weightDecay;
    else g += o.weightDecay * p;
    s.m[i] = b1 * s.m[i] + (1 - b1) * g;
    s.v[i] = b2 * s.v[i] + (1 - b2) * g * g;
    s.vmax[i] = Math.max(s.vmax[i], s.v[i]);
    const v = o.amsgrad ? s.vmax[i] : s.v[i];
    const mhat = s.m[i] / bc1;
    if (!o.rectify) {
      // torch.optim.Adam
      s.p[i] = p - (o.lr * mhat) / (Math.sqrt(v) / Math.sqrt(bc2) + o.eps);
    } else if (rhoT > o.threshold) {
      const r = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
      s.p[i] = p - (o.lr * mhat * r * Math.sqrt(bc2)) / (Math.sqrt(v) + o.eps);
    } else if (o.degenerateToSgd) {
      s.p[i] = p - o.lr * mhat;
    } // else: the parameter is left as it was (no decay either)
  }
}

export const base = {
  lr: 0.01,
  betas: [0.9, 0.99] as const,
  eps: 1e-8,
  weightDecay: 0,
  decoupledWeightDecay: false,
  maximize: false,
  amsgrad: false,
  threshold: 5,
  degenerateToSgd: true,
  flushSubnormals: false,
  rectify: true,
};
