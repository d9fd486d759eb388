// The update with bfloat16 state (FLAG_BF16): m, v and vmax are 16-bit words, widened to float32
// (a shift), updated with assembly/update.ts's float32 rule, the param stepped from the float32
// values, then stored: m rounded to nearest even, v and vmax with stochastic rounding. The random
// bits are a hash of (the step's key, the element's global index): no generator state, so every
// backend, thread split and resumed run draws the same bits. src/math/bf16.ts is the JS twin
// (used by src/backends/js.ts); the SIMD loop handles 8 elements (one i16x8 per state array).
//
// Unlike the float32 loops, only the mode (adaptive, or the first steps' three) and coupled decay
// are compiled apart; amsgrad, flushing and the EMA are branches per 8 elements, taken the same
// way every time: a quarter of the code of one loop per combination, for a few percent.
import {
  E_PARAM, E_GRAD, E_EXP_AVG, E_EXP_AVG_SQ, E_MAX_EXP_AVG_SQ, E_GRAD_SCALE, E_L2_WEIGHT_DECAY,
  E_DECOUPLED_DECAY_FACTOR, E_BETA1, E_ONE_MINUS_BETA1, E_BETA2, E_ONE_MINUS_BETA2, E_EPS, E_STEP_SIZE, E_EMA,
  E_EMA_DECAY, E_ONE_MINUS_EMA_DECAY, E_CLIP_VALUE, E_SR_KEY, E_INDEX, E_FLAGS, MODE_MASK, MODE_MOMENTUM,
  MODE_ADAPTIVE, MODE_SECOND_MOMENT, FLAG_AMSGRAD, FLAG_COUPLED_DECAY, FLAG_FLUSH_SUBNORMALS, FLAG_EMA,
} from '../src/pipeline/layout';
import {
  Off, On, Momentum, Adaptive, Early, on, gradient1, gradient4, firstMoment1, firstMoment4, secondMoment1,
  secondMoment4, flush1, flush4, ema1, ema4, paramUpdate1, paramUpdate4,
} from './update';

// ---- the conversions and the hash, one element at a time

// @ts-ignore: decorator
@inline function widen1(w: u16): f32 { return reinterpret<f32>(<u32>w << 16); }

/** Round to nearest, ties to even; NaN: 0xffff. Past the largest finite bfloat16: ±Infinity. */
// @ts-ignore: decorator
@inline function nearest1(x: f32): u16 {
  const b = reinterpret<u32>(x);
  return x != x ? <u16>0xffff : <u16>((b + 0x7fff + ((b >> 16) & 1)) >> 16);
}

/** Stochastic rounding with the random bits r (0 .. 0xffff): unbiased. NaN: 0xffff. */
// @ts-ignore: decorator
@inline function stochastic1(x: f32, r: u32): u16 {
  return x != x ? <u16>0xffff : <u16>((reinterpret<u32>(x) + r) >> 16);
}

// @ts-ignore: decorator
@inline function fmix1(h: u32): u32 {
  h ^= h >> 16; h *= 0x85ebca6b; h ^= h >> 13; h *= 0xc2b2ae35; h ^= h >> 16;
  return h;
}

/** The random bits of global index `x`: one hash per pair (x, x ^ 4), its low half for bit 2 clear. */
// @ts-ignore: decorator
@inline function bits1(key: u32, x: u32): u32 {
  const h = fmix1(key + (x & ~4));
  return x & 4 ? h >> 16 : h & 0xffff;
}

// ---- the same on vectors

// @ts-ignore: decorator
@inline function fmix4(h: v128): v128 {
  h = v128.xor(h, i32x4.shr_u(h, 16));
  h = i32x4.mul(h, i32x4.splat(0x85ebca6b));
  h = v128.xor(h, i32x4.shr_u(h, 13));
  h = i32x4.mul(h, i32x4.splat(0xc2b2ae35));
  return v128.xor(h, i32x4.shr_u(h, 16));
}

