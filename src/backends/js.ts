// The update in plain JavaScript, for runtimes without WebAssembly. It mirrors the element update
// of assembly/radam.ts operation by operation: each float32 operation is done in float64 and
// rounded with Math.fround (exact for +, -, *, / and sqrt of float32 inputs: float64 has more
// than twice the bits), so its results are bit-identical to the wasm kernels.
import { ArrayBufferMemory } from '../pipeline/arena.js';
import {
  ENTRY_BYTES,
  E_PARAM,
  E_GRAD,
  E_EXP_AVG,
  E_EXP_AVG_SQ,
  E_MAX_EXP_AVG_SQ,
  E_SIZE,
  E_FLAGS,
  E_GRAD_SCALE,
  E_L2_WEIGHT_DECAY,
  E_DECOUPLED_DECAY_FACTOR,
  E_BETA1,
  E_ONE_MINUS_BETA1,
  E_BETA2,
  E_ONE_MINUS_BETA2,
  E_EPS,
  E_STEP_SIZE,
  E_SLOW,
  E_SUMSQ,
  E_ACCUM,
  E_EMA,
  E_EMA_DECAY,
  E_ONE_MINUS_EMA_DECAY,
  E_CLIP_VALUE,
  MODE_MASK,
  MODE_MOMENTUM,
  MODE_ADAPTIVE,
  MODE_SECOND_MOMENT,
  FLAG_AMSGRAD,
  FLAG_COUPLED_DECAY,
  FLAG_FLUSH_SUBNORMALS,
  FLAG_EMA,
  FLAG_PENDING,
  FLAG_BF16,
  E_SR_KEY,
  E_INDEX,
} from '../pipeline/layout.js';
import { roundNearest, roundStochastic, srBits, widen } from '../math/bf16.js';
import type { Kernel } from './kernel.js';

const fr = Math.fround;
const FLT_MIN = 2 ** -126;

function jsStep(buffer: ArrayBuffer, table: number, count: number): void {
  const i32 = new Int32Array(buffer);
  const f32 = new Float32Array(buffer);
  const u16 = new Uint16Array(buffer);
  for (let k = 0; k < count; k++) {
    const e = (table + k * ENTRY_BYTES) >>> 2;
    const n = i32[e + E_SIZE / 4];
    if (n <= 0) continue;
    const flags = i32[e + E_FLAGS / 4];
    const mode = flags & MODE_MASK;
    const ams = (flags & FLAG_AMSGRAD) !== 0;
    const coupled = (flags & FLAG_COUPLED_DECAY) !== 0;
    const flush = (flags & FLAG_FLUSH_SUBNORMALS) !== 0;
    const ema = (flags & FLAG_EMA) !== 0;
    const a = i32[e + E_EMA / 4] >>> 2;
    const ed = f32[e + E_EMA_DECAY / 4],
      ec = f32[e + E_ONE_MINUS_EMA_DECAY / 4];
    const cv = f32[e + E_CLIP_VALUE / 4],
      ncv = -cv;
    const p = i32[e + E_PARAM / 4] >>> 2,
      g = i32[e + E_GRAD / 4] >>> 2;
    // With bfloat16 state (assembly/bf16.ts) m, v and vm index 16-bit words.
    const half = (flags & FLAG_BF16) !== 0;
    const shift = half ? 1 : 2;
    const m = i32[e + E_EXP_AVG / 4] >>> shift,
      v = i32[e + E_EXP_AVG_SQ / 4] >>> shift;
    const vm = i32[e + E_MAX_EXP_AVG_SQ / 4] >>> shift;
    const key = i32[e + E_SR_KEY / 4] >>> 0,
      first = i32[e + E_INDEX / 4] >>> 0;
    const gs = f32[e + E_GRAD_SCALE / 4],
      wd = f32[e + E_L2_WEIGHT_DECAY / 4],
      pd = f32[e + E_DECOUPLED_DECAY_FACTOR / 4];
    const b1 = f32[e + E_BETA1 / 4],
      c1 = f32[e + E_ONE_MINUS_BETA1 / 4];
    const b2 = f32[e + E_BETA2 / 4],
      c2 = f32[e + E_ONE_MINUS_BETA2 / 4];
    const eps = f32[e + E_EPS / 4],
      st = f32[e + E_STEP_SIZE / 4];
    for (let i = 0; i < n; i++) {
      let gi = fr(f32[g + i] * gs);
      // As f32x4.pmin/pmax select (cv is positive, never NaN): a NaN passes through.
      gi = Math.max(Math.min(gi, cv), ncv);
      const pi = fr(f32[p + i] * pd);
      if (coupled) gi = fr(gi + fr(wd * pi));
      let mi = fr(fr((half ? widen(u16[m + i]) : f32[m + i]) * b1) + fr(gi * c1));
      let vi = fr(fr((half ? widen(u16[v + i]) : f32[v + i]) * b2) + fr(fr(c2 * gi) * gi)); // torch's addcmul_ order
      // For a float32, zero exponent bits (zero or subnormal) <=> |x| < 2^-126.
      if (flush && Math.abs(mi) < FLT_MIN) mi = 0;
      if (flush && Math.abs(vi) < FLT_MIN) vi = 0;
      if (half) {
        // m to nearest even; v and vmax stochastically, with the same bits (assembly/bf16.ts).
        const r = srBits(key, first + i);
        if (mode !== MODE_SECOND_MOMENT) u16[m + i] = roundNearest(mi);
        u16[v + i] = roundStochastic(vi, r);
        if (ams) {
          vi = Math.max(widen(u16[vm + i]), vi);
          u16[vm + i] = roundStochastic(vi, r);
        }
      } else {
        if (mode !== MODE_SECOND_MOMENT) f32[m + i] = mi;
        f32[v + i] = vi;
        if (ams) {
          vi = Math.max(f32[vm + i], vi);
          f32[vm + i] = vi;
        }
      }
      let pn: number;
      if (mode === MODE_ADAPTIVE) f32[p + i] = pn = fr(pi - fr(fr(mi * st) / fr(fr(Math.sqrt(vi)) + eps)));
      else if (mode === MODE_MOMENTUM) f32[p + i] = pn = fr(pi - fr(mi * st));
      else pn = f32[p + i];
      // A Float32Array store rounds: the last operation needs no fround of its own.
      if (ema) f32[a + i] = fr(f32[a + i] * ed) + fr(pn * ec);
    }
  }
}

