// Gradient accumulation (the accumulate option), on every backend: checked bit for bit against a
// plain optimizer stepping the mean and against the float64 reference of test/support/reference.ts
// within the golden tolerance; the guards on the accumulated gradient; checkpoints mid-window;
// Lookahead and the EMA with it. Elsewhere: through the tfjs adapter in test/tfjs.test.ts.
import { describe, expect, it } from 'vitest';
import { Lookahead, RAdam, type Param } from '../src/index.js';
import { hooksOf } from '../src/optimizer/internals.js';
import { TOLERANCE } from './support/golden.js';
import { gradient, rng } from './support/random.js';
import { base, reference, referenceStep, worst } from './support/reference.js';
import { BACKENDS, clamped, expectBits, LENGTHS } from './support/training.js';

const fr = Math.fround;

describe.each(BACKENDS)('gradient accumulation (%s)', (backend) => {
  // The k-th call steps on fround(sum * fround(1/k)), the float32 sum taken in call order: the
  // same bits as a plain optimizer given that mean.
  const meanOf = (gs: Float32Array[]) => {
    const sum = gs[0].slice();
    for (const g of gs.slice(1)) for (let i = 0; i < sum.length; i++) sum[i] += g[i];
    return sum.map((x) => fr(x * fr(1 / gs.length)));
  };

  it.each(LENGTHS)(
    'length %i: every k-th step applies the mean, bit-identical to a plain step on it and within tolerance of float64',
    async (n) => {
      for (const k of [2, 3, 4]) {
        const acc = await RAdam.create({ backend, lr: 0.01, betas: [0.9, 0.99], accumulate: k });
        const plain = await RAdam.create({ backend, lr: 0.01, betas: [0.9, 0.99] });
        const r = rng(n * 7 + k);
        const init = clamped(n, r);
        const [a, b] = [acc.addParam(init), plain.addParam(init)];
        const ref = reference(init);
        let w = 0;
        for (let t = 1; t <= 8; t++) {
          const gs = Array.from({ length: k }, () => clamped(n, r));
          gs.forEach((g, j) => {
            a.grad.set(g);
            const result = acc.step();
            if (j < k - 1) expect(result).toEqual({ skipped: false, applied: false, accumulated: j + 1 });
            else expect(result).toEqual({ skipped: false, applied: true, accumulated: 0 });
            expect(acc.accumulated).toBe((j + 1) % k);
          });
          b.grad.set(meanOf(gs));
          plain.step();
          expectBits(a.data, b.data, `k ${k}, step ${t}`);
          expectBits(a.expAvgSq, b.expAvgSq);
          expect(a.step).toBe(t);
          const mean64 = Float64Array.from({ length: n }, (_, i) => gs.reduce((s, g) => s + g[i], 0) / k);
          referenceStep(ref, mean64, base);
          w = Math.max(w, worst(a.data, ref.p, init));
        }
        expect(w).toBeLessThan(TOLERANCE);
        acc.dispose();
        plain.dispose();
      }
    },
  );

  it('the guards act on the accumulated gradient; a refused call changes nothing, the accumulator included', async () => {
    const opt = await RAdam.create({ backend, accumulate: 3, skipNonFinite: true, maxGradNorm: 1 });
    const [x, y] = [opt.addParam(6), opt.addParam(21)];
    const r = rng(5);
    const calls = [0, 1, 2].map(() => [gradient(r, 6), gradient(r, 21)]);
    const give = (gs: Float32Array[]) => {
      x.grad.set(gs[0]);
      y.grad.set(gs[1]);
      return opt.step();
    };
    give(calls[0]);
    const before = structuredClone(opt.stateDict());
    const bad = calls[1].map((g) => g.slice());
    bad[1][20] = Number.NaN;
    expect(give(bad)).toEqual({ skipped: true, applied: false, param: 1 });
    expect(opt.stateDict()).toEqual(before);
    expect(opt.accumulated).toBe(1);
    expect(give(calls[1])).toEqual({ skipped: false, applied: false, accumulated: 2 });
    const two = structuredClone(opt.stateDict());
    const badLast = calls[2].map((g) => g.slice());
    badLast[0][0] = Number.POSITIVE_INFINITY;
    expect(give(badLast)).toEqual({ skipped: true, applied: false, param: 0 }); // the k-th call is refused whole
    expect(opt.stateDict()).toEqual(two);
    const result = give(calls[2]);
    expect(result.applied).toBe(true);
    expect(result.gradNorm).toBeGreaterThan(1); // the mean of ~unit gradients over 27 elements: clipping is active

    // Finite gradients whose sum overflows float32 are refused the same way, before it is stored.
    const o3 = await RAdam.create({ backend, accumulate: 3, skipNonFinite: true });
    const h = o3.addParam(new Float32Array(5));
    h.grad.fill(3e38);
    expect(o3.step()).toEqual({ skipped: false, applied: false, accumulated: 1 });
    const one = structuredClone(o3.stateDict());
    expect(o3.step()).toEqual({ skipped: true, applied: false, param: 0 });
    expect(o3.stateDict()).toEqual(one);
    h.grad.fill(-3e38);
    expect(o3.step()).toEqual({ skipped: false, applied: false, accumulated: 2 });
    o3.dispose();

    // The norm reported and clipped is the mean's.
    const o2 = await RAdam.create({ backend, accumulate: 2, maxGradNorm: 1e9 });
    const p = o2.addParam(8);
    const g1 = gradient(r, 8),
      g2 = gradient(r, 8);
    p.grad.set(g1);
    expect(o2.step().gradNorm).toBeUndefined();
    p.grad.set(g2);
    const s = g1.map((v, i) => fr(v + g2[i]));
    const norm = Math.sqrt(s.reduce((t, v) => t + v * v, 0)) / 2;
    expect(o2.step().gradNorm).toBeCloseTo(norm, 12);
    o2.dispose();
  });

  it('checkpoints taken mid-accumulation (stateDict and saveState) resume bit-identically', async () => {
    const k = 3;
    const make = async (accumulate = k) => {
      const opt = await RAdam.create({ backend, lr: 0.02, accumulate, ema: { decay: 0.9 } });
      return { opt, ps: [opt.addParam(clamped(17, rng(8))), opt.addParam(clamped(4, rng(9)))] };
    };
    const train = (o: { opt: RAdam; ps: Param[] }, from: number, to: number) => {
      for (let t = from; t <= to; t++) {
        const r = rng(300 + t);
        for (const p of o.ps) p.grad.set(gradient(r, p.size));
        o.opt.step();
      }
    };
    const whole = await make();
    train(whole, 1, 14);
    for (const at of [1, 2, 4, 5]) {
      for (const binary of [false, true]) {
        const first = await make();
        train(first, 1, at);
        expect(first.opt.accumulated).toBe(at % k);
        const saved = binary ? first.opt.saveState({ includeParams: true }) : structuredClone(first.opt.stateDict());
        const second = await make();
        if (binary) second.opt.loadState(saved as Uint8Array);
        else {
          second.ps.forEach((p, i) => p.data.set(first.ps[i].data));
          second.opt.loadStateDict(saved as never);
        }
        expect(second.opt.accumulated).toBe(at % k);
        train(second, at + 1, 14);
        second.ps.forEach((p, i) => {
          expectBits(p.data, whole.ps[i].data, `saved at ${at}`);
          expectBits(p.ema!, whole.ps[i].ema!);
        });
        const other = await make(2);
        expect(() =>
          binary ? other.opt.loadState(saved as Uint8Array) : other.opt.loadStateDict(saved as never),
        ).toThrow(/saved with accumulate 3, this optimizer has accumulate 2/);
        const none = await RAdam.create({ backend, ema: { decay: 0.9 } });
        none.addParam(17);
        none.addParam(4);
        expect(() => none.loadStateDict(first.opt.stateDict())).toThrow(
          /holds [12] accumulated gradients, this optimizer does not accumulate/,
        );
        [first, second, other].forEach((o) => o.opt.dispose());
        none.dispose();
      }
    }
    whole.opt.dispose();
  });

  it('a param given gradients earlier in the window but not in the last call still steps, on its accumulator', async () => {
    const opt = await RAdam.create({ backend, accumulate: 2, lr: 0.1 });
    const plain = await RAdam.create({ backend, lr: 0.1 });
    const [a, b] = [opt.addParam([1, 2, 3]), opt.addParam([4, 5])];
    const [pa, pb] = [plain.addParam([1, 2, 3]), plain.addParam([4, 5])];
    const hooks = hooksOf<Param>(opt);
    a.grad.set([1, -1, 2]);
    b.grad.set([0.5, 3]);
    hooks.stepOnly(new Set([a, b]));
    a.grad.set([3, 1, 0]);
    b.grad.set([100, 100]); // not given: must not count
    expect(hooks.stepOnly(new Set([a])).applied).toBe(true);
    pa.grad.set([2, 0, 1]);
    pb.grad.set([0.25, 1.5]); // b's mean over the window: its one gradient / k
    plain.step();
    expectBits(a.data, pa.data);
    expectBits(b.data, pb.data);
    expect([a.step, b.step]).toEqual([1, 1]);
    opt.dispose();
    plain.dispose();
  });

  it('Lookahead counts applied steps; the EMA is updated on applied steps only', async () => {
    const opt = await RAdam.create({ backend, accumulate: 2, ema: { decay: 0.5 }, lr: 0.1 });
    const p = opt.addParam([1, 1]);
    const la = new Lookahead(opt, { k: 3, alpha: 0.5 });
    const seen: number[] = [];
    for (let t = 1; t <= 6; t++) {
      p.grad.set([1, -1]);
      const ema = p.ema!.slice();
      const r = la.step();
      if (!r.applied) expectBits(p.ema!, ema);
      seen.push(la.stepsSinceSync);
    }
    expect(seen).toEqual([0, 1, 1, 2, 2, 0]);
    expect(p.step).toBe(3);
    opt.dispose();
  });

  it('validation names the value', async () => {
    for (const bad of [0, -1, 1.5, Number.NaN, '2', 2 ** 24 + 1])
      await expect(RAdam.create({ backend, accumulate: bad as number })).rejects.toThrow(
        /Invalid accumulate: .* \(expected an integer from 1 to 16777216\)/,
      );
    for (const [bad, message] of [
      [{ decay: 1 }, /Invalid ema decay: 1 \(expected 0 <= decay < 1\)/],
      [{ decay: -0.1 }, /Invalid ema decay/],
      [{ decay: '0.9' }, /Invalid ema decay: "0.9"/],
      [{}, /Invalid ema decay: undefined/],
      [{ decay: 0.9, warmup: 1 }, /Invalid ema warmup: 1/],
      [{ decay: 0.9, every: 2 }, /Unknown ema option: "every"/],
      [0.9, /Invalid ema: 0.9 \(expected \{ decay, warmup\? \} or null\)/],
    ] as const)
      await expect(RAdam.create({ backend, ema: bad as never })).rejects.toThrow(message);
    const opt = await RAdam.create({ backend, accumulate: 1, ema: null });
    expect([opt.accumulate, opt.ema]).toEqual([1, null]);
    opt.dispose();
  });
});
