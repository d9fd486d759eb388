// The common base of the epoch schedules: torch's LRScheduler (1.13) state machine — last_epoch,
// _step_count, base_lrs from the groups' initial_lr, the constructor's initial step — and the
// stateDict/loadStateDict every schedule shares.
import {
  check,
  initialLrs,
  type LrSlot,
  lrArray,
  nonNegativeInt,
  type Schedulable,
  show,
  slotsOf,
  WHOLE_EPOCH,
  writeLrs,
} from './util.js';

/** A schedule's state: plain JSON-able data, like torch's state_dict (everything but the optimizer). */
export interface LRSchedulerState {
  /** The schedule's class name; loading into another class throws. */
  schedule: string;
  /** The options, normalised (loadStateDict restores them, as torch restores its attributes). */
  options: Record<string, unknown>;
  /** torch's last_epoch: step() calls since construction (-1: a SequentialLR schedule not started yet). */
  lastEpoch: number;
  /** torch's _step_count. */
  stepCount: number;
  /** Each group's base lr (torch's base_lrs): its initial_lr when the schedule was built. */
  baseLrs: number[];
  /** Every group's lr after the last step (loadStateDict writes it back into the optimizer). */
  lastLr: number[];
  /** The groups' initial_lr (torch keeps it in the optimizer's param groups). */
  initialLrs: number[];
  /** Schedule-specific state (CosineAnnealingWarmRestarts' tCur and tI, SequentialLR's schedulers). */
  [key: string]: unknown;
}

const isInt = (x: unknown, min: number): boolean => Number.isSafeInteger(x) && (x as number) >= min;

/**
 * The base of the epoch schedules (torch.optim.lr_scheduler.LRScheduler, torch 1.13): StepLR,
 * MultiStepLR, ConstantLR, LinearLR, ExponentialLR, PolynomialLR, CosineAnnealingLR,
 * CosineAnnealingWarmRestarts, OneCycleLR and SequentialLR (ReduceLROnPlateau, which steps on a
 * metric, is not one). Not constructed directly: use it to type or recognise a schedule
 * (`s instanceof LRScheduler`).
 *
 * As in torch: the constructor records each group's lr as its initial_lr (unless a schedule
 * already did) and takes a first step (epoch 0); step() then computes each group's next lr from
 * its current one (chainable: two schedules on one optimizer multiply). Call it after the
 * optimizer's steps of an epoch (OneCycleLR: of a batch).
 *
 * @example
 * ```ts
 * import { RAdam } from 'radam-wasm';
 * import { LRScheduler, StepLR } from 'radam-wasm/schedules';
 *
 * const opt = await RAdam.create({ lr: 0.1 });
 * const sched: LRScheduler = new StepLR(opt, { stepSize: 30, gamma: 0.1 });
 * const saved = JSON.stringify(sched.stateDict()); // plain data; the optimizer saves its own state
 * sched.loadStateDict(JSON.parse(saved)); // restores the schedule and writes its lrs into opt
 * ```
 */
export abstract class LRScheduler {
  /** The optimizer whose groups' lr this schedule writes. */
  readonly optimizer: Schedulable;
  /** @internal */
  readonly _name: string;
  /** @internal torch's last_epoch */
  _lastEpoch = -1;
  /** @internal torch's _step_count */
  _stepCount = 0;
  /** @internal */
  _baseLrs: number[];
  /** @internal */
  _lastLr: number[];
  /** @internal the options, normalised */
  abstract _options: Record<string, unknown>;

  /** @internal Records initial_lr where no schedule has yet; the subclass then calls _initialStep(). */
  constructor(name: string, optimizer: Schedulable) {
    const slots = slotsOf(name, optimizer);
    this._name = name;
    this.optimizer = optimizer;
    for (const s of slots) if (!initialLrs.has(s.key)) initialLrs.set(s.key, s.lr);
    this._baseLrs = slots.map((s) => initialLrs.get(s.key) as number);
    this._lastLr = slots.map((s) => s.lr);
  }

  /** The number of step() calls since construction (torch's last_epoch). */
  get lastEpoch(): number {
    return this._lastEpoch;
  }

  /** Each group's base lr (its initial_lr when the schedule was built). */
  get baseLrs(): number[] {
    return this._baseLrs.slice();
  }

  /** Every group's lr as the last step left it (torch's get_last_lr()). */
  getLastLr(): number[] {
    return this._lastLr.slice();
  }

