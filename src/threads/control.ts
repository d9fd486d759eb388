// The shared control block between the calling thread and the workers (an Int32Array).
import { EXPORTS } from '../backends/kernel.js';

export const CTRL = {
  GENERATION: 0, // bumped by the calling thread to start a step
  DONE: 1, // workers that finished the current step
  STOP: 2, // 1: workers exit
  READY_COUNT: 3, // workers that instantiated their kernel
  ERROR: 4, // 1: a worker failed during a step
  // per worker, at slot(i):
  TABLE: 0, // byte address of its sub-table
  COUNT: 1, // entries in it
} as const;
export const SLOT_BASE = 8;
export const SLOT_WORDS = 4;
export const slot = (i: number): number => SLOT_BASE + i * SLOT_WORDS;
export const ctrlWords = (workers: number): number => SLOT_BASE + workers * SLOT_WORDS;
/** How long a worker spins for the next step before it sleeps (measured: bench/README.md). */
export const SPIN_MS = 0.5;

/**
 * Everything a worker needs to know: the layout and the kernel's step export, sent in its start
 * message, so that the worker script needs nothing from outside.
 */
export const LAYOUT = { ...CTRL, SLOT_BASE, SLOT_WORDS, SPIN_MS, STEP_EXPORT: EXPORTS.step };
export type Layout = typeof LAYOUT;
