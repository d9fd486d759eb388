// Seeded randomness for reproducible property-style tests. The generator is the demo's
// (demo/lib/rng.mjs, mulberry32): one implementation, the same sequences in both.
import { mulberry32 } from '../../demo/lib/rng.mjs';

export const rng: (seed: number) => () => number = mulberry32;

export const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

/** Gradient-like values: normal-ish, with exact zeros, -0 and the occasional large or tiny value. */
export function gradient(r: () => number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = r();
    if (u < 0.05) out[i] = 0;
    else if (u < 0.08) out[i] = -0;
    else if (u < 0.1) out[i] = (r() - 0.5) * 1e3;
    else if (u < 0.12) out[i] = (r() - 0.5) * 1e-20;
    else out[i] = (r() + r() + r() - 1.5) * 2;
  }
  return out;
}

/** Whether two float32 arrays hold the same bits (any NaN equals any NaN). */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) {
    if (ua[i] !== ub[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  }
  return true;
}

/** Index of the first element whose bits differ, or -1. */
export function firstDifference(a: Float32Array, b: Float32Array): number {
  for (let i = 0; i < a.length; i++) {
    if (!sameBits(a.subarray(i, i + 1), b.subarray(i, i + 1))) return i;
  }
  return a.length === b.length ? -1 : Math.min(a.length, b.length);
}
