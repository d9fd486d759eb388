// The update rule, once: each piece of the per-element update as a float32 function (scalar) and
// its f32x4 twin, doing the same operations in the same order, in torch's order. The float32
// loops (assembly/radam.ts) and the bfloat16 ones (assembly/bf16.ts) are both built from these;
// src/backends/js.ts mirrors them with Math.fround.
const EXPONENT: u32 = 0x7f800000;

// Compile-time switches of the loops, told apart by size: `if (sizeof<T>() == ...)` is resolved by
// asc, which then compiles only the branch taken. (Exported for bench/unroll/variants.ts.)
export type Off = u8;
export type On = u16;
export type Skip = u8;
export type Momentum = u16;
export type SecondMoment = u64; // only v is written
export type Adaptive = u32;
export type Early = v128; // the bfloat16 loops' first steps: skip, momentum or second moment, read at run time
// @ts-ignore: decorator
@inline export function on<T>(): bool { return sizeof<T>() == sizeof<On>(); }

/**
 * The gradient the moments see: g * gradScale, clamped to [-c, c], plus coupled decay wd * p'. The
 * clamp is written as the selects f32x4.pmin/pmax compute, so that a NaN passes through it (the
 * non-finite guard and torch both see it) and both builds agree on every input.
 */
// @ts-ignore: decorator
@inline export function gradient1<COUPLED>(g: f32, pi: f32, gs: f32, cv: f32, wd: f32): f32 {
  let gi = g * gs;
  gi = select<f32>(cv, gi, cv < gi);
  gi = select<f32>(-cv, gi, gi < -cv);
  if (on<COUPLED>()) gi = gi + wd * pi;
  return gi;
}
// @ts-ignore: decorator
@inline export function gradient4<COUPLED>(g: v128, pi: v128, gs: v128, cv: v128, ncv: v128, wd: v128): v128 {
  let gi = f32x4.mul(g, gs);
  gi = f32x4.pmax(f32x4.pmin(gi, cv), ncv);
  if (on<COUPLED>()) gi = f32x4.add(gi, f32x4.mul(wd, pi));
  return gi;
}

/** m = m * b1 + g * (1 - b1): torch's mul_(b1).add_(g, alpha=1-b1). */
// @ts-ignore: decorator
@inline export function firstMoment1(m: f32, gi: f32, b1: f32, c1: f32): f32 { return m * b1 + gi * c1; }
// @ts-ignore: decorator
@inline export function firstMoment4(m: v128, gi: v128, b1: v128, c1: v128): v128 {
  return f32x4.add(f32x4.mul(m, b1), f32x4.mul(gi, c1));
}

/**
 * v = v * b2 + ((1 - b2) * g) * g: torch's addcmul_(g, g, value=1-b2). (g*g first would overflow
 * float32 for |g| > 1.8e19 where torch keeps v finite.)
 */
// @ts-ignore: decorator
@inline export function secondMoment1(v: f32, gi: f32, b2: f32, c2: f32): f32 { return v * b2 + (c2 * gi) * gi; }
// @ts-ignore: decorator
@inline export function secondMoment4(v: v128, gi: v128, b2: v128, c2: v128): v128 {
  return f32x4.add(f32x4.mul(v, b2), f32x4.mul(f32x4.mul(c2, gi), gi));
}

/** Zero exponent bits (zero or subnormal) become +0 (NaN and Inf have all exponent bits set). */
// @ts-ignore: decorator
@inline export function flush1(x: f32): f32 { return (reinterpret<u32>(x) & EXPONENT) == 0 ? 0 : x; }
// @ts-ignore: decorator
@inline export function flush4(x: v128): v128 {
  // An integer test of the exponent bits: measured cheaper than abs + f32x4.lt.
  return v128.andnot(x, i32x4.eq(v128.and(x, i32x4.splat(EXPONENT)), i32x4.splat(0)));
}

/** The rectified (or Adam) step: p' - (m * step) / (sqrt(v) + eps). */
// @ts-ignore: decorator
@inline export function adaptive1(pi: f32, mi: f32, vi: f32, st: f32, eps: f32): f32 {
  return pi - (mi * st) / (sqrt<f32>(vi) + eps);
}
// @ts-ignore: decorator
@inline export function adaptive4(pi: v128, mi: v128, vi: v128, st: v128, eps: v128): v128 {
  return f32x4.sub(pi, f32x4.div(f32x4.mul(mi, st), f32x4.add(f32x4.sqrt(vi), eps)));
}

/** The momentum step below the threshold: p' - m * step. */
// @ts-ignore: decorator
@inline export function momentum1(pi: f32, mi: f32, st: f32): f32 { return pi - mi * st; }
// @ts-ignore: decorator
@inline export function momentum4(pi: v128, mi: v128, st: v128): v128 { return f32x4.sub(pi, f32x4.mul(mi, st)); }

/** The weights' EMA: a * d + p * (1 - d). */
// @ts-ignore: decorator
@inline export function ema1(a: f32, pn: f32, ed: f32, ec: f32): f32 { return a * ed + pn * ec; }
// @ts-ignore: decorator
@inline export function ema4(a: v128, pn: v128, ed: v128, ec: v128): v128 {
  return f32x4.add(f32x4.mul(a, ed), f32x4.mul(pn, ec));
}

/** The param's (and the EMA's) update from the new moments, as float32; returns the new value. */
// @ts-ignore: decorator
@inline export function paramUpdate1<MODE, EMA>(p: usize, a: usize, pi: f32, mi: f32, vi: f32, st: f32, eps: f32, ed: f32, ec: f32): f32 {
  let pn: f32;
  if (sizeof<MODE>() == sizeof<Adaptive>()) { pn = adaptive1(pi, mi, vi, st, eps); store<f32>(p, pn); }
  else if (sizeof<MODE>() == sizeof<Momentum>()) { pn = momentum1(pi, mi, st); store<f32>(p, pn); }
  else pn = load<f32>(p); // no step: the param is untouched
  if (on<EMA>()) store<f32>(a, ema1(load<f32>(a), pn, ed, ec));
  return pn;
}

/** paramUpdate1 on four lanes at byte offset `o`. */
// @ts-ignore: decorator
@inline export function paramUpdate4<MODE, EMA>(
  p: usize, a: usize, o: usize, pi: v128, mi: v128, vi: v128, st: v128, eps: v128, ed: v128, ec: v128,
): v128 {
  let pn: v128;
  if (sizeof<MODE>() == sizeof<Adaptive>()) { pn = adaptive4(pi, mi, vi, st, eps); v128.store(p + o, pn); }
  else if (sizeof<MODE>() == sizeof<Momentum>()) { pn = momentum4(pi, mi, st); v128.store(p + o, pn); }
  else pn = v128.load(p + o);
  if (on<EMA>()) v128.store(a + o, ema4(v128.load(a + o), pn, ed, ec));
  return pn;
}
