// What the feature tests (guards, Lookahead, checkpoints, EMA, accumulation, clipValue) train and
// compare: an optimizer over the lengths around the SIMD width, seeded gradients, its state as
// bits, and the assertion that two runs agree bit for bit.
import { expect } from 'vitest';
import { RAdam, type Backend, type Param } from '../../src/index.js';
import { firstDifference, gradient, rng } from './random.js';

export const BACKENDS: Backend[] = ['simd', 'scalar', 'js'];
/** The param sizes of `build`: 1, a partial vector, whole vectors, one past, and a long one. */
export const SIZES = [1, 3, 4, 5, 15, 16, 17, 1000];
/** The lengths a feature is swept over: empty, the SIMD edges (4, 16), odd ones and a long one. */
export const LENGTHS = [0, 1, 3, 4, 5, 15, 16, 17, 33, 1031];

/** An amsgrad optimizer with one param of each of SIZES, seeded initial values. */
export async function build(backend: Backend, options = {}) {
  const opt = await RAdam.create({ backend, lr: 0.05, amsgrad: true, ...options });
  const r = rng(3);
  const params = SIZES.map((n) => opt.addParam(gradient(r, n)));
  return { opt, params };
}
/** The gradients of step `seed`: the same for every run given the same seed. */
export const fill = (params: Param[], seed: number) => {
  const r = rng(seed);
  params.forEach((p) => p.grad.set(gradient(r, p.size)));
};
/** Values, moments, amsgrad maximum and step of every param (of a `build` optimizer), as copies. */
export const snapshot = (params: Param[]) =>
  params.flatMap((p) => [
    p.data.slice(),
    p.expAvg.slice(),
    p.expAvgSq.slice(),
    p.maxExpAvgSq!.slice(),
    Float32Array.of(p.step),
  ]);
/** Two lists of arrays (two snapshots) hold the same bits, array by array. */
export const expectSameBits = (a: Float32Array[], b: Float32Array[]) =>
  a.forEach((x, i) => expect(firstDifference(x, b[i]), `array ${i}`).toBe(-1));
/** Two arrays hold the same bits (any NaN equals any NaN). */
export const expectBits = (a: Float32Array, b: Float32Array, what = '') => expect(firstDifference(a, b), what).toBe(-1);
/** Gradient-like values clamped to [-5, 5]: initial values, and gradients the float64 reference follows closely. */
export const clamped = (n: number, r: () => number) => gradient(r, n).map((x) => Math.max(-5, Math.min(5, x)));
