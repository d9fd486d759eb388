// The step table shared by the kernels (assembly/, src/backends/js.ts) and the optimizer: the one
// place where the entry layout is named. This file is compiled by both asc and tsc, so it holds
// only untyped integer constants.
//
// One entry per tensor, ENTRY_BYTES long. Pointers are u32 byte addresses (memory may exceed 2 GiB),
// the count and flags i32; scalars are f32, computed in float64 once per step by
// src/math/entry-scalars.ts and rounded to float32 when src/pipeline/table.ts writes them.

export const ENTRY_BYTES = 112;
// i32 fields (byte offsets)
export const E_PARAM = 0; // p
export const E_GRAD = 4; // g
export const E_EXP_AVG = 8; // m
export const E_EXP_AVG_SQ = 12; // v
export const E_MAX_EXP_AVG_SQ = 16; // vmax (amsgrad only)
export const E_SIZE = 20; // element count
export const E_FLAGS = 24; // MODE_* | FLAG_*
// f32 fields (byte offsets)
export const E_GRAD_SCALE = 28; // the gradient's factor: -1 with maximize, times the clipping coefficient
export const E_L2_WEIGHT_DECAY = 32; // coupled (L2) weight decay, used with FLAG_COUPLED_DECAY
export const E_DECOUPLED_DECAY_FACTOR = 36; // 1 - lr*wd for decoupled weight decay, else exactly 1
export const E_BETA1 = 40;
export const E_ONE_MINUS_BETA1 = 44;
export const E_BETA2 = 48;
export const E_ONE_MINUS_BETA2 = 52;
export const E_EPS = 56;
export const E_STEP_SIZE = 60; // MODE_ADAPTIVE: lr*r_t*sqrt(1-b2^t)/(1-b1^t); MODE_MOMENTUM: lr/(1-b1^t)
export const E_SLOW = 64; // u32: Lookahead's slow weights, or 0
export const E_ACCUM = 68; // u32: the gradient accumulator (accumulate: k), or 0
export const E_SUMSQ = 72; // f64, written by grad_sumsq: the sum of the squared gradient
export const E_EMA = 80; // u32: the weights' exponential moving average, or 0
export const E_EMA_DECAY = 84; // f32: this step's EMA decay d (FLAG_EMA)
export const E_ONE_MINUS_EMA_DECAY = 88; // f32: 1 - d
export const E_CLIP_VALUE = 92; // f32: the scaled gradient is clamped to [-c, c]; +Infinity: no clamp
// With FLAG_BF16: this step's stochastic-rounding key (u32, src/math/bf16.ts srKey(seed, t)) and
// the global index of the entry's first element (u32): element i's random bits are
// hash(key, index + i), the same whatever range of the tensor a thread steps.
export const E_SR_KEY = 96;
export const E_INDEX = 100;
// 104..111: unused (entries stay 16-byte multiples)

// flags
export const MODE_MASK = 3;
export const MODE_SKIP = 0; // below threshold, degenerateToSgd=false: moments update, param untouched
export const MODE_MOMENTUM = 1; // below threshold: p -= lr * m / (1-b1^t)
export const MODE_ADAPTIVE = 2; // RAdam rectified, or Adam (every step): p -= step * m / (sqrt(v) + eps)
export const MODE_SECOND_MOMENT = 3; // secondMomentOnly (the paper's Adam-2k): only v updates; m and p untouched
export const FLAG_AMSGRAD = 4;
export const FLAG_COUPLED_DECAY = 8;
export const FLAG_FLUSH_SUBNORMALS = 16; // store new m, v that are subnormal (exponent bits 0) as +0
export const FLAG_EMA = 32; // after the update: ema = d*ema + (1-d)*p
// The accumulator holds this window's earlier gradients: the guards read acc + g and accumulate
// adds g (without it, accumulate copies g).
export const FLAG_PENDING = 64;
// m, v and vmax are bfloat16 words (2 bytes per element): widened to float32 for the update, then
// stored with round-to-nearest-even (m) and stochastic rounding (v, vmax).
export const FLAG_BF16 = 128;

// A tensor's arrays, by index (src/pipeline/table.ts's Slot.ptrs; 0: the array is absent). Each has its
// pointer field in the entry: ENTRY_POINTERS in src/pipeline/table.ts.
export const P_PARAM = 0;
export const P_GRAD = 1;
export const P_EXP_AVG = 2;
export const P_EXP_AVG_SQ = 3;
export const P_MAX_EXP_AVG_SQ = 4; // amsgrad only
export const P_SLOW = 5; // Lookahead only
export const P_ACCUM = 6; // accumulate only
export const P_EMA = 7; // ema only
export const P_COUNT = 8;
