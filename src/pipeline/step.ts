// The step pipeline: per-group entry scalars -> guards (non-finite, clipping) -> one kernel call
// (on this thread, or split over the worker threads) -> bookkeeping. Nothing is changed until the
// guards have passed, so a refused step leaves every param as it was.
//
// With gradient accumulation (accumulate: k) a call adds the gradients into each param's
// accumulator (after the non-finite guard, which reads acc + g without writing it); the k-th call
// runs the guards on the accumulated gradient, then steps on it with 1/k folded into the
// gradient scale: the table's gradient pointers point at the accumulators for that one kernel call.
import type { Kernel } from '../backends/kernel.js';
import { emptyEntryScalars, entryScalars } from '../math/entry-scalars.js';
import { srKey } from '../math/bf16.js';
import { FLAG_PENDING, P_ACCUM, P_GRAD } from './layout.js';
import { validateStepOptions, type EmaOptions, type Hyperparameters, type StepOptions } from '../optimizer/options.js';
import type { StepTable, Slot } from './table.js';
import type { Job, ThreadPool } from '../threads/pool.js';
import { SPIN_MS } from '../threads/control.js';

/** What step() did. */
export interface StepResult {
  /** true: a gradient held a NaN or an infinity (with skipNonFinite) and nothing changed. */
  skipped: boolean;
  /** true: the params were updated; false: skipped, or (with accumulate) the gradients were only accumulated. */
  applied: boolean;
  /** With accumulate: the gradients in the accumulators after this call (0 after an applied step). */
  accumulated?: number;
  /** With skipped: the index (in `opt.params`) of the first param whose gradient is not finite. */
  param?: number;
  /** With maxGradNorm: the global L2 norm of the gradients (with accumulate, of their mean), before clipping. */
  gradNorm?: number;
}

/** A parameter group as the pipeline sees it. */
export interface GroupRecord {
  hp: Hyperparameters;
  readonly slots: Slot[];
}

/** Which params step: all (null), or those whose slot's owner is in the set. */
type Active = ReadonlySet<object> | null;

/**
 * Below this many elements a step runs on the calling thread alone (measured: bench/README.md):
 * while the workers still spin after the previous step, and once they sleep (waking costs ~75 us).
 */
const BREAK_EVEN = 16_384;
const BREAK_EVEN_ASLEEP = 393_216;
const MIN_ELEMENTS_PER_TENSOR = 1024;

let blocking: boolean | undefined;
const canBlockHere = (): boolean =>
  (blocking ??= (() => {
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
      return true;
    } catch {
      return false;
    }
  })());

/** An optimizer's parts behind its façade: what the state I/O, Lookahead and the tfjs adapter work on. */
export interface OptimizerParts {
  readonly table: StepTable;
  readonly stepper: Stepper;
  readonly groups: GroupRecord[];
}

/** What a Stepper is given when it is built: the optimizer-wide options (RAdam.create's). */
export interface StepperOptions {
  readonly pool: ThreadPool | null;
  readonly ema: Required<EmaOptions> | null;
  readonly accumulate: number;
  readonly guards: StepOptions;
  /** The stochastic-rounding seed of bfloat16 state (u32). */
  readonly stateSeed: number;
}

/** The messages of an optimizer that can no longer be used, or not yet. */
export const DISPOSED = 'RAdam: this optimizer has been disposed';
const STEPPING = 'RAdam: a stepAsync() is still running; await it before using the optimizer';

export class Stepper {
  readonly guards: Required<StepOptions>;
  /** Elements below which a step stays on the calling thread; null: the measured defaults (the benchmark sets 0). */
  minSplit: number | null = null;
  /** Split steps taken (tests check that threads were really used). */
  splits = 0;
  /** A stepAsync() is running: the workers are writing. */
  stepping = false;
  disposed = false;
  readonly pool: ThreadPool | null;
  /** The weight EMA, or null (a state dict may set its options). */
  ema: Required<EmaOptions> | null;
  /** Gradients per applied step (1: no accumulation). */
  readonly accumulate: number;
  /** Gradients accumulated in the current window (0 .. accumulate - 1). */
  window = 0;
  /** The stochastic-rounding seed of bfloat16 state (a state dict may set it). */
  stateSeed: number;
  /** swapEma() put the averages in the params: stepping is refused until it is undone. */
  emaSwapped = false;
  private lastStepEnd = -Infinity;
  private readonly scalars = emptyEntryScalars(); // reused: no allocation per step

