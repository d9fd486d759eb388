// clipValue, the per-element gradient clamp (a group hyperparameter), on every backend: checked bit
// for bit against stepping the gradients clamped by hand. Elsewhere: its float32 limits in
// test/hard-edges.test.ts, its table-entry value in test/entry-scalars.test.ts, through the tfjs
// adapter in test/tfjs.test.ts.
import { describe, expect, it } from 'vitest';
import { RAdam } from '../src/index.js';
import { gradient, rng } from './support/random.js';
import { BACKENDS, clamped, expectBits, LENGTHS } from './support/training.js';

const fr = Math.fround;

describe.each(BACKENDS)('clipValue (%s)', (backend) => {
  const c = 0.3; // not a float32: the clamp is to fround(0.3)
  const clamp = (g: Float32Array, s = 1) => g.map((x) => Math.max(-fr(c), Math.min(fr(c), fr(x * s))));

  it.each(LENGTHS)(
    'length %i: bit-identical to stepping the gradients clamped by hand (with maximize and coupled decay)',
    async (n) => {
      const options = { backend, lr: 0.02, maximize: true, weightDecay: 0.1 };
      const clipped = await RAdam.create({ ...options, clipValue: c });
      const byHand = await RAdam.create(options);
      const r = rng(n);
      const init = clamped(n, r);
      const [a, b] = [clipped.addParam(init), byHand.addParam(init)];
      for (let t = 0; t < 12; t++) {
        const g = gradient(r, n);
        a.grad.set(g);
        b.grad.set(clamp(g));
        clipped.step();
        byHand.step();
      }
      expectBits(a.data, b.data);
      expectBits(a.expAvgSq, b.expAvgSq);
      if (n > 100) expect(a.data.some((x, i) => x !== init[i])).toBe(true);
      clipped.dispose();
      byHand.dispose();
    },
  );

  it('composes with maxGradNorm in the documented order: the norm of the raw gradients, the scale, then the clamp', async () => {
    const clipped = await RAdam.create({ backend, clipValue: c, maxGradNorm: 2 });
    const byHand = await RAdam.create({ backend });
    const r = rng(11);
    const [a, b] = [clipped.addParam(40), byHand.addParam(40)];
    for (let t = 0; t < 10; t++) {
      const g = gradient(r, 40).map((x) => x * 3);
      let sumsq = 0;
      for (const x of g) sumsq += x * x;
      const norm = Math.sqrt(sumsq);
      a.grad.set(g);
      expect(clipped.step().gradNorm).toBeCloseTo(norm, 10);
      const coef = Math.min(1, 2 / (norm + 1e-6));
      b.grad.set(clamp(g, fr(coef)));
      byHand.step();
    }
    expectBits(a.data, b.data);
    clipped.dispose();
    byHand.dispose();
  });

  it('a NaN passes through the clamp (the non-finite guard and torch see it); an infinity is clamped', async () => {
    const opt = await RAdam.create({ backend, clipValue: 1, lr: 0.1 });
    const w = opt.addParam([0, 0, 0]);
    w.grad.set([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    expect(opt.step({ skipNonFinite: true })).toEqual({ skipped: true, applied: false, param: 0 });
    opt.step();
    expect(Number.isNaN(w.data[0])).toBe(true);
    expect(Array.from(w.expAvg.subarray(1))).toEqual([fr(0.1), fr(-0.1)]); // m = (1 - 0.9) * clamp(±inf)
    opt.dispose();
  });

  it('is a group hyperparameter: validated, writable between steps, null for none', async () => {
    const opt = await RAdam.create({ backend, clipValue: 2 });
    const g = opt.addGroup({ clipValue: null });
    expect([opt.groups[0].clipValue, g.clipValue]).toEqual([2, null]);
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '1', true]) {
      expect(() => {
        g.clipValue = bad as number;
      }).toThrow(/Invalid clipValue: .* \(expected a positive finite number, or null for no clamp\)/);
      await expect(RAdam.create({ clipValue: bad as number })).rejects.toThrow(/Invalid clipValue/);
    }
    expect(g.clipValue).toBeNull();
    g.clipValue = 0.5;
    expect(opt.stateDict().groups.map((x) => x.clipValue)).toEqual([2, 0.5]);
    opt.dispose();
  });
});
