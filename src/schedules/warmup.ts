// Warmups: ConstantLR and LinearLR scale the base lr by a factor for a while, then leave it. Each is
// one Schedule (base.ts): its options and torch's two forms of get_lr.
import { LRScheduler, type Schedule } from './base.js';
import { type Field, isNum, POSITIVE_INT, positiveInt, type Schedulable } from './util.js';

// 1 / 3 as a literal (the same double): esbuild does not drop a top-level division, even unused.
const START: Field = [(x) => isNum(x) && x > 0 && x <= 1, 'a number in (0, 1]', 0.3333333333333333];
const TOTAL_ITERS: Field = [positiveInt, POSITIVE_INT, 5];

/** ConstantLR's options: torch's `factor` and `total_iters`, in camelCase (both optional). */
export interface ConstantLROptions {
  /** The factor until totalIters, in (0, 1] (torch allows 0, then divides by it at totalIters). Default 1/3. */
  factor?: number;
  /** Epochs at the reduced lr, a positive integer. Default 5. */
  totalIters?: number;
}

const CONSTANT: Schedule<Required<ConstantLROptions>> = {
  name: 'ConstantLR',
  options: { factor: START, totalIters: TOTAL_ITERS },
  chain: (t, lr, { factor, totalIters }) => {
    if (t === 0) return lr * factor;
    if (t !== totalIters) return lr;
    return lr * (1.0 / factor);
  },
  closed: (t, base, { factor, totalIters }) => base * (factor + (t >= totalIters ? 1 - factor : 0)),
};

/** Multiplies every group's lr by factor for totalIters epochs (torch.optim.lr_scheduler.ConstantLR). */
export class ConstantLR extends LRScheduler {
  constructor(optimizer: Schedulable, options?: ConstantLROptions) {
    super(CONSTANT, optimizer, options);
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

const LINEAR: Schedule<Required<LinearLROptions>> = {
  name: 'LinearLR',
  options: {
    startFactor: START,
    endFactor: [(x) => isNum(x) && x >= 0 && x <= 1, 'a number in [0, 1]', 1],
    totalIters: TOTAL_ITERS,
  },
  chain: (t, lr, { startFactor: start, endFactor: end, totalIters }) => {
    if (t === 0) return lr * start;
    if (t > totalIters) return lr;
    return lr * (1.0 + (end - start) / (totalIters * start + (t - 1) * (end - start)));
  },
  closed: (t, base, { startFactor: start, endFactor: end, totalIters }) =>
    base * (start + ((end - start) * Math.min(totalIters, t)) / totalIters),
};

/**
 * Scales every group's lr by a factor going linearly from startFactor to endFactor over totalIters
 * epochs (torch.optim.lr_scheduler.LinearLR): a linear warmup.
 */
export class LinearLR extends LRScheduler {
  constructor(optimizer: Schedulable, options?: LinearLROptions) {
    super(LINEAR, optimizer, options);
  }
}
