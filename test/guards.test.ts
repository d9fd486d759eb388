// The step guards: the non-finite gradient check (skipNonFinite) and global-norm clipping
// (maxGradNorm), on every backend. Elsewhere: clipValue in test/clip-value.test.ts, the guards
// with accumulation in test/accumulate.test.ts, through the tfjs adapter in test/tfjs-edges.test.ts.
import { describe, expect, it } from 'vitest';
import { RAdam } from '../src/index.js';
import { gradient, rng } from './support/random.js';
import { BACKENDS, build, expectSameBits, fill, SIZES, snapshot } from './support/training.js';

describe.each(BACKENDS)('skipNonFinite (%s)', (backend) => {
  it.each([
    [0, 0, NaN],
    [3, 4, Infinity],
    [6, 16, -Infinity],
    [7, 999, NaN],
    [7, 500, Infinity],
  ])('param %i element %i = %s: step changes nothing and says which param', async (param, element, bad) => {
    const { opt, params } = await build(backend, { skipNonFinite: true });
    for (let t = 1; t <= 7; t++) {
      fill(params, t);
      opt.step();
    }
    fill(params, 8);
    params[param].grad[element] = bad;
    const before = snapshot(params);
    expect(opt.step()).toEqual({ skipped: true, applied: false, param });
    expectSameBits(snapshot(params), before);
    opt.dispose();
  });

  it('finite gradients step exactly as without the guard; it can be set per step either way', async () => {
    const guarded = await build(backend, { skipNonFinite: true }),
      plain = await build(backend);
    for (let t = 1; t <= 9; t++) {
      fill(guarded.params, t);
      fill(plain.params, t);
      expect(guarded.opt.step()).toEqual({ skipped: false, applied: true });
      plain.opt.step();
    }
    expectSameBits(snapshot(guarded.params), snapshot(plain.params));
    plain.params[2].grad[1] = NaN;
    expect(plain.opt.step({ skipNonFinite: true })).toEqual({ skipped: true, applied: false, param: 2 });
    expect(plain.opt.step()).toEqual({ skipped: false, applied: true }); // the default (off) again: NaN goes in, as in torch
    expect(Number.isNaN(plain.params[2].data[1])).toBe(true);
    guarded.params[0].grad[0] = Infinity;
    expect(guarded.opt.step({ skipNonFinite: false }).skipped).toBe(false);
    guarded.opt.dispose();
    plain.opt.dispose();
  });
});

/** RAdam in float64 (torch's formulas) on gradients clipped as torch.nn.utils.clip_grad_norm_ does. */
function referenceClipped(
  inits: Float32Array[],
  grads: (t: number) => Float32Array[],
  steps: number,
  lr: number,
  maxNorm: number,
) {
  const p = inits.map((a) => Float64Array.from(a)),
    m = inits.map((a) => new Float64Array(a.length)),
    v = inits.map((a) => new Float64Array(a.length));
  const norms: number[] = [];
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  for (let t = 1; t <= steps; t++) {
    const g = grads(t);
    const norm = Math.sqrt(g.reduce((s, a) => s + a.reduce((q, x) => q + x * x, 0), 0));
    norms.push(norm);
    const coef = Math.min(1, maxNorm / (norm + 1e-6));
    const bc1 = 1 - b1 ** t,
      bc2 = 1 - b2 ** t,
      rhoInf = 2 / (1 - b2) - 1,
      rhoT = rhoInf - (2 * t * b2 ** t) / bc2;
    const r = rhoT > 5 ? Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) : 0;
    p.forEach((pk, k) =>
      pk.forEach((_, i) => {
        const gi = g[k][i] * coef;
        m[k][i] = b1 * m[k][i] + (1 - b1) * gi;
        v[k][i] = b2 * v[k][i] + (1 - b2) * gi * gi;
        const mhat = m[k][i] / bc1;
        pk[i] -= rhoT > 5 ? (lr * mhat * r * Math.sqrt(bc2)) / (Math.sqrt(v[k][i]) + eps) : lr * mhat;
      }),
    );
  }
  return { p, norms };
}

