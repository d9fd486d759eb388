// SIMD build entry (compiled with --enable simd). Both builds export the same names
// (src/backends/kernel.ts EXPORTS), so the loader and the worker threads need no per-build map.
export { step as radam_step } from './radam';
export { heapBase } from './memory';
export { firstNonFinite as first_nonfinite, gradSumSq as grad_sumsq } from './guards';
export { accumulate } from './accumulate';
export { lookaheadSync as lookahead_sync } from './lookahead';
