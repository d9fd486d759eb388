// Decays: StepLR, MultiStepLR, ExponentialLR, PolynomialLR.
import { LRScheduler } from './base.js';
import {
  exponentialChain,
  exponentialClosed,
  multiStepChain,
  multiStepClosed,
  polynomialChain,
  polynomialClosed,
  stepChain,
  stepClosed,
} from './math.js';
import {
  check,
  NON_NEGATIVE,
  NON_NEGATIVE_INT,
  nonNegative,
  nonNegativeInt,
  POSITIVE,
  POSITIVE_INT,
  positive,
  positiveInt,
  readOptions,
  type Schedulable,
  show,
} from './util.js';

/** StepLR's options: torch's `step_size` and `gamma`, in camelCase. */
export interface StepLROptions {
  /** Epochs between decays (torch's step_size), a positive integer. */
  stepSize: number;
  /** Factor of each decay, > 0. Default 0.1. */
  gamma?: number;
}

function readStep(given: unknown): Required<StepLROptions> {
  const o = readOptions('StepLR', given, ['stepSize', 'gamma'], ['stepSize']);
  return {
    stepSize: check('StepLR', 'stepSize', o.stepSize, positiveInt, POSITIVE_INT),
    gamma: check('StepLR', 'gamma', o.gamma, positive, POSITIVE, 0.1),
  };
}

/** Multiplies every group's lr by gamma every stepSize epochs (torch.optim.lr_scheduler.StepLR). */
export class StepLR extends LRScheduler {
  /** @internal */
  _options: Required<StepLROptions>;
  constructor(optimizer: Schedulable, options: StepLROptions) {
    const o = readStep(options);
    super('StepLR', optimizer);
    this._options = o;
    this._initialStep();
  }
  /** @internal */
  _chain(t: number, _count: number, lr: number): number {
    return stepChain(t, lr, this._options.stepSize, this._options.gamma);
  }
  /** @internal */
  _closed(t: number, k: number): number {
    return stepClosed(t, this._baseLrs[k], this._options.stepSize, this._options.gamma);
  }
  /** @internal */
  _readOptions(given: unknown): Record<string, unknown> {
    return readStep(given);
  }
}

/** MultiStepLR's options: torch's `milestones` and `gamma`. */
export interface MultiStepLROptions {
  /**
   * Epochs at which to decay, integers >= 0. As in torch (a Counter), order does not matter and a
   * repeated milestone decays that many times.
   */
  milestones: readonly number[];
  /** Factor of each decay, > 0. Default 0.1. */
  gamma?: number;
}

function readMultiStep(given: unknown): { milestones: number[]; gamma: number } {
  const o = readOptions('MultiStepLR', given, ['milestones', 'gamma'], ['milestones']);
  const ms = o.milestones;
  if (!Array.isArray(ms))
    throw new TypeError(`MultiStepLR: milestones must be an array of integers >= 0, got ${show(ms)}`);
  return {
    milestones: ms.map((m, i) => check<number>('MultiStepLR', `milestones[${i}]`, m, nonNegativeInt, NON_NEGATIVE_INT)),
    gamma: check('MultiStepLR', 'gamma', o.gamma, positive, POSITIVE, 0.1),
  };
}

/** Multiplies every group's lr by gamma at each milestone (torch.optim.lr_scheduler.MultiStepLR). */
export class MultiStepLR extends LRScheduler {
  /** @internal */
  _options: { milestones: number[]; gamma: number };
  constructor(optimizer: Schedulable, options: MultiStepLROptions) {
    const o = readMultiStep(options);
    super('MultiStepLR', optimizer);
    this._options = o;
    this._initialStep();
  }
  /** @internal */
  _chain(t: number, _count: number, lr: number): number {
    return multiStepChain(t, lr, this._options.milestones, this._options.gamma);
  }
  /** @internal */
  _closed(t: number, k: number): number {
    return multiStepClosed(t, this._baseLrs[k], this._options.milestones, this._options.gamma);
  }
  /** @internal */
  _readOptions(given: unknown): Record<string, unknown> {
    return readMultiStep(given);
  }
}

/** ExponentialLR's options: torch's `gamma`. */
export interface ExponentialLROptions {
  /** Factor of the decay every epoch, > 0. */
  gamma: number;
}

function readExponential(given: unknown): Required<ExponentialLROptions> {
  const o = readOptions('ExponentialLR', given, ['gamma'], ['gamma']);
  return { gamma: check('ExponentialLR', 'gamma', o.gamma, positive, POSITIVE) };
}

/** Multiplies every group's lr by gamma every epoch (torch.optim.lr_scheduler.ExponentialLR). */
export class ExponentialLR extends LRScheduler {
  /** @internal */
  _options: Required<ExponentialLROptions>;
  constructor(optimizer: Schedulable, options: ExponentialLROptions) {
    const o = readExponential(options);
    super('ExponentialLR', optimizer);
    this._options = o;
    this._initialStep();
  }
  /** @internal */
  _chain(t: number, _count: number, lr: number): number {
    return exponentialChain(t, lr, this._options.gamma);
  }
  /** @internal */
  _closed(t: number, k: number): number {
    return exponentialClosed(t, this._baseLrs[k], this._options.gamma);
  }
  /** @internal */
  _readOptions(given: unknown): Record<string, unknown> {
    return readExponential(given);
  }
}

/** PolynomialLR's options: torch's `total_iters` and `power`, in camelCase (both optional). */
export interface PolynomialLROptions {
  /** Epochs until the lr reaches 0, a positive integer. Default 5. */
  totalIters?: number;
  /** The polynomial's power, >= 0. Default 1. */
  power?: number;
}

function readPolynomial(given: unknown): Required<PolynomialLROptions> {
  const o = readOptions('PolynomialLR', given, ['totalIters', 'power']);
  return {
    totalIters: check('PolynomialLR', 'totalIters', o.totalIters, positiveInt, POSITIVE_INT, 5),
    power: check('PolynomialLR', 'power', o.power, nonNegative, NON_NEGATIVE, 1),
  };
}

/** Decays every group's lr as (1 - t / totalIters)^power, to 0 (torch.optim.lr_scheduler.PolynomialLR). */
export class PolynomialLR extends LRScheduler {
  /** @internal */
  _options: Required<PolynomialLROptions>;
  constructor(optimizer: Schedulable, options?: PolynomialLROptions) {
    const o = readPolynomial(options);
    super('PolynomialLR', optimizer);
    this._options = o;
    this._initialStep();
  }
  /** @internal */
  _chain(t: number, _count: number, lr: number): number {
    return polynomialChain(t, lr, this._options.totalIters, this._options.power);
  }
  /** @internal */
  _closed(t: number, k: number): number {
    return polynomialClosed(t, this._baseLrs[k], this._options.totalIters, this._options.power);
  }
  /** @internal */
  _readOptions(given: unknown): Record<string, unknown> {
    return readPolynomial(given);
  }
}
