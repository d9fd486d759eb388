// The fused RAdam update: one pass per element over p, g, m, v (and vmax, and the EMA), float32 only.
// One source for both builds: with `--enable simd`, ASC_FEATURE_SIMD is true and the loops run on
// f32x4 (unrolled 4x: 16 elements per iteration) with a scalar tail; without it only the scalar
// loop is compiled. Every lane does the same float32 operations in the same order as the scalar
// element update, so both builds (and src/backends/js.ts) produce identical bits.
import {
  ENTRY_BYTES, E_PARAM, E_GRAD, E_EXP_AVG, E_EXP_AVG_SQ, E_MAX_EXP_AVG_SQ, E_SIZE, E_FLAGS,
  E_GRAD_SCALE, E_L2_WEIGHT_DECAY, E_DECOUPLED_DECAY_FACTOR, E_BETA1, E_ONE_MINUS_BETA1, E_BETA2, E_ONE_MINUS_BETA2,
  E_EPS, E_STEP_SIZE, E_EMA, E_EMA_DECAY, E_ONE_MINUS_EMA_DECAY, E_CLIP_VALUE, MODE_MASK, MODE_MOMENTUM,
  MODE_ADAPTIVE, MODE_SECOND_MOMENT, FLAG_AMSGRAD, FLAG_COUPLED_DECAY, FLAG_FLUSH_SUBNORMALS, FLAG_EMA,
} from '../src/pipeline/layout';

/** Steps `count` tensors described by the table at `table` (see src/pipeline/layout.ts). */
export function step(table: usize, count: i32): void {
  for (let i = 0; i < count; i++) stepEntry(table + <usize>i * ENTRY_BYTES);
}

function stepEntry(e: usize): void {
  const n = load<i32>(e, E_SIZE);
  if (n <= 0) return;
  const flags = load<i32>(e, E_FLAGS);
  const mode = flags & MODE_MASK;
  const ams = (flags & FLAG_AMSGRAD) != 0;
  const coupled = (flags & FLAG_COUPLED_DECAY) != 0;
  const flush = (flags & FLAG_FLUSH_SUBNORMALS) != 0;
  const ema = (flags & FLAG_EMA) != 0;
  // Instantiate the loop per combination of the options that change the memory traffic or the
  // operation sequence, so the loops carry no per-element branches. (Constant bool arguments to an
  // @inline function are not enough: Binaryen folds such near-identical copies back into one loop
  // with the branches inside.) So is the EMA, in the adaptive mode. The value clamp is not: with
  // c = +Infinity it is exact identity, and two min/max per vector cost nothing in a loop bound by
  // divide and square root.
  if (mode == MODE_ADAPTIVE) {
    if (ema) byFlush<Adaptive, On>(e, n, flush, ams, coupled); else byFlush<Adaptive, Off>(e, n, flush, ams, coupled);
  } else {
    // The first few steps only (below the threshold): the EMA follows in a pass of its own, with
    // the same operations, rather than doubling these loops' code.
    if (mode == MODE_MOMENTUM) byFlush<Momentum, Off>(e, n, flush, ams, coupled);
    else if (mode == MODE_SECOND_MOMENT) byFlush<SecondMoment, Off>(e, n, flush, ams, coupled);
    else byFlush<Skip, Off>(e, n, flush, ams, coupled);
    if (ema) emaPass(e, n);
  }
}

/** ema = d*ema + (1-d)*p over the entry's elements: elem's last line, on its own. */
function emaPass(e: usize, n: i32): void {
  let p = <usize>load<u32>(e, E_PARAM);
  let a = <usize>load<u32>(e, E_EMA);
  const ed = load<f32>(e, E_EMA_DECAY);
  const ec = load<f32>(e, E_ONE_MINUS_EMA_DECAY);
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const ved = f32x4.splat(ed), vom = f32x4.splat(ec);
    for (; i + 4 <= n; i += 4) {
      v128.store(a, f32x4.add(f32x4.mul(v128.load(a), ved), f32x4.mul(v128.load(p), vom)));
      p += 16; a += 16;
    }
  }
  for (; i < n; i++) {
    store<f32>(a, load<f32>(a) * ed + load<f32>(p) * ec);
    p += 4; a += 4;
  }
}

// @ts-ignore: decorator
@inline function byFlush<MODE, EMA>(e: usize, n: i32, flush: bool, ams: bool, coupled: bool): void {
  if (flush) byOptions<MODE, On, EMA>(e, n, ams, coupled); else byOptions<MODE, Off, EMA>(e, n, ams, coupled);
}

// @ts-ignore: decorator
@inline function byOptions<MODE, FLUSH, EMA>(e: usize, n: i32, ams: bool, coupled: bool): void {
  if (ams) { if (coupled) run<On, On, MODE, FLUSH, EMA>(e, n); else run<On, Off, MODE, FLUSH, EMA>(e, n); }
  else { if (coupled) run<Off, On, MODE, FLUSH, EMA>(e, n); else run<Off, Off, MODE, FLUSH, EMA>(e, n); }
}

