// The part of RAdam's façade that needs only the optimizer's core (the step table, the step pipeline,
// the groups' records), not its ParamGroup and Param objects: stepping, the guards, the EMA and
// accumulation, state I/O, disposal. RAdam (src/optimizer/radam.ts) extends it.
import type { Bytes } from './bytes.js';
import type { Backend, EmaOptions, StepOptions } from './options.js';
import { validateGuard } from './options.js';
import { swapEma, withSwapped } from './ema.js';
import { registerHooks } from './internals.js';
import { loadCheckpoint, saveCheckpoint } from '../state/checkpoint.js';
import { DISPOSED, type OptimizerParts } from '../pipeline/step.js';
import { P_GRAD } from '../pipeline/layout.js';
import { checkStateDict, stateDict, type RAdamStateDict } from '../state/state-dict.js';
import type { StepResult } from '../pipeline/step.js';
import type { Slot } from '../pipeline/table.js';

export abstract class OptimizerCore {
  /** @internal */
  protected readonly core: OptimizerParts;
  private disposed = false;

  /** @internal */
  protected constructor(core: OptimizerParts) {
    this.core = core;
  }

  /** Threads the step runs on (the calling thread included); 1 without threads. */
  get threads(): number {
    const pool = this._check().core.stepper.pool;
    return pool ? pool.workers + 1 : 1;
  }

  /** The backend actually used. */
  get backend(): Backend {
    return this._check().core.table.kernel.backend;
  }

  /** A NaN or ±Infinity in any gradient makes step() change nothing and say so (default false). */
  get skipNonFinite(): boolean {
    return this._check().core.stepper.guards.skipNonFinite;
  }
  set skipNonFinite(x: boolean) {
    this._check().core.stepper.guards.skipNonFinite = validateGuard('skipNonFinite', x);
  }
  /** Clip all gradients by their global L2 norm to at most this; null: no clipping (default). */
  get maxGradNorm(): number | null {
    return this._check().core.stepper.guards.maxGradNorm;
  }
  set maxGradNorm(x: number | null) {
    this._check().core.stepper.guards.maxGradNorm = validateGuard('maxGradNorm', x);
  }

  /** The weight EMA's options, or null. */
  get ema(): Readonly<Required<EmaOptions>> | null {
    return this._check().core.stepper.ema;
  }
  /** Gradients per applied step (the `accumulate` option; 1: none). */
  get accumulate(): number {
    return this._check().core.stepper.accumulate;
  }
  /** Gradients accumulated since the last applied step (0 .. accumulate - 1). */
  get accumulated(): number {
    return this._check().core.stepper.window;
  }

  /**
   * Exchanges every param's values with its EMA (`param.ema`): call it to evaluate with the averaged
   * weights, and again to go back. step() is refused while they are swapped.
   */
  swapEma(): void {
    const { table, stepper } = this._check().core;
    swapEma(table, stepper);
  }

  /** Runs `fn` with the EMA weights in the params and swaps them back after it, even if it throws (or its promise rejects). */
  withEma<T>(fn: () => T): T {
    return withSwapped(
      () => this.swapEma(),
      () => this.swapEma(),
      fn,
    );
  }

  /**
   * Takes one optimization step for every param, using the gradients in `param.grad`.
   * The per-step scalars are computed once per (group, step count) in float64; one kernel call
   * then walks all tensors.
   */
  step(options?: StepOptions): StepResult {
    return this._check().core.stepper.step(null, options);
  }

  /**
   * step() for a thread that must not block: with threads on a browser's main thread (which may
   * not Atomics.wait) the work is shared with the workers only here; elsewhere it is step().
   */
  async stepAsync(options?: StepOptions): Promise<StepResult> {
    // async: every refusal (disposed, another stepAsync in flight, bad options) is a rejection.
    return this._check().core.stepper.stepAsync(options);
  }

  /** Sets every gradient to zero. */
  zeroGrad(): void {
    const { table } = this._check().core;
    for (const slot of table.slots) table.view(slot, P_GRAD)!.fill(0);
  }

  /** The groups' hyperparameters, every param's step count and moments, the EMA and the accumulators (copies). */
  stateDict(): RAdamStateDict {
    return stateDict(this._check().core);
  }

  /**
   * Restores the groups' hyperparameters and the params' state (not the param values), like torch.
   * The whole dict is checked first: on any mismatch it throws, saying what differs, and changes nothing.
   */
  loadStateDict(sd: RAdamStateDict): void {
    checkStateDict(sd, this._check().core)();
  }

  /**
   * The state as a versioned binary checkpoint (magic, version, hyperparameters, per-param step and
   * state, CRC-32); with `includeParams`, also the param values, so one file restores training.
   */
  saveState(options: { includeParams?: boolean } = {}): Bytes {
    return saveCheckpoint(this._check().core, options, null);
  }

  /**
   * Restores a checkpoint from saveState (and the param values, if it holds them). Truncated,
   * corrupt, wrong-version or mismatched bytes throw a clear error and change nothing.
   */
  loadState(bytes: Uint8Array | ArrayBuffer): void {
    loadCheckpoint(bytes, this._check().core, ({ lookahead }) => {
      // Loading only the inner part would silently drop the slow weights and the counter.
      if (lookahead)
        throw new TypeError(
          "loadState: this checkpoint was saved by a Lookahead (it holds slow weights and a counter): load it with that Lookahead's loadState",
        );
      return undefined;
    });
  }

  /** Releases the linear memory; any later use of the optimizer, its groups or params throws. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const { stepper, table } = this.core;
    stepper.disposed = true;
    stepper.pool?.dispose();
    for (const slot of table.slots) slot.views = [];
    // Drop every reference to the memory, even while the optimizer object is still referenced.
    (this as unknown as { core: OptimizerParts | null }).core = null;
    registerHooks(this, null);
    this.disposeObjects();
  }

  /** @internal a live view of one of a param's arrays (P_*) */
  _view(slot: Slot, k: number): Float32Array | null {
    return this._check().core.table.view(slot, k);
  }

  /** @internal throws when disposed, or while a stepAsync() is running (the workers are writing) */
  _check(): this {
    if (this.disposed) throw new Error(DISPOSED);
    this.core.stepper.check();
    return this;
  }

  /** @internal elements below which a step stays on the calling thread; null: the measured defaults (the benchmark sets 0 to measure) */
  get _minSplit(): number | null {
    return this.core.stepper.minSplit;
  }
  /** @internal */
  set _minSplit(n: number | null) {
    this.core.stepper.minSplit = n;
  }
  /** @internal split steps taken (tests check that threads were really used) */
  get _splits(): number {
    return this.core.stepper.splits;
  }

  /** @internal what a subclass drops on dispose */
  protected abstract disposeObjects(): void;
}