  constructor(
    private readonly kernel: Kernel,
    private readonly table: StepTable,
    private readonly groups: readonly GroupRecord[],
    options: StepperOptions,
  ) {
    this.pool = options.pool;
    this.ema = options.ema;
    this.accumulate = options.accumulate;
    this.stateSeed = options.stateSeed;
    this.guards = {
      skipNonFinite: options.guards.skipNonFinite ?? false,
      maxGradNorm: options.guards.maxGradNorm ?? null,
    };
  }

  /** Throws when the optimizer is disposed, or while a stepAsync() runs (the workers are writing). */
  check(): void {
    if (this.disposed) throw new Error(DISPOSED);
    if (this.stepping) throw new Error(STEPPING);
  }

  /** A blocking step: split over the threads where this thread may block, else on it alone. */
  step(active: Active, options?: StepOptions): StepResult {
    const prepared = this.prepare(active, options);
    if (!prepared.result.applied) return prepared.result;
    const jobs = canBlockHere() ? this.split(prepared.count) : null;
    if (jobs) this.pool!.run(jobs.slice(1), () => this.kernel.step(jobs[0].table, jobs[0].count));
    else this.kernel.step(this.table.base, prepared.count);
    this.finish(active);
    return prepared.result;
  }

  /** A step that waits for the workers without blocking (a browser's main thread). */
  async stepAsync(options?: StepOptions): Promise<StepResult> {
    const prepared = this.prepare(null, options);
    if (!prepared.result.applied) return prepared.result;
    const jobs = this.split(prepared.count);
    this.stepping = true;
    try {
      if (jobs) await this.pool!.runAsync(jobs.slice(1), () => this.kernel.step(jobs[0].table, jobs[0].count));
      else this.kernel.step(this.table.base, prepared.count);
    } finally {
      this.stepping = false;
    }
    if (this.disposed) throw new Error(`${DISPOSED} (during stepAsync)`);
    this.finish(null);
    return prepared.result;
  }

  /** Lookahead's slow update over every tensor with slow weights. */
  lookaheadSync(alpha: number): void {
    this.check();
    this.table.restoreSizes(); // a step of only some params left the others' sizes at 0
    this.kernel.lookaheadSync(this.table.base, this.table.slots.length, alpha);
  }

  private finish(active: Active): void {
    for (const slot of this.table.slots) {
      // With accumulate, a param with gradients earlier in the window steps even if not active now.
      if (!active || active.has(slot.owner) || slot.pending) slot.steps++;
      slot.pending = false;
    }
    this.window = 0;
    this.lastStepEnd = performance.now();
  }

  private restoreGradients(): void {
    for (const slot of this.table.slots) this.table.pointGradient(slot, P_GRAD);
  }

  // One call, in torch's shape (_init_group, then radam()): write the table entries, run the guards,
  // then accumulate, or leave the kernel call to the caller. Nothing is changed when a step is refused.
  private prepare(active: Active, options?: StepOptions): { result: StepResult; count: number } {
    this.check();
    this.pool?.check();
    if (this.emaSwapped)
      throw new Error('step: the EMA weights are swapped into the params (swapEma); swap them back first');
    const { skipNonFinite, maxGradNorm } = { ...this.guards, ...validateStepOptions(options, 'step') };
    const accumulating = this.accumulate > 1;
    const final = this.window + 1 >= this.accumulate;
    // The k-th call of a window left the gradient pointers at the accumulators (or a refusal or an
    // exception did): every call starts from the gradients.
    if (accumulating) this.restoreGradients();
    this.writeEntries(active, accumulating && final);
    const count = this.table.slots.length;
    if (accumulating && !final) return { result: this.accumulateOnly(active, skipNonFinite, count), count };
    const guarded = this.runGuards(skipNonFinite, maxGradNorm, count);
    if (guarded.skipped) return { result: guarded, count };
    if (accumulating) this.stepOnAccumulators(active, count);
    return { result: guarded, count };
  }

  // Every entry's scalars and flags at its param's next step (torch's _init_group).
  private writeEntries(active: Active, lastOfWindow: boolean): void {
    const s = this.scalars;
    const accumulating = this.accumulate > 1;
    for (let g = 0; g < this.groups.length; g++) {
      const { hp, slots } = this.groups[g];
      let t = -1;
      for (const slot of slots) {
        // Params of a group normally share their step count: the scalars are computed once.
        if (slot.steps + 1 !== t) {
          t = slot.steps + 1;
          // A step count loaded as Number.MAX_SAFE_INTEGER (a crafted state) cannot count on.
          if (!Number.isSafeInteger(t))
            throw new RangeError(`step: group ${g} has taken ${slot.steps} steps, the most a step count can hold`);
          entryScalars(t, hp, s, this.ema);
          if (this.table.bf16) s.srKey = srKey(this.stateSeed, t);
          if (!Number.isFinite(Math.fround(s.stepSize)))
            throw new RangeError(
              `step: the step size of group ${g} at step ${t} overflows float32 (lr ${hp.lr}, step size ${s.stepSize})`,
            );
          if (!Number.isFinite(Math.fround(s.paramDecay)))
            throw new RangeError(
              `step: the decoupled weight decay factor 1 - lr*weightDecay of group ${g} overflows float32 (lr ${hp.lr}, weightDecay ${hp.weightDecay})`,
            );
        }
        const on = !active || active.has(slot.owner);
        if (lastOfWindow && !on && slot.pending) {
          // Not given a gradient this time, but earlier in the window: it steps on its accumulator.
          this.table.pointGradient(slot, P_ACCUM);
          this.table.write(slot, s, slot.size);
        } else this.table.write(slot, s, on ? slot.size : 0, accumulating && slot.pending ? FLAG_PENDING : 0);
      }
    }
  }

