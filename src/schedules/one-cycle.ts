// OneCycleLR: the lr part of torch's 1cycle policy.
import { LRScheduler, type Schedule } from './base.js';
import { annealCos, annealLinear, oneCycleLr } from './math.js';
import {
  check,
  isNum,
  POSITIVE,
  POSITIVE_INT,
  perGroup,
  positive,
  positiveInt,
  readOptions,
  type Schedulable,
  formatValue,
  slotsOf,
} from './util.js';

/**
 * OneCycleLR's options: torch's keyword arguments in camelCase (`max_lr` → `maxLr`). maxLr is
 * required, and so is the cycle's length: totalSteps, or epochs and stepsPerEpoch.
 */
export interface OneCycleLROptions {
  /** The peak lr, > 0: one number, or one per group. */
  maxLr: number | readonly number[];
  /**
   * The number of steps in the cycle (step() calls after construction), a positive integer; or
   * give epochs and stepsPerEpoch.
   */
  totalSteps?: number;
  /**
   * Epochs in the cycle, a positive integer: with stepsPerEpoch, totalSteps = epochs *
   * stepsPerEpoch. Ignored when totalSteps is given.
   */
  epochs?: number;
  /** Steps (batches) per epoch, a positive integer: see epochs. Ignored when totalSteps is given. */
  stepsPerEpoch?: number;
  /** The fraction of the cycle spent rising to maxLr, in [0, 1]. Default 0.3. */
  pctStart?: number;
  /** 'cos' or 'linear'. Default 'cos'. */
  annealStrategy?: 'cos' | 'linear';
  /**
   * Must be false (the default here; torch's default is true). The schedules drive the lr only: a
   * RAdam's momentum is betas[0], and cycling it is not offered, so true is an error rather than
   * silently ignored.
   */
  cycleMomentum?: false;
  /** A finite number, accepted for torch compatibility (default 0.85) and unused: only cycleMomentum uses it. */
  baseMomentum?: number;
  /** A finite number, accepted for torch compatibility (default 0.95) and unused: only cycleMomentum uses it. */
  maxMomentum?: number;
  /** The initial lr is maxLr / divFactor, > 0. Default 25. */
  divFactor?: number;
  /** The final lr is the initial lr / finalDivFactor, > 0. Default 1e4. */
  finalDivFactor?: number;
  /** Three phases (up, down to the initial lr, down to the minimum) instead of two. Default false. */
  threePhase?: boolean;
}

type Normalised = {
  maxLr: number[];
  totalSteps: number;
  pctStart: number;
  annealStrategy: 'cos' | 'linear';
  cycleMomentum: false;
  divFactor: number;
  finalDivFactor: number;
  threePhase: boolean;
};

const W = 'OneCycleLR';
const KEYS = [
  'maxLr',
  'totalSteps',
  'epochs',
  'stepsPerEpoch',
  'pctStart',
  'annealStrategy',
  'cycleMomentum',
  'baseMomentum',
  'maxMomentum',
  'divFactor',
  'finalDivFactor',
  'threePhase',
];

function readOneCycle(given: unknown, groups: number): Normalised {
  const o = readOptions(W, given, KEYS, ['maxLr']);
  let totalSteps: number;
  if (o.totalSteps !== undefined) totalSteps = check(W, 'totalSteps', o.totalSteps, positiveInt, POSITIVE_INT);
  else if (o.epochs === undefined || o.stepsPerEpoch === undefined) {
    throw new TypeError(`${W}: give totalSteps, or epochs and stepsPerEpoch`);
  } else {
    totalSteps =
      check<number>(W, 'epochs', o.epochs, positiveInt, POSITIVE_INT) *
      check<number>(W, 'stepsPerEpoch', o.stepsPerEpoch, positiveInt, POSITIVE_INT);
  }
  if (o.cycleMomentum !== undefined && o.cycleMomentum !== false) {
    throw new TypeError(
      `${W}: cycleMomentum must be false, got ${formatValue(o.cycleMomentum)} (the schedules drive the lr only; a RAdam's momentum, betas[0], is not cycled)`,
    );
  }
  for (const k of ['baseMomentum', 'maxMomentum']) check(W, k, o[k], isNum, 'a finite number', 0);
  return {
    maxLr: perGroup(W, 'maxLr', o.maxLr, groups, positive, POSITIVE),
    totalSteps,
    pctStart: check(W, 'pctStart', o.pctStart, (x) => isNum(x) && x >= 0 && x <= 1, 'a number in [0, 1]', 0.3),
    annealStrategy: check(
      W,
      'annealStrategy',
      o.annealStrategy,
      (x) => x === 'cos' || x === 'linear',
      "'cos' or 'linear'",
      'cos',
    ),
    cycleMomentum: false,
    divFactor: check(W, 'divFactor', o.divFactor, positive, POSITIVE, 25),
    finalDivFactor: check(W, 'finalDivFactor', o.finalDivFactor, positive, POSITIVE, 1e4),
    threePhase: check(W, 'threePhase', o.threePhase, (x) => typeof x === 'boolean', 'true or false', false),
  };
}

const ONE_CYCLE: Schedule<Normalised> = {
  name: W,
  options: (given, optimizer) => readOneCycle(given, slotsOf(W, optimizer).length),
  // torch sets group['initial_lr'] (not setdefault), before the base class reads it.
  initialLr: (o, k) => o.maxLr[k] / o.divFactor,
  // torch's get_lr is this closed form too.
  closed: (t, _base, o, k) => {
    if (t > o.totalSteps) {
      throw new RangeError(`${W}: step ${t} is past totalSteps (${o.totalSteps}): the cycle is over`);
    }
    const initial = o.maxLr[k] / o.divFactor;
    const anneal = o.annealStrategy === 'cos' ? annealCos : annealLinear;
    return oneCycleLr(
      t,
      o.totalSteps,
      o.pctStart,
      o.threePhase,
      anneal,
      initial,
      o.maxLr[k],
      initial / o.finalDivFactor,
    );
  },
};

/**
 * The 1cycle policy's lr (torch.optim.lr_scheduler.OneCycleLR, lr only): from maxLr / divFactor up
 * to maxLr over pctStart of totalSteps, then down to the initial lr / finalDivFactor. Each group's
 * initial lr becomes maxLr / divFactor, overwriting the base lr other schedules take (as in torch).
 * Stepping more than totalSteps times is an error, as in torch. Step it after every batch, not every epoch.
 *
 * @example
 * ```ts
 * import { RAdamOptimizer } from 'radam-wasm/tfjs';
 * import { OneCycleLR } from 'radam-wasm/schedules';
 *
 * // model: a tfjs-layers model; xs: 1024 examples, so 32 batches of 32 per epoch.
 * const optimizer = await RAdamOptimizer.create();
 * model.compile({ optimizer, loss: 'meanSquaredError' });
 * const sched = new OneCycleLR(optimizer, { maxLr: 1e-2, epochs: 10, stepsPerEpoch: 32 });
 * await model.fit(xs, ys, { epochs: 10, batchSize: 32, callbacks: { onBatchEnd: async () => sched.step() } });
 * ```
 */
export class OneCycleLR extends LRScheduler {
  constructor(optimizer: Schedulable, options: OneCycleLROptions) {
    super(ONE_CYCLE, optimizer, options);
  }
}
