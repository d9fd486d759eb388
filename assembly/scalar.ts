// Scalar build entry (compiled without SIMD): the same exports as assembly/simd.ts.
export { step as radam_step } from './radam';
export { heapBase } from './memory';
export { firstNonFinite as first_nonfinite, gradSumSq as grad_sumsq } from './guards';
export { accumulate } from './accumulate';
export { lookaheadSync as lookahead_sync } from './lookahead';
