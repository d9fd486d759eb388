// Decays: StepLR, MultiStepLR, ExponentialLR, PolynomialLR. Each is one Schedule (base.ts): its
// options and torch's two forms of get_lr.
import { LRScheduler, type Schedule } from './base.js';
import {
  check,
  type Field,
  NON_NEGATIVE,
  NON_NEGATIVE_INT,
  nonNegative,
  nonNegativeInt,
  POSITIVE,
  POSITIVE_INT,
  positive,
  positiveInt,
  type Schedulable,
  formatValue,
} from './util.js';

const GAMMA: Field = [positive, POSITIVE, 0.1];

/** StepLR's options: torch's `step_size` and `gamma`, in camelCase. */
export interface StepLROptions {
  /** Epochs between decays (torch's step_size), a positive integer. */
  stepSize: number;
  /** Factor of each decay, > 0. Default 0.1. */
  gamma?: number;
}

const STEP: Schedule<Required<StepLROptions>> = {
  name: 'StepLR',
  options: { stepSize: [positiveInt, POSITIVE_INT], gamma: GAMMA },
  chain: (t, lr, { stepSize, gamma }) => (t === 0 || t % stepSize !== 0 ? lr : lr * gamma),
  closed: (t, base, { stepSize, gamma }) => base * gamma ** Math.floor(t / stepSize),
};

/** Multiplies every group's lr by gamma every stepSize epochs (torch.optim.lr_scheduler.StepLR). */
export class StepLR extends LRScheduler {
  constructor(optimizer: Schedulable, options: StepLROptions) {
    super(STEP, optimizer, options);
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

// torch's milestones are a Counter: a repeated milestone applies gamma that many times.
const MULTI_STEP: Schedule<{ milestones: number[]; gamma: number }> = {
  name: 'MultiStepLR',
  options: {
    milestones: (ms, where) => {
      if (!Array.isArray(ms))
        throw new TypeError(`${where}: milestones must be an array of integers >= 0, got ${formatValue(ms)}`);
      return ms.map((m, i) => check<number>(where, `milestones[${i}]`, m, nonNegativeInt, NON_NEGATIVE_INT));
    },
    gamma: GAMMA,
  },
  chain: (t, lr, { milestones, gamma }) => {
    const n = milestones.filter((m) => m === t).length;
    return n === 0 ? lr : lr * gamma ** n;
  },
  closed: (t, base, { milestones, gamma }) => base * gamma ** milestones.filter((m) => m <= t).length, // bisect_right
};

/** Multiplies every group's lr by gamma at each milestone (torch.optim.lr_scheduler.MultiStepLR). */
export class MultiStepLR extends LRScheduler {
  constructor(optimizer: Schedulable, options: MultiStepLROptions) {
    super(MULTI_STEP, optimizer, options);
  }
}

/** ExponentialLR's options: torch's `gamma`. */
export interface ExponentialLROptions {
  /** Factor of the decay every epoch, > 0. */
  gamma: number;
}

const EXPONENTIAL: Schedule<Required<ExponentialLROptions>> = {
  name: 'ExponentialLR',
  options: { gamma: [positive, POSITIVE] },
  chain: (t, lr, { gamma }) => (t === 0 ? lr : lr * gamma),
  closed: (t, base, { gamma }) => base * gamma ** t,
};

/** Multiplies every group's lr by gamma every epoch (torch.optim.lr_scheduler.ExponentialLR). */
export class ExponentialLR extends LRScheduler {
  constructor(optimizer: Schedulable, options: ExponentialLROptions) {
    super(EXPONENTIAL, optimizer, options);
  }
}

/** PolynomialLR's options: torch's `total_iters` and `power`, in camelCase (both optional). */
export interface PolynomialLROptions {
  /** Epochs until the lr reaches 0, a positive integer. Default 5. */
  totalIters?: number;
  /** The polynomial's power, >= 0. Default 1. */
  power?: number;
}

const POLYNOMIAL: Schedule<Required<PolynomialLROptions>> = {
  name: 'PolynomialLR',
  options: { totalIters: [positiveInt, POSITIVE_INT, 5], power: [nonNegative, NON_NEGATIVE, 1] },
  chain: (t, lr, { totalIters, power }) =>
    t === 0 || t > totalIters ? lr : lr * ((1.0 - t / totalIters) / (1.0 - (t - 1) / totalIters)) ** power,
  closed: (t, base, { totalIters, power }) => base * (1.0 - Math.min(totalIters, t) / totalIters) ** power,
};

/** Decays every group's lr as (1 - t / totalIters)^power, to 0 (torch.optim.lr_scheduler.PolynomialLR). */
export class PolynomialLR extends LRScheduler {
  constructor(optimizer: Schedulable, options?: PolynomialLROptions) {
    super(POLYNOMIAL, optimizer, options);
  }
}
