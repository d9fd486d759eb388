// What Lookahead, the tfjs adapter and the benchmarks use of an optimizer beyond its public API:
// an interface looked up by optimizer, so they never reach into RAdam's fields.
import type { Kernel } from './backends/kernel.js';
import type { DecodedCheckpoint, LookaheadCheckpoint } from './checkpoint.js';
import type { StepOptions } from './options.js';
import type { StepResult } from './step.js';
import type { StepTable } from './table.js';

export interface Hooks<P> {
  readonly kernel: Kernel;
  readonly table: StepTable;
  /** Steps only the params in `active`; the others keep their state and step count. */
  stepOnly(active: ReadonlySet<P>, options?: StepOptions): StepResult;
  /** Sets a param's step count (state restored from elsewhere). */
  setSteps(param: P, steps: number): void;
  /** Gives params Lookahead slow weights, a copy of their values: those without them, or all with `reset`. */
  ensureSlow(params: readonly P[], reset: boolean): void;
  /** A param's slow weights (a live view); ensureSlow first. */
  slow(param: P): Float32Array;
  /** Lookahead's slow update over every param with slow weights. */
  lookaheadSync(alpha: number): void;
  /** saveState with Lookahead's part in it. */
  saveState(options: { includeParams?: boolean }, lookahead: LookaheadCheckpoint | null): Uint8Array<ArrayBuffer>;
  /** loadState; `check` sees the decoded checkpoint before anything changes and returns what applies its part. */
  loadState(bytes: Uint8Array, check: (decoded: DecodedCheckpoint) => (() => void) | undefined): void;
}

const registry = new WeakMap<object, Hooks<unknown>>();

export function registerHooks<P>(optimizer: object, hooks: Hooks<P>): void {
  registry.set(optimizer, hooks as Hooks<unknown>);
}

export function hooksOf<P>(optimizer: object): Hooks<P> {
  const h = registry.get(optimizer);
  if (!h) throw new Error('RAdam: this optimizer has been disposed, or is not a radam-wasm optimizer');
  return h as Hooks<P>;
}

export function unregisterHooks(optimizer: object): void {
  registry.delete(optimizer);
}
