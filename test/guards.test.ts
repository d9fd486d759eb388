// Training guards: the non-finite gradient check, global-norm clipping, Lookahead and binary
// checkpoints, on every backend.
import { describe, expect, it } from 'vitest';
import { Lookahead, RAdam, type Backend, type Param } from '../src/index.js';
import { firstDifference, gradient, rng } from './support/random.js';

const BACKENDS: Backend[] = ['simd', 'scalar', 'js'];
const SIZES = [1, 3, 4, 5, 15, 16, 17, 1000];

async function build(backend: Backend, options = {}) {
  const opt = await RAdam.create({ backend, lr: 0.05, amsgrad: true, ...options });
  const r = rng(3);
  const params = SIZES.map((n) => opt.addParam(gradient(r, n)));
  return { opt, params };
}
const fill = (params: Param[], seed: number) => {
  const r = rng(seed);
  params.forEach((p) => p.grad.set(gradient(r, p.size)));
};
const snapshot = (params: Param[]) =>
  params.flatMap((p) => [
    p.data.slice(),
    p.expAvg.slice(),
    p.expAvgSq.slice(),
    p.maxExpAvgSq!.slice(),
    Float32Array.of(p.step),
  ]);
const expectSameBits = (a: Float32Array[], b: Float32Array[]) =>
  a.forEach((x, i) => expect(firstDifference(x, b[i]), `array ${i}`).toBe(-1));

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

describe.each(BACKENDS)('saveState / loadState (%s)', (backend) => {
  it.each([false, true])(
    'a checkpoint (includeParams %s) resumes bit-identically, on any backend',
    async (includeParams) => {
      const whole = await build(backend);
      for (let t = 1; t <= 20; t++) {
        fill(whole.params, t);
        whole.opt.step();
      }
      const first = await build(backend);
      for (let t = 1; t <= 9; t++) {
        fill(first.params, t);
        first.opt.step();
      }
      const bytes = first.opt.saveState({ includeParams });
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe('RDAM');
      const second = await build(backend === 'js' ? 'simd' : 'js', { lr: 3, betas: [0.5, 0.5] });
      if (!includeParams) second.params.forEach((p, i) => p.data.set(first.params[i].data));
      second.opt.loadState(bytes);
      expect(second.opt.groups[0].lr).toBe(0.05);
      for (let t = 10; t <= 20; t++) {
        fill(second.params, t);
        second.opt.step();
      }
      expectSameBits(snapshot(second.params), snapshot(whole.params));
      [whole, first, second].forEach((r) => r.opt.dispose());
    },
  );

  it('truncated, corrupt, wrong-version or mismatched bytes throw clearly and change nothing', async () => {
    const src = await build(backend);
    for (let t = 1; t <= 3; t++) {
      fill(src.params, t);
      src.opt.step();
    }
    const good = src.opt.saveState({ includeParams: true });
    const target = await build(backend);
    fill(target.params, 1);
    target.opt.step();
    const before = [target.opt.stateDict(), snapshot(target.params)];
    const flip = (i: number) => {
      const b = good.slice();
      b[i] ^= 0x40;
      return b;
    };
    const version2 = good.slice();
    new DataView(version2.buffer).setUint16(4, 2, true);
    const other = await RAdam.create({ backend, amsgrad: true });
    other.addParam(5);
    const cases: [Uint8Array, RegExp][] = [
      [good.subarray(0, 10), /10 bytes is too short for a checkpoint/],
      [good.subarray(0, 200), /truncated \(200 bytes, the header alone needs \d+\)/],
      [good.subarray(0, 2000), /truncated \(2000 bytes, expected \d+\)/],
      [good.subarray(0, good.length - 1), /truncated/],
      [flip(0), /not a radam-wasm checkpoint/],
      [version2, /checkpoint version 2, this radam-wasm reads version 1/],
      [flip(good.length - 100), /corrupt checkpoint \(checksum mismatch\)/],
      [flip(20), /corrupt checkpoint/],
      [other.saveState(), /state dict has state for 1 params, this optimizer has 8/],
      [new Uint8Array([...good, 0, 0, 0, 0]), /4 unexpected bytes after the checkpoint/],
    ];
    for (const [bytes, message] of cases) {
      expect(() => target.opt.loadState(bytes)).toThrow(message);
      expect([target.opt.stateDict(), snapshot(target.params)]).toEqual(before);
    }
    expect(() => target.opt.loadState('RDAM' as never)).toThrow(
      /loadState: expected the Uint8Array from saveState \(or a Buffer or ArrayBuffer of it\), got "RDAM"/,
    );
    [src, target].forEach((r) => r.opt.dispose());
    other.dispose();
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

  it('loadState with param values that fails its checks after decoding writes no value', async () => {
    const src = await build('simd', { amsgrad: false }); // same sizes, other amsgrad: only loadStateDict can tell
    fill(src.params, 1);
    src.opt.step();
    const target = await build('simd');
    const before = snapshot(target.params);
    expect(() => target.opt.loadState(src.opt.saveState({ includeParams: true }))).toThrow(
      /amsgrad false in the state dict, true in this optimizer/,
    );
    expectSameBits(snapshot(target.params), before);
    src.opt.dispose();
    target.opt.dispose();
  });
});
