// ReduceLROnPlateau: lowers the lr when a metric stops improving. Like torch's, not an epoch
// schedule: no base lrs, no initial step, no initial_lr.
import {
  check,
  isNum,
  NON_NEGATIVE,
  NON_NEGATIVE_INT,
  type LrSlot,
  lrArray,
  nonNegative,
  nonNegativeInt,
  perGroup,
  readOptions,
  readState,
  type Schedulable,
  formatValue,
  slotsOf,
  WHOLE_EPOCH,
  writeLrs,
} from './util.js';

/**
 * ReduceLROnPlateau's options: torch's keyword arguments in camelCase (`threshold_mode` →
 * `thresholdMode`, `min_lr` → `minLr`), all optional, with torch's defaults. torch's `verbose` is not offered.
 */
export interface ReduceLROnPlateauOptions {
  /** 'min': the metric should fall (a loss); 'max': rise (an accuracy). Default 'min'. */
  mode?: 'min' | 'max';
  /** The lr is multiplied by factor on a plateau, in [0, 1). Default 0.1. */
  factor?: number;
  /** Epochs without improvement tolerated before lowering the lr, an integer >= 0. Default 10. */
  patience?: number;
  /** How much better counts as an improvement, >= 0. Default 1e-4. */
  threshold?: number;
  /** 'rel': better than best * (1 ∓ threshold); 'abs': than best ∓ threshold. Default 'rel'. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs after a reduction during which bad epochs are not counted, an integer >= 0. Default 0. */
  cooldown?: number;
  /** The lowest lr, >= 0: one number, or one per group. Default 0. */
  minLr?: number | readonly number[];
  /** A reduction smaller than eps is not made, >= 0. Default 1e-8. */
  eps?: number;
}

interface Normalised {
  mode: 'min' | 'max';
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  cooldown: number;
  minLr: number[];
  eps: number;
}

/** ReduceLROnPlateau's state: JSON-able (best ±Infinity as the strings 'Infinity' / '-Infinity'). */
export interface ReduceLROnPlateauState {
  /** The schedule's class name; loading a state of another schedule throws. */
  schedule: 'ReduceLROnPlateau';
  /** The options, normalised (minLr as one value per group); loadStateDict restores them. */
  options: Record<string, unknown>;
  /** torch's last_epoch: step() calls so far, or the epoch given to the last step then one more each. */
  lastEpoch: number;
  /** The best metric so far; before the first step Infinity ('min') or -Infinity ('max'), as strings. */
  best: number | 'Infinity' | '-Infinity';
  /** Epochs without improvement counted so far (torch's num_bad_epochs). */
  numBadEpochs: number;
  /** Epochs of cooldown left (torch's cooldown_counter). */
  cooldownCounter: number;
  /** Every group's lr after the last step (loadStateDict writes it back into the optimizer). */
  lastLr: number[];
}

const W = 'ReduceLROnPlateau';

function readPlateau(given: unknown, groups: number): Normalised {
  const o = readOptions(W, given, [
    'mode',
    'factor',
    'patience',
    'threshold',
    'thresholdMode',
    'cooldown',
    'minLr',
    'eps',
  ]);
  return {
    mode: check(W, 'mode', o.mode, (x) => x === 'min' || x === 'max', "'min' or 'max'", 'min'),
    factor: check(W, 'factor', o.factor, (x) => isNum(x) && x >= 0 && x < 1, 'a number in [0, 1)', 0.1),
    patience: check(W, 'patience', o.patience, nonNegativeInt, NON_NEGATIVE_INT, 10),
    threshold: check(W, 'threshold', o.threshold, nonNegative, NON_NEGATIVE, 1e-4),
    thresholdMode: check(
      W,
      'thresholdMode',
      o.thresholdMode,
      (x) => x === 'rel' || x === 'abs',
      "'rel' or 'abs'",
      'rel',
    ),
    cooldown: check(W, 'cooldown', o.cooldown, nonNegativeInt, NON_NEGATIVE_INT, 0),
    minLr: perGroup(W, 'minLr', o.minLr ?? 0, groups, nonNegative, NON_NEGATIVE),
    eps: check(W, 'eps', o.eps, nonNegative, NON_NEGATIVE, 1e-8),
  };
}

/** torch's is_better, in its operation order. */
export function isBetter(
  a: number,
  best: number,
  mode: 'min' | 'max',
  thresholdMode: 'rel' | 'abs',
  threshold: number,
): boolean {
  if (mode === 'min') return thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
  return thresholdMode === 'rel' ? a > best * (threshold + 1) : a > best + threshold;
}

/**
 * Multiplies every group's lr by factor (not below its minLr) once the metric passed to step() has
 * not improved for more than patience epochs (torch.optim.lr_scheduler.ReduceLROnPlateau).
 * Not an epoch schedule: no base lrs, no initial step; step(metric) once per epoch.
 *
 * @example
 * ```ts
 * import { RAdamOptimizer } from 'radam-wasm/tfjs';
 * import { ReduceLROnPlateau } from 'radam-wasm/schedules';
 *
 * // model: a tfjs-layers model
 * const optimizer = await RAdamOptimizer.create({ learningRate: 1e-2 });
 * model.compile({ optimizer, loss: 'meanSquaredError' });
 * const plateau = new ReduceLROnPlateau(optimizer, { factor: 0.5, patience: 3, minLr: 1e-5 });
 * await model.fit(xs, ys, {
 *   epochs: 100,
 *   validationSplit: 0.2,
 *   callbacks: { onEpochEnd: async (_epoch, logs) => plateau.step(logs!.val_loss) },
 * });
 * ```
 */
