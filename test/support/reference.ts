// A float64 RAdam written from the paper and torch's text, independently of the kernel (no folded
// step sizes, no float32 rounding): the reference of test/reference.test.ts and test/training.test.ts.

export interface Ref {
  p: Float64Array;
  m: Float64Array;
  v: Float64Array;
  vmax: Float64Array;
  t: number;
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
