// Warmups: ConstantLR and LinearLR scale the base lr by a factor for a while, then leave it.
import { LRScheduler } from './base.js';
import { constantChain, constantClosed, linearChain, linearClosed } from './math.js';
import { check, isNum, POSITIVE_INT, positiveInt, readOptions, type Schedulable } from './util.js';

const inUnit = (lowOpen: boolean) => (x: unknown) => isNum(x) && (lowOpen ? x > 0 : x >= 0) && x <= 1;

/** ConstantLR's options: torch's `factor` and `total_iters`, in camelCase (both optional). */
export interface ConstantLROptions {
  /** The factor until totalIters, in (0, 1] (torch allows 0, then divides by it at totalIters). Default 1/3. */
  factor?: number;
  /** Epochs at the reduced lr, a positive integer. Default 5. */
  totalIters?: number;
}

function readConstant(given: unknown): Required<ConstantLROptions> {
  const o = readOptions('ConstantLR', given, ['factor', 'totalIters']);
  return {
    factor: check('ConstantLR', 'factor', o.factor, inUnit(true), 'a number in (0, 1]', 1 / 3),
    totalIters: check('ConstantLR', 'totalIters', o.totalIters, positiveInt, POSITIVE_INT, 5),
  };
}

/** Multiplies every group's lr by factor for totalIters epochs (torch.optim.lr_scheduler.ConstantLR). */
export class ConstantLR extends LRScheduler {
  /** @internal */
  _options: Required<ConstantLROptions>;
  constructor(optimizer: Schedulable, options?: ConstantLROptions) {
    const o = readConstant(options);
    super('ConstantLR', optimizer);
    this._options = o;
    this._initialStep();
  }
  /** @internal */
  _chain(t: number, _count: number, lr: number): number {
    return constantChain(t, lr, this._options.factor, this._options.totalIters);
  }
  /** @internal */
  _closed(t: number, k: number): number {
    return constantClosed(t, this._baseLrs[k], this._options.factor, this._options.totalIters);
  }
  /** @internal */
  _readOptions(given: unknown): Record<string, unknown> {
    return readConstant(given);
  }
}

/** LinearLR's options: torch's `start_factor`, `end_factor` and `total_iters`, in camelCase (all optional). */
export interface LinearLROptions {
  /** The factor at epoch 0, in (0, 1]. Default 1/3. */
  startFactor?: number;
  /** The factor from totalIters on, in [0, 1]. Default 1. */
  endFactor?: number;
  /** Epochs of the linear change, a positive integer. Default 5. */
  totalIters?: number;
}

function readLinear(given: unknown): Required<LinearLROptions> {
  const o = readOptions('LinearLR', given, ['startFactor', 'endFactor', 'totalIters']);
  return {
    startFactor: check('LinearLR', 'startFactor', o.startFactor, inUnit(true), 'a number in (0, 1]', 1 / 3),
    endFactor: check('LinearLR', 'endFactor', o.endFactor, inUnit(false), 'a number in [0, 1]', 1),
    totalIters: check('LinearLR', 'totalIters', o.totalIters, positiveInt, POSITIVE_INT, 5),
  };
}

/**
 * Scales every group's lr by a factor going linearly from startFactor to endFactor over totalIters
 * epochs (torch.optim.lr_scheduler.LinearLR): a linear warmup.
 */
export class LinearLR extends LRScheduler {
  /** @internal */
  _options: Required<LinearLROptions>;
  constructor(optimizer: Schedulable, options?: LinearLROptions) {
    const o = readLinear(options);
    super('LinearLR', optimizer);
    this._options = o;
    this._initialStep();
  }
  /** @internal */
  _chain(t: number, _count: number, lr: number): number {
    const o = this._options;
    return linearChain(t, lr, o.startFactor, o.endFactor, o.totalIters);
  }
  /** @internal */
  _closed(t: number, k: number): number {
    const o = this._options;
    return linearClosed(t, this._baseLrs[k], o.startFactor, o.endFactor, o.totalIters);
  }
  /** @internal */
  _readOptions(given: unknown): Record<string, unknown> {
    return readLinear(given);
  }
}
