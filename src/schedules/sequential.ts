// SequentialLR: hands the optimizer from one schedule to the next at milestones.
import { LRScheduler, type LRSchedulerState } from './base.js';
import { initialLrs, readOptions, type Schedulable, formatValue } from './util.js';

/** SequentialLR's options: torch's `schedulers` and `milestones` (both required). */
export interface SequentialLROptions {
  /** The schedules, in order, built on the same optimizer (not ReduceLROnPlateau, not SequentialLR). */
  schedulers: readonly LRScheduler[];
  /** The epochs at which the next schedule takes over: one fewer than schedulers, increasing positive integers. */
  milestones: readonly number[];
}

const W = 'SequentialLR';

function readMilestones(ms: unknown, n: number): number[] {
  const ok =
    Array.isArray(ms) &&
    ms.length === n - 1 &&
    ms.every((m, i) => Number.isSafeInteger(m) && m > 0 && (i === 0 || m > ms[i - 1]));
  if (!ok) {
    throw new RangeError(
      `${W}: milestones must be ${n - 1} increasing positive integers (one fewer than the ${n} schedulers), got ${formatValue(ms)}`,
    );
  }
  return (ms as number[]).slice();
}

/**
 * Runs schedulers[0] until milestones[0], then schedulers[1], … (torch.optim.lr_scheduler.SequentialLR).
 * torch's quirks, kept: at construction every group's lr is reset to its initial lr, the schedules
 * other than the first are wound back one epoch, and the first takes its initial step again; at
 * each milestone the next schedule restarts from its closed form at epoch 0 (torch's step(0)).
 *
 * @example
 * ```ts
 * import { RAdam } from 'radam-wasm';
 * import { CosineAnnealingLR, LinearLR, SequentialLR } from 'radam-wasm/schedules';
 *
 * const opt = await RAdam.create({ lr: 3e-3 });
 * // A 5-epoch linear warmup from 3e-4, then a cosine down to 0 over the remaining 95 epochs.
 * const sched = new SequentialLR(opt, {
 *   schedulers: [new LinearLR(opt, { startFactor: 0.1, totalIters: 5 }), new CosineAnnealingLR(opt, { tMax: 95 })],
 *   milestones: [5],
 * });
 * ```
 */
export class SequentialLR extends LRScheduler {
  /** @internal */
  declare _options: { milestones: number[] };
  /** @internal */
  readonly _schedulers: LRScheduler[];

  constructor(optimizer: Schedulable, options: SequentialLROptions) {
    const o = readOptions(W, options, ['schedulers', 'milestones'], ['schedulers', 'milestones']);
    const list = o.schedulers;
    if (!Array.isArray(list) || list.length === 0) {
      throw new TypeError(`${W}: schedulers must be a non-empty array of schedules, got ${formatValue(list)}`);
    }
    list.forEach((s, i) => {
      if (!(s instanceof LRScheduler) || s instanceof SequentialLR) {
        throw new TypeError(
          `${W}: schedulers[${i}] must be a schedule other than SequentialLR and ReduceLROnPlateau (which need step arguments), got ${formatValue(s)}`,
        );
      }
      if (s.optimizer !== optimizer)
        throw new TypeError(`${W}: schedulers[${i}] (${s._name}) is built on another optimizer`);
    });
    const milestones = readMilestones(o.milestones, list.length);
    super(W, optimizer);
    this._options = { milestones };
    this._schedulers = list.slice();
    this._lastEpoch = 0;
    const slots = this._slots();
    slots.forEach((s) => {
      s.lr = initialLrs.get(s.key) as number;
    });
    for (const s of this._schedulers) s._lastEpoch -= 1;
    this._schedulers[0]._initialStep();
    this._lastLr = this._schedulers[0].getLastLr();
  }

  /** The schedules, in order. */
  get schedulers(): LRScheduler[] {
    return this._schedulers.slice();
  }

  /** Advances one epoch. It takes no epoch, as in torch (where even step(None) is a TypeError). */
  override step(epoch?: undefined): void {
    if (epoch !== undefined) {
      throw new TypeError(
        `${W}.step: takes no epoch (torch's SequentialLR.step() has none), got ${formatValue(epoch)}; call step() once per epoch`,
      );
    }
    const t = this._lastEpoch + 1;
    const { milestones } = this._options;
    let idx = 0;
    while (idx < milestones.length && milestones[idx] <= t) idx++; // bisect_right
    const s = this._schedulers[idx];
    if (idx > 0 && milestones[idx - 1] === t) s._stepTo(0);
    else s.step();
    this._lastEpoch = t;
    this._lastLr = s.getLastLr();
  }

  /** @internal */
  override _stepTo(): void {
    throw new TypeError(`${W}: a SequentialLR cannot be nested in another`);
  }
  /** @internal */
  override _readOptions(given: unknown): Record<string, unknown> {
    const o = readOptions(W, given, ['milestones'], ['milestones']);
    return { milestones: readMilestones(o.milestones, this._schedulers.length) };
  }
  /** @internal */
  override _extraState(): Record<string, unknown> {
    return { schedulers: this._schedulers.map((s) => s.stateDict()) };
  }
  /** @internal */
  override _prepareExtra(sd: Record<string, unknown>, where: string): () => void {
    const states = sd.schedulers;
    if (!Array.isArray(states) || states.length !== this._schedulers.length) {
      throw new TypeError(
        `${where}: schedulers must be an array of ${this._schedulers.length} schedule states, got ${formatValue(states)}`,
      );
    }
    const apply = this._schedulers.map((s, i) =>
      s._prepareLoad(states[i] as LRSchedulerState, `${where}: schedulers[${i}]`),
    );
    return () => {
      for (const f of apply) f(false);
    };
  }
}
