// Bench-only variants of the kernel's default path (adaptive/rectified mode, no amsgrad, no coupled
// weight decay, no flush), unrolled 1, 2, 4 and 8 f32x4 vectors per iteration, so that
// bench/kernel.mjs can choose the unroll factor of assembly/radam.ts by measurement. Not part of
// the package.
//
// The element and vector updates are the kernel's own `elem`/`vec` (imported, not copied), so the
// float operations and their order are the shipped ones by construction; bench/kernel.mjs still
// checks bit for bit that every variant matches the shipped simd kernel before it times anything.
// The loop shape mirrors the shipped one: the unrolled loop, then a one-vector loop, then a scalar
// tail; a constant offset `o` from pointers bumped once per iteration, which Binaryen folds into the
// load/store immediates (v128.load offset=16, ...).
//
// Compile (bench/kernel.mjs does this itself when the .wasm is missing or older than this file or
// assembly/radam.ts):
//   npx asc bench/unroll/variants.ts --enable simd --runtime stub --noAssert --use abort= -O3 --outFile bench/unroll/variants.wasm
import { elem as kernelElem, vec as kernelVec } from '../../assembly/radam';
import { Adaptive, Off } from '../../assembly/update';

/** First byte past static data: the bench allocates its arrays from here. */
export function heapBase(): usize {
  return __heap_base;
}

// The kernel's updates with amsgrad, coupled decay, flush and the EMA off (their pointers and
// scalars unused), and no clamp (+Infinity, as the shipped loop runs it without clipValue).
// @ts-ignore: decorator
@inline function elem(
  p: usize, g: usize, m: usize, v: usize,
  gs: f32, pd: f32, b1: f32, c1: f32, b2: f32, c2: f32, eps: f32, st: f32,
): void {
  kernelElem<Off, Off, Adaptive, Off, Off>(p, g, m, v, 0, 0, gs, Infinity, 0, pd, b1, c1, b2, c2, eps, st, 0, 0);
}

// @ts-ignore: decorator
@inline function vec(
  p: usize, g: usize, m: usize, v: usize, o: usize,
  gs: v128, pd: v128, b1: v128, c1: v128, b2: v128, c2: v128, eps: v128, st: v128,
): void {
  kernelVec<Off, Off, Adaptive, Off, Off>(p, g, m, v, 0, 0, o, gs, f32x4.splat(Infinity), f32x4.splat(-Infinity), f32x4.splat(0), pd, b1, c1, b2, c2, eps, st, f32x4.splat(0), f32x4.splat(0));
}

// Each export takes the same arguments: the four arrays, the element count, then the f32 scalars of
// a table entry (gradient scale, param decay, beta1, 1-beta1, beta2, 1-beta2, eps, step size).

export function unroll1(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  gs: f32, pd: f32, b1: f32, c1: f32, b2: f32, c2: f32, eps: f32, st: f32,
): void {
  const vgs = f32x4.splat(gs), vpd = f32x4.splat(pd), vb1 = f32x4.splat(b1), vc1 = f32x4.splat(c1);
  const vb2 = f32x4.splat(b2), vc2 = f32x4.splat(c2), veps = f32x4.splat(eps), vst = f32x4.splat(st);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    vec(p, g, m, v, 0, vgs, vpd, vb1, vc1, vb2, vc2, veps, vst);
    p += 16; g += 16; m += 16; v += 16;
  }
  for (; i < n; i++) {
    elem(p, g, m, v, gs, pd, b1, c1, b2, c2, eps, st);
    p += 4; g += 4; m += 4; v += 4;
  }
}

