// Options: one declaration per hyperparameter (HYPERPARAMETERS), from which validation, the
// defaults, ParamGroup's accessors, stateDict and the checkpoint header, and the tfjs adapter's
// config keys all derive. Adding an option: src/README.md. Every message names the option and the
// offending value, and validation happens before anything changes.
import { formatValue } from '../util/format-value.js';
import { atLeast, belowOneInFloat32, boolean, finiteNumber, float32Finite, float32Nonzero } from './validate.js';

/** The kernel a step runs on: WebAssembly SIMD, WebAssembly without SIMD, or plain JavaScript; all three give the same bits. */
export type Backend = 'simd' | 'scalar' | 'js';
/** A {@link Backend}, or `'auto'`: the fastest this runtime runs (simd, else scalar, else js). */
export type BackendChoice = Backend | 'auto';

/** A parameter group's hyperparameters; a `ParamGroup`'s properties, writable between steps but for `amsgrad`. */
export interface GroupOptions {
  /** Learning rate, ≥ 0. Default `1e-3`. */
  lr?: number;
  /** Coefficients of the running averages of the gradient and its square, each in [0, 1). Default `[0.9, 0.999]`. */
  betas?: readonly [number, number];
  /** Added to sqrt(v) in the denominator, ≥ 0. Default `1e-8`. */
  eps?: number;
  /** Weight decay, ≥ 0: L2 (`g += wd·p`) unless `decoupledWeightDecay`. Default `0`. */
  weightDecay?: number;
  /** Decoupled weight decay, `p *= 1 − lr·wd` (AdamW-style), instead of L2 (`g += wd·p`). Default `false`. */
  decoupledWeightDecay?: boolean;
  /** Maximize the objective: ascend (step along +grad) instead of descend. Default `false`. */
  maximize?: boolean;
  /** The running maximum of v in the denominator (AMSGrad; not in torch's RAdam); fixed per group. Default `false`. */
  amsgrad?: boolean;
  /** Take the rectified adaptive step when ρ_t > threshold; ≥ 4 (torch's is 5, the paper's 4). Default `5`. */
  threshold?: number;
  /** Below the threshold: a bias-corrected momentum step (true, torch), or p unchanged (false). Default `true`. */
  degenerateToSgd?: boolean;
  /**
   * Store subnormal m and v as +0 (torch keeps them), so that long runs where some gradients stay zero do
   * not fall off x86's subnormal cliff: [docs/algorithm.md](../../docs/algorithm.md#subnormals). Default `false`.
   */
  flushSubnormals?: boolean;
  /**
   * `false`: plain Adam (torch.optim.Adam's update) on the same kernel, every step adaptive and
   * unrectified; `Adam`'s default. Default `true`.
   */
  rectify?: boolean;
  /**
   * Clamp every gradient element to [−clipValue, clipValue] in the kernel (Keras `clipvalue`, torch
   * `clip_grad_value_`), after clipping by `maxGradNorm` and after the mean of an accumulation
   * window; > 0, or `null`: no clamp. Default `null`.
   */
  clipValue?: number | null;
  /**
   * While true, a step updates only v, not m or the params: the paper's Adam-2k
   * ([docs/algorithm.md](../../docs/algorithm.md#adam-2k)). Such a step counts: both bias corrections
   * use t, and after K of them the first update is step K + 1's, with m starting from zero. Default `false`.
   */
  secondMomentOnly?: boolean;
}

/** A group's hyperparameters, every one given: {@link GroupOptions} with the defaults filled in. */
export type Hyperparameters = Required<GroupOptions>;

/** One hyperparameter: everything the rest of the code needs to know about it. */
export interface Declaration<T> {
  /** torch's default; also what a save written before the option existed loads as, so it must reproduce the behaviour from before. */
  readonly default: T;
  /** Returns the normalised value; throws a TypeError or RangeError naming the option and the value. */
  readonly validate: (x: unknown) => T;
  /** Writable between steps (a ParamGroup setter); false: fixed when the group is created. */
  readonly writable: boolean;
  /** Its key in the tfjs adapter's config (getConfig/fromConfig): a pair for a pair; default its own name. */
  readonly tfjs?: string | readonly [string, string];
}

/**
 * The hyperparameters. Their order is the order of stateDict's group keys, of the checkpoint
 * header's groups (both keyed by these names) and of the tfjs config.
 */