// Interleaving the words with zeros puts each in the high half of its lane: the widening is one
// unpack (punpcklwd / punpckhwd on x64).
// @ts-ignore: decorator
@inline function widenLow(w: v128): v128 {
  return i8x16.shuffle(i32x4.splat(0), w, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
}
// @ts-ignore: decorator
@inline function widenHigh(w: v128): v128 {
  return i8x16.shuffle(i32x4.splat(0), w, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
}
/** The high halves of two vectors of rounded float32 bits, as eight words. */
// @ts-ignore: decorator
@inline function narrow(lo: v128, hi: v128): v128 {
  return i8x16.shuffle(lo, hi, 2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31);
}
// The roundings leave the bfloat16 in the high half of each lane (narrow keeps it); NaN lanes are
// ORed with all ones: 0xffff, as nearest1 and stochastic1 store.
// @ts-ignore: decorator
@inline function nearest4(x: v128): v128 {
  const odd = v128.and(i32x4.shr_u(x, 16), i32x4.splat(1));
  const r = i32x4.add(i32x4.add(x, i32x4.splat(0x7fff)), odd);
  return v128.or(r, f32x4.ne(x, x));
}
// @ts-ignore: decorator
@inline function stochastic4(x: v128, r: v128): v128 {
  return v128.or(i32x4.add(x, r), f32x4.ne(x, x));
}

// ---- the loops

// @ts-ignore: decorator
@inline function writesM<MODE>(mode: i32): bool {
  // Early: MODE_SECOND_MOMENT (Adam-2k's frozen phase) leaves m as it is.
  return sizeof<MODE>() == sizeof<Adaptive>() || mode != MODE_SECOND_MOMENT;
}

// @ts-ignore: decorator
@inline function elem16<COUPLED, MODE>(
  p: usize, g: usize, m: usize, v: usize, vm: usize, a: usize, r: u32, ams: bool, flush: bool, ema: bool, mode: i32,
  gs: f32, cv: f32, wd: f32, pd: f32, b1: f32, c1: f32, b2: f32, c2: f32, eps: f32, st: f32, ed: f32, ec: f32,
): void {
  const pi = load<f32>(p) * pd;
  const gi = gradient1<COUPLED>(load<f32>(g), pi, gs, cv, wd);
  let mi = firstMoment1(widen1(load<u16>(m)), gi, b1, c1);
  let vi = secondMoment1(widen1(load<u16>(v)), gi, b2, c2);
  if (flush) { mi = flush1(mi); vi = flush1(vi); }
  if (writesM<MODE>(mode)) store<u16>(m, nearest1(mi));
  store<u16>(v, stochastic1(vi, r));
  // The running maximum rounds with v's bits: when v is the maximum both store the same word, and
  // a maximum that v did not reach is stored unchanged (it is a bfloat16 already).
  if (ams) { vi = max<f32>(widen1(load<u16>(vm)), vi); store<u16>(vm, stochastic1(vi, r)); }
  if (sizeof<MODE>() == sizeof<Adaptive>()) {
    const pn = paramUpdate1<Adaptive, Off>(p, a, pi, mi, vi, st, eps, ed, ec);
    if (ema) store<f32>(a, ema1(load<f32>(a), pn, ed, ec));
  } else if (mode == MODE_MOMENTUM) paramUpdate1<Momentum, Off>(p, a, pi, mi, vi, st, eps, ed, ec);
}

// Eight elements from a global index that is a multiple of 8: p, g, a at byte offset o, the state
// at o / 2; `h` holds the four hash inputs key + index + (0, 1, 2, 3).
// @ts-ignore: decorator
@inline function vec16<COUPLED, MODE>(
  p: usize, g: usize, m: usize, v: usize, vm: usize, a: usize, o: usize, h: v128,
  ams: bool, flush: bool, ema: bool, mode: i32,
  gs: v128, cv: v128, ncv: v128, wd: v128, pd: v128, b1: v128, c1: v128, b2: v128, c2: v128, eps: v128, st: v128,
  ed: v128, ec: v128,
): void {
  const o2 = o >> 1;
  const hash = fmix4(h);
  const r0 = v128.and(hash, i32x4.splat(0xffff)), r1 = i32x4.shr_u(hash, 16);
  const p0 = f32x4.mul(v128.load(p + o), pd), p1 = f32x4.mul(v128.load(p + o + 16), pd);
  const g0 = gradient4<COUPLED>(v128.load(g + o), p0, gs, cv, ncv, wd);
  const g1 = gradient4<COUPLED>(v128.load(g + o + 16), p1, gs, cv, ncv, wd);
  const mw = v128.load(m + o2), vw = v128.load(v + o2);
  let m0 = firstMoment4(widenLow(mw), g0, b1, c1), m1 = firstMoment4(widenHigh(mw), g1, b1, c1);
  let v0 = secondMoment4(widenLow(vw), g0, b2, c2), v1 = secondMoment4(widenHigh(vw), g1, b2, c2);
  if (flush) { m0 = flush4(m0); m1 = flush4(m1); v0 = flush4(v0); v1 = flush4(v1); }
  if (writesM<MODE>(mode)) v128.store(m + o2, narrow(nearest4(m0), nearest4(m1)));
  v128.store(v + o2, narrow(stochastic4(v0, r0), stochastic4(v1, r1)));
  if (ams) {
    const w = v128.load(vm + o2);
    v0 = f32x4.max(widenLow(w), v0);
    v1 = f32x4.max(widenHigh(w), v1);
    v128.store(vm + o2, narrow(stochastic4(v0, r0), stochastic4(v1, r1)));
  }
  if (sizeof<MODE>() == sizeof<Adaptive>()) {
    const pn0 = paramUpdate4<Adaptive, Off>(p, a, o, p0, m0, v0, st, eps, ed, ec);
    const pn1 = paramUpdate4<Adaptive, Off>(p, a, o + 16, p1, m1, v1, st, eps, ed, ec);
    if (ema) {
      v128.store(a + o, ema4(v128.load(a + o), pn0, ed, ec));
      v128.store(a + o + 16, ema4(v128.load(a + o + 16), pn1, ed, ec));
    }
  } else if (mode == MODE_MOMENTUM) {
    paramUpdate4<Momentum, Off>(p, a, o, p0, m0, v0, st, eps, ed, ec);
    paramUpdate4<Momentum, Off>(p, a, o + 16, p1, m1, v1, st, eps, ed, ec);
  }
}

/**
 * Steps one entry with bfloat16 state (FLAG_BF16). In the first steps' modes the EMA is left to
 * the caller's pass (assembly/radam.ts emaPass), as in the float32 loops.
 */
export function step16(e: usize, n: i32, flags: i32): void {
  const coupled = (flags & FLAG_COUPLED_DECAY) != 0;
  if ((flags & MODE_MASK) == MODE_ADAPTIVE) {
    if (coupled) run16<On, Adaptive>(e, n, flags); else run16<Off, Adaptive>(e, n, flags);
  } else {
    if (coupled) run16<On, Early>(e, n, flags); else run16<Off, Early>(e, n, flags);
  }
}

// Element i's address in an entry's float32 array (p, g, the EMA) and in a bfloat16 one (m, v, vmax).
// @ts-ignore: decorator
@inline function at32(e: usize, field: usize, i: i32): usize { return <usize>load<u32>(e + field) + (<usize>i << 2); }
// @ts-ignore: decorator
@inline function at16(e: usize, field: usize, i: i32): usize { return <usize>load<u32>(e + field) + (<usize>i << 1); }
// In the first steps' modes the caller's pass updates the EMA.
// @ts-ignore: decorator
@inline function emaInLoop<MODE>(flags: i32): bool { return sizeof<MODE>() == sizeof<Adaptive>() && (flags & FLAG_EMA) != 0; }

/** Elements [i, end) of the entry one at a time: the SIMD loop's head and tail, and the scalar build's loop. */
function scalar16<COUPLED, MODE>(e: usize, i: i32, end: i32, flags: i32): void {
  const ams = (flags & FLAG_AMSGRAD) != 0, flush = (flags & FLAG_FLUSH_SUBNORMALS) != 0;
  const ema = emaInLoop<MODE>(flags), mode = flags & MODE_MASK;
  let p = at32(e, E_PARAM, i), g = at32(e, E_GRAD, i), a = at32(e, E_EMA, i);
  let m = at16(e, E_EXP_AVG, i), v = at16(e, E_EXP_AVG_SQ, i), vm = at16(e, E_MAX_EXP_AVG_SQ, i);
  const key = load<u32>(e, E_SR_KEY);
  let x = load<u32>(e, E_INDEX) + <u32>i; // the global index of element i
  const gs = load<f32>(e, E_GRAD_SCALE), cv = load<f32>(e, E_CLIP_VALUE);
  const wd = load<f32>(e, E_L2_WEIGHT_DECAY), pd = load<f32>(e, E_DECOUPLED_DECAY_FACTOR);
  const b1 = load<f32>(e, E_BETA1), c1 = load<f32>(e, E_ONE_MINUS_BETA1);
  const b2 = load<f32>(e, E_BETA2), c2 = load<f32>(e, E_ONE_MINUS_BETA2);
  const eps = load<f32>(e, E_EPS), st = load<f32>(e, E_STEP_SIZE);
  const ed = load<f32>(e, E_EMA_DECAY), ec = load<f32>(e, E_ONE_MINUS_EMA_DECAY);
  for (; i < end; i++) {
    elem16<COUPLED, MODE>(p, g, m, v, vm, a, bits1(key, x), ams, flush, ema, mode, gs, cv, wd, pd, b1, c1, b2, c2, eps, st, ed, ec);
    p += 4; g += 4; m += 2; v += 2; vm += 2; a += 4; x++;
  }
}

// @ts-ignore: decorator
@inline function run16<COUPLED, MODE>(e: usize, n: i32, flags: i32): void {
  if (!ASC_FEATURE_SIMD) {
    scalar16<COUPLED, MODE>(e, 0, n, flags);
    return;
  }
  // One element at a time up to a global index that is a multiple of 8 (a thread's range may
  // start anywhere): the vectors' hash lanes then line up with bits1's pairs.
  const x0 = load<u32>(e, E_INDEX);
  let i = min<i32>(n, <i32>((8 - (x0 & 7)) & 7));
  scalar16<COUPLED, MODE>(e, 0, i, flags);
  const ams = (flags & FLAG_AMSGRAD) != 0, flush = (flags & FLAG_FLUSH_SUBNORMALS) != 0;
  const ema = emaInLoop<MODE>(flags), mode = flags & MODE_MASK;
  let p = at32(e, E_PARAM, i), g = at32(e, E_GRAD, i), a = at32(e, E_EMA, i);
  let m = at16(e, E_EXP_AVG, i), v = at16(e, E_EXP_AVG_SQ, i), vm = at16(e, E_MAX_EXP_AVG_SQ, i);
  const vgs = f32x4.splat(load<f32>(e, E_GRAD_SCALE));
  const cv = load<f32>(e, E_CLIP_VALUE);
  const vcv = f32x4.splat(cv), vncv = f32x4.splat(-cv);
  const vwd = f32x4.splat(load<f32>(e, E_L2_WEIGHT_DECAY)), vpd = f32x4.splat(load<f32>(e, E_DECOUPLED_DECAY_FACTOR));
  const vb1 = f32x4.splat(load<f32>(e, E_BETA1)), vc1 = f32x4.splat(load<f32>(e, E_ONE_MINUS_BETA1));
  const vb2 = f32x4.splat(load<f32>(e, E_BETA2)), vc2 = f32x4.splat(load<f32>(e, E_ONE_MINUS_BETA2));
  const veps = f32x4.splat(load<f32>(e, E_EPS)), vst = f32x4.splat(load<f32>(e, E_STEP_SIZE));
  const ved = f32x4.splat(load<f32>(e, E_EMA_DECAY)), vec = f32x4.splat(load<f32>(e, E_ONE_MINUS_EMA_DECAY));
  let h = i32x4.add(i32x4.splat(load<u32>(e, E_SR_KEY) + x0 + <u32>i), i32x4(0, 1, 2, 3));
  const eight = i32x4.splat(8), sixteen = i32x4.splat(16);
  // Unrolled in the adaptive mode only, as the float32 loops (measured: 3-5% at 64K and 1M).
  if (sizeof<MODE>() == sizeof<Adaptive>()) for (; i + 16 <= n; i += 16) {
    vec16<COUPLED, MODE>(p, g, m, v, vm, a, 0, h, ams, flush, ema, mode, vgs, vcv, vncv, vwd, vpd, vb1, vc1, vb2, vc2, veps, vst, ved, vec);
    vec16<COUPLED, MODE>(p, g, m, v, vm, a, 32, i32x4.add(h, eight), ams, flush, ema, mode, vgs, vcv, vncv, vwd, vpd, vb1, vc1, vb2, vc2, veps, vst, ved, vec);
    p += 64; g += 64; m += 32; v += 32; vm += 32; a += 64;
    h = i32x4.add(h, sixteen);
  }
  for (; i + 8 <= n; i += 8) {
    vec16<COUPLED, MODE>(p, g, m, v, vm, a, 0, h, ams, flush, ema, mode, vgs, vcv, vncv, vwd, vpd, vb1, vc1, vb2, vc2, veps, vst, ved, vec);
    p += 32; g += 32; m += 16; v += 16; vm += 16; a += 32;
    h = i32x4.add(h, eight);
  }
  scalar16<COUPLED, MODE>(e, i, n, flags);
}
