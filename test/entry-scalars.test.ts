// The table entry of a step as a pure function of (t, hyperparameters): the flag logic without a
// kernel, as optax tests its step scalars.
import { describe, expect, it } from 'vitest';
import { emaDecay, entryScalars } from '../src/math/entry-scalars.js';
import {
  FLAG_AMSGRAD,
  FLAG_COUPLED_DECAY,
  FLAG_EMA,
  FLAG_FLUSH_SUBNORMALS,
  MODE_ADAPTIVE,
  MODE_MASK,
  MODE_MOMENTUM,
  MODE_SKIP,
} from '../src/pipeline/layout.js';
import { DEFAULTS } from '../src/optimizer/options.js';
import { stepScalars } from '../src/math/scalars.js';

const hp = (o: Partial<typeof DEFAULTS> = {}) => ({ ...DEFAULTS, ...o });

describe('entryScalars', () => {
  it('mode: momentum until rho_t > threshold, then adaptive; skip without degenerateToSgd; Adam always adaptive', () => {
    const mode = (t: number, o = {}) => entryScalars(t, hp(o)).flags & MODE_MASK;
    expect([1, 5, 6, 100].map((t) => mode(t))).toEqual([MODE_MOMENTUM, MODE_MOMENTUM, MODE_ADAPTIVE, MODE_ADAPTIVE]);
    expect(mode(1, { degenerateToSgd: false })).toBe(MODE_SKIP);
    expect(mode(1, { rectify: false })).toBe(MODE_ADAPTIVE);
    expect(mode(6, { threshold: 1000 })).toBe(MODE_MOMENTUM);
  });

  it('flags: amsgrad; coupled decay only with a nonzero, not decoupled weight decay; flush every 8th step', () => {
    const flags = (t: number, o = {}) => entryScalars(t, hp(o)).flags & ~MODE_MASK;
    expect(flags(1)).toBe(0);
    expect(flags(1, { amsgrad: true })).toBe(FLAG_AMSGRAD);
    expect(flags(1, { weightDecay: 0.1 })).toBe(FLAG_COUPLED_DECAY);
    expect(flags(1, { weightDecay: 0.1, decoupledWeightDecay: true })).toBe(0);
    expect(flags(7, { flushSubnormals: true })).toBe(0);
    expect(flags(8, { flushSubnormals: true })).toBe(FLAG_FLUSH_SUBNORMALS);
  });

  it('values: the gradient sign, the decays, the betas and 1 - beta, and the step scalars', () => {
    const o = { lr: 0.1, betas: [0.8, 0.9] as const, weightDecay: 0.01, maximize: true, eps: 1e-6 };
    const e = entryScalars(10, hp(o));
    const s = stepScalars(10, hp(o));
    expect(e).toMatchObject({ gradScale: -1, weightDecay: 0.01, beta1: 0.8, oneMinusBeta1: 1 - 0.8, beta2: 0.9 });
    expect(e).toMatchObject({ oneMinusBeta2: 1 - 0.9, paramDecay: s.paramDecay, eps: s.eps, stepSize: s.stepSize });
    const d = entryScalars(10, hp({ ...o, decoupledWeightDecay: true, maximize: false }));
    expect(d).toMatchObject({ gradScale: 1, weightDecay: 0, paramDecay: 1 - 0.1 * 0.01 });
  });

  it('writes into the object it is given (no allocation per step)', () => {
    const out = entryScalars(1, hp());
    expect(entryScalars(20, hp(), out)).toBe(out);
    expect(out.flags & MODE_MASK).toBe(MODE_ADAPTIVE);
  });

  it('the EMA: its flag, its decay per step (TensorFlow warmup: min(decay, (1 + n) / (10 + n)), n = t - 1), 1 - decay', () => {
    expect(entryScalars(1, hp()).flags & FLAG_EMA).toBe(0);
    const plain = { decay: 0.999, warmup: false };
    const warm = { decay: 0.999, warmup: true };
    const e = entryScalars(3, hp(), undefined, plain);
    expect(e.flags & FLAG_EMA).toBe(FLAG_EMA);
    expect([e.emaDecay, e.oneMinusEmaDecay]).toEqual([0.999, 1 - 0.999]);
    expect([1, 2, 11, 100].map((t) => emaDecay(t, warm))).toEqual([1 / 10, 2 / 11, 11 / 20, 100 / 109]);
    expect(emaDecay(1e6, warm)).toBe(0.999);
    expect(emaDecay(1, { decay: 0.05, warmup: true })).toBe(0.05);
  });

  it('clipValue: the clamp, +Infinity without it', () => {
    expect(entryScalars(1, hp()).clipValue).toBe(Number.POSITIVE_INFINITY);
    expect(entryScalars(1, hp({ clipValue: 0.25 })).clipValue).toBe(0.25);
  });
});
