// bfloat16 state in JavaScript: the conversions and the stochastic-rounding bits, as pure
// functions of integers. assembly/bf16.ts does the same in wasm (scalar and i32x4/i16x8); the js
// backend and the state I/O use these. A bfloat16 is the high 16 bits of a float32.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The NaN every rounding stores (all bits set: what the SIMD kernel's OR with a NaN mask gives). */
export const BF16_NAN = 0xffff;

/** The float32 value of a bfloat16 word (exact: a shift). */
export function widen(word: number): number {
  u32[0] = word << 16;
  return f32[0];
}

/** A float32 (any number, rounded to float32 first) to bfloat16 with round-to-nearest-even; NaN gives BF16_NAN. */
export function roundNearest(x: number): number {
  f32[0] = x;
  if (Number.isNaN(x)) return BF16_NAN;
  const b = u32[0];
  // Overflow past the largest finite bfloat16 carries into the exponent: ±Infinity, as IEEE rounds.
  return (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
}

/**
 * A float32 to bfloat16 with stochastic rounding: add 16 random bits `r` (0 .. 0xffff) below the
 * cut, then truncate, so x rounds away from zero with probability (its distance to the lower
 * neighbour) / ulp: the rounding is unbiased. NaN gives BF16_NAN.
 */
export function roundStochastic(x: number, r: number): number {
  f32[0] = x;
  if (Number.isNaN(x)) return BF16_NAN;
  return (u32[0] + r) >>> 16;
}

/** murmur3's 32-bit finalizer: a bijection on u32 whose output bits all depend on every input bit. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The stochastic-rounding key of step t (1-based) under a seed (u32): written into the step's entries. */
export function srKey(seed: number, t: number): number {
  const hi = Math.floor(t / 2 ** 32);
  return fmix32((seed ^ fmix32((t >>> 0) ^ fmix32(hi + 0x9e3779b9))) >>> 0);
}

/**
 * The 16 random bits of the element at global index `index` under `key`. One hash serves two
 * elements: index and index ^ 4 (so eight consecutive elements from a multiple of 8 take four
 * hashes, one i32x4 in the SIMD kernel), the low half for the first four, the high half for the next.
 */
export function srBits(key: number, index: number): number {
  const h = fmix32((key + (index & ~4)) >>> 0);
  return index & 4 ? h >>> 16 : h & 0xffff;
}

/**
 * A Float32Array's values as bfloat16 words for state I/O: rounded to nearest even, and a NaN
 * keeps its sign and top payload bits (quiet if those are zero), so that every one of the 65,536
 * words survives widening and coming back. (The step stores a NaN it computes as BF16_NAN.)
 */
export function toBf16(a: Float32Array, out: Uint16Array = new Uint16Array(a.length)): Uint16Array {
  const bits = new Uint32Array(a.buffer, a.byteOffset, a.length);
  for (let i = 0; i < a.length; i++) {
    const b = bits[i];
    if ((b & 0x7fffffff) > 0x7f800000) out[i] = (b >>> 16) | ((b & 0x7f0000) === 0 ? 0x40 : 0);
    else out[i] = roundNearest(a[i]);
  }
  return out;
}

/** bfloat16 words as float32 values (exact). */
export function fromBf16(w: ArrayLike<number>, out: Float32Array = new Float32Array(w.length)): Float32Array {
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < w.length; i++) bits[i] = w[i] << 16;
  return out;
}
