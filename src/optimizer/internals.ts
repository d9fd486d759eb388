// What Lookahead, the tfjs adapter and the benchmarks use of an optimizer beyond its public API:
// an interface looked up by optimizer, so that they never reach into RAdam's fields.
import type { Kernel } from '../backends/kernel.js';
import type { Bytes } from './bytes.js';
import {
  loadCheckpoint,
  saveCheckpoint,
  type DecodedCheckpoint,
  type LookaheadCheckpoint,
} from '../state/checkpoint.js';
import { P_PARAM, P_SLOW } from '../pipeline/layout.js';
import type { StepOptions } from './options.js';
import { checkStateDict, type RAdamStateDict } from '../state/state-dict.js';
import type { OptimizerParts, StepResult } from '../pipeline/step.js';
import type { Slot, StepTable } from '../pipeline/table.js';

export interface Hooks<P extends object> {
  readonly kernel: Kernel;
  readonly table: StepTable;
  /** Steps only the params in `active`; the others keep their state and step count. */
  stepOnly(active: ReadonlySet<P>, options?: StepOptions): StepResult;
  /** Sets a param's step count (state restored from elsewhere). */
  setSteps(param: P, steps: number): void;
  /** Gives params Lookahead slow weights, a copy of their values: those without them, or all with `reset`. */
  ensureSlow(params: readonly P[], reset: boolean): void;
  /** A param's slow weights (a live view), or null before ensureSlow gave it some. */
  slow(param: P): Float32Array | null;
  /** Lookahead's slow update over every param with slow weights. */
  lookaheadSync(alpha: number): void;
  /** saveState with Lookahead's part in it. */
  saveState(options: { includeParams?: boolean }, lookahead: LookaheadCheckpoint | null): Bytes;
  /** loadStateDict's check: throws on any mismatch, else returns what applies the dict. */
  checkStateDict(sd: RAdamStateDict, where: string): () => void;
  /** loadState; `check` sees the decoded checkpoint before anything changes and returns what applies its part. */
  loadState(bytes: Uint8Array | ArrayBuffer, check: (decoded: DecodedCheckpoint) => (() => void) | undefined): void;
}

/** The hooks over `parts()` (which throws once the optimizer is disposed); `slotOf` checks a param is its own. */
export function createHooks<P extends object>(
  kernel: Kernel,
  parts: () => OptimizerParts,
  slotOf: (p: P) => Slot,
): Hooks<P> {
  const view = (slot: Slot, k: number) => parts().table.view(slot, k)!;
  return {
    kernel,
    get table() {
      return parts().table;
    },
    stepOnly: (active, options) => parts().stepper.step(active, options),
    setSteps: (p, steps) => {
      slotOf(p).steps = steps;
    },
    ensureSlow: (params, reset) => {
      const slots = params.map(slotOf);
      const added = parts().table.addSlow(slots);
      for (const s of slots) if (reset || added.includes(s)) view(s, P_SLOW).set(view(s, P_PARAM));
    },
    slow: (p) => parts().table.view(slotOf(p), P_SLOW),
    lookaheadSync: (alpha) => parts().stepper.lookaheadSync(alpha),
    saveState: (options, la) => saveCheckpoint(parts(), options, la),
    checkStateDict: (sd, where) => checkStateDict(sd, parts(), where),
    loadState: (bytes, check) => loadCheckpoint(bytes, parts(), check),
  };
}

const registry = new WeakMap<object, Hooks<object>>();

export function registerHooks<P extends object>(optimizer: object, hooks: Hooks<P> | null): void {
  if (hooks) registry.set(optimizer, hooks as Hooks<object>);
  else registry.delete(optimizer);
}

export function hooksOf<P extends object>(optimizer: object): Hooks<P> {
  const h = registry.get(optimizer);
  if (!h) throw new Error('RAdam: this optimizer has been disposed, or is not a radam-wasm optimizer');
  return h as Hooks<P>;
}