describe.each(BACKENDS)('maxGradNorm (%s)', (backend) => {
  it('clips by the global L2 norm, reports it, and matches a float64 reference', async () => {
    const opt = await RAdam.create({ backend, lr: 0.05, maxGradNorm: 1 });
    const r = rng(11);
    const inits = SIZES.map((n) => gradient(r, n).map((x) => Math.max(-3, Math.min(3, x))));
    const params = inits.map((a) => opt.addParam(a));
    const grads = (t: number) => {
      const q = rng(100 + t);
      return SIZES.map((n) => gradient(q, n).map((x) => Math.max(-5, Math.min(5, x)) * (t % 3 ? 1 : 1e-3)));
    };
    const norms: number[] = [];
    for (let t = 1; t <= 30; t++) {
      grads(t).forEach((g, k) => params[k].grad.set(g));
      norms.push(opt.step().gradNorm!);
    }
    const ref = referenceClipped(inits, grads, 30, 0.05, 1);
    norms.forEach((n, i) => expect(Math.abs(n - ref.norms[i]) / ref.norms[i]).toBeLessThan(1e-6)); // float32 grads, float64 sums
    expect(Math.min(...norms)).toBeLessThan(1); // some steps below the limit (not clipped), most above
    let worst = 0;
    ref.p.forEach((pk, k) =>
      pk.forEach((x, i) => {
        worst = Math.max(worst, Math.abs(params[k].data[i] - x) / Math.max(1e-3, Math.abs(x), Math.abs(inits[k][i])));
      }),
    );
    expect(worst).toBeLessThan(1e-4);
    opt.dispose();
  });

  it('below the limit it changes no bit; a per-step limit overrides the default', async () => {
    const a = await build(backend, { maxGradNorm: 1e9 }),
      b = await build(backend);
    for (let t = 1; t <= 8; t++) {
      fill(a.params, t);
      fill(b.params, t);
      a.opt.step();
      b.opt.step();
    }
    expectSameBits(snapshot(a.params), snapshot(b.params));
    fill(b.params, 9);
    const { gradNorm } = b.opt.step({ maxGradNorm: 0.5 });
    expect(gradNorm).toBeGreaterThan(0.5);
    expect(b.opt.step({ maxGradNorm: null }).gradNorm).toBeUndefined();
    a.opt.dispose();
    b.opt.dispose();
  });

  it('refuses a limit that is not a positive finite number, naming it', async () => {
    await expect(RAdam.create({ backend, maxGradNorm: 0 })).rejects.toThrow(
      /Invalid maxGradNorm: 0 \(expected a positive finite number, or null for no clipping\)/,
    );
    const opt = await RAdam.create({ backend });
    expect(() => {
      opt.maxGradNorm = -1;
    }).toThrow(/Invalid maxGradNorm: -1/);
    expect(() => opt.step({ maxGradNorm: NaN })).toThrow(/Invalid maxGradNorm: NaN/);
    expect(() => opt.step({ skipNonFinite: 'yes' as never })).toThrow(/Invalid skipNonFinite: "yes"/);
    expect(() => opt.step({ clip: 1 } as never)).toThrow(/Unknown step option: "clip"/);
    expect(opt.maxGradNorm).toBeNull();
    opt.dispose();
  });
});

describe('guards, details', () => {
  it('a skipped step names the param by its index in opt.params, with and without clipping', async () => {
    for (const maxGradNorm of [null, 1]) {
      const opt = await RAdam.create({ skipNonFinite: true, maxGradNorm });
      const a = opt.addParam(3),
        b = opt.addGroup({ lr: 0.1 }).addParam(2),
        c = opt.addParam(4); // opt.params: a, c, b
      expect(opt.params).toEqual([a, c, b]);
      [a, b, c].forEach((p) => p.grad.fill(1));
      c.grad[3] = NaN;
      expect(opt.step()).toEqual({ skipped: true, applied: false, param: 1 });
      opt.dispose();
    }
  });

  it('gradNorm is the float64 norm of the float32 gradients to 1e-12', async () => {
    const opt = await RAdam.create({ maxGradNorm: 1 });
    const g = gradient(rng(5), 10_007);
    opt.addParam(10_007).grad.set(g);
    const want = Math.sqrt(g.reduce((s, x) => s + x * x, 0));
    expect(Math.abs(opt.step().gradNorm! - want) / want).toBeLessThan(1e-12);
    opt.dispose();
  });

  it('setting a guard to undefined throws instead of switching it off', async () => {
    const opt = await RAdam.create({ maxGradNorm: 1, skipNonFinite: true });
    expect(() => {
      opt.maxGradNorm = undefined as never;
    }).toThrow(/Invalid maxGradNorm: undefined/);
    expect(() => {
      opt.skipNonFinite = undefined as never;
    }).toThrow(/Invalid skipNonFinite/);
    expect([opt.maxGradNorm, opt.skipNonFinite]).toEqual([1, true]);
    opt.dispose();
  });
});
