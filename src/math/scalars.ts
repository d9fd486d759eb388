// Per-step scalars: pure float64 functions of (t, hyperparameters), computed once per step and
// tested on their own against torch's values (test/scalars.test.ts, fixtures from scalars.json).
import { MODE_ADAPTIVE, MODE_MOMENTUM, MODE_SECOND_MOMENT, MODE_SKIP } from '../pipeline/layout.js';
import type { Hyperparameters } from '../optimizer/options.js';
import { powInt } from './pow.js';

/** The rectification terms of step `t` (1-based), exactly as torch.optim.RAdam computes them. */
export interface Rectification {
  /** rho_inf = 2/(1-beta2) - 1: the maximum length of the approximated simple moving average. */
  rhoInf: number;
  /** rho_t = rho_inf - 2 t beta2^t / (1-beta2^t). */
  rhoT: number;
  /** rho_t > threshold (strict, as torch; see rectification): the adaptive (Adam) step is taken, scaled by rT. */
  rectified: boolean;
  /** sqrt((rho_t-4)(rho_t-2) rho_inf / ((rho_inf-4)(rho_inf-2) rho_t)) when rectified, else null. */
  rT: number | null;
  /** 1 - beta1^t */
  biasCorrection1: number;
  /** 1 - beta2^t */
  biasCorrection2: number;
  /** sqrt(1 - beta2^t) */
  sqrtBiasCorrection2: number;
}

/**
 * beta^t is correctly rounded (powInt), as CPython's `**` on floats gets from the C library's pow; Math.pow is often
 * an ulp off, which can move rho_t across the threshold (beta2 = 0.7678067796924253: torch's rho_7 is exactly 5).
 * Every float64 operation after the power is torch's, in torch's order.
 */
export function rectification(t: number, beta1: number, beta2: number, threshold = 5): Rectification {
  const beta2t = powInt(beta2, t);
  const biasCorrection1 = 1 - powInt(beta1, t);
  const biasCorrection2 = 1 - beta2t;
  const rhoInf = 2 / (1 - beta2) - 1;
  const rhoT = rhoInf - (2 * t * beta2t) / biasCorrection2;
  // threshold >= 4 (validated) keeps every factor positive; rho_inf <= 4 never gets here.
  // Strictly greater, as torch (rho_t > 5.0). The paper's reference code (N_sma >= 5), tensorflow-addons and optax
  // (>= threshold) also rectify when rho_t equals the threshold, which happens for some beta2 (e.g. the one above).
  const rectified = rhoT > threshold;
  const rT = rectified ? Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) : null;
  return {
    rhoInf,
    rhoT,
    rectified,
    rT,
    biasCorrection1,
    biasCorrection2,
    sqrtBiasCorrection2: Math.sqrt(biasCorrection2),
  };
}

/** What the kernel needs for one tensor at one step (written to its table entry as float32). */
export interface StepScalars {
  /**
   * The update the kernel makes: 0 none (below the threshold without degenerateToSgd; the moments
   * still update), 1 a momentum step (below the threshold), 2 an adaptive step (Adam's, rectified
   * unless `rectify: false`), 3 the second moment only (`secondMomentOnly`).
   */
  mode: typeof MODE_SKIP | typeof MODE_MOMENTUM | typeof MODE_ADAPTIVE | typeof MODE_SECOND_MOMENT;
  /** Adaptive: lr * r_t * sqrt(1-beta2^t) / (1-beta1^t). Momentum: lr / (1-beta1^t). Skip: 0. */
  stepSize: number;
  /** 1 - lr*wd with decoupled weight decay, else exactly 1. */
  paramDecay: number;
  /** Store subnormal m, v as +0 this step: with flushSubnormals, every FLUSH_INTERVAL-th step. */
  flush: boolean;
  /** The epsilon the kernel adds to sqrt(v): eps for RAdam; eps * sqrt(1-beta2^t) for Adam (see below). */
  eps: number;
}

/**
 * With flushSubnormals the kernel flushes every 8th step, not every step: the flush costs ~20% of
 * a step (measured), so this way it costs ~2.5% on average while a value that decays into the subnormal range
 * stays there at most 7 steps before it is stored as zero.
 */
export const FLUSH_INTERVAL = 8;

/** The hyperparameters {@link stepScalars} reads: a group's (or {@link DEFAULTS}), `secondMomentOnly` optional. */
export type StepHyperparameters = Pick<
  Hyperparameters,
  | 'lr'
  | 'betas'
  | 'eps'
  | 'weightDecay'
  | 'decoupledWeightDecay'
  | 'threshold'
  | 'degenerateToSgd'
  | 'flushSubnormals'
  | 'rectify'
> &
  Partial<Pick<Hyperparameters, 'secondMomentOnly'>>;

/**
 * The scalars of step `t`. The kernel computes p -= stepSize * m / (sqrt(v) + eps), which is
 * torch's p -= lr * (m/(1-b1^t)) * r_t * sqrt(1-b2^t) / (sqrt(v) + eps) with the scalar factors
 * folded in float64, or p -= stepSize * m below the threshold. With secondMomentOnly only v
 * updates (the step still counts: later steps correct both moments' bias with the same t).
 *
 * @example
 * ```ts
 * import { DEFAULTS, stepScalars } from 'radam-wasm';
 *
 * // torch's defaults: rho_t first exceeds 5 at step 6, the first adaptive step.
 * stepScalars(5, DEFAULTS).mode; // 1: a momentum step, lr / (1 - beta1^t)
 * stepScalars(6, DEFAULTS).mode; // 2: an adaptive step, rectified
 * ```
 */
export function stepScalars(t: number, h: StepHyperparameters): StepScalars {
  const flush = h.flushSubnormals && t % FLUSH_INTERVAL === 0;
  const eps = h.eps;
  if (h.secondMomentOnly) return { mode: MODE_SECOND_MOMENT, stepSize: 0, paramDecay: 1, flush, eps };
  const r = rectification(t, h.betas[0], h.betas[1], h.threshold);
  const paramDecay = h.decoupledWeightDecay ? 1 - h.lr * h.weightDecay : 1;
  if (!h.rectify) {
    // torch.optim.Adam: p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
    //                      = (lr*sqrt(1-b2^t)/(1-b1^t)) * m / (sqrt(v) + eps*sqrt(1-b2^t)).
    const stepSize = (h.lr * r.sqrtBiasCorrection2) / r.biasCorrection1;
    return { mode: MODE_ADAPTIVE, stepSize, paramDecay, flush, eps: eps * r.sqrtBiasCorrection2 };
  }
  if (r.rectified) {
    return {
      mode: MODE_ADAPTIVE,
      stepSize: (h.lr * (r.rT as number) * r.sqrtBiasCorrection2) / r.biasCorrection1,
      paramDecay,
      flush,
      eps,
    };
  }
  if (h.degenerateToSgd) return { mode: MODE_MOMENTUM, stepSize: h.lr / r.biasCorrection1, paramDecay, flush, eps };
  return { mode: MODE_SKIP, stepSize: 0, paramDecay, flush, eps };
}
