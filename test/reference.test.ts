// The options torch's golden vectors do not cover (amsgrad, degenerateToSgd=false, other
// thresholds), and the length sweep, against a float64 reference written from the paper and
// torch's text, independently of the kernel (no folded step sizes, no float32 rounding).
import { describe, expect, it } from 'vitest';
import { RAdam, type Backend } from '../src/index.js';
import { gradient, rng } from './support/random.js';
import { base, referenceStep, type Ref } from './support/reference.js';

async function compare(backend: Backend, o: typeof base, n: number, steps = 40) {
  const r = rng(n + 17);
  const init = gradient(r, n).map((x) => Math.max(-5, Math.min(5, x)));
  const opt = await RAdam.create({ ...o, backend });
  const w = opt.addParam(init);
  const s: Ref = {
    p: Float64Array.from(init),
    m: new Float64Array(n),
    v: new Float64Array(n),
    vmax: new Float64Array(n),
    t: 0,
  };
  let worst = 0;
  for (let t = 0; t < steps; t++) {
    // Gradients shrink over time, so v falls and amsgrad's running max matters.
    const g = gradient(r, n).map((x) => Math.max(-5, Math.min(5, x)) / (1 + t));
    w.grad.set(g);
    opt.step();
    referenceStep(s, w.grad, o);
    for (let i = 0; i < n; i++) {
      const scale = Math.max(1e-3, Math.abs(s.p[i]), Math.abs(init[i]));
      worst = Math.max(worst, Math.abs(w.data[i] - s.p[i]) / scale);
    }
  }
  opt.dispose();
  return worst;
}

const VARIANTS: [string, Partial<typeof base>][] = [
  ['defaults (beta2 0.99)', {}],
  ['amsgrad', { amsgrad: true }],
  ['amsgrad + coupled decay + maximize', { amsgrad: true, weightDecay: 0.05, maximize: true }],
  ['degenerateToSgd=false', { degenerateToSgd: false }],
  ['degenerateToSgd=false + decoupled decay', { degenerateToSgd: false, weightDecay: 0.1, decoupledWeightDecay: true }],
  ['threshold 4 (the paper)', { threshold: 4 }],
  ['threshold 8', { threshold: 8, betas: [0.9, 0.9] }],
  ['Adam (rectify: false)', { rectify: false }],
  ['Adam, eps 1e-3 (where its placement matters)', { rectify: false, eps: 1e-3 }],
  ['Adam + amsgrad + decoupled decay', { rectify: false, amsgrad: true, weightDecay: 0.1, decoupledWeightDecay: true }],
];

describe.each(['simd', 'scalar', 'js'] as Backend[])('against a float64 reference (%s)', (backend) => {
  it.each(VARIANTS)('%s', async (_, over) => {
    expect(await compare(backend, { ...base, ...over }, 37)).toBeLessThan(1e-4);
  });

  it.each([0, 1, 3, 4, 5, 15, 16, 17, 31, 32, 33, 100_003])('length %i', async (n) => {
    expect(await compare(backend, { ...base, amsgrad: n % 2 === 1 }, n, 12)).toBeLessThan(1e-4);
  });
});

describe('below the threshold', () => {
  it('degenerateToSgd=false leaves the param bit-identical (no step, no decay) while the moments update', async () => {
    const opt = await RAdam.create({ ...base, degenerateToSgd: false, weightDecay: 0.5, decoupledWeightDecay: true });
    const w = opt.addParam([1, -2, 3]);
    w.grad.set([1, 1, -1]);
    opt.step(); // step 1: rho_t = 1 < 5
    expect(Array.from(w.data)).toEqual([1, -2, 3]);
    expect(Array.from(w.expAvg)).toEqual([Math.fround(0.1), Math.fround(0.1), Math.fround(-0.1)]);
    expect(w.expAvgSq[0]).toBeGreaterThan(0);
    opt.dispose();
  });

  it('degenerateToSgd=true takes lr * m / (1 - beta1^t)', async () => {
    const opt = await RAdam.create({ ...base, lr: 0.5 });
    const w = opt.addParam([1]);
    w.grad.set([2]);
    opt.step(); // m = 0.2, m_hat = 2: p = 1 - 0.5 * 2 = 0
    expect(w.data[0]).toBeCloseTo(0, 6);
    opt.dispose();
  });
});
