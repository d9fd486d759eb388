import type { LinearMemory } from '../pipeline/arena.js';
import type { Backend } from '../optimizer/options.js';

/** The export names of the wasm builds (assembly/simd.ts and assembly/scalar.ts export the same). */
export const EXPORTS = {
  step: 'radam_step',
  firstNonFinite: 'first_nonfinite',
  gradSumSq: 'grad_sumsq',
  lookaheadSync: 'lookahead_sync',
  accumulate: 'accumulate',
  heapBase: 'heapBase',
} as const;

/** What the optimizer drives: a memory and a step over a table of tensors (src/pipeline/layout.ts). */
export interface Kernel {
  readonly backend: Backend;
  readonly memory: LinearMemory;
  /** First free byte of the memory. */
  readonly heapBase: number;
  /** Steps `count` tensors described by the table entries at byte address `table`. */
  step(table: number, count: number): void;
  /** Index of the first tensor whose gradient holds a NaN or an infinity, or -1. */
  firstNonFinite(table: number, count: number): number;
  /** Writes each tensor's float64 sum of squared gradient into its entry (E_SUMSQ), in one fixed order. */
  gradSumSq(table: number, count: number): void;
  /** Lookahead: for every tensor with slow weights, s += alpha * (p - s); p = s. */
  lookaheadSync(table: number, count: number, alpha: number): void;
  /** Gradient accumulation: acc += g (FLAG_PENDING) or acc = g, for entries with an accumulator that is not their gradient. */
  accumulate(table: number, count: number): void;
}
