// Options, their defaults (torch.optim.RAdam's) and validation. Every message names the option and
// the offending value, and validation happens before anything changes.

export type Backend = 'simd' | 'scalar' | 'js';
export type BackendChoice = Backend | 'auto';

/** Hyperparameters of a parameter group. */
export interface GroupOptions {
  /** Learning rate, >= 0. Default 1e-3. */
  lr?: number;
  /** Coefficients of the running averages of the gradient and its square, each in [0, 1). Default [0.9, 0.999]. */
  betas?: readonly [number, number];
  /** Added to sqrt(v) in the denominator, >= 0. Default 1e-8. */
  eps?: number;
  /** Weight decay, >= 0. Default 0. */
  weightDecay?: number;
  /** Decoupled (AdamW-style, p *= 1 - lr*wd) instead of L2 (g += wd*p) weight decay. Default false. */
  decoupledWeightDecay?: boolean;
  /** Maximize the objective (step along +grad). Default false. */
  maximize?: boolean;
  /** Use the running maximum of v in the denominator (AMSGrad). Fixed when the group is created. Default false. */
  amsgrad?: boolean;
  /** Take the rectified adaptive step when rho_t > threshold, >= 4. Default 5 (torch). */
  threshold?: number;
  /** Below the threshold: a bias-corrected momentum step (true, torch) or no parameter change (false). Default true. */
  degenerateToSgd?: boolean;
  /**
   * Store subnormal m and v (|x| < 2^-126) as +0, so that long runs where some gradients stay zero
   * do not fall off the x86 subnormal-arithmetic cliff. Default false (torch keeps them).
   */
  flushSubnormals?: boolean;
  /**
   * false: plain Adam (torch.optim.Adam's update), through the same kernel: every step is the
   * adaptive step, unrectified. Default true (RAdam).
   */
  rectify?: boolean;
}

/** Guards around the step, for the whole optimizer (overridable per `step()` call). */
export interface StepOptions {
  /** A NaN or ±Infinity in any gradient makes step() change nothing and report it. Default false (torch). */
  skipNonFinite?: boolean;
  /** Clip all gradients by their global L2 norm to at most this (torch's clip_grad_norm_); null: off. Default null. */
  maxGradNorm?: number | null;
}

export interface RAdamOptions extends GroupOptions, StepOptions {
  /** 'auto' picks simd where the runtime validates it, else scalar, else js. Default 'auto'. */
  backend?: BackendChoice;
  /**
   * Threads for the step (the calling thread included), over shared memory with the simd kernel.
   * 'auto': up to 4, one per core, where shared memory is available (browsers: cross-origin
   * isolated), else 1. Default 1.
   */
  threads?: number | 'auto';
}

export function validateThreads(x: unknown): number | 'auto' {
  if (x === undefined) return 1;
  if (x === 'auto' || (Number.isSafeInteger(x) && (x as number) >= 1 && (x as number) <= 64))
    return x as number | 'auto';
  throw new RangeError(`Invalid threads: ${show(x)} (expected an integer from 1 to 64, or 'auto')`);
}

export const STEP_OPTION_KEYS = ['skipNonFinite', 'maxGradNorm'] as const;

/** Validates the step options given (unknown keys throw); returns them normalised. */
export function validateStepOptions(given: unknown, where: string): StepOptions {
  if (given === undefined) return {};
  if (given === null || typeof given !== 'object' || Array.isArray(given))
    throw new TypeError(`Invalid ${where} options: ${show(given)} (expected an object)`);
  const out: StepOptions = {};
  for (const [k, v] of Object.entries(given)) {
    if (k === 'skipNonFinite') {
      if (v !== undefined) out.skipNonFinite = boolean('skipNonFinite', v);
    } else if (k === 'maxGradNorm') {
      if (v === undefined) continue;
      if (v !== null && !(typeof v === 'number' && Number.isFinite(v) && v > 0)) {
        throw new RangeError(
          `Invalid maxGradNorm: ${show(v)} (expected a positive finite number, or null for no clipping)`,
        );
      }
      out.maxGradNorm = v as number | null;
    } else throw new TypeError(`Unknown ${where} option: ${show(k)} (known: ${STEP_OPTION_KEYS.join(', ')})`);
  }
  return out;
}

