// secondMomentOnly, the paper's Adam-2k: while it is on, a step updates v alone (params and m
// stay bit-identical); the steps count, so plain Adam continues at step K + 1 for both moments.
import { describe, expect, it } from 'vitest';
import { Adam, RAdam, type Backend } from '../src/index.js';
import { stepScalars } from '../src/math/scalars.js';
import { DEFAULTS } from '../src/optimizer/options.js';
import { TOLERANCE } from './support/golden.js';
import { firstDifference, gradient, rng } from './support/random.js';

const BACKENDS: Backend[] = ['simd', 'scalar', 'js'];
const same = (a: Float32Array, b: Float32Array, what = '') => expect(firstDifference(a, b), what).toBe(-1);

describe.each(BACKENDS)('secondMomentOnly (%s)', (backend) => {
  it.each([0, 1, 3, 4, 5, 15, 16, 17, 1031])(
    'length %i: p and m frozen, v as a plain optimizer gets it; then plain Adam from step K + 1',
    async (n) => {
      const K = 7;
      const lr = 0.01,
        [b1, b2] = [0.9, 0.999],
        eps = 1e-8;
      const r = rng(n + 3);
      const init = gradient(r, n).map((x) => Math.max(-3, Math.min(3, x)));
      const opt = await Adam.create({ backend, lr, secondMomentOnly: true, flushSubnormals: true });
      const plain = await Adam.create({ backend, lr });
      const [w, q] = [opt.addParam(init), plain.addParam(init)];
      const p64 = Float64Array.from(init),
        m64 = new Float64Array(n),
        v64 = new Float64Array(n);
      for (let t = 1; t <= K + 25; t++) {
        if (t === K + 1) opt.groups[0].secondMomentOnly = false;
        const g = gradient(r, n).map((x) => Math.max(-3, Math.min(3, x)) / Math.sqrt(t));
        w.grad.set(g);
        q.grad.set(g);
        const [p0, m0] = [w.data.slice(), w.expAvg.slice()];
        opt.step();
        if (t <= K) {
          plain.step();
          same(w.data, p0, `step ${t}: p frozen`);
          same(w.expAvg, m0, `step ${t}: m frozen`);
          same(w.expAvgSq, q.expAvgSq, `step ${t}: v as without the option`);
        }
        // float64: v over all t steps, m from step K + 1 (from zero), both bias corrections at t.
        for (let i = 0; i < n; i++) {
          v64[i] = b2 * v64[i] + (1 - b2) * g[i] * g[i];
          if (t <= K) continue;
          m64[i] = b1 * m64[i] + (1 - b1) * g[i];
          p64[i] -= (lr * (m64[i] / (1 - b1 ** t))) / (Math.sqrt(v64[i] / (1 - b2 ** t)) + eps);
        }
      }
      expect(w.step).toBe(K + 25);
      let worst = 0;
      for (let i = 0; i < n; i++)
        worst = Math.max(worst, Math.abs(w.data[i] - p64[i]) / Math.max(1e-3, Math.abs(p64[i]), Math.abs(init[i])));
      expect(worst).toBeLessThan(TOLERANCE);
      opt.dispose();
      plain.dispose();
    },
  );

  it('resuming from stateDict or saveState in and after the frozen phase is bit-identical', async () => {
    const make = async () => {
      const opt = await RAdam.create({ backend, lr: 0.05, secondMomentOnly: true });
      return { opt, p: opt.addParam(gradient(rng(1), 23)) };
    };
    const run = (o: { opt: RAdam; p: { grad: Float32Array; size: number } }, from: number, to: number) => {
      for (let t = from; t <= to; t++) {
        o.opt.groups[0].secondMomentOnly = t <= 4;
        o.p.grad.set(gradient(rng(50 + t), o.p.size));
        o.opt.step();
      }
    };
    const whole = await make();
    run(whole, 1, 15);
    for (const at of [2, 4, 9]) {
      for (const binary of [false, true]) {
        const first = await make();
        run(first, 1, at);
        const sd = first.opt.stateDict();
        expect(sd.groups[0].secondMomentOnly).toBe(at <= 4);
        const saved = binary ? first.opt.saveState({ includeParams: true }) : structuredClone(sd);
        const second = await make();
        if (binary) second.opt.loadState(saved as Uint8Array);
        else {
          second.p.data.set(first.p.data);
          second.opt.loadStateDict(saved as never);
        }
        run(second, at + 1, 15);
        same(second.p.data, whole.p.data, `saved at ${at}`);
        [first, second].forEach((o) => o.opt.dispose());
      }
    }
    whole.opt.dispose();
  });
});

describe('stepScalars under secondMomentOnly', () => {
  it('takes no step and no decay; the count goes on', () => {
    const h = { ...DEFAULTS, rectify: false, weightDecay: 0.1, decoupledWeightDecay: true };
    expect(stepScalars(3, { ...h, secondMomentOnly: true })).toMatchObject({ mode: 3, stepSize: 0, paramDecay: 1 });
    expect(stepScalars(30, h).stepSize).toBeCloseTo((1e-3 * Math.sqrt(1 - 0.999 ** 30)) / (1 - 0.9 ** 30), 15);
  });
});
