// demo/bf16-study.mjs's pure helpers: the nearest-even rounding that simulates plain bf16 state
// (against the library's own, dist/math/bf16.js), the statistics, the checkpoints, the float64
// reference of the stagnation scenario, and that plain bf16 does stagnate where the study says.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript module without types
import * as study from '../demo/bf16-study.mjs';
import { roundNearest, widen } from '../dist/math/bf16.js';
// @ts-expect-error: plain JavaScript module without types
import { mulberry32 } from '../demo/lib/rng.mjs';

const { roundBf16, roundBf16Array, meanSd, cosine, norm, relErr, medianRelErr, checkpointsOf, phaseScale } = study;

describe('bf16 study: nearest-even rounding', () => {
  it('matches the library (dist/math/bf16.js roundNearest) on random, tie and edge values', () => {
    const rng = mulberry32(7);
    const bits = new Uint32Array(1);
    const f = new Float32Array(bits.buffer);
    const xs: number[] = [0, -0, 1, -1, 0.25, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -9, 3.4e38, -3.4e38, 1e-40, 1e-45];
    for (let i = 0; i < 20_000; i++) {
      bits[0] = Math.floor(rng() * 2 ** 32);
      if (!Number.isNaN(f[0])) xs.push(f[0]);
    }
    for (let i = 0; i < 2000; i++) {
      bits[0] = ((Math.floor(rng() * 2 ** 16) << 16) | 0x8000) >>> 0; // exact ties
      if (!Number.isNaN(f[0])) xs.push(f[0]);
    }
    for (const x of xs) expect(Object.is(roundBf16(x), widen(roundNearest(x))), `x = ${x}`).toBe(true);
    const a = Float32Array.from(xs);
    roundBf16Array(a);
    expect(Array.from(a).every((y, i) => Object.is(y, roundBf16(xs[i])))).toBe(true);
    expect(Number.isNaN(roundBf16(Number.NaN))).toBe(true);
    expect(Number.isNaN(roundBf16Array(Float32Array.of(Number.NaN))[0])).toBe(true);
  });

  it('a float32 v rounded to nearest even after every step stagnates at 0.25 (the issue), not 0.0108', () => {
    const { beta2, high, low, switchAt, steps } = study.STAGNATION;
    const f = Math.fround;
    let v = 0;
    for (let t = 1; t <= steps; t++) {
      const g = t <= switchAt ? high : low;
      v = roundBf16(f(f(beta2 * v) + f(f(f(1 - beta2) * g) * g)));
    }
    expect(v).toBe(0.25);
    expect(study.stagnationExact(steps)).toBeCloseTo(0.01085, 5);
  });
});

describe('bf16 study: statistics and schedule', () => {
  it('meanSd, cosine, norm, relErr, medianRelErr', () => {
    const { mean, sd } = meanSd([1, 2, 3, 4]);
    expect(mean).toBe(2.5);
    expect(sd).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(meanSd([7]).sd).toBe(0);
    expect(cosine([1, 0], [0, 2])).toBe(0);
    expect(cosine([1, 2], [2, 4])).toBeCloseTo(1, 15);
    expect(cosine([1, 2], [-1, -2])).toBeCloseTo(-1, 15);
    expect(Number.isNaN(cosine([0, 0], [1, 1]))).toBe(true);
    expect(norm([3, 4])).toBe(5);
    expect(relErr([3, 4], [3, 0])).toBeCloseTo(4 / 3, 15);
    expect(relErr([1, 1], [1, 1])).toBe(0);
    expect(medianRelErr([1.1, 2, 0.5, 9], [1, 2, 1, 0])).toBeCloseTo(0.1, 12); // 0.1, 0, 0.5; ref 0 skipped
  });

  it('checkpoints bracket the phase changes; the phases drop 10x at 1/3 and 2/3', () => {
    expect(checkpointsOf(10_000)).toEqual([10, 100, 1000, 3000, 4000, 7000, 10_000]);
    expect(checkpointsOf(300)).toEqual([10, 90, 100, 120, 210, 300]);
    expect(checkpointsOf(5)).toEqual([2, 4, 5]);
    expect([1, 3333, 3334, 6667, 6668, 10_000].map((t) => phaseScale(t, 10_000))).toEqual([1, 1, 0.1, 0.1, 0.01, 0.01]);
  });

  it("the stagnation scenario's float64 reference: 0.950 at 3000, 0.0568 at 6000, 0.0108 at 10000", () => {
    expect(study.stagnationExact(3000)).toBeCloseTo(1 - 0.999 ** 3000, 12);
    expect(study.stagnationExact(4000)).toBeCloseTo(0.3557, 4);
    expect(study.stagnationExact(6000)).toBeCloseTo(0.05674, 5);
  });

  it('num: 4 significant digits, exponent form for small and large', () => {
    expect(study.num(0.123456)).toBe('0.1235');
    expect(study.num(2.5e-5)).toBe('2.50e-5');
    expect(study.num(12345)).toBe('1.23e+4');
    expect(study.num(Number.NaN)).toBe('n/a');
    expect(study.cosText(0.9999)).toBe('0.999900 (1 − 1e-4)');
  });
});
