// The step-scalar function against torch's float64 values (test/golden/scalars.json).
import { describe, expect, it } from 'vitest';
import { MODE_ADAPTIVE, MODE_MOMENTUM, MODE_SKIP } from '../src/pipeline/layout.js';
import { DEFAULTS, rectification, stepScalars } from '../src/index.js';
import { loadFixture } from './support/golden.js';

interface Row {
  beta2: number;
  t: number;
  rho_inf: number;
  rho_t: number;
  rectified: boolean;
  r_t: number | null;
  bias_correction2: number;
  sqrt_bias_correction2: number;
}
const { rows } = loadFixture<{ rows: Row[] }>('scalars.json');
const nextDown = (x: number) => {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x);
  v.setBigUint64(0, v.getBigUint64(0) - 1n); // x > 0
  return v.getFloat64(0);
};
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), Number.MIN_VALUE);

describe('rectification(t, beta1, beta2)', () => {
  it(`matches all ${rows.length} rows of scalars.json`, () => {
    expect(rows.length).toBeGreaterThan(400);
    for (const r of rows) {
      const got = rectification(r.t, 0.9, r.beta2);
      const where = `beta2=${r.beta2} t=${r.t}`;
      expect(got.rectified, where).toBe(r.rectified);
      expect(rel(got.rhoInf, r.rho_inf), where).toBeLessThanOrEqual(1e-7);
      expect(rel(got.rhoT, r.rho_t), where).toBeLessThanOrEqual(1e-7);
      expect(rel(got.biasCorrection2, r.bias_correction2), where).toBeLessThanOrEqual(1e-7);
      expect(rel(got.sqrtBiasCorrection2, r.sqrt_bias_correction2), where).toBeLessThanOrEqual(1e-7);
      if (r.r_t === null) expect(got.rT, where).toBeNull();
      else expect(rel(got.rT!, r.r_t), where).toBeLessThanOrEqual(1e-7);
    }
  });

  it('matches them bit for bit: beta^t is correctly rounded, as torch gets it from CPython (glibc pow)', () => {
    // With Math.pow, 10 bias_correction2, 12 rho_t and 9 r_t values of these rows differ in the last bit.
    for (const r of rows) {
      const got = rectification(r.t, 0.9, r.beta2);
      const where = `beta2=${r.beta2} t=${r.t}`;
      expect(got.rhoInf, where).toBe(r.rho_inf);
      expect(got.rhoT, where).toBe(r.rho_t);
      expect(got.biasCorrection2, where).toBe(r.bias_correction2);
      expect(got.sqrtBiasCorrection2, where).toBe(r.sqrt_bias_correction2);
      expect(got.rT, where).toBe(r.r_t);
    }
  });

  it('rho_t exactly at the threshold is not rectified (torch: rho_t > 5)', () => {
    // CPython on glibc: beta2 = 0.7678067796924253 gives rho_7 = 5.0 exactly; torch takes a momentum step.
    const b2 = 0.7678067796924253;
    const r7 = rectification(7, 0.9, b2);
    expect(r7.rhoT).toBe(5);
    expect(r7.rectified).toBe(false);
    expect(r7.rT).toBeNull();
    expect(rectification(8, 0.9, b2).rectified).toBe(true);
    expect(stepScalars(7, { ...DEFAULTS, betas: [0.9, b2] }).mode).toBe(MODE_MOMENTUM);
    expect(stepScalars(8, { ...DEFAULTS, betas: [0.9, b2] }).mode).toBe(MODE_ADAPTIVE);
    // One ulp less in beta2^7 (what Math.pow returns here) is enough to rectify one step early.
    const low = nextDown(0.15731263231144885);
    expect(rectification(7, 0.9, b2).biasCorrection2).toBe(1 - 0.15731263231144885);
    expect(2 / (1 - b2) - 1 - (2 * 7 * low) / (1 - low)).toBe(5.000000000000001);
    // beta2 = 0.8397685748659791: rho_6 = 5.0 exactly as well (Math.pow happens to agree here).
    const r6 = rectification(6, 0.9, 0.8397685748659791);
    expect(r6.rhoT).toBe(5);
    expect(r6.rectified).toBe(false);
    expect(rectification(7, 0.9, 0.8397685748659791).rectified).toBe(true);
  });

  it('first rectifies at step 6 for beta2 = 0.999 and never for beta2 <= 2/3', () => {
    expect(rectification(5, 0.9, 0.999).rectified).toBe(false);
    expect(rectification(6, 0.9, 0.999).rectified).toBe(true);
    for (const t of [1, 10, 1000, 1e6]) expect(rectification(t, 0.9, 0.6).rectified).toBe(false);
  });

  it('honours a custom threshold', () => {
    const t6 = rectification(6, 0.9, 0.999);
    expect(t6.rhoT).toBeGreaterThan(5);
    expect(rectification(6, 0.9, 0.999, t6.rhoT).rectified).toBe(false); // strict >
    expect(rectification(5, 0.9, 0.999, 4).rectified).toBe(true);
  });

  it('bias-corrects the first moment', () => {
    expect(rectification(3, 0.9, 0.999).biasCorrection1).toBeCloseTo(1 - 0.9 ** 3, 15);
    expect(rectification(3, 0, 0.999).biasCorrection1).toBe(1);
  });
});

describe('stepScalars(t, hyperparameters)', () => {
  const hp = { ...DEFAULTS, lr: 0.01 };

  it('below the threshold: a momentum step of lr / (1 - beta1^t)', () => {
    const s = stepScalars(1, hp);
    expect(s.mode).toBe(MODE_MOMENTUM);
    expect(s.stepSize).toBeCloseTo(0.01 / 0.1, 14);
    expect(stepScalars(1, { ...hp, degenerateToSgd: false }).mode).toBe(MODE_SKIP);
  });

  it('rectified: lr * r_t * sqrt(1 - beta2^t) / (1 - beta1^t)', () => {
    const r = rectification(100, 0.9, 0.999);
    const s = stepScalars(100, hp);
    expect(s.mode).toBe(MODE_ADAPTIVE);
    expect(rel(s.stepSize, (0.01 * r.rT! * Math.sqrt(1 - 0.999 ** 100)) / (1 - 0.9 ** 100))).toBeLessThan(1e-15);
  });

  it('flushSubnormals flushes on every FLUSH_INTERVAL-th step only', () => {
    const on = { ...hp, flushSubnormals: true };
    expect(
      Array.from({ length: 24 }, (_, k) => stepScalars(k + 1, on).flush).flatMap((f, k) => (f ? [k + 1] : [])),
    ).toEqual([8, 16, 24]);
    expect(stepScalars(8, hp).flush).toBe(false);
  });

  it('decoupled weight decay scales params by 1 - lr*wd; otherwise by exactly 1', () => {
    expect(stepScalars(10, { ...hp, weightDecay: 0.1, decoupledWeightDecay: true }).paramDecay).toBeCloseTo(
      1 - 0.001,
      15,
    );
    expect(stepScalars(10, { ...hp, weightDecay: 0.1 }).paramDecay).toBe(1);
  });
});
