// simd, scalar and js do the same float32 operations in the same order: their results must agree
// bit for bit, for every option and for lengths around the vector width and unroll factor.
import { describe, expect, it } from 'vitest';
import { RAdam, type Backend, type GroupOptions, type Param } from '../src/index.js';
import { firstDifference, gradient, pick, rng } from './support/random.js';

const BACKENDS: Backend[] = ['simd', 'scalar', 'js'];

function randomGroup(r: () => number): GroupOptions {
  return {
    lr: pick(r, [0, 1e-4, 1e-3, 0.01, 0.1, 10 ** (-4 * r())]),
    betas: [pick(r, [0, 0.5, 0.9, 0.99 * r()]), pick(r, [0.6, 0.7, 0.9, 0.99, 0.999, 0.9999, 0.5 + 0.4999 * r()])],
    eps: pick(r, [0, 1e-8, 1e-3]),
    weightDecay: pick(r, [0, 0, 0.01, 0.3]),
    decoupledWeightDecay: r() < 0.5,
    maximize: r() < 0.3,
    amsgrad: r() < 0.4,
    threshold: pick(r, [4, 5, 5, 6.5]),
    degenerateToSgd: r() < 0.7,
    flushSubnormals: r() < 0.3,
    rectify: r() < 0.8,
  };
}

async function build(backend: Backend, groups: GroupOptions[], sizes: number[][], seed: number) {
  const r = rng(seed);
  const opt = await RAdam.create({ ...groups[0], backend });
  const gs = [opt.groups[0], ...groups.slice(1).map((g) => opt.addGroup(g))];
  const params: Param[] = [];
  sizes.forEach((list, k) => list.forEach((n) => params.push(gs[k].addParam(gradient(r, n)))));
  return { opt, params };
}

function expectSame(label: string, a: Param[], b: Param[]) {
  for (let i = 0; i < a.length; i++) {
    for (const q of ['data', 'expAvg', 'expAvgSq', 'maxExpAvgSq'] as const) {
      const x = a[i][q],
        y = b[i][q];
      if (x === null || y === null) {
        expect(x, `${label} param ${i} ${q}`).toBe(y);
        continue;
      }
      const d = firstDifference(x, y);
      expect(d, `${label}: param ${i} (size ${x.length}) ${q} differs at element ${d}: ${x[d]} vs ${y[d]}`).toBe(-1);
    }
  }
}

