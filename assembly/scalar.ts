// Scalar build entry (compiled without SIMD).
import { step } from './radam';
export { step as radam_f32_scalar };
export { heapBase } from './memory';
export { firstNonFinite as first_nonfinite, gradSumSq as grad_sumsq, lookaheadSync as lookahead_sync } from './guards';
