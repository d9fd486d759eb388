// Cosine annealing: CosineAnnealingLR and CosineAnnealingWarmRestarts (SGDR).
import { LRScheduler } from './base.js';
import { cosineChain, cosineClosed, warmRestartsAt, warmRestartsLr } from './math.js';
import {
  check,
  isNum,
  NON_NEGATIVE,
  nonNegative,
  POSITIVE_INT,
  positiveInt,
  readOptions,
  type Schedulable,
  show,
} from './util.js';

/** CosineAnnealingLR's options: torch's `T_max` and `eta_min`, in camelCase. */
export interface CosineAnnealingLROptions {
  /** Epochs from the base lr down to etaMin (torch's T_max), a positive integer. */
  tMax: number;
  /** The minimum lr, >= 0. Default 0. */
  etaMin?: number;
}

function readCosine(given: unknown): Required<CosineAnnealingLROptions> {
  const o = readOptions('CosineAnnealingLR', given, ['tMax', 'etaMin'], ['tMax']);
  return {
    tMax: check('CosineAnnealingLR', 'tMax', o.tMax, positiveInt, POSITIVE_INT),
    etaMin: check('CosineAnnealingLR', 'etaMin', o.etaMin, nonNegative, NON_NEGATIVE, 0),
  };
}

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
  /** @internal */
  _options: Required<CosineAnnealingLROptions>;
  constructor(optimizer: Schedulable, options: CosineAnnealingLROptions) {
    const o = readCosine(options);
    super('CosineAnnealingLR', optimizer);
    this._options = o;
    this._initialStep();
  }
  /** @internal */
  _chain(t: number, count: number, lr: number, k: number): number {
    return cosineChain(t, count, lr, this._baseLrs[k], this._options.tMax, this._options.etaMin);
  }
  /** @internal */
  _closed(t: number, k: number): number {
    return cosineClosed(t, this._baseLrs[k], this._options.tMax, this._options.etaMin);
  }
  /** @internal */
  _readOptions(given: unknown): Record<string, unknown> {
    return readCosine(given);
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

function readRestarts(given: unknown): Required<CosineAnnealingWarmRestartsOptions> {
  const where = 'CosineAnnealingWarmRestarts';
  const o = readOptions(where, given, ['t0', 'tMult', 'etaMin'], ['t0']);
  return {
    t0: check(where, 't0', o.t0, positiveInt, POSITIVE_INT),
    tMult: check(where, 'tMult', o.tMult, positiveInt, 'an integer >= 1', 1),
    etaMin: check(where, 'etaMin', o.etaMin, nonNegative, NON_NEGATIVE, 0),
  };
}

/**
 * Cosine annealing with warm restarts (SGDR, torch.optim.lr_scheduler.CosineAnnealingWarmRestarts):
 * every group's lr falls from its base lr to etaMin over t0 epochs, restarts, and each next cycle
 * is tMult times longer.
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  /** @internal */
  _options: Required<CosineAnnealingWarmRestartsOptions>;
  /** @internal torch's T_cur: epochs (possibly fractional) since the last restart */
  _tCur: number;
  /** @internal torch's T_i: the current cycle's length */
  _tI: number;
  constructor(optimizer: Schedulable, options: CosineAnnealingWarmRestartsOptions) {
    const o = readRestarts(options);
    super('CosineAnnealingWarmRestarts', optimizer);
    this._options = o;
    this._tI = o.t0;
    this._tCur = -1;
    this._initialStep();
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
    const { t0, tMult, etaMin } = this._options;
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
      this._baseLrs.map((base) => warmRestartsLr(tCur, tI, base, etaMin)),
      Math.floor(e),
    );
    this._tCur = tCur;
    this._tI = tI;
  }

  /** @internal */
  override _stepTo(epoch: number): void {
    this.step(epoch);
  }
  /** @internal (step() is overridden: its lr depends on T_cur and T_i only) */
  _chain(t: number, _count: number, _lr: number, k: number): number {
    return this._closed(t, k);
  }
  /** @internal */
  _closed(t: number, k: number): number {
    const { t0, tMult, etaMin } = this._options;
    const at = warmRestartsAt(t, t0, tMult, t0);
    return at === undefined ? Number.NaN : warmRestartsLr(at.tCur, at.tI, this._baseLrs[k], etaMin);
  }
  /** @internal */
  _readOptions(given: unknown): Record<string, unknown> {
    return readRestarts(given);
  }
  /** @internal */
  override _extraState(): Record<string, unknown> {
    return { tCur: this._tCur, tI: this._tI };
  }
  /** @internal */
  override _prepareExtra(sd: Record<string, unknown>, where: string): () => void {
    const { tCur, tI } = sd;
    if (!isNum(tCur) || tCur < -1)
      throw new RangeError(`${where}: tCur must be a finite number >= -1, got ${show(tCur)}`);
    if (!positiveInt(tI)) throw new RangeError(`${where}: tI must be a positive integer, got ${show(tI)}`);
    return () => {
      this._tCur = tCur;
      this._tI = tI as number;
    };
  }
}
