// The weight EMA (the ema option; optimizer/ema.ts, updated by the kernel in the step), on every
// backend: checked bit for bit against the update computed by hand in float32 and against the
// float64 reference of test/support/reference.ts within the golden tolerance; swapEma / withEma;
// its part of the state dict and checkpoint. Elsewhere: with accumulation in
// test/accumulate.test.ts, through the tfjs adapter in test/tfjs.test.ts.
import { describe, expect, it } from 'vitest';
import { RAdam, type Param, type RAdamOptions } from '../src/index.js';
import { TOLERANCE } from './support/golden.js';
import { gradient, rng } from './support/random.js';
import { base, reference, referenceStep, worst } from './support/reference.js';
import { BACKENDS, clamped, expectBits, LENGTHS } from './support/training.js';

const fr = Math.fround;

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
        expectBits(w.ema!, init, 'the EMA starts at the values');
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
          expectBits(w.ema!, want, `step ${t}: the float32 EMA update`);
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
      expectBits(p.data, ema[i]);
      expectBits(p.ema!, data[i]);
      expect(views[i]).toBe(p.data); // in place: views held by the caller stay valid
    });
    expect(() => opt.step()).toThrow(/EMA weights are swapped into the params \(swapEma\)/);
    expect(() => opt.stateDict()).toThrow(/swapped/);
    expect(() => opt.saveState()).toThrow(/swapped/);
    opt.swapEma();
    ps.forEach((p, i) => expectBits(p.data, data[i]));

    expect(opt.withEma(() => ps.map((p) => p.data[0]))).toEqual(ema.map((a) => a[0]));
    ps.forEach((p, i) => expectBits(p.data, data[i]));
    expect(() =>
      opt.withEma(() => {
        throw new Error('evaluation failed');
      }),
    ).toThrow('evaluation failed');
    ps.forEach((p, i) => expectBits(p.data, data[i]));
    const seen = await opt.withEma(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return ps[1].data.slice();
    });
    expectBits(seen, ema[1]);
    ps.forEach((p, i) => expectBits(p.data, data[i]));
    await expect(opt.withEma(() => Promise.reject(new Error('async failure')))).rejects.toThrow('async failure');
    ps.forEach((p, i) => expectBits(p.data, data[i]));
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
        expectBits(p.data, whole.ps[i].data);
        expectBits(p.ema!, whole.ps[i].ema!);
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