/** The gradient of entry word `e` as the guards see it: g, or with FLAG_PENDING acc + g (float32). */
function gradientOf(i32: Int32Array, f32: Float32Array, e: number): (i: number) => number {
  const g = i32[e + E_GRAD / 4] >>> 2;
  if ((i32[e + E_FLAGS / 4] & FLAG_PENDING) === 0) return (i) => f32[g + i];
  const acc = i32[e + E_ACCUM / 4] >>> 2;
  return (i) => fr(f32[acc + i] + f32[g + i]);
}

/** assembly/guards.ts firstNonFinite. */
function jsFirstNonFinite(buffer: ArrayBuffer, table: number, count: number): number {
  const i32 = new Int32Array(buffer),
    f32 = new Float32Array(buffer);
  for (let k = 0; k < count; k++) {
    const e = (table + k * ENTRY_BYTES) >>> 2;
    const grad = gradientOf(i32, f32, e),
      n = i32[e + E_SIZE / 4];
    for (let i = 0; i < n; i++) if (!Number.isFinite(grad(i))) return k;
  }
  return -1;
}

/** assembly/guards.ts gradSumSq: partial sums by i % 8, combined in the same order. */
function jsGradSumSq(buffer: ArrayBuffer, table: number, count: number): void {
  const i32 = new Int32Array(buffer),
    f32 = new Float32Array(buffer),
    f64 = new Float64Array(buffer);
  const p = new Float64Array(8);
  for (let k = 0; k < count; k++) {
    const base = table + k * ENTRY_BYTES;
    const e = base >>> 2;
    const grad = gradientOf(i32, f32, e),
      n = i32[e + E_SIZE / 4];
    p.fill(0);
    for (let i = 0; i < n; i++) {
      const x = grad(i);
      p[i & 7] += x * x;
    }
    f64[(base + E_SUMSQ) >>> 3] = p[0] + p[1] + (p[2] + p[3]) + (p[4] + p[5] + (p[6] + p[7]));
  }
}

/** assembly/accumulate.ts. */
function jsAccumulate(buffer: ArrayBuffer, table: number, count: number): void {
  const i32 = new Int32Array(buffer),
    f32 = new Float32Array(buffer);
  for (let k = 0; k < count; k++) {
    const e = (table + k * ENTRY_BYTES) >>> 2;
    const acc = i32[e + E_ACCUM / 4] >>> 2,
      g = i32[e + E_GRAD / 4] >>> 2,
      n = i32[e + E_SIZE / 4];
    if (acc === 0 || acc === g || n <= 0) continue;
    if ((i32[e + E_FLAGS / 4] & FLAG_PENDING) === 0) f32.copyWithin(acc, g, g + n);
    else for (let i = 0; i < n; i++) f32[acc + i] += f32[g + i];
  }
}

/** assembly/lookahead.ts. */
function jsLookaheadSync(buffer: ArrayBuffer, table: number, count: number, alpha: number): void {
  const i32 = new Int32Array(buffer),
    f32 = new Float32Array(buffer);
  const a = fr(alpha);
  for (let k = 0; k < count; k++) {
    const e = (table + k * ENTRY_BYTES) >>> 2;
    const s = i32[e + E_SLOW / 4] >>> 2,
      n = i32[e + E_SIZE / 4];
    if (s === 0) continue;
    const p = i32[e + E_PARAM / 4] >>> 2;
    for (let i = 0; i < n; i++) {
      const next = fr(f32[s + i] + fr(a * fr(f32[p + i] - f32[s + i])));
      f32[s + i] = next;
      f32[p + i] = next;
    }
  }
}

export function createJsKernel(): Kernel {
  const memory = new ArrayBufferMemory(1);
  return {
    backend: 'js',
    memory,
    heapBase: 0,
    step: (table, count) => jsStep(memory.buffer, table, count),
    firstNonFinite: (table, count) => jsFirstNonFinite(memory.buffer, table, count),
    gradSumSq: (table, count) => jsGradSumSq(memory.buffer, table, count),
    lookaheadSync: (table, count, alpha) => jsLookaheadSync(memory.buffer, table, count, alpha),
    accumulate: (table, count) => jsAccumulate(memory.buffer, table, count),
  };
}