const EXPONENT: u32 = 0x7f800000;

// Compile-time switches, told apart by size: `if (sizeof<T>() == ...)` is resolved by asc, which
// then compiles only the branch taken.
// Exported (with elem and vec) for bench/unroll/variants.ts, which times unrolled copies of the loop.
export type Off = u8;
export type On = u16;
type Skip = u8;
type Momentum = u16;
type SecondMoment = u64; // only v is written
export type Adaptive = u32;
// @ts-ignore: decorator
@inline function on<T>(): bool { return sizeof<T>() == sizeof<On>(); }

// @ts-ignore: decorator
@inline function run<AMS, COUPLED, MODE, FLUSH, EMA>(e: usize, n: i32): void {
  let p = <usize>load<u32>(e, E_PARAM);
  let g = <usize>load<u32>(e, E_GRAD);
  let m = <usize>load<u32>(e, E_EXP_AVG);
  let v = <usize>load<u32>(e, E_EXP_AVG_SQ);
  let vm = <usize>load<u32>(e, E_MAX_EXP_AVG_SQ);
  let a = <usize>load<u32>(e, E_EMA);
  const gs = load<f32>(e, E_GRAD_SCALE);
  const cv = load<f32>(e, E_CLIP_VALUE);
  const wd = load<f32>(e, E_L2_WEIGHT_DECAY);
  const pd = load<f32>(e, E_DECOUPLED_DECAY_FACTOR);
  const b1 = load<f32>(e, E_BETA1);
  const c1 = load<f32>(e, E_ONE_MINUS_BETA1);
  const b2 = load<f32>(e, E_BETA2);
  const c2 = load<f32>(e, E_ONE_MINUS_BETA2);
  const eps = load<f32>(e, E_EPS);
  const st = load<f32>(e, E_STEP_SIZE);
  const ed = load<f32>(e, E_EMA_DECAY);
  const ec = load<f32>(e, E_ONE_MINUS_EMA_DECAY);
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vgs = f32x4.splat(gs), vcv = f32x4.splat(cv), vncv = f32x4.splat(-cv);
    const vwd = f32x4.splat(wd), vpd = f32x4.splat(pd);
    const vb1 = f32x4.splat(b1), vc1 = f32x4.splat(c1), vb2 = f32x4.splat(b2), vc2 = f32x4.splat(c2);
    const veps = f32x4.splat(eps), vst = f32x4.splat(st), ved = f32x4.splat(ed), vom = f32x4.splat(ec);
    // Only the rectified mode is unrolled (code size): the others run for the first few steps only
    // (unless beta2 <= 2/3 or the threshold is high, where the 1-vector loop still serves). Its
    // flushing variant is unrolled too: not unrolled, the 1-in-8 flush steps cost 6-10%, not 2.5%.
    if (sizeof<MODE>() == sizeof<Adaptive>()) {
      for (; i + 16 <= n; i += 16) {
        vec<AMS, COUPLED, MODE, FLUSH, EMA>(p, g, m, v, vm, a, 0, vgs, vcv, vncv, vwd, vpd, vb1, vc1, vb2, vc2, veps, vst, ved, vom);
        vec<AMS, COUPLED, MODE, FLUSH, EMA>(p, g, m, v, vm, a, 16, vgs, vcv, vncv, vwd, vpd, vb1, vc1, vb2, vc2, veps, vst, ved, vom);
        vec<AMS, COUPLED, MODE, FLUSH, EMA>(p, g, m, v, vm, a, 32, vgs, vcv, vncv, vwd, vpd, vb1, vc1, vb2, vc2, veps, vst, ved, vom);
        vec<AMS, COUPLED, MODE, FLUSH, EMA>(p, g, m, v, vm, a, 48, vgs, vcv, vncv, vwd, vpd, vb1, vc1, vb2, vc2, veps, vst, ved, vom);
        p += 64; g += 64; m += 64; v += 64; vm += 64; a += 64;
      }
    }
    for (; i + 4 <= n; i += 4) {
      vec<AMS, COUPLED, MODE, FLUSH, EMA>(p, g, m, v, vm, a, 0, vgs, vcv, vncv, vwd, vpd, vb1, vc1, vb2, vc2, veps, vst, ved, vom);
      p += 16; g += 16; m += 16; v += 16; vm += 16; a += 16;
    }
  }
  for (; i < n; i++) {
    elem<AMS, COUPLED, MODE, FLUSH, EMA>(p, g, m, v, vm, a, gs, cv, wd, pd, b1, c1, b2, c2, eps, st, ed, ec);
    p += 4; g += 4; m += 4; v += 4; vm += 4; a += 4;
  }
}