  /**
   * Advances one epoch and writes every group's lr (torch's chainable get_lr). step(epoch), which
   * torch deprecates, jumps instead: lastEpoch becomes `epoch` (a whole number >= 0) and the lrs
   * are the closed form there, from the base lrs (OneCycleLR: its lr at that step); step() goes on
   * from there. undefined and null are torch's None: the next epoch.
   */
  step(epoch?: number | null): void {
    if (epoch != null) {
      this._stepTo(check<number>(`${this._name}.step`, 'epoch', epoch, nonNegativeInt, WHOLE_EPOCH) + 0); // -0 -> 0
      return;
    }
    const slots = this._slots();
    const t = this._lastEpoch + 1;
    const count = this._stepCount + 1;
    const values = slots.map((s, k) => this._chain(t, count, s.lr, k));
    this._commit(slots, values, t);
    this._stepCount = count;
  }

  /** @internal torch's step(epoch): the closed form at `epoch` (also SequentialLR's restart at a milestone). */
  _stepTo(epoch: number): void {
    const slots = this._slots();
    const values = slots.map((_, k) => this._closed(epoch, k));
    this._commit(slots, values, epoch);
    this._stepCount++;
  }

  /** @internal torch's _initial_step */
  _initialStep(): void {
    this._stepCount = 0;
    this.step();
  }

  /** @internal group k's next lr by the chainable form, from its current lr */
  abstract _chain(t: number, count: number, lr: number, k: number): number;
  /** @internal group k's lr at epoch t by the closed form */
  abstract _closed(t: number, k: number): number;
  /** @internal validates options (the constructor's and a state dict's) */
  abstract _readOptions(given: unknown, groups: number): Record<string, unknown>;

  /** @internal the optimizer's lr slots, as many as when the schedule was built */
  _slots(): LrSlot[] {
    const slots = slotsOf(this._name, this.optimizer);
    if (slots.length !== this._baseLrs.length) {
      throw new Error(
        `${this._name}: the optimizer has ${slots.length} param groups, the schedule was built for ${this._baseLrs.length} (add groups before building schedules)`,
      );
    }
    return slots;
  }

  /** @internal */
  _commit(slots: LrSlot[], values: number[], epoch: number): void {
    this._lastLr = writeLrs(this._name, slots, values, epoch);
    this._lastEpoch = epoch;
  }

  /** The schedule's state, plain JSON-able data. */
  stateDict(): LRSchedulerState {
    return {
      schedule: this._name,
      options: JSON.parse(JSON.stringify(this._options)),
      lastEpoch: this._lastEpoch,
      stepCount: this._stepCount,
      baseLrs: this._baseLrs.slice(),
      lastLr: this._lastLr.slice(),
      initialLrs: this._slots().map((s) => initialLrs.get(s.key) as number),
      ...this._extraState(),
    };
  }

  /**
   * Restores a state from stateDict() and writes its lrs into the optimizer's groups, so that a
   * fresh optimizer and schedule continue exactly where the saved ones were. Everything is
   * validated first: on error nothing changes.
   */
  loadStateDict(state: LRSchedulerState): void {
    this._prepareLoad(state, `${this._name}.loadStateDict`)(true);
  }

  /** @internal schedule-specific state */
  _extraState(): Record<string, unknown> {
    return {};
  }

  /** @internal validates schedule-specific state; returns what applies it */
  _prepareExtra(_state: Record<string, unknown>, _where: string): () => void {
    return () => {};
  }

  /** @internal validates a state dict; returns what applies it (writing the lrs or not) */
  _prepareLoad(state: unknown, where: string): (write: boolean) => void {
    if (state === null || typeof state !== 'object' || Array.isArray(state)) {
      throw new TypeError(`${where}: the state must be an object from stateDict(), got ${show(state)}`);
    }
    const sd = state as Record<string, unknown>;
    if (sd.schedule !== this._name)
      throw new TypeError(`${where}: the state is of ${show(sd.schedule)}, not ${this._name}`);
    const slots = this._slots();
    const n = slots.length;
    const options = this._readOptions(sd.options, n);
    if (!isInt(sd.lastEpoch, -1))
      throw new RangeError(`${where}: lastEpoch must be an integer >= -1, got ${show(sd.lastEpoch)}`);
    if (!isInt(sd.stepCount, 0))
      throw new RangeError(`${where}: stepCount must be an integer >= 0, got ${show(sd.stepCount)}`);
    const baseLrs = lrArray(where, 'baseLrs', sd.baseLrs, n);
    const lastLr = lrArray(where, 'lastLr', sd.lastLr, n);
    const initial = lrArray(where, 'initialLrs', sd.initialLrs, n);
    const extra = this._prepareExtra(sd, where);
    return (write) => {
      this._options = options;
      this._lastEpoch = sd.lastEpoch as number;
      this._stepCount = sd.stepCount as number;
      this._baseLrs = baseLrs;
      this._lastLr = lastLr;
      extra();
      slots.forEach((s, k) => {
        initialLrs.set(s.key, initial[k]);
        if (write) s.lr = lastLr[k];
      });
    };
  }
}