export const HYPERPARAMETERS = {
  lr: {
    default: 1e-3,
    validate: (x) => float32Finite('lr', atLeast('lr', x, 0)),
    writable: true,
    tfjs: 'learningRate',
  },
  betas: { default: Object.freeze([0.9, 0.999] as const), validate: betas, writable: true, tfjs: ['beta1', 'beta2'] },
  eps: { default: 1e-8, validate: (x) => float32Finite('eps', atLeast('eps', x, 0)), writable: true, tfjs: 'epsilon' },
  weightDecay: {
    default: 0,
    validate: (x) => float32Finite('weightDecay', atLeast('weightDecay', x, 0)),
    writable: true,
  },
  decoupledWeightDecay: { default: false, validate: (x) => boolean('decoupledWeightDecay', x), writable: true },
  maximize: { default: false, validate: (x) => boolean('maximize', x), writable: true },
  // Decides whether params get a maxExpAvgSq buffer.
  amsgrad: { default: false, validate: (x) => boolean('amsgrad', x), writable: false },
  threshold: { default: 5, validate: (x) => atLeast('threshold', x, 4), writable: true },
  degenerateToSgd: { default: true, validate: (x) => boolean('degenerateToSgd', x), writable: true },
  flushSubnormals: { default: false, validate: (x) => boolean('flushSubnormals', x), writable: true },
  rectify: { default: true, validate: (x) => boolean('rectify', x), writable: true },
  clipValue: { default: null, validate: clipValue, writable: true },
  secondMomentOnly: { default: false, validate: (x) => boolean('secondMomentOnly', x), writable: true },
} as const satisfies { readonly [K in keyof Hyperparameters]-?: Declaration<Hyperparameters[K]> };

type Declared = typeof HYPERPARAMETERS;
type OptionKey = keyof Hyperparameters;
export const OPTION_KEYS = Object.keys(HYPERPARAMETERS) as OptionKey[];

type FixedKey = { [K in OptionKey]: Declared[K]['writable'] extends false ? K : never }[OptionKey];
/** ParamGroup's accessors: a property per hyperparameter, read-only where it is fixed at creation. */
// Omit and Pick keep each property's declaration, and so its doc comment (GroupOptions') for the
// API reference and editors.
export type GroupAccessors = Omit<Hyperparameters, FixedKey> & Readonly<Pick<Hyperparameters, FixedKey>>;

/** The hyperparameters' defaults: torch.optim.RAdam's (lr 1e-3, betas [0.9, 0.999], eps 1e-8, ...). */
export const DEFAULTS: Readonly<Hyperparameters> = Object.freeze(
  Object.fromEntries(OPTION_KEYS.map((k) => [k, HYPERPARAMETERS[k].default])) as unknown as Hyperparameters,
);

/** Validates one hyperparameter and returns its normalized value; throws naming the value. */
export function validateOption<K extends OptionKey>(key: K, value: unknown): Hyperparameters[K] {
  const d = (HYPERPARAMETERS as Record<string, Declaration<unknown>>)[key];
  if (!d || !Object.hasOwn(HYPERPARAMETERS, key)) throw new TypeError(`Unknown option: ${formatValue(key)}`);
  return d.validate(value) as Hyperparameters[K];
}

/**
 * Validates every given option over `base` (unknown keys throw; undefined values keep base's).
 * A save that lacks a key (written before that option existed) passes DEFAULTS as `base`.
 */
export function resolveGroupOptions(
  given: unknown,
  base: Hyperparameters,
  extraKeys: readonly string[] = [],
): Hyperparameters {
  if (given === undefined) return { ...base };
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    throw new TypeError(`Invalid options: ${formatValue(given)} (expected an object)`);
  }
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(given)) {
    if (extraKeys.includes(k)) continue;
    if (!Object.hasOwn(HYPERPARAMETERS, k))
      throw new TypeError(`Unknown option: ${formatValue(k)} (known: ${OPTION_KEYS.join(', ')})`);
    if (v === undefined) continue;
    out[k] = validateOption(k as OptionKey, v);
  }
  return out as unknown as Hyperparameters;
}

/**
 * Defines a getter per hyperparameter on `proto` (ParamGroup's), and a setter that validates where
 * the option is writable between steps and refuses where it is not: `hp` finds an instance's
 * values, `check` runs before a read or a write (a disposed optimizer's groups answer nothing).
 */
export function defineGroupAccessors<G>(proto: G, hp: (g: G) => Hyperparameters, check: (g: G) => void): void {
  for (const key of OPTION_KEYS) {
    const { validate, writable } = HYPERPARAMETERS[key] as Declaration<unknown>;
    Object.defineProperty(proto, key, {
      configurable: true,
      get(this: G) {
        check(this);
        return hp(this)[key];
      },
      // A fixed option's setter refuses by name: without one, a write throws the engine's own error
      // in strict code and is silently dropped in sloppy code.
      set(this: G, x: unknown) {
        check(this);
        if (!writable) throw new TypeError(`Invalid ${key}: cannot be changed after the group is created`);
        (hp(this) as Record<string, unknown>)[key] = validate(x);
      },
    });
  }
}