describe('backends agree bit for bit', () => {
  for (let trial = 0; trial < 12; trial++) {
    it(`random hyperparameters, lengths 0..67 and 3001, 60 steps (seed ${trial})`, async () => {
      const r = rng(1000 + trial);
      const groups = [randomGroup(r), randomGroup(r), randomGroup(r)];
      const sizes: number[][] = [[], [], []];
      for (let n = 0; n <= 67; n++) sizes[n % 3].push(n);
      sizes[trial % 3].push(3001);
      const runs = await Promise.all(BACKENDS.map((b) => build(b, groups, sizes, trial)));
      const gr = rng(2000 + trial);
      for (let t = 1; t <= 60; t++) {
        const grads = runs[0].params.map((p) => gradient(gr, p.size));
        if (t === 30)
          runs.forEach(({ opt }) => {
            opt.groups[1].lr = 0.05;
            opt.groups[2].weightDecay = 0.02;
          });
        for (const { opt, params } of runs) {
          params.forEach((p, i) => p.grad.set(grads[i]));
          opt.step();
        }
        if (t % 10 === 0 || t <= 7) {
          expectSame(`simd vs scalar, step ${t}`, runs[0].params, runs[1].params);
          expectSame(`scalar vs js, step ${t}`, runs[1].params, runs[2].params);
        }
      }
      runs.forEach(({ opt }) => opt.dispose());
    });
  }

  it('every combination of the loop specializations (amsgrad x coupled decay x mode)', async () => {
    for (const amsgrad of [false, true])
      for (const decay of ['none', 'coupled', 'decoupled'])
        for (const degenerateToSgd of [false, true]) {
          const g: GroupOptions = {
            lr: 0.01,
            amsgrad,
            degenerateToSgd,
            weightDecay: decay === 'none' ? 0 : 0.1,
            decoupledWeightDecay: decay === 'decoupled',
          };
          const runs = await Promise.all(
            BACKENDS.map((b) => build(b, [g], [[0, 1, 3, 4, 5, 15, 16, 17, 63, 64, 65, 1000]], 7)),
          );
          const gr = rng(9);
          for (let t = 1; t <= 12; t++) {
            // crosses the threshold at step 6
            const grads = runs[0].params.map((p) => gradient(gr, p.size));
            for (const { opt, params } of runs) {
              params.forEach((p, i) => p.grad.set(grads[i]));
              opt.step();
            }
          }
          expectSame(`${JSON.stringify(g)} simd vs scalar`, runs[0].params, runs[1].params);
          expectSame(`${JSON.stringify(g)} scalar vs js`, runs[1].params, runs[2].params);
        }
  });

  it('non-finite gradients propagate the same way', async () => {
    const runs = await Promise.all(BACKENDS.map((b) => build(b, [{ lr: 0.1 }], [[21]], 3)));
    const g = gradient(rng(4), 21);
    g[2] = NaN;
    g[7] = Infinity;
    g[16] = -Infinity;
    for (let t = 1; t <= 8; t++)
      for (const { opt, params } of runs) {
        params[0].grad.set(g);
        opt.step();
      }
    expectSame('simd vs scalar', runs[0].params, runs[1].params);
    expectSame('scalar vs js', runs[1].params, runs[2].params);
    expect(Number.isNaN(runs[0].params[0].data[2])).toBe(true);
    expect(Number.isFinite(runs[0].params[0].data[3])).toBe(true);
  });
});

describe('flushSubnormals', () => {
  // Gradient 1e-20 once, then zeros, betas 0.5: v = 5e-41 is subnormal from step 1 on (and would
  // underflow to zero near step 60); m = 5e-21 * 0.5^(t-1) turns subnormal at step 60. With the
  // option, steps 8, 16, ... (FLUSH_INTERVAL) store subnormal m and v as +0.
  const FLT_MIN = 2 ** -126;
  async function decay(backend: Backend, flushSubnormals: boolean) {
    const opt = await RAdam.create({ backend, flushSubnormals, betas: [0.5, 0.5] });
    const w = opt.addParam(19);
    const at: Record<number, { m: number; v: number }> = {};
    for (let t = 1; t <= 64; t++) {
      w.grad.fill(t === 1 ? 1e-20 : 0);
      opt.step();
      at[t] = { m: w.expAvg[0], v: w.expAvgSq[0] };
    }
    return { opt, params: [w], at };
  }

  it('keeps subnormal m and v by default, as torch does', async () => {
    const { at } = await decay('simd', false);
    for (const t of [1, 7, 8, 16]) {
      expect(at[t].v).toBeGreaterThan(0);
      expect(at[t].v).toBeLessThan(FLT_MIN);
    }
    expect(at[64].m).toBeGreaterThan(0);
    expect(at[64].m).toBeLessThan(FLT_MIN);
  });

  it('stores them as +0 every 8th step, identically on every backend, leaving normal values alone', async () => {
    const runs = await Promise.all(BACKENDS.map((b) => decay(b, true)));
    expectSame('simd vs scalar', runs[0].params, runs[1].params);
    expectSame('scalar vs js', runs[1].params, runs[2].params);
    for (const { at } of runs) {
      expect(at[7].v).toBeGreaterThan(0); // subnormal, not yet flushed
      expect(Object.is(at[8].v, 0)).toBe(true);
      expect(at[59].m).toBe(Math.fround(5e-21 * 0.5 ** 58)); // still normal: untouched
      expect(at[60].m).toBeLessThan(FLT_MIN); // subnormal between flush steps
      expect(Object.is(at[64].m, 0)).toBe(true);
    }
  });
});
