// Lookahead (optimizer/lookahead.ts) around RAdam, on every backend: a float64 reference, its state
// dict and checkpoint, skipped steps, refusals. Elsewhere: Lookahead with accumulation in
// test/accumulate.test.ts, its checkpoints from other versions in test/compat.test.ts, RAdam refusing
// its saves in test/hard-edges.test.ts, views and crafted saves in test/adversarial/.
import { describe, expect, it } from 'vitest';
import { Lookahead, RAdam } from '../src/index.js';
import { BACKENDS, build, expectSameBits, fill, snapshot } from './support/training.js';

describe.each(BACKENDS)('Lookahead (%s)', (backend) => {
  it('matches a reference Lookahead around a reference RAdam', async () => {
    const k = 5,
      alpha = 0.5,
      lr = 0.05,
      steps = 23;
    const opt = await RAdam.create({ backend, lr });
    const init = Float32Array.from([1, -2, 0.5, 3, -1]);
    const w = opt.addParam(init);
    const la = new Lookahead(opt, { k, alpha });
    // Reference: float64 RAdam on the fast weights; every k steps slow += alpha (fast - slow), fast = slow.
    const p = Float64Array.from(init),
      slow = Float64Array.from(init),
      m = new Float64Array(5),
      v = new Float64Array(5);
    for (let t = 1; t <= steps; t++) {
      const g = Array.from(p, (x, i) => 2 * x + Math.sin(t + i)); // from the reference's own weights
      w.grad.set(Array.from(w.data, (x, i) => 2 * x + Math.sin(t + i)));
      la.step();
      const bc1 = 1 - 0.9 ** t,
        bc2 = 1 - 0.999 ** t,
        rhoInf = 1999,
        rhoT = rhoInf - (2 * t * 0.999 ** t) / bc2;
      const r = rhoT > 5 ? Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) : 0;
      for (let i = 0; i < 5; i++) {
        m[i] = 0.9 * m[i] + 0.1 * g[i];
        v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
        p[i] -= rhoT > 5 ? (lr * (m[i] / bc1) * r * Math.sqrt(bc2)) / (Math.sqrt(v[i]) + 1e-8) : lr * (m[i] / bc1);
      }
      if (t % k === 0)
        for (let i = 0; i < 5; i++) {
          slow[i] += alpha * (p[i] - slow[i]);
          p[i] = slow[i];
        }
    }
    p.forEach((x, i) => expect(Math.abs(w.data[i] - x)).toBeLessThan(1e-4 * Math.max(1, Math.abs(x))));
    slow.forEach((x, i) => expect(Math.abs(la.slowWeights(w)[i] - x)).toBeLessThan(1e-4 * Math.max(1, Math.abs(x))));
    expect(la.stepsSinceSync).toBe(steps % k);
    opt.dispose();
  });

  it('stateDict mid-cycle (through structuredClone) resumes bit-identically; params added later join', async () => {
    const run = async () => {
      const { opt, params } = await build(backend);
      return { opt, params, la: new Lookahead(opt, { k: 4, alpha: 0.6 }) };
    };
    const whole = await run();
    const late = whole.opt.addParam([1, 2, 3]);
    for (let t = 1; t <= 15; t++) {
      fill(whole.params, t);
      late.grad.set([t, -t, 1]);
      whole.la.step();
    }

    const first = await run();
    const late1 = first.opt.addParam([1, 2, 3]);
    for (let t = 1; t <= 6; t++) {
      fill(first.params, t);
      late1.grad.set([t, -t, 1]);
      first.la.step();
    }
    const sd = structuredClone(first.la.stateDict());
    expect(sd.lookahead.counter).toBe(2);
    const values = first.opt.params.map((p) => p.data.slice());
    const second = await run();
    const late2 = second.opt.addParam([9, 9, 9]);
    second.opt.params.forEach((p, i) => p.data.set(values[i]));
    second.la.loadStateDict(sd);
    for (let t = 7; t <= 15; t++) {
      fill(second.params, t);
      late2.grad.set([t, -t, 1]);
      second.la.step();
    }
    expectSameBits(
      [...snapshot(second.params), late2.data, second.la.slowWeights(late2)],
      [...snapshot(whole.params), late.data, whole.la.slowWeights(late)],
    );
    [whole, first, second].forEach((r) => r.opt.dispose());
  });

  it('refuses bad settings and mismatched state, changing nothing', async () => {
    const { opt } = await build(backend);
    expect(() => new Lookahead(opt, { k: 0 })).toThrow(/Invalid Lookahead k: 0 \(expected a positive integer\)/);
    expect(() => new Lookahead(opt, { alpha: 1.5 })).toThrow(
      /Invalid Lookahead alpha: 1.5 \(expected 0 < alpha <= 1\)/,
    );
    const la = new Lookahead(opt, { k: 3 });
    const sd = la.stateDict();
    const before = la.stateDict();
    expect(() => la.loadStateDict({ ...sd, lookahead: { ...sd.lookahead, k: 5 } })).toThrow(
      /saved with k 5, alpha 0.5; this Lookahead has k 3, alpha 0.5/,
    );
    expect(() => la.loadStateDict({ ...sd, lookahead: { ...sd.lookahead, slow: sd.lookahead.slow.slice(1) } })).toThrow(
      /slow weights for 7 params, the optimizer has 8/,
    );
    expect(la.stateDict()).toEqual(before);
    opt.dispose();
  });
});

