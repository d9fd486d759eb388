import type { LinearMemory } from '../arena.js';
import type { Backend } from '../options.js';

/** What the optimizer drives: a memory and a step over a table of tensors (src/layout.ts). */
export interface Kernel {
  readonly backend: Backend;
  readonly memory: LinearMemory;
  /** First free byte of the memory. */
  readonly heapBase: number;
  /** Steps `count` tensors described by the table entries at byte address `table`. */
  step(table: number, count: number): void;
}
