// The common base of the epoch schedules: torch's LRScheduler (1.13) state machine — last_epoch,
// _step_count, base_lrs from the groups' initial_lr, the constructor's initial step — and the
// stateDict/loadStateDict every schedule shares. A schedule itself is one definition (Schedule),
// as optax defines schedules by pure functions: its name, its options, and torch's get_lr as pure
// functions of the epoch, the lr and the options. Its class only gives it its constructor's types.
import {
  check,
  type Fields,
  initialLrs,
  type LrSlot,
  lrArray,
  nonNegativeInt,
  readFields,
  readState,
  type Schedulable,
  formatValue,
  slotsOf,
  WHOLE_EPOCH,
  writeLrs,
} from './util.js';

type Options = Record<string, unknown>;

/**
 * @internal An epoch schedule, in torch 1.13's float64 operation order (torch/optim/lr_scheduler.py).
 * `t` is torch's last_epoch after the increment (0 at the constructor's initial step), `o` the
 * normalised options, `k` the group. Two forms, as in torch:
 * - chain (`get_lr`, what step() uses): the next lr from the group's current lr, so that schedules
 *   compose and outside changes to the lr persist;
 * - closed (`_get_closed_form_lr`, what step(epoch) uses, and SequentialLR at a milestone): the lr
 *   at epoch t from the base lr.
 * They agree in exact arithmetic, not in the last bits: torch's trajectories are the chainable ones.
 */
export interface Schedule<O = Options> {
  /** The class name, in state dicts and error messages. */
  readonly name: string;
  /**
   * The options' fields (checked before the optimizer, so that a bad option is named whatever the
   * optimizer); or a function of the options and the optimizer (OneCycleLR's, which needs the
   * number of groups first: maxLr has one per group).
   */
  readonly options: Fields | ((given: unknown, optimizer: unknown) => O);
  /** The closed form. */
  closed(t: number, base: number, o: O, k: number): number;
  /** The chainable form (`count` is torch's _step_count after the increment); without it, the closed form. */
  chain?(t: number, lr: number, o: O, base: number, count: number): number;
  /** torch sets initial_lr (not setdefault) from the options: OneCycleLR's maxLr / divFactor. */
  initialLr?(o: O, k: number): number;
}

const readWith = (def: Schedule, given: unknown, optimizer: unknown): Options =>
  typeof def.options === 'function' ? def.options(given, optimizer) : readFields(def.name, given, def.options);

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
  /** @internal what the schedule is (SequentialLR has none: it overrides what uses it) */
  declare readonly _def: Schedule;
  /** @internal the options, normalised */
  _options: Options;
  /** @internal torch's last_epoch */
  _lastEpoch = -1;
  /** @internal torch's _step_count */
  _stepCount = 0;
  /** @internal */
  _baseLrs: number[];
  /** @internal */
  _lastLr: number[];

  /**
   * @internal Checks the options, records initial_lr where no schedule has yet, and takes torch's
   * initial step (epoch 0). SequentialLR gives only its name: it checks its own options, and its
   * schedules take the steps.
   */
  constructor(def: Schedule | string, optimizer: Schedulable, given?: unknown) {
    const sched = typeof def === 'string' ? undefined : def;
    const name = sched?.name ?? (def as string);
    const options = sched ? readWith(sched, given, optimizer) : {};
    const slots = slotsOf(name, optimizer);
    slots.forEach((s, k) => {
      if (sched?.initialLr) initialLrs.set(s.key, sched.initialLr(options, k));
      else if (!initialLrs.has(s.key)) initialLrs.set(s.key, s.lr);
    });
    this._name = name;
    this.optimizer = optimizer;
    this._options = options;
    this._baseLrs = slots.map((s) => initialLrs.get(s.key) as number);
    this._lastLr = slots.map((s) => s.lr);
    if (sched) {
      this._def = sched;
      this._initialStep();
    }
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
    const d = this._def;
    const values = slots.map((s, k) =>
      d.chain
        ? d.chain(t, s.lr, this._options, this._baseLrs[k], count)
        : d.closed(t, this._baseLrs[k], this._options, k),
    );
    this._commit(slots, values, t);
    this._stepCount = count;
  }

  /** @internal torch's step(epoch): the closed form at `epoch` (also SequentialLR's restart at a milestone). */
  _stepTo(epoch: number): void {
    const slots = this._slots();
    const values = slots.map((_, k) => this._def.closed(epoch, this._baseLrs[k], this._options, k));
    this._commit(slots, values, epoch);
    this._stepCount++;
  }

  /** @internal torch's _initial_step */
  _initialStep(): void {
    this._stepCount = 0;
    this.step();
  }

  /** @internal validates options (a state dict's) */
  _readOptions(given: unknown): Options {
    return readWith(this._def, given, this.optimizer);
  }

  /** @internal the optimizer's lr slots, as many as when the schedule was built */
  _slots(): LrSlot[] {
    return slotsOf(this._name, this.optimizer, this._baseLrs.length);
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
    const sd = readState(where, state, this._name);
    const slots = this._slots();
    const n = slots.length;
    const options = this._readOptions(sd.options);
    if (!isInt(sd.lastEpoch, -1))
      throw new RangeError(`${where}: lastEpoch must be an integer >= -1, got ${formatValue(sd.lastEpoch)}`);
    if (!isInt(sd.stepCount, 0))
      throw new RangeError(`${where}: stepCount must be an integer >= 0, got ${formatValue(sd.stepCount)}`);
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