export function unroll2(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  gs: f32, pd: f32, b1: f32, c1: f32, b2: f32, c2: f32, eps: f32, st: f32,
): void {
  const vgs = f32x4.splat(gs), vpd = f32x4.splat(pd), vb1 = f32x4.splat(b1), vc1 = f32x4.splat(c1);
  const vb2 = f32x4.splat(b2), vc2 = f32x4.splat(c2), veps = f32x4.splat(eps), vst = f32x4.splat(st);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    vec(p, g, m, v, 0, vgs, vpd, vb1, vc1, vb2, vc2, veps, vst);
    vec(p, g, m, v, 16, vgs, vpd, vb1, vc1, vb2, vc2, veps, vst);
    p += 32; g += 32; m += 32; v += 32;
  }
  for (; i + 4 <= n; i += 4) {
    vec(p, g, m, v, 0, vgs, vpd, vb1, vc1, vb2, vc2, veps, vst);
    p += 16; g += 16; m += 16; v += 16;
  }
  for (; i < n; i++) {
    elem(p, g, m, v, gs, pd, b1, c1, b2, c2, eps, st);
    p += 4; g += 4; m += 4; v += 4;
  }
}

export function unroll4(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  gs: f32, pd: f32, b1: f32, c1: f32, b2: f32, c2: f32, eps: f32, st: f32,
): void {
  const vgs = f32x4.splat(gs), vpd = f32x4.splat(pd), vb1 = f32x4.splat(b1), vc1 = f32x4.splat(c1);
  const vb2 = f32x4.splat(b2), vc2 = f32x4.splat(c2), veps = f32x4.splat(eps), vst = f32x4.splat(st);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    vec(p, g, m, v, 0, vgs, vpd, vb1, vc1, vb2, vc2, veps, vst);
    vec(p, g, m, v, 16, vgs, vpd, vb1, vc1, vb2, vc2, veps, vst);
    vec(p, g, m, v, 32, vgs, vpd, vb1, vc1, vb2, vc2, veps, vst);
    vec(p, g, m, v, 48, vgs, vpd, vb1, vc1, vb2, vc2, veps, vst);
    p += 64; g += 64; m += 64; v += 64;
  }
  for (; i + 4 <= n; i += 4) {
    vec(p, g, m, v, 0, vgs, vpd, vb1, vc1, vb2, vc2, veps, vst);
    p += 16; g += 16; m += 16; v += 16;
  }
  for (; i < n; i++) {
    elem(p, g, m, v, gs, pd, b1, c1, b2, c2, eps, st);
    p += 4; g += 4; m += 4; v += 4;
  }
}

export function unroll8(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  gs: f32, pd: f32, b1: f32, c1: f32, b2: f32, c2: f32, eps: f32, st: f32,
): void {
  const vgs = f32x4.splat(gs), vpd = f32x4.splat(pd), vb1 = f32x4.splat(b1), vc1 = f32x4.splat(c1);
  const vb2 = f32x4.splat(b2), vc2 = f32x4.splat(c2), veps = f32x4.splat(eps), vst = f32x4.splat(st);
  let i = 0;
  for (; i + 32 <= n; i += 32) {
    vec(p, g, m, v, 0, vgs, vpd, vb1, vc1, vb2, vc2, veps, vst);
    vec(p, g, m, v, 16, vgs, vpd, vb1, vc1, vb2, vc2, veps, vst);
    vec(p, g, m, v, 32, vgs, vpd, vb1, vc1, vb2, vc2, veps, vst);
    vec(p, g, m, v, 48, vgs, vpd, vb1, vc1, vb2, vc2, veps, vst);
    vec(p, g, m, v, 64, vgs, vpd, vb1, vc1, vb2, vc2, veps, vst);
    vec(p, g, m, v, 80, vgs, vpd, vb1, vc1, vb2, vc2, veps, vst);
    vec(p, g, m, v, 96, vgs, vpd, vb1, vc1, vb2, vc2, veps, vst);
    vec(p, g, m, v, 112, vgs, vpd, vb1, vc1, vb2, vc2, veps, vst);
    p += 128; g += 128; m += 128; v += 128;
  }
  for (; i + 4 <= n; i += 4) {
    vec(p, g, m, v, 0, vgs, vpd, vb1, vc1, vb2, vc2, veps, vst);
    p += 16; g += 16; m += 16; v += 16;
  }
  for (; i < n; i++) {
    elem(p, g, m, v, gs, pd, b1, c1, b2, c2, eps, st);
    p += 4; g += 4; m += 4; v += 4;
  }
}