// The element update. src/backends/js.ts mirrors this sequence with Math.fround at each operation.
// The clamp is written as the selects f32x4.pmin/pmax compute, so that a NaN passes through it
// (the non-finite guard and torch both see it) and both builds agree on every input.
// @ts-ignore: decorator
@inline export function elem<AMS, COUPLED, MODE, FLUSH, EMA>(
  p: usize, g: usize, m: usize, v: usize, vm: usize, a: usize,
  gs: f32, cv: f32, wd: f32, pd: f32, b1: f32, c1: f32, b2: f32, c2: f32, eps: f32, st: f32, ed: f32, ec: f32,
): void {
  let gi = load<f32>(g) * gs;
  gi = select<f32>(cv, gi, cv < gi);
  gi = select<f32>(-cv, gi, gi < -cv);
  const pi = load<f32>(p) * pd;
  if (on<COUPLED>()) gi = gi + wd * pi;
  let mi = load<f32>(m) * b1 + gi * c1;
  // torch's addcmul_(g, g, value=1-b2) computes ((1-b2)*g)*g: (g*g) first would overflow float32
  // for |g| > 1.8e19 where torch keeps v finite.
  let vi = load<f32>(v) * b2 + (c2 * gi) * gi;
  if (on<FLUSH>()) {
    // Zero exponent bits: zero or subnormal, stored as +0 (NaN and Inf have all exponent bits set).
    if ((reinterpret<u32>(mi) & EXPONENT) == 0) mi = 0;
    if ((reinterpret<u32>(vi) & EXPONENT) == 0) vi = 0;
  }
  if (sizeof<MODE>() != sizeof<SecondMoment>()) store<f32>(m, mi);
  store<f32>(v, vi);
  if (on<AMS>()) { vi = max<f32>(load<f32>(vm), vi); store<f32>(vm, vi); }
  let pn: f32;
  if (sizeof<MODE>() == sizeof<Adaptive>()) { pn = pi - (mi * st) / (sqrt<f32>(vi) + eps); store<f32>(p, pn); }
  else if (sizeof<MODE>() == sizeof<Momentum>()) { pn = pi - mi * st; store<f32>(p, pn); }
  else pn = load<f32>(p); // no step: the param is untouched
  if (on<EMA>()) store<f32>(a, load<f32>(a) * ed + pn * ec);
}

// The same update on four lanes, at byte offset `o` from each pointer.
// @ts-ignore: decorator
@inline export function vec<AMS, COUPLED, MODE, FLUSH, EMA>(
  p: usize, g: usize, m: usize, v: usize, vm: usize, a: usize, o: usize,
  gs: v128, cv: v128, ncv: v128, wd: v128, pd: v128, b1: v128, c1: v128, b2: v128, c2: v128, eps: v128, st: v128,
  ed: v128, ec: v128,
): void {
  let gi = f32x4.mul(v128.load(g + o), gs);
  gi = f32x4.pmax(f32x4.pmin(gi, cv), ncv);
  const pi = f32x4.mul(v128.load(p + o), pd);
  if (on<COUPLED>()) gi = f32x4.add(gi, f32x4.mul(wd, pi));
  let mi = f32x4.add(f32x4.mul(v128.load(m + o), b1), f32x4.mul(gi, c1));
  let vi = f32x4.add(f32x4.mul(v128.load(v + o), b2), f32x4.mul(f32x4.mul(c2, gi), gi));
  if (on<FLUSH>()) {
    // An integer test of the exponent bits: measured cheaper than abs + f32x4.lt.
    const exponent = i32x4.splat(EXPONENT), zero = i32x4.splat(0);
    mi = v128.andnot(mi, i32x4.eq(v128.and(mi, exponent), zero));
    vi = v128.andnot(vi, i32x4.eq(v128.and(vi, exponent), zero));
  }
  if (sizeof<MODE>() != sizeof<SecondMoment>()) v128.store(m + o, mi);
  v128.store(v + o, vi);
  if (on<AMS>()) { vi = f32x4.max(v128.load(vm + o), vi); v128.store(vm + o, vi); }
  let pn: v128;
  if (sizeof<MODE>() == sizeof<Adaptive>()) {
    pn = f32x4.sub(pi, f32x4.div(f32x4.mul(mi, st), f32x4.add(f32x4.sqrt(vi), eps)));
    v128.store(p + o, pn);
  } else if (sizeof<MODE>() == sizeof<Momentum>()) {
    pn = f32x4.sub(pi, f32x4.mul(mi, st));
    v128.store(p + o, pn);
  } else pn = v128.load(p + o);
  if (on<EMA>()) v128.store(a + o, f32x4.add(f32x4.mul(v128.load(a + o), ed), f32x4.mul(pn, ec)));
}
