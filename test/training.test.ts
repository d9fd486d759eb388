// What a training loop needs around the optimizer (issue 13), on every backend: the weight EMA,
// value clipping and gradient accumulation. Each is checked bit for bit against the same step
// computed another way (by hand in float32, or through the plain optimizer) and against the
// float64 reference of test/support/reference.ts within the golden tolerance.
import { describe, expect, it } from 'vitest';
import { Lookahead, RAdam, type Backend, type Param, type RAdamOptions } from '../src/index.js';
import { hooksOf } from '../src/optimizer/internals.js';
import { TOLERANCE } from './support/golden.js';
import { firstDifference, gradient, rng } from './support/random.js';
import { base, referenceStep, type Ref } from './support/reference.js';

const BACKENDS: Backend[] = ['simd', 'scalar', 'js'];
const LENGTHS = [0, 1, 3, 4, 5, 15, 16, 17, 33, 1031];
const fr = Math.fround;
const sameBits = (a: Float32Array, b: Float32Array, what = '') => expect(firstDifference(a, b), what).toBe(-1);
const clamped = (n: number, r: () => number) => gradient(r, n).map((x) => Math.max(-5, Math.min(5, x)));

function reference(init: Float32Array): Ref {
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
function worst(got: Float32Array, want: Float64Array, init: Float32Array): number {
  let w = 0;
  for (let i = 0; i < got.length; i++)
    w = Math.max(w, Math.abs(got[i] - want[i]) / Math.max(1e-3, Math.abs(want[i]), Math.abs(init[i])));
  return w;
}

describe.each(BACKENDS)('weight EMA (%s)', (backend) => {
  it.each(LENGTHS)(
    'length %i: starts at the values, then ema = d*ema + (1-d)*p per step, exactly in float32 and within tolerance of float64',
    async (n) => {
      for (const warmup of [false, true]) {
        const decay = 0.9;
        const r = rng(n + 5);
        const init = clamped(n, r);
        const opt = await RAdam.create({ backend, lr: 0.01, betas: [0.9, 0.99], ema: { decay, warmup } });
        const w = opt.addParam(init);
        sameBits(w.ema!, init, 'the EMA starts at the values');
        const ref = reference(init);
        let ema64 = Float64Array.from(init);
        let worstP = 0,
          worstEma = 0;
        for (let t = 1; t <= 30; t++) {
          const before = w.ema!.slice();
          w.grad.set(clamped(n, r).map((x) => x / t));
          opt.step();
          // TensorFlow's warmup: min(decay, (1 + u) / (10 + u)) with u = t - 1 updates before this one.
          const d = warmup ? Math.min(decay, t / (9 + t)) : decay;
          const want = before.map((a, i) => fr(fr(a * fr(d)) + fr(w.data[i] * fr(1 - d))));
          sameBits(w.ema!, want, `step ${t}: the float32 EMA update`);
          referenceStep(ref, w.grad, base);
          ema64 = ema64.map((a, i) => d * a + (1 - d) * ref.p[i]);
          worstP = Math.max(worstP, worst(w.data, ref.p, init));
          worstEma = Math.max(worstEma, worst(w.ema!, ema64, init));
        }
        expect(worstP).toBeLessThan(TOLERANCE);
        expect(worstEma).toBeLessThan(TOLERANCE);
        opt.dispose();
      }
    },
  );

  it('while no step is taken (below the threshold, degenerateToSgd false) it averages the values as they are', async () => {
    const opt = await RAdam.create({ backend, degenerateToSgd: false, ema: { decay: 0.5 } });
    const w = opt.addParam([1, 2, 3, 4, 5]);
    w.data.set([3, 2, 1, 0, -1]); // set by the user: the param is not stepped (rho_1 < 5)
    w.grad.fill(1);
    opt.step();
    expect(Array.from(w.data)).toEqual([3, 2, 1, 0, -1]);
    expect(Array.from(w.ema!)).toEqual([2, 2, 2, 2, 2]);
    opt.dispose();
  });

  it('swapEma and withEma exchange the values and the averages exactly; step and stateDict refuse while swapped', async () => {
    const opt = await RAdam.create({ backend, lr: 0.1, ema: { decay: 0.8 } });
    const ps = [opt.addParam(5), opt.addParam(17), opt.addGroup({ lr: 0.01 }).addParam(3)];
    const r = rng(3);
    for (let t = 0; t < 8; t++) {
      for (const p of ps) p.grad.set(gradient(r, p.size));
      opt.step();
    }
    const data = ps.map((p) => p.data.slice()),
      ema = ps.map((p) => p.ema!.slice());
    const views = ps.map((p) => p.data);
    opt.swapEma();
    ps.forEach((p, i) => {
      sameBits(p.data, ema[i]);
      sameBits(p.ema!, data[i]);
      expect(views[i]).toBe(p.data); // in place: views held by the caller stay valid
    });
    expect(() => opt.step()).toThrow(/EMA weights are swapped into the params \(swapEma\)/);
    expect(() => opt.stateDict()).toThrow(/swapped/);
    expect(() => opt.saveState()).toThrow(/swapped/);
    opt.swapEma();
    ps.forEach((p, i) => sameBits(p.data, data[i]));

    expect(opt.withEma(() => ps.map((p) => p.data[0]))).toEqual(ema.map((a) => a[0]));
    ps.forEach((p, i) => sameBits(p.data, data[i]));
    expect(() =>
      opt.withEma(() => {
        throw new Error('evaluation failed');
      }),
    ).toThrow('evaluation failed');
    ps.forEach((p, i) => sameBits(p.data, data[i]));
    const seen = await opt.withEma(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return ps[1].data.slice();
    });
    sameBits(seen, ema[1]);
    ps.forEach((p, i) => sameBits(p.data, data[i]));
    await expect(opt.withEma(() => Promise.reject(new Error('async failure')))).rejects.toThrow('async failure');
    ps.forEach((p, i) => sameBits(p.data, data[i]));
    expect(() => opt.step()).not.toThrow();
    opt.dispose();
  });

  it('param.ema is a live view that follows memory growth; null without the option', async () => {
    const opt = await RAdam.create({ backend, ema: { decay: 0.9 } });
    const a = opt.addParam([1, 2, 3]);
    for (let i = 0; i < 20; i++) opt.addParam(50_000); // grows the memory: old views detach
    expect(Array.from(a.ema!)).toEqual([1, 2, 3]);
    a.ema![0] = 7;
    expect(a.ema![0]).toBe(7);
    expect(opt.ema).toEqual({ decay: 0.9, warmup: false });
    opt.dispose();
    const plain = await RAdam.create({ backend });
    expect(plain.addParam(3).ema).toBeNull();
    expect(plain.ema).toBeNull();
    expect(() => plain.swapEma()).toThrow(/keeps no EMA \(create it with the ema option\)/);
    plain.dispose();
  });

  it('stateDict and saveState carry it; a mismatch with the optimizer throws naming it and changes nothing', async () => {
    const make = async (options: RAdamOptions = { ema: { decay: 0.95, warmup: true } }) => {
      const opt = await RAdam.create({ backend, lr: 0.05, ...options });
      const ps = [opt.addParam(clamped(9, rng(1))), opt.addParam(clamped(16, rng(2)))];
      return { opt, ps };
    };
    const train = (o: { opt: RAdam; ps: Param[] }, from: number, to: number) => {
      for (let t = from; t <= to; t++) {
        const r = rng(100 + t);
        for (const p of o.ps) p.grad.set(gradient(r, p.size));
        o.opt.step();
      }
    };
    const whole = await make();
    train(whole, 1, 12);
    for (const binary of [false, true]) {
      const first = await make();
      train(first, 1, 5);
      const saved = binary ? first.opt.saveState({ includeParams: true }) : structuredClone(first.opt.stateDict());
      const second = await make({ ema: { decay: 0.5 } }); // the decay comes from the save, like a hyperparameter
      if (binary) second.opt.loadState(saved as Uint8Array);
      else {
        second.ps.forEach((p, i) => p.data.set(first.ps[i].data));
        second.opt.loadStateDict(saved as never);
      }
      expect(second.opt.ema).toEqual({ decay: 0.95, warmup: true });
      train(second, 6, 12);
      second.ps.forEach((p, i) => {
        sameBits(p.data, whole.ps[i].data);
        sameBits(p.ema!, whole.ps[i].ema!);
      });
      const plain = await make({});
      const before = plain.opt.stateDict();
      if (binary)
        expect(() => plain.opt.loadState(saved as Uint8Array)).toThrow(/has an EMA, this optimizer keeps none/);
      else expect(() => plain.opt.loadStateDict(saved as never)).toThrow(/has an EMA, this optimizer keeps none/);
      expect(plain.opt.stateDict()).toEqual(before);
      const withEma = await make();
      const noEma = plain.opt.stateDict();
      expect(() => withEma.opt.loadStateDict(noEma)).toThrow(/has no EMA, this optimizer keeps one/);
      [first, second, plain, withEma].forEach((o) => o.opt.dispose());
    }
    whole.opt.dispose();
  });
});

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
      sameBits(a.data, b.data);
      sameBits(a.expAvgSq, b.expAvgSq);
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
    sameBits(a.data, b.data);
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
          sameBits(a.data, b.data, `k ${k}, step ${t}`);
          sameBits(a.expAvgSq, b.expAvgSq);
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
          sameBits(p.data, whole.ps[i].data, `saved at ${at}`);
          sameBits(p.ema!, whole.ps[i].ema!);
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
    sameBits(a.data, pa.data);
    sameBits(b.data, pb.data);
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
      if (!r.applied) sameBits(p.ema!, ema);
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
