// Cosine annealing: CosineAnnealingLR and CosineAnnealingWarmRestarts (SGDR), each one Schedule
// (base.ts); CosineAnnealingWarmRestarts also keeps torch's T_cur and T_i.
import { LRScheduler, type Schedule } from './base.js';
import { cosine, warmRestartsAt } from './math.js';
import {
  check,
  type Field,
  isNum,
  NON_NEGATIVE,
  nonNegative,
  POSITIVE_INT,
  positiveInt,
  type Schedulable,
  formatValue,
} from './util.js';

const ETA_MIN: Field = [nonNegative, NON_NEGATIVE, 0];

/** CosineAnnealingLR's options: torch's `T_max` and `eta_min`, in camelCase. */
export interface CosineAnnealingLROptions {
  /** Epochs from the base lr down to etaMin (torch's T_max), a positive integer. */
  tMax: number;
  /** The minimum lr, >= 0. Default 0. */
  etaMin?: number;
}

const COSINE: Schedule<Required<CosineAnnealingLROptions>> = {
  name: 'CosineAnnealingLR',
  options: { tMax: [positiveInt, POSITIVE_INT], etaMin: ETA_MIN },
  // On a first step past epoch 0 torch uses the closed form; one epoch after each minimum (t - 1 -
  // T_max a multiple of 2 T_max) it adds the rise, where the ratio form would divide by 1 + cos(pi) = 0.
  chain: (t, lr, { tMax, etaMin }, base, count) => {
    if (t === 0) return lr;
    if (count === 1 && t > 0) return cosine(t, tMax, base, etaMin);
    if ((t - 1 - tMax) % (2 * tMax) === 0) return lr + ((base - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2;
    return ((1 + Math.cos((Math.PI * t) / tMax)) / (1 + Math.cos((Math.PI * (t - 1)) / tMax))) * (lr - etaMin) + etaMin;
  },
  closed: (t, base, { tMax, etaMin }) => cosine(t, tMax, base, etaMin),
};

/**
 * Anneals every group's lr from its base lr to etaMin along a half cosine over tMax epochs, then
 * back up and down again with period 2 tMax, without restarts (torch.optim.lr_scheduler.CosineAnnealingLR).
 *
 * @example
 * ```ts
 * import { RAdam } from 'radam-wasm';
 * import { CosineAnnealingLR } from 'radam-wasm/schedules';
 *
 * const opt = await RAdam.create({ lr: 1e-2 });
 * const w = opt.addParam([1, -1]);
 * const sched = new CosineAnnealingLR(opt, { tMax: 100, etaMin: 1e-5 });
 * for (let epoch = 0; epoch < 100; epoch++) {
 *   for (let batch = 0; batch < 10; batch++) {
 *     w.grad.set(w.data); // the gradient of ½‖w‖²
 *     opt.step();
 *   }
 *   sched.step(); // once per epoch, after the optimizer's steps
 * }
 * console.log(opt.groups[0].lr, sched.getLastLr()); // 1e-5, [1e-5]
 * ```
 */
export class CosineAnnealingLR extends LRScheduler {
  constructor(optimizer: Schedulable, options: CosineAnnealingLROptions) {
    super(COSINE, optimizer, options);
  }
}

/** CosineAnnealingWarmRestarts' options: torch's `T_0`, `T_mult` and `eta_min`, in camelCase. */
export interface CosineAnnealingWarmRestartsOptions {
  /** Epochs of the first cycle (torch's T_0), a positive integer. */
  t0: number;
  /** Each cycle is tMult times longer than the one before (torch's T_mult), an integer >= 1. Default 1. */
  tMult?: number;
  /** The minimum lr, >= 0. Default 0. */
  etaMin?: number;
}

const WARM_RESTARTS: Schedule<Required<CosineAnnealingWarmRestartsOptions>> = {
  name: 'CosineAnnealingWarmRestarts',
  options: { t0: [positiveInt, POSITIVE_INT], tMult: [positiveInt, 'an integer >= 1', 1], etaMin: ETA_MIN },
  // The lr at epoch t from a fresh start. The class does not use it: its step() and step(epoch) go
  // by T_cur and T_i, which a state can set (torch keeps them, and has no closed form for it).
  closed: (t, base, { t0, tMult, etaMin }) => {
    const at = warmRestartsAt(t, t0, tMult, t0);
    return at === undefined ? Number.NaN : cosine(at.tCur, at.tI, base, etaMin);
  },
};

/**
 * Cosine annealing with warm restarts (SGDR, torch.optim.lr_scheduler.CosineAnnealingWarmRestarts):
 * every group's lr falls from its base lr to etaMin over t0 epochs, restarts, and each next cycle
 * is tMult times longer.
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  // Declared, not initialized: the initial step, in the base constructor, sets them before this
  // class's field initializers would run (and reset them).
  /** @internal torch's T_cur: epochs (possibly fractional) since the last restart */
  declare _tCur: number;
  /** @internal torch's T_i: the current cycle's length */
  declare _tI: number;

  constructor(optimizer: Schedulable, options: CosineAnnealingWarmRestartsOptions) {
    super(WARM_RESTARTS, optimizer, options);
  }

  /** Epochs since the last restart (torch's T_cur). */
  get tCur(): number {
    return this._tCur;
  }

  /** The current cycle's length in epochs (torch's T_i). */
  get tI(): number {
    return this._tI;
  }

  /**
   * Advances one epoch; or, as torch documents for this schedule (not deprecated), goes to `epoch`,
   * a number >= 0 that may be fractional (`epoch + batch / batches`, to anneal within an epoch),
   * backwards too; lastEpoch becomes its floor and step() goes on from there. undefined and null
   * are torch's None: the next epoch (epoch 0 inside a SequentialLR that has not reached it).
   */
  override step(epoch?: number | null): void {
    const where = 'CosineAnnealingWarmRestarts.step';
    const { t0, tMult, etaMin } = this._options as Required<CosineAnnealingWarmRestartsOptions>;
    let e: number;
    let at: { tCur: number; tI: number } | undefined;
    if (epoch == null && this._lastEpoch >= 0) {
      e = this._lastEpoch + 1;
      at = { tCur: this._tCur + 1, tI: this._tI };
      if (at.tCur >= at.tI) at = { tCur: at.tCur - at.tI, tI: at.tI * tMult };
    } else {
      // torch: "Expected non-negative epoch"; NaN and Infinity it would store, then fail in floor()
      const ok = (x: unknown) => isNum(x) && x >= 0 && x <= Number.MAX_SAFE_INTEGER;
      e = check<number>(where, 'epoch', epoch ?? 0, ok, 'a finite number >= 0 (at most 2^53 - 1)') + 0; // -0 -> 0
      at = warmRestartsAt(e, t0, tMult, this._tI);
      if (at === undefined) {
        throw new RangeError(
          `${where}: epoch ${e} is in a cycle longer than 2^53 - 1 epochs (t0 ${t0}, tMult ${tMult})`,
        );
      }
    }
    const { tCur, tI } = at;
    this._commit(
      this._slots(),
      this._baseLrs.map((base) => cosine(tCur, tI, base, etaMin)),
      Math.floor(e),
    );
    this._tCur = tCur;
    this._tI = tI;
  }

  /** @internal */
  override _stepTo(epoch: number): void {
    this.step(epoch);
  }
  /** @internal */
  override _extraState(): Record<string, unknown> {
    return { tCur: this._tCur, tI: this._tI };
  }
  /** @internal */
  override _prepareExtra(sd: Record<string, unknown>, where: string): () => void {
    const { tCur, tI } = sd;
    if (!isNum(tCur) || tCur < -1)
      throw new RangeError(`${where}: tCur must be a finite number >= -1, got ${formatValue(tCur)}`);
    if (!positiveInt(tI)) throw new RangeError(`${where}: tI must be a positive integer, got ${formatValue(tI)}`);
    return () => {
      this._tCur = tCur;
      this._tI = tI as number;
    };
  }
}