export type Hyperparameters = Required<GroupOptions>;

export const DEFAULTS: Readonly<Hyperparameters> = Object.freeze({
  lr: 1e-3,
  betas: Object.freeze([0.9, 0.999]) as readonly [number, number],
  eps: 1e-8,
  weightDecay: 0,
  decoupledWeightDecay: false,
  maximize: false,
  amsgrad: false,
  threshold: 5,
  degenerateToSgd: true,
  flushSubnormals: false,
  rectify: true,
});

const show = (x: unknown): string =>
  typeof x === 'number' || typeof x === 'boolean' || x === null || x === undefined
    ? String(x)
    : typeof x === 'string'
      ? JSON.stringify(x)
      : Array.isArray(x)
        ? `[${x.map(show).join(', ')}]`
        : Object.prototype.toString.call(x);

function finiteNumber(name: string, x: unknown): number {
  if (typeof x !== 'number' || !Number.isFinite(x))
    throw new RangeError(`Invalid ${name}: ${show(x)} (expected a finite number)`);
  return x;
}

function atLeast(name: string, x: unknown, min: number): number {
  const v = finiteNumber(name, x);
  if (!(v >= min)) throw new RangeError(`Invalid ${name}: ${show(x)} (expected >= ${min})`);
  return v;
}

function boolean(name: string, x: unknown): boolean {
  if (typeof x !== 'boolean') throw new TypeError(`Invalid ${name}: ${show(x)} (expected true or false)`);
  return x;
}

function beta(name: string, x: unknown): number {
  const v = finiteNumber(name, x);
  if (!(v >= 0 && v < 1)) throw new RangeError(`Invalid ${name}: ${show(x)} (expected 0 <= beta < 1)`);
  return v;
}

/** Validates one hyperparameter and returns its normalized value; throws naming the value. */
export function validateOption<K extends keyof Hyperparameters>(key: K, value: unknown): Hyperparameters[K] {
  switch (key) {
    case 'lr':
      return atLeast('lr', value, 0) as Hyperparameters[K];
    case 'eps':
      return atLeast('eps', value, 0) as Hyperparameters[K];
    case 'weightDecay':
      return atLeast('weightDecay', value, 0) as Hyperparameters[K];
    case 'threshold':
      return atLeast('threshold', value, 4) as Hyperparameters[K];
    case 'betas': {
      if (!Array.isArray(value) || value.length !== 2) {
        throw new TypeError(`Invalid betas: ${show(value)} (expected [beta1, beta2])`);
      }
      return Object.freeze([
        beta('beta1 (betas[0])', value[0]),
        beta('beta2 (betas[1])', value[1]),
      ]) as unknown as Hyperparameters[K];
    }
    case 'decoupledWeightDecay':
    case 'maximize':
    case 'amsgrad':
    case 'degenerateToSgd':
    case 'flushSubnormals':
    case 'rectify':
      return boolean(key, value) as Hyperparameters[K];
    default:
      throw new TypeError(`Unknown option: ${show(key)}`);
  }
}

const KEYS = Object.keys(DEFAULTS) as (keyof Hyperparameters)[];

/** Fills the defaults from `base` and validates every given option; unknown keys throw. */
export function resolveGroupOptions(
  given: unknown,
  base: Hyperparameters,
  extraKeys: readonly string[] = [],
): Hyperparameters {
  if (given === undefined) return { ...base };
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    throw new TypeError(`Invalid options: ${show(given)} (expected an object)`);
  }
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(given)) {
    if (extraKeys.includes(k)) continue;
    if (!(KEYS as string[]).includes(k)) throw new TypeError(`Unknown option: ${show(k)} (known: ${KEYS.join(', ')})`);
    if (v === undefined) continue;
    out[k] = validateOption(k as keyof Hyperparameters, v);
  }
  return out as unknown as Hyperparameters;
}

export function validateBackend(x: unknown): BackendChoice {
  if (x === undefined) return 'auto';
  if (x === 'auto' || x === 'simd' || x === 'scalar' || x === 'js') return x;
  throw new TypeError(`Invalid backend: ${show(x)} (expected 'auto', 'simd', 'scalar' or 'js')`);
}

export { show as formatValue };