/** Guards around the step, optimizer-wide: writable between steps, and overridable for one `step()` call. */
export interface StepOptions {
  /** A NaN or ±Infinity in any gradient makes `step()` change nothing and say where (torch: off). Default `false`. */
  skipNonFinite?: boolean;
  /** Clip the gradients' global L2 norm to at most this (torch's `clip_grad_norm_`); `null`: off. Default `null`. */
  maxGradNorm?: number | null;
}

/** A weight EMA (Keras `use_ema`, timm's ModelEmaV2): `ema ← d·ema + (1 − d)·p` after every applied step. */
export interface EmaOptions {
  /** The decay d, in [0, 1). Keras' default momentum is 0.99; timm's 0.9998. */
  decay: number;
  /**
   * TensorFlow ExponentialMovingAverage's warmup: the n-th update (n = steps taken before it) uses
   * min(decay, (1 + n) / (10 + n)), so early averages are not dominated by the initial weights. Default `false`.
   */
  warmup?: boolean;
}

/**
 * `RAdam.create`'s options: the first group's {@link GroupOptions}, the {@link StepOptions}, and these,
 * optimizer-wide and fixed at creation.
 */
export interface RAdamOptions extends GroupOptions, StepOptions {
  /** `{ decay, warmup? }`: a moving average of each param (`param.ema`), in the step; `null`: none. Default `null`. */
  ema?: EmaOptions | null;
  /**
   * Gradient accumulation (Keras `gradient_accumulation_steps`): each step() adds the gradients into
   * an accumulator; every k-th applies the update with their mean. An integer, 1 (off) to 2^24. Default `1`.
   */
  accumulate?: number;
  /** `'simd'`, `'scalar'` or `'js'` (the same bits), or `'auto'`: the first that runs here. Default `'auto'`. */
  backend?: BackendChoice;
  /**
   * How m, v (and vmax) are stored: `'float32'` (torch's bits) or `'bfloat16'`: 12 bytes per param
   * instead of 16, m rounded to nearest even, v with stochastic rounding: see [Memory](../../README.md#memory).
   * Default `'float32'`.
   */
  stateDtype?: StateDtype;
  /** The seed of bfloat16 state's stochastic rounding: an integer, 0 to 2^32 − 1; saved with the state. Default `0`. */
  stateSeed?: number;
  /**
   * Threads for the step (the calling thread included), over shared memory with the simd kernel: at
   * most the hardware's threads, or `'auto'`: up to 4, one per core, where shared memory is
   * available (browsers: cross-origin isolated), else 1. Default `1`.
   */
  threads?: number | 'auto';
}

/** The state's element type in linear memory. */
export type StateDtype = 'float32' | 'bfloat16';

export function validateStateDtype(x: unknown): StateDtype {
  if (x === undefined) return 'float32';
  if (x === 'float32' || x === 'bfloat16') return x;
  throw new TypeError(`Invalid stateDtype: ${formatValue(x)} (expected 'float32' or 'bfloat16')`);
}

export function validateStateSeed(x: unknown): number {
  if (x === undefined) return 0;
  if (Number.isSafeInteger(x) && (x as number) >= 0 && (x as number) <= 0xffffffff) return x as number;
  throw new RangeError(`Invalid stateSeed: ${formatValue(x)} (expected an integer from 0 to 4294967295)`);
}

function validateThreads(x: unknown): number | 'auto' {
  if (x === undefined) return 1;
  if (x === 'auto' || (Number.isSafeInteger(x) && (x as number) >= 1 && (x as number) <= 64))
    return x as number | 'auto';
  throw new RangeError(`Invalid threads: ${formatValue(x)} (expected an integer from 1 to 64, or 'auto')`);
}

const STEP_OPTION_KEYS = ['skipNonFinite', 'maxGradNorm'] as const;
const CREATE_ONLY_KEYS = ['backend', 'threads', 'ema', 'accumulate', 'stateDtype', 'stateSeed'] as const;

/** Validates the `ema` option: null (none) or its normalised options. */
export function validateEma(x: unknown): Required<EmaOptions> | null {
  if (x === undefined || x === null) return null;
  if (typeof x !== 'object' || Array.isArray(x))
    throw new TypeError(`Invalid ema: ${formatValue(x)} (expected { decay, warmup? } or null)`);
  for (const k of Object.keys(x))
    if (k !== 'decay' && k !== 'warmup')
      throw new TypeError(`Unknown ema option: ${formatValue(k)} (known: decay, warmup)`);
  const { decay, warmup = false } = x as EmaOptions;
  if (typeof decay !== 'number' || !(decay >= 0 && decay < 1))
    throw new RangeError(`Invalid ema decay: ${formatValue(decay)} (expected 0 <= decay < 1)`);
  belowOneInFloat32('ema decay', decay);
  return { decay, warmup: boolean('ema warmup', warmup) };
}

