// Every value and flag of one tensor's step-table entry at step t, as a pure function of
// (t, hyperparameters): prepare() in src/pipeline/step.ts only copies them into the table and runs the
// guards, so the flag logic is tested without a kernel (test/entry-scalars.test.ts).
import { FLAG_AMSGRAD, FLAG_COUPLED_DECAY, FLAG_EMA, FLAG_FLUSH_SUBNORMALS } from '../pipeline/layout.js';
import type { EmaOptions, Hyperparameters } from '../optimizer/options.js';
import { stepScalars } from './scalars.js';

/** The f32 and i32 fields of an entry besides its pointers and size (src/pipeline/layout.ts), in float64. */
export interface EntryScalars {
  /** MODE_* | FLAG_* */
  flags: number;
  /** -1 with maximize, else 1 (the guards multiply in the clipping coefficient). */
  gradScale: number;
  /** Coupled (L2) weight decay, or 0. */
  weightDecay: number;
  paramDecay: number;
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  eps: number;
  stepSize: number;
  /** The EMA's decay at this step (with FLAG_EMA), and 1 minus it. */
  emaDecay: number;
  oneMinusEmaDecay: number;
  /** The clamp on the scaled gradient; Infinity: none. */
  clipValue: number;
  /** With bfloat16 state: the step's stochastic-rounding key (u32; src/math/bf16.ts srKey), set by the step pipeline. */
  srKey: number;
}

export const emptyEntryScalars = (): EntryScalars => ({
  flags: 0,
  gradScale: 1,
  weightDecay: 0,
  paramDecay: 1,
  beta1: 0,
  oneMinusBeta1: 1,
  beta2: 0,
  oneMinusBeta2: 1,
  eps: 0,
  stepSize: 0,
  emaDecay: 1,
  oneMinusEmaDecay: 0,
  clipValue: Number.POSITIVE_INFINITY,
  srKey: 0,
});

/**
 * The EMA's decay for step t (1-based): `decay`, or with warmup TensorFlow's
 * min(decay, (1 + n) / (10 + n)) with n = t - 1 updates before this one.
 */
export function emaDecay(t: number, ema: Required<EmaOptions>): number {
  return ema.warmup ? Math.min(ema.decay, t / (9 + t)) : ema.decay;
}

/**
 * The entry of step `t` (1-based) under `hp`, with the optimizer's EMA or null, written into `out`
 * (reused per step: no allocation).
 */
export function entryScalars(
  t: number,
  hp: Hyperparameters,
  out: EntryScalars = emptyEntryScalars(),
  ema: Required<EmaOptions> | null = null,
): EntryScalars {
  const s = stepScalars(t, hp);
  const coupled = !hp.decoupledWeightDecay && hp.weightDecay !== 0;
  out.flags =
    s.mode |
    (hp.amsgrad ? FLAG_AMSGRAD : 0) |
    (coupled ? FLAG_COUPLED_DECAY : 0) |
    (s.flush ? FLAG_FLUSH_SUBNORMALS : 0) |
    (ema ? FLAG_EMA : 0);
  out.gradScale = hp.maximize ? -1 : 1;
  out.weightDecay = coupled ? hp.weightDecay : 0;
  out.paramDecay = s.paramDecay;
  out.beta1 = hp.betas[0];
  out.oneMinusBeta1 = 1 - hp.betas[0];
  out.beta2 = hp.betas[1];
  out.oneMinusBeta2 = 1 - hp.betas[1];
  out.eps = s.eps;
  out.stepSize = s.stepSize;
  const d = ema ? emaDecay(t, ema) : 1;
  out.emaDecay = d;
  out.oneMinusEmaDecay = 1 - d;
  out.clipValue = hp.clipValue ?? Number.POSITIVE_INFINITY;
  return out;
}