  // A call that only adds its gradients into the accumulators (after the non-finite guard).
  private accumulateOnly(active: Active, skipNonFinite: boolean, count: number): StepResult {
    if (skipNonFinite) {
      const bad = this.kernel.firstNonFinite(this.table.base, count);
      if (bad >= 0) return this.refused(bad);
    }
    this.kernel.accumulate(this.table.base, count);
    for (const slot of this.table.slots) if (!active || active.has(slot.owner)) slot.pending = true;
    this.window++;
    return { skipped: false, applied: false, accumulated: this.window };
  }

  // The guards read the gradients (acc + g mid-window) before anything is written, so a refusal
  // changes nothing; clipping and the window's mean scale the gradient in the entries.
  private runGuards(skipNonFinite: boolean, maxGradNorm: number | null, count: number): StepResult {
    const k = this.accumulate;
    let gradNorm: number | undefined;
    let factor = 1 / k; // the mean of the accumulated gradients
    if (maxGradNorm !== null) {
      // Squares of finite float32s summed in float64 cannot overflow: a non-finite sum means a
      // non-finite gradient, so with clipping on the check costs no pass of its own.
      this.kernel.gradSumSq(this.table.base, count);
      let total = 0;
      for (let j = 0; j < count; j++) {
        const sumsq = this.table.sumSq(j);
        if (skipNonFinite && !Number.isFinite(sumsq)) return this.refused(j);
        total += sumsq;
      }
      gradNorm = Math.sqrt(total) / k;
      const coef = maxGradNorm / (gradNorm + 1e-6); // torch.nn.utils.clip_grad_norm_
      if (!(coef >= 1)) factor *= coef;
    } else if (skipNonFinite) {
      const bad = this.kernel.firstNonFinite(this.table.base, count);
      if (bad >= 0) return this.refused(bad);
    }
    if (factor !== 1) this.table.scaleGradients(count, factor);
    const result: StepResult = { skipped: false, applied: true };
    if (k > 1) result.accumulated = 0;
    if (gradNorm !== undefined) result.gradNorm = gradNorm;
    return result;
  }

  // The window's last call: its gradients join the accumulators, and the kernel steps on them.
  private stepOnAccumulators(active: Active, count: number): void {
    this.kernel.accumulate(this.table.base, count);
    for (const slot of this.table.slots) {
      if (!active || active.has(slot.owner) || slot.pending) this.table.pointGradient(slot, P_ACCUM);
    }
  }

  private refused(k: number): StepResult {
    return { skipped: true, applied: false, param: this.flat(k) };
  }

  // The index in opt.params (numbered through the groups) of table entry k.
  private flat(k: number): number {
    const slot = this.table.slots[k];
    let i = 0;
    for (const g of this.groups) {
      const j = g.slots.indexOf(slot);
      if (j >= 0) return i + j;
      i += g.slots.length;
    }
    return -1;
  }

  // With threads, one sub-table per thread (the calling thread's first); null below the size
  // where threading pays (BREAK_EVEN / BREAK_EVEN_ASLEEP).
  private split(count: number): Job[] | null {
    if (!this.pool) return null;
    const total = this.table.elements(count);
    // Back-to-back steps (or workers still spinning) pay a wake-up once per burst; steps far
    // apart pay it every time, so only large ones are split.
    const backToBack = this.pool.awake || performance.now() - this.lastStepEnd < SPIN_MS * 0.8;
    if (total < (this.minSplit ?? (backToBack ? BREAK_EVEN : BREAK_EVEN_ASLEEP))) return null;
    // Building the sub-tables costs JS time per tensor: many small tensors stay on one thread.
    if (this.minSplit === null && total < count * MIN_ELEMENTS_PER_TENSOR) return null;
    this.splits++;
    return this.table.split(count, this.pool.workers + 1, total);
  }
}