/** Validates the `accumulate` option (gradients per applied step). */
export function validateAccumulate(x: unknown): number {
  if (x === undefined) return 1;
  if (!Number.isSafeInteger(x) || (x as number) < 1 || (x as number) > 2 ** 24)
    throw new RangeError(`Invalid accumulate: ${formatValue(x)} (expected an integer from 1 to 16777216)`);
  return x as number;
}

/** Validates the step options given (unknown keys throw); returns them normalised. */
export function validateStepOptions(given: unknown, where: string): StepOptions {
  if (given === undefined) return {};
  if (given === null || typeof given !== 'object' || Array.isArray(given))
    throw new TypeError(`Invalid ${where} options: ${formatValue(given)} (expected an object)`);
  const out: StepOptions = {};
  for (const [k, v] of Object.entries(given)) {
    if (k === 'skipNonFinite') {
      if (v !== undefined) out.skipNonFinite = boolean('skipNonFinite', v);
    } else if (k === 'maxGradNorm') {
      if (v === undefined) continue;
      if (v !== null && !(typeof v === 'number' && Number.isFinite(v) && v > 0)) {
        throw new RangeError(
          `Invalid maxGradNorm: ${formatValue(v)} (expected a positive finite number, or null for no clipping)`,
        );
      }
      // The clipping coefficient scales the float32 gradients: a norm bound that is 0 in float32
      // would zero them all.
      if (v !== null) float32Nonzero('maxGradNorm', v);
      out.maxGradNorm = v as number | null;
    } else throw new TypeError(`Unknown ${where} option: ${formatValue(k)} (known: ${STEP_OPTION_KEYS.join(', ')})`);
  }
  return out;
}

export type ResolvedOptions = ReturnType<typeof resolveCreateOptions>;

/** RAdam.create's options: the backend choice, the default group's hyperparameters over `base`, the guards, the threads, the EMA, accumulation. */
export function resolveCreateOptions(options: RAdamOptions | undefined, base: Hyperparameters) {
  const guards: Record<string, unknown> = {};
  if (options !== null && typeof options === 'object')
    for (const k of STEP_OPTION_KEYS) if (k in options) guards[k] = options[k];
  return {
    choice: validateBackend(options?.backend),
    hp: resolveGroupOptions(options, base, [...CREATE_ONLY_KEYS, ...STEP_OPTION_KEYS]),
    guards: validateStepOptions(options !== null && typeof options === 'object' ? guards : undefined, 'RAdam'),
    threads: validateThreads(options?.threads),
    ema: validateEma(options?.ema),
    accumulate: validateAccumulate(options?.accumulate),
    stateDtype: validateStateDtype(options?.stateDtype),
    stateSeed: validateStateSeed(options?.stateSeed),
  };
}

/** A guard set on the optimizer (opt.skipNonFinite = x, opt.maxGradNorm = x). */
export function validateGuard<K extends keyof StepOptions>(key: K, x: unknown): Required<StepOptions>[K] {
  if (key === 'skipNonFinite')
    return validateStepOptions({ skipNonFinite: x ?? null }, 'RAdam').skipNonFinite as Required<StepOptions>[K];
  if (x === undefined)
    throw new RangeError('Invalid maxGradNorm: undefined (expected a positive finite number, or null for no clipping)');
  return (validateStepOptions({ maxGradNorm: x }, 'RAdam').maxGradNorm ?? null) as Required<StepOptions>[K];
}

export function validateBackend(x: unknown): BackendChoice {
  if (x === undefined) return 'auto';
  if (x === 'auto' || x === 'simd' || x === 'scalar' || x === 'js') return x;
  throw new TypeError(`Invalid backend: ${formatValue(x)} (expected 'auto', 'simd', 'scalar' or 'js')`);
}

function clipValue(x: unknown): number | null {
  if (x === null) return null;
  if (typeof x !== 'number' || !Number.isFinite(x) || !(x > 0))
    throw new RangeError(
      `Invalid clipValue: ${formatValue(x)} (expected a positive finite number, or null for no clamp)`,
    );
  // The kernel clamps to fround(x): 0 would zero every gradient, Infinity would clamp nothing.
  return float32Nonzero('clipValue', float32Finite('clipValue', x));
}

function beta(name: string, x: unknown): number {
  const v = finiteNumber(name, x);
  if (!(v >= 0 && v < 1)) throw new RangeError(`Invalid ${name}: ${formatValue(x)} (expected 0 <= beta < 1)`);
  return belowOneInFloat32(name, v);
}

function betas(x: unknown): readonly [number, number] {
  if (!Array.isArray(x) || x.length !== 2)
    throw new TypeError(`Invalid betas: ${formatValue(x)} (expected [beta1, beta2])`);
  return Object.freeze([beta('beta1 (betas[0])', x[0]), beta('beta2 (betas[1])', x[1])] as const);
}