describe('Lookahead, details', () => {
  it('Lookahead: skipped steps do not count; backends agree bit for bit; slow weights restart from the params', async () => {
    const runs = await Promise.all(
      BACKENDS.map(async (backend) => {
        const { opt, params } = await build(backend, { skipNonFinite: true });
        for (let t = 1; t <= 3; t++) {
          fill(params, t);
          opt.step();
        } // plain steps first
        const la = new Lookahead(opt, { k: 3, alpha: 0.4 });
        expect(Array.from(la.slowWeights(params[0]))).toEqual(Array.from(params[0].data)); // not the values at some earlier time
        for (let t = 4; t <= 14; t++) {
          fill(params, t);
          if (t === 7) params[2].grad[0] = Infinity;
          const before = la.stepsSinceSync;
          const r = la.step();
          if (t === 7) {
            expect(r.skipped).toBe(true);
            expect(la.stepsSinceSync).toBe(before);
          }
        }
        return { opt, params, la };
      }),
    );
    const all = (r: (typeof runs)[number]) => [
      ...snapshot(r.params),
      ...r.params.map((p) => r.la.slowWeights(p).slice()),
    ];
    expectSameBits(all(runs[0]), all(runs[1]));
    expectSameBits(all(runs[1]), all(runs[2]));
    runs.forEach((r) => r.opt.dispose());
  });

  it('Lookahead refuses a param of another optimizer, and bad step options before allocating anything', async () => {
    const a = await build('simd'),
      b = await build('simd');
    const la = new Lookahead(a.opt);
    expect(() => la.slowWeights(b.params[0])).toThrow(/belongs to another optimizer/);
    a.opt.addParam(1000);
    const bytes = a.opt.memoryBytes;
    expect(() => la.step({ maxGradNorm: -1 })).toThrow(/Invalid maxGradNorm: -1/);
    expect(a.opt.memoryBytes).toBe(bytes);
    a.opt.dispose();
    b.opt.dispose();
  });

  it('Lookahead.saveState / loadState carry the slow weights and the counter; a plain checkpoint is refused', async () => {
    const run = async () => {
      const r = await build('simd');
      return { ...r, la: new Lookahead(r.opt, { k: 4 }) };
    };
    const whole = await run();
    for (let t = 1; t <= 13; t++) {
      fill(whole.params, t);
      whole.la.step();
    }
    const first = await run();
    for (let t = 1; t <= 6; t++) {
      fill(first.params, t);
      first.la.step();
    }
    const bytes = first.la.saveState({ includeParams: true });
    const second = await run();
    expect(() => second.la.loadState(first.opt.saveState())).toThrow(/no Lookahead state in it/);
    second.la.loadState(bytes);
    expect(second.la.stepsSinceSync).toBe(2);
    for (let t = 7; t <= 13; t++) {
      fill(second.params, t);
      second.la.step();
    }
    expectSameBits(
      [...snapshot(second.params), ...second.params.map((p) => second.la.slowWeights(p))],
      [...snapshot(whole.params), ...whole.params.map((p) => whole.la.slowWeights(p))],
    );
    [whole, first, second].forEach((r) => r.opt.dispose());
  });
});
