// The fused RAdam update: one pass per element over p, g, m, v (and vmax), float32 only.
// One source for both builds: with `--enable simd`, ASC_FEATURE_SIMD is true and the loops run on
// f32x4 (unrolled 4x: 16 elements per iteration) with a scalar tail; without it only the scalar
// loop is compiled. Every lane does the same float32 operations in the same order as the scalar
// element update, so both builds (and src/backends/js.ts) produce identical bits.
import {
  ENTRY_BYTES, E_PARAM, E_GRAD, E_EXP_AVG, E_EXP_AVG_SQ, E_MAX_EXP_AVG_SQ, E_SIZE, E_FLAGS,
  E_GRAD_SCALE, E_WEIGHT_DECAY, E_PARAM_DECAY, E_BETA1, E_ONE_MINUS_BETA1, E_BETA2, E_ONE_MINUS_BETA2,
  E_EPS, E_STEP_SIZE, MODE_MASK, MODE_MOMENTUM, MODE_ADAPTIVE, FLAG_AMSGRAD, FLAG_COUPLED_DECAY,
  FLAG_FLUSH_SUBNORMALS,
} from '../src/layout';

/** Steps `count` tensors described by the table at `table` (see src/layout.ts). */
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
  // Instantiate the loop per combination of the options that change the memory traffic or the
  // operation sequence, so the loops carry no per-element branches. (Constant bool arguments to an
  // @inline function are not enough: Binaryen folds such near-identical copies back into one loop
  // with the branches inside.)
  if (mode == MODE_ADAPTIVE) {
    if (flush) byOptions<Adaptive, On>(e, n, ams, coupled); else byOptions<Adaptive, Off>(e, n, ams, coupled);
  } else if (mode == MODE_MOMENTUM) {
    if (flush) byOptions<Momentum, On>(e, n, ams, coupled); else byOptions<Momentum, Off>(e, n, ams, coupled);
  } else {
    if (flush) byOptions<Skip, On>(e, n, ams, coupled); else byOptions<Skip, Off>(e, n, ams, coupled);
  }
}

// @ts-ignore: decorator
@inline function byOptions<MODE, FLUSH>(e: usize, n: i32, ams: bool, coupled: bool): void {
  if (ams) { if (coupled) run<On, On, MODE, FLUSH>(e, n); else run<On, Off, MODE, FLUSH>(e, n); }
  else { if (coupled) run<Off, On, MODE, FLUSH>(e, n); else run<Off, Off, MODE, FLUSH>(e, n); }
}

const EXPONENT: u32 = 0x7f800000;

// Compile-time switches, told apart by size: `if (sizeof<T>() == ...)` is resolved by asc, which
// then compiles only the branch taken.
// Exported (with elem and vec) for bench/unroll/variants.ts, which times unrolled copies of the loop.
export type Off = u8;
export type On = u16;
type Skip = u8;
type Momentum = u16;
export type Adaptive = u32;
// @ts-ignore: decorator
@inline function on<T>(): bool { return sizeof<T>() == sizeof<On>(); }

// @ts-ignore: decorator
@inline function run<AMS, COUPLED, MODE, FLUSH>(e: usize, n: i32): void {
  let p = <usize>load<u32>(e, E_PARAM);
  let g = <usize>load<u32>(e, E_GRAD);
  let m = <usize>load<u32>(e, E_EXP_AVG);
  let v = <usize>load<u32>(e, E_EXP_AVG_SQ);
  let vm = <usize>load<u32>(e, E_MAX_EXP_AVG_SQ);
  const gs = load<f32>(e, E_GRAD_SCALE);
  const wd = load<f32>(e, E_WEIGHT_DECAY);
  const pd = load<f32>(e, E_PARAM_DECAY);
  const b1 = load<f32>(e, E_BETA1);
  const c1 = load<f32>(e, E_ONE_MINUS_BETA1);
  const b2 = load<f32>(e, E_BETA2);
  const c2 = load<f32>(e, E_ONE_MINUS_BETA2);
  const eps = load<f32>(e, E_EPS);
  const st = load<f32>(e, E_STEP_SIZE);
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vgs = f32x4.splat(gs), vwd = f32x4.splat(wd), vpd = f32x4.splat(pd);
    const vb1 = f32x4.splat(b1), vc1 = f32x4.splat(c1), vb2 = f32x4.splat(b2), vc2 = f32x4.splat(c2);
    const veps = f32x4.splat(eps), vst = f32x4.splat(st);
    // Only the rectified mode is unrolled (code size): the others run for the first few steps only
    // (unless beta2 <= 2/3 or the threshold is high, where the 1-vector loop still serves). Its
    // flushing variant is unrolled too: not unrolled, the 1-in-8 flush steps cost 6-10%, not 2.5%.
    if (sizeof<MODE>() == sizeof<Adaptive>()) {
      for (; i + 16 <= n; i += 16) {
        vec<AMS, COUPLED, MODE, FLUSH>(p, g, m, v, vm, 0, vgs, vwd, vpd, vb1, vc1, vb2, vc2, veps, vst);
        vec<AMS, COUPLED, MODE, FLUSH>(p, g, m, v, vm, 16, vgs, vwd, vpd, vb1, vc1, vb2, vc2, veps, vst);
        vec<AMS, COUPLED, MODE, FLUSH>(p, g, m, v, vm, 32, vgs, vwd, vpd, vb1, vc1, vb2, vc2, veps, vst);
        vec<AMS, COUPLED, MODE, FLUSH>(p, g, m, v, vm, 48, vgs, vwd, vpd, vb1, vc1, vb2, vc2, veps, vst);
        p += 64; g += 64; m += 64; v += 64; vm += 64;
      }
    }
    for (; i + 4 <= n; i += 4) {
      vec<AMS, COUPLED, MODE, FLUSH>(p, g, m, v, vm, 0, vgs, vwd, vpd, vb1, vc1, vb2, vc2, veps, vst);
      p += 16; g += 16; m += 16; v += 16; vm += 16;
    }
  }
  for (; i < n; i++) {
    elem<AMS, COUPLED, MODE, FLUSH>(p, g, m, v, vm, gs, wd, pd, b1, c1, b2, c2, eps, st);
    p += 4; g += 4; m += 4; v += 4; vm += 4;
  }
}