export class ReduceLROnPlateau {
  /** The optimizer whose groups' lr this schedule writes. */
  readonly optimizer: Schedulable;
  /** @internal */
  _options: Normalised;
  /** @internal */
  _best: number;
  /** @internal */
  _numBadEpochs = 0;
  /** @internal */
  _cooldownCounter = 0;
  /** @internal */
  _lastEpoch = 0;
  /** @internal */
  _lastLr: number[];

  constructor(optimizer: Schedulable, options?: ReduceLROnPlateauOptions) {
    const slots = slotsOf(W, optimizer);
    this._options = readPlateau(options, slots.length);
    this.optimizer = optimizer;
    this._best = this._options.mode === 'min' ? Infinity : -Infinity;
    this._lastLr = slots.map((s) => s.lr);
  }

  /** The best metric so far (Infinity or -Infinity before the first step). */
  get best(): number {
    return this._best;
  }
  /** Epochs without improvement counted so far. */
  get numBadEpochs(): number {
    return this._numBadEpochs;
  }
  /** Epochs of cooldown left. */
  get cooldownCounter(): number {
    return this._cooldownCounter;
  }
  /** The number of step() calls so far (or the epoch given to the last step, then one more each). */
  get lastEpoch(): number {
    return this._lastEpoch;
  }
  /** Every group's lr as the last step left it. */
  getLastLr(): number[] {
    return this._lastLr.slice();
  }

  /**
   * Records one epoch's metric (e.g. the validation loss) and lowers the lrs on a plateau. The
   * epoch, which torch deprecates, only sets lastEpoch (a whole number >= 0); undefined and null
   * are torch's None: lastEpoch + 1.
   */
  step(metric: number, epoch?: number | null): void {
    if (typeof metric !== 'number') {
      throw new TypeError(`${W}: step(metric) needs the metric as a number, got ${formatValue(metric)}`);
    }
    const e =
      epoch == null ? this._lastEpoch + 1 : check<number>(`${W}.step`, 'epoch', epoch, nonNegativeInt, WHOLE_EPOCH) + 0;
    const slots = this._slots();
    const o = this._options;
    let best = this._best;
    let bad = this._numBadEpochs;
    let cooldown = this._cooldownCounter;
    if (isBetter(metric, best, o.mode, o.thresholdMode, o.threshold)) {
      best = metric;
      bad = 0;
    } else bad++;
    if (cooldown > 0) {
      cooldown--;
      bad = 0; // bad epochs in cooldown are ignored
    }
    let values = slots.map((s) => s.lr);
    if (bad > o.patience) {
      values = values.map((old, k) => {
        const lr = Math.max(old * o.factor, o.minLr[k]);
        return old - lr > o.eps ? lr : old;
      });
      cooldown = o.cooldown;
      bad = 0;
    }
    this._lastLr = writeLrs(W, slots, values, e);
    this._lastEpoch = e;
    this._best = best;
    this._numBadEpochs = bad;
    this._cooldownCounter = cooldown;
  }

  /** The state, plain JSON-able data. */
  stateDict(): ReduceLROnPlateauState {
    const b = this._best;
    return {
      schedule: W,
      options: JSON.parse(JSON.stringify(this._options)),
      lastEpoch: this._lastEpoch,
      best: Number.isFinite(b) ? b : b > 0 ? 'Infinity' : '-Infinity',
      numBadEpochs: this._numBadEpochs,
      cooldownCounter: this._cooldownCounter,
      lastLr: this._lastLr.slice(),
    };
  }

  /**
   * Restores a state from stateDict() and writes its lrs into the optimizer. Everything is
   * validated first: on error nothing changes.
   */
  loadStateDict(state: ReduceLROnPlateauState): void {
    const where = `${W}.loadStateDict`;
    const sd = readState(where, state, W);
    const slots = this._slots();
    const options = readPlateau(sd.options, slots.length);
    const best = sd.best === 'Infinity' ? Infinity : sd.best === '-Infinity' ? -Infinity : sd.best;
    if (!isNum(best) && Math.abs(best as number) !== Infinity) {
      throw new TypeError(`${where}: best must be a number, 'Infinity' or '-Infinity', got ${formatValue(sd.best)}`);
    }
    for (const k of ['lastEpoch', 'numBadEpochs', 'cooldownCounter']) {
      if (!nonNegativeInt(sd[k]))
        throw new RangeError(`${where}: ${k} must be an integer >= 0, got ${formatValue(sd[k])}`);
    }
    const lastLr = lrArray(where, 'lastLr', sd.lastLr, slots.length);
    this._options = options;
    this._best = best as number;
    this._lastEpoch = sd.lastEpoch as number;
    this._numBadEpochs = sd.numBadEpochs as number;
    this._cooldownCounter = sd.cooldownCounter as number;
    this._lastLr = lastLr;
    slots.forEach((s, k) => {
      s.lr = lastLr[k];
    });
  }

  /** @internal */
  _slots(): LrSlot[] {
    return slotsOf(W, this.optimizer, this._options.minLr.length);
  }
}
