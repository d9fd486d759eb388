// The step guards' passes over the step table (src/pipeline/layout.ts), in both builds: the
// non-finite gradient check and the gradients' sum of squares for global-norm clipping.
// src/backends/js.ts mirrors them.
//
// "The gradient" of an entry is g, or with FLAG_PENDING acc + g (the float32 sum that accumulate
// will store): the guards then see the accumulated gradient without writing it, so a refused step
// leaves the accumulator as it was.
import { ENTRY_BYTES, E_ACCUM, E_FLAGS, E_GRAD, E_SIZE, E_SUMSQ, FLAG_PENDING } from '../src/pipeline/layout';

type Plain = u8;
type Sum = u16;
// @ts-ignore: decorator
@inline function load4<G>(g: usize, a: usize, o: usize): v128 {
  if (sizeof<G>() == sizeof<Sum>()) return f32x4.add(v128.load(a + o), v128.load(g + o));
  return v128.load(g + o);
}
// @ts-ignore: decorator
@inline function load1<G>(g: usize, a: usize): f32 {
  if (sizeof<G>() == sizeof<Sum>()) return load<f32>(a) + load<f32>(g);
  return load<f32>(g);
}
// @ts-ignore: decorator
@inline export function pending(e: usize): bool { return (load<i32>(e, E_FLAGS) & FLAG_PENDING) != 0; }

/** Index of the first tensor whose gradient holds a NaN or an infinity, or -1. */
export function firstNonFinite(table: usize, count: i32): i32 {
  for (let k = 0; k < count; k++) {
    const e = table + <usize>k * ENTRY_BYTES;
    if (pending(e) ? !finite<Sum>(e) : !finite<Plain>(e)) return k;
  }
  return -1;
}

// Not inlined: as a function of its own per G, V8 compiles the plain loop as fast as before the
// accumulator variant existed (inlined into one function it measured ~5% slower).
function finite<G>(e: usize): bool {
  const n = load<i32>(e, E_SIZE);
  let g = <usize>load<u32>(e, E_GRAD);
  let acc = <usize>load<u32>(e, E_ACCUM);
  let i = 0;
  // A float is NaN or ±Infinity iff its magnitude bits exceed those of the largest finite float:
  // keep the largest magnitude (as unsigned integers: one and, one max per vector).
  if (ASC_FEATURE_SIMD) {
    const magnitude = i32x4.splat(0x7fffffff);
    let a0 = i32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
    for (; i + 16 <= n; i += 16) {
      a0 = i32x4.max_u(a0, v128.and(load4<G>(g, acc, 0), magnitude));
      a1 = i32x4.max_u(a1, v128.and(load4<G>(g, acc, 16), magnitude));
      a2 = i32x4.max_u(a2, v128.and(load4<G>(g, acc, 32), magnitude));
      a3 = i32x4.max_u(a3, v128.and(load4<G>(g, acc, 48), magnitude));
      g += 64; acc += 64;
    }
    for (; i + 4 <= n; i += 4) {
      a0 = i32x4.max_u(a0, v128.and(load4<G>(g, acc, 0), magnitude));
      g += 16; acc += 16;
    }
    const top = i32x4.max_u(i32x4.max_u(a0, a1), i32x4.max_u(a2, a3));
    if (v128.any_true(i32x4.gt_u(top, i32x4.splat(0x7f7fffff)))) return false;
  }
  for (; i < n; i++) {
    if ((reinterpret<u32>(load1<G>(g, acc)) & 0x7fffffff) > 0x7f7fffff) return false;
    g += 4; acc += 4;
  }
  return true;
}

// Eight partial sums: element i goes to partial i % 8, each summed in increasing i, then combined
// as ((p0+p1)+(p2+p3))+((p4+p5)+(p6+p7)). A float32 squared is exact in float64, so with this one
// order every backend gets the same bits.
const PARTIALS = memory.data(64, 16);

/** Per tensor, the float64 sum of its squared gradient, into its entry's E_SUMSQ. */
export function gradSumSq(table: usize, count: i32): void {
  for (let k = 0; k < count; k++) {
    const e = table + <usize>k * ENTRY_BYTES;
    if (pending(e)) sumSq<Sum>(e); else sumSq<Plain>(e);
  }
}

// Not inlined, as finite<G>.
function sumSq<G>(e: usize): void {
  const n = load<i32>(e, E_SIZE);
  let g = <usize>load<u32>(e, E_GRAD);
  let acc = <usize>load<u32>(e, E_ACCUM);
  let i = 0;
  for (let j = 0; j < 8; j++) store<f64>(PARTIALS + (<usize>j << 3), 0);
  if (ASC_FEATURE_SIMD) {
    const z = f64x2.splat(0);
    let a01 = z, a23 = z, a45 = z, a67 = z;
    for (; i + 8 <= n; i += 8) {
      const x = load4<G>(g, acc, 0), y = load4<G>(g, acc, 16);
      const x01 = f64x2.promote_low_f32x4(x), x23 = f64x2.promote_low_f32x4(v128.shuffle<f32>(x, x, 2, 3, 0, 1));
      const y01 = f64x2.promote_low_f32x4(y), y23 = f64x2.promote_low_f32x4(v128.shuffle<f32>(y, y, 2, 3, 0, 1));
      a01 = f64x2.add(a01, f64x2.mul(x01, x01));
      a23 = f64x2.add(a23, f64x2.mul(x23, x23));
      a45 = f64x2.add(a45, f64x2.mul(y01, y01));
      a67 = f64x2.add(a67, f64x2.mul(y23, y23));
      g += 32; acc += 32;
    }
    v128.store(PARTIALS, a01);
    v128.store(PARTIALS + 16, a23);
    v128.store(PARTIALS + 32, a45);
    v128.store(PARTIALS + 48, a67);
  }
  for (; i < n; i++) {
    const x = <f64>load1<G>(g, acc);
    const slot = PARTIALS + (<usize>(i & 7) << 3);
    store<f64>(slot, load<f64>(slot) + x * x);
    g += 4; acc += 4;
  }
  const p = PARTIALS;
  store<f64>(e, ((load<f64>(p) + load<f64>(p, 8)) + (load<f64>(p, 16) + load<f64>(p, 24)))
    + ((load<f64>(p, 32) + load<f64>(p, 40)) + (load<f64>(p, 48) + load<f64>(p, 56))), E_SUMSQ);
}
