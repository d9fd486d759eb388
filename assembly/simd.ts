// SIMD build entry (compiled with --enable simd).
import { step } from './radam';
export { step as radam_f32_simd_u4 };
export { heapBase } from './memory';
export { firstNonFinite as first_nonfinite, gradSumSq as grad_sumsq, lookaheadSync as lookahead_sync } from './guards';
