// Scalar build entry (compiled without SIMD): the same exports as assembly/simd.ts.
export { step as radam_step } from './radam';
export { heapBase } from './memory';
export { firstNonFinite as first_nonfinite, gradSumSq as grad_sumsq, lookaheadSync as lookahead_sync, accumulate } from './guards';
