// The fused RAdam update: one pass per element over p, g, m, v (and vmax, and the EMA); the float32
// state's loops here, the bfloat16 state's in assembly/bf16.ts, both from assembly/update.ts.
// One source for both builds: with `--enable simd`, ASC_FEATURE_SIMD is true and the loops run on
// f32x4 (unrolled 4x: 16 elements per iteration) with a scalar tail; without it only the scalar
// loop is compiled. Every lane does the same float32 operations in the same order as the scalar
// element update, so both builds (and src/backends/js.ts) produce identical bits.
import {
  ENTRY_BYTES, E_PARAM, E_GRAD, E_EXP_AVG, E_EXP_AVG_SQ, E_MAX_EXP_AVG_SQ, E_SIZE, E_FLAGS,
  E_GRAD_SCALE, E_L2_WEIGHT_DECAY, E_DECOUPLED_DECAY_FACTOR, E_BETA1, E_ONE_MINUS_BETA1, E_BETA2, E_ONE_MINUS_BETA2,
  E_EPS, E_STEP_SIZE, E_EMA, E_EMA_DECAY, E_ONE_MINUS_EMA_DECAY, E_CLIP_VALUE, MODE_MASK, MODE_MOMENTUM,
  MODE_ADAPTIVE, MODE_SECOND_MOMENT, FLAG_AMSGRAD, FLAG_COUPLED_DECAY, FLAG_FLUSH_SUBNORMALS, FLAG_EMA, FLAG_BF16,
} from '../src/pipeline/layout';
import {
  Off, On, Skip, Momentum, SecondMoment, Adaptive, on, gradient1, gradient4, firstMoment1, firstMoment4,
  secondMoment1, secondMoment4, flush1, flush4, ema1, ema4, paramUpdate1, paramUpdate4,
} from './update';
import { step16 } from './bf16';

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
  // The bfloat16 state's loops (assembly/bf16.ts) are a family of their own: other loads and stores.
  if (flags & FLAG_BF16) {
    step16(e, n, flags);
    if (ema && mode != MODE_ADAPTIVE) emaPass(e, n);
    return;
  }
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
      v128.store(a, ema4(v128.load(a), v128.load(p), ved, vom));
      p += 16; a += 16;
    }
  }
  for (; i < n; i++) {
    store<f32>(a, ema1(load<f32>(a), load<f32>(p), ed, ec));
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

// The element update, composed from assembly/update.ts; src/backends/js.ts mirrors it.
// @ts-ignore: decorator
@inline export function elem<AMS, COUPLED, MODE, FLUSH, EMA>(
  p: usize, g: usize, m: usize, v: usize, vm: usize, a: usize,
  gs: f32, cv: f32, wd: f32, pd: f32, b1: f32, c1: f32, b2: f32, c2: f32, eps: f32, st: f32, ed: f32, ec: f32,
): void {
  const pi = load<f32>(p) * pd;
  const gi = gradient1<COUPLED>(load<f32>(g), pi, gs, cv, wd);
  let mi = firstMoment1(load<f32>(m), gi, b1, c1);
  let vi = secondMoment1(load<f32>(v), gi, b2, c2);
  if (on<FLUSH>()) { mi = flush1(mi); vi = flush1(vi); }
  if (sizeof<MODE>() != sizeof<SecondMoment>()) store<f32>(m, mi);
  store<f32>(v, vi);
  if (on<AMS>()) { vi = max<f32>(load<f32>(vm), vi); store<f32>(vm, vi); }
  paramUpdate1<MODE, EMA>(p, a, pi, mi, vi, st, eps, ed, ec);
}

// The same update on four lanes, at byte offset `o` from each pointer.
// @ts-ignore: decorator
@inline export function vec<AMS, COUPLED, MODE, FLUSH, EMA>(
  p: usize, g: usize, m: usize, v: usize, vm: usize, a: usize, o: usize,
  gs: v128, cv: v128, ncv: v128, wd: v128, pd: v128, b1: v128, c1: v128, b2: v128, c2: v128, eps: v128, st: v128,
  ed: v128, ec: v128,
): void {
  const pi = f32x4.mul(v128.load(p + o), pd);
  const gi = gradient4<COUPLED>(v128.load(g + o), pi, gs, cv, ncv, wd);
  let mi = firstMoment4(v128.load(m + o), gi, b1, c1);
  let vi = secondMoment4(v128.load(v + o), gi, b2, c2);
  if (on<FLUSH>()) { mi = flush4(mi); vi = flush4(vi); }
  if (sizeof<MODE>() != sizeof<SecondMoment>()) v128.store(m + o, mi);
  v128.store(v + o, vi);
  if (on<AMS>()) { vi = f32x4.max(v128.load(vm + o), vi); v128.store(vm + o, vi); }
  paramUpdate4<MODE, EMA>(p, a, o, pi, mi, vi, st, eps, ed, ec);
}
