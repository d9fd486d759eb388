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

export class Stepper {
  readonly guards: Required<StepOptions> = { skipNonFinite: false, maxGradNorm: null };
  /** Elements below which a step stays on the calling thread; null: the measured defaults (the benchmark sets 0). */
  minSplit: number | null = null;
  /** Split steps taken (tests check that threads were really used). */
  splits = 0;
  /** A stepAsync() is running: the workers are writing. */
  stepping = false;
  disposed = false;
  pool: ThreadPool | null = null;
  /** The weight EMA, or null. */
  ema: Required<EmaOptions> | null = null;
  /** Gradients per applied step (1: no accumulation). */
  accumulate = 1;
  /** Gradients accumulated in the current window (0 .. accumulate - 1). */
  window = 0;
  /** swapEma() put the averages in the params: stepping is refused until it is undone. */
  emaSwapped = false;
  private lastStepEnd = -Infinity;
  private readonly scalars = emptyEntryScalars(); // reused: no allocation per step

  constructor(
    private readonly kernel: Kernel,
    private readonly table: StepTable,
    private readonly groups: readonly GroupRecord[],
    private readonly check: () => void,
  ) {}

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
    if (this.disposed) throw new Error('RAdam: this optimizer has been disposed (during stepAsync)');
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

  // Writes the table's scalars and runs the guards: nothing is changed yet when a step is refused.
  private prepare(active: Active, options?: StepOptions): { result: StepResult; count: number } {
    this.check();
    this.pool?.check();
    if (this.emaSwapped)
      throw new Error('step: the EMA weights are swapped into the params (swapEma); swap them back first');
    const { skipNonFinite, maxGradNorm } = { ...this.guards, ...validateStepOptions(options, 'step') };
    const k = this.accumulate;
    const accumulating = k > 1;
    const final = this.window + 1 >= k;
    // The k-th call of a window left the gradient pointers at the accumulators (or a refusal or an
    // exception did): every call starts from the gradients.
    if (accumulating) this.restoreGradients();
    const s = this.scalars;
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
        if (accumulating && final && !on && slot.pending) {
          // Not given a gradient this time, but earlier in the window: it steps on its accumulator.
          this.table.pointGradient(slot, P_ACCUM);
          this.table.write(slot, s, slot.size);
        } else this.table.write(slot, s, on ? slot.size : 0, accumulating && slot.pending ? FLAG_PENDING : 0);
      }
    }
    const count = this.table.slots.length;
    const refused = (k: number) => ({ result: { skipped: true, applied: false, param: this.flat(k) }, count });
    if (accumulating && !final) {
      if (skipNonFinite) {
        const bad = this.kernel.firstNonFinite(this.table.base, count);
        if (bad >= 0) return refused(bad);
      }
      this.kernel.accumulate(this.table.base, count);
      for (const slot of this.table.slots) if (!active || active.has(slot.owner)) slot.pending = true;
      this.window++;
      return { result: { skipped: false, applied: false, accumulated: this.window }, count };
    }
    // Guards read the gradients before anything is written, so a refusal changes nothing.
    let gradNorm: number | undefined;
    let factor = 1 / k; // the mean of the accumulated gradients
    if (maxGradNorm !== null) {
      // Squares of finite float32s summed in float64 cannot overflow: a non-finite sum means a
      // non-finite gradient, so with clipping on the check costs no pass of its own.
      this.kernel.gradSumSq(this.table.base, count);
      let total = 0;
      for (let j = 0; j < count; j++) {
        const sumsq = this.table.sumSq(j);
        if (skipNonFinite && !Number.isFinite(sumsq)) return refused(j);
        total += sumsq;
      }
      gradNorm = Math.sqrt(total) / k;
      const coef = maxGradNorm / (gradNorm + 1e-6); // torch.nn.utils.clip_grad_norm_
      if (!(coef >= 1)) factor *= coef;
    } else if (skipNonFinite) {
      const bad = this.kernel.firstNonFinite(this.table.base, count);
      if (bad >= 0) return refused(bad);
    }
    if (factor !== 1) this.table.scaleGradients(count, factor);
    if (accumulating) {
      this.kernel.accumulate(this.table.base, count);
      for (const slot of this.table.slots) {
        if (!active || active.has(slot.owner) || slot.pending) this.table.pointGradient(slot, P_ACCUM);
      }
    }
    const result: StepResult = { skipped: false, applied: true };
    if (accumulating) result.accumulated = 0;
    if (gradNorm !== undefined) result.gradNorm = gradNorm;
    return { result, count };
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