// The element update. src/backends/js.ts mirrors this sequence with Math.fround at each operation.
// @ts-ignore: decorator
@inline export function elem<AMS, COUPLED, MODE, FLUSH>(
  p: usize, g: usize, m: usize, v: usize, vm: usize,
  gs: f32, wd: f32, pd: f32, b1: f32, c1: f32, b2: f32, c2: f32, eps: f32, st: f32,
): void {
  let gi = load<f32>(g) * gs;
  const pi = load<f32>(p) * pd;
  if (on<COUPLED>()) gi = gi + wd * pi;
  let mi = load<f32>(m) * b1 + gi * c1;
  let vi = load<f32>(v) * b2 + (gi * gi) * c2;
  if (on<FLUSH>()) {
    // Zero exponent bits: zero or subnormal, stored as +0 (NaN and Inf have all exponent bits set).
    if ((reinterpret<u32>(mi) & EXPONENT) == 0) mi = 0;
    if ((reinterpret<u32>(vi) & EXPONENT) == 0) vi = 0;
  }
  store<f32>(m, mi);
  store<f32>(v, vi);
  if (on<AMS>()) { vi = max<f32>(load<f32>(vm), vi); store<f32>(vm, vi); }
  if (sizeof<MODE>() == sizeof<Adaptive>()) store<f32>(p, pi - (mi * st) / (sqrt<f32>(vi) + eps));
  else if (sizeof<MODE>() == sizeof<Momentum>()) store<f32>(p, pi - mi * st);
}

// The same update on four lanes, at byte offset `o` from each pointer.
// @ts-ignore: decorator
@inline export function vec<AMS, COUPLED, MODE, FLUSH>(
  p: usize, g: usize, m: usize, v: usize, vm: usize, o: usize,
  gs: v128, wd: v128, pd: v128, b1: v128, c1: v128, b2: v128, c2: v128, eps: v128, st: v128,
): void {
  let gi = f32x4.mul(v128.load(g + o), gs);
  const pi = f32x4.mul(v128.load(p + o), pd);
  if (on<COUPLED>()) gi = f32x4.add(gi, f32x4.mul(wd, pi));
  let mi = f32x4.add(f32x4.mul(v128.load(m + o), b1), f32x4.mul(gi, c1));
  let vi = f32x4.add(f32x4.mul(v128.load(v + o), b2), f32x4.mul(f32x4.mul(gi, gi), c2));
  if (on<FLUSH>()) {
    // An integer test of the exponent bits: measured cheaper than abs + f32x4.lt.
    const exponent = i32x4.splat(EXPONENT), zero = i32x4.splat(0);
    mi = v128.andnot(mi, i32x4.eq(v128.and(mi, exponent), zero));
    vi = v128.andnot(vi, i32x4.eq(v128.and(vi, exponent), zero));
  }
  v128.store(m + o, mi);
  v128.store(v + o, vi);
  if (on<AMS>()) { vi = f32x4.max(v128.load(vm + o), vi); v128.store(vm + o, vi); }
  if (sizeof<MODE>() == sizeof<Adaptive>()) {
    v128.store(p + o, f32x4.sub(pi, f32x4.div(f32x4.mul(mi, st), f32x4.add(f32x4.sqrt(vi), eps))));
  } else if (sizeof<MODE>() == sizeof<Momentum>()) {
    v128.store(p + o, f32x4.sub(pi, f32x4.mul(mi, st)));
  }
}
