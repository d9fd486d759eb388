// The tfjs adapter's config (constructor, create, getConfig / fromConfig): tfjs's Adam keys for the
// options tfjs has (learningRate, beta1, beta2, epsilon), the option's own name for the others
// (derived from HYPERPARAMETERS' `tfjs` fields), the step guards (maxGradNorm, skipNonFinite) and the
// optimizer-wide `accumulate`, `ema` and `backend`, validated by the core. The core's messages name
// its options: those of the keys renamed here are re-worded to name the config key.
import type { StepResult } from '../optimizer/radam.js';
import { formatValue } from '../util/format-value.js';
import {
  HYPERPARAMETERS,
  OPTION_KEYS,
  validateOption,
  type BackendChoice,
  type Declaration,
  type EmaOptions,
  type GroupOptions,
  type Hyperparameters,
  type RAdamOptions,
  type StateDtype,
  type StepOptions,
} from '../optimizer/options.js';

type OptionKey = keyof Hyperparameters;

/**
 * The optimizer's config: tfjs's Adam keys (learningRate, beta1, beta2, epsilon) plus RAdam's,
 * under the names HYPERPARAMETERS (src/optimizer/options.ts) gives them, the step guards and the
 * optimizer-wide options.
 */
export interface RAdamOptimizerConfig extends Omit<GroupOptions, 'lr' | 'betas' | 'eps'> {
  /**
   * The learning rate (RAdam's `lr`, torch's `lr`), >= 0 and finite in float32. Default 1e-3, as
   * torch and tfjs's Adam. Writable between steps (`optimizer.learningRate`, which the schedules of
   * radam-wasm/schedules drive).
   */
  learningRate?: number;
  /**
   * The decay of the gradient's running average m (RAdam's `betas[0]`), in [0, 1) and below 1 in
   * float32. Default 0.9, as torch and tfjs's Adam.
   */
  beta1?: number;
  /**
   * The decay of the squared gradient's running average v (RAdam's `betas[1]`), in [0, 1) and below
   * 1 in float32. Default 0.999, as torch and tfjs's Adam.
   */
  beta2?: number;
  /**
   * Added to sqrt(v̂) in the denominator of the adaptive step (RAdam's `eps`), >= 0. Default 1e-8,
   * as torch; tfjs's Adam defaults to its backend's epsilon (1e-7 on float32 backends), so
   * give it explicitly to match a tfjs Adam run.
   */
  epsilon?: number;
  /**
   * Clip the gradients of each step by their global L2 norm to at most this (torch's
   * clip_grad_norm_, Keras's `global_clipnorm`; not Keras's `clipnorm`, which clips each variable's
   * gradient by its own norm); > 0, or null (the default): no clipping. With accumulate, the norm
   * of the window's mean gradient. Writable between steps (`optimizer.maxGradNorm`).
   */
  maxGradNorm?: number | null;
  /**
   * A NaN or ±Infinity in any gradient makes applyGradients change nothing (no variable, no state,
   * not `iterations`) and report it in `optimizer.lastStep`. Default false. Writable between steps.
   */
  skipNonFinite?: boolean;
  /**
   * Gradient accumulation: applyGradients calls (model.fit's batches) per applied step, whose
   * gradients' mean it applies; an integer from 1 (off, the default) to 2^24.
   */
  accumulate?: number;
  /** A weight EMA, `{ decay, warmup? }` (see `withEma`), or null (the default): none. */
  ema?: EmaOptions | null;
  /**
   * How the optimizer keeps m and v in its own memory: 'float32' (the default) or 'bfloat16' (12
   * bytes per trained element instead of 16; README, "Memory"). The weights (`getWeights`) carry
   * float32 values either way.
   */
  stateDtype?: StateDtype;
  /** The seed of bfloat16 state's stochastic rounding, an integer from 0 to 2^32 − 1. Default 0. */
  stateSeed?: number;
  /**
   * The radam-wasm kernel: 'simd' (WebAssembly SIMD), 'scalar' (WebAssembly without SIMD), 'js'
   * (plain JavaScript), or 'auto' (the default): simd where the runtime validates it, else scalar,
   * else js. Not the tfjs backend, which the variables stay on.
   */
  backend?: BackendChoice;
}

/** The tfjs config keys, in order: each option's (both of a pair's). */
export const TFJS_KEYS: readonly string[] = OPTION_KEYS.flatMap((k) => tfjsKey(k));

/** Every key a config may hold. */
export const CONFIG_KEYS: readonly string[] = [
  ...TFJS_KEYS,
  'maxGradNorm',
  'skipNonFinite',
  'accumulate',
  'ema',
  'stateDtype',
  'stateSeed',
  'backend',
];

function tfjsKey(k: OptionKey): readonly string[] {
  const key = (HYPERPARAMETERS[k] as Declaration<unknown>).tfjs ?? k;
  return typeof key === 'string' ? [key] : key;
}

/** The config keys named otherwise in the core: key → its option, and its index in a pair (null: not a pair). */
type Renamed = [string, [OptionKey, number | null]];
const RENAMED = new Map(
  OPTION_KEYS.flatMap((k): Renamed[] => {
    const keys = tfjsKey(k);
    if (keys.length > 1) return keys.map((key, i) => [key, [k, i]]);
    return keys[0] === k ? [] : [[keys[0], [k, null]]];
  }),
);

/**
 * The core's error `e` (a TypeError or a RangeError, `Invalid <its name>: <value> (<expected>)`),
 * re-worded to name `key` and prefixed with `where`, its class kept.
 */
export function renamedError(e: unknown, key: string | null, where: string): unknown {
  if (!(e instanceof Error)) return e;
  const Ctor = e instanceof RangeError ? RangeError : e instanceof TypeError ? TypeError : Error;
  const rest = key === null ? null : /^Invalid [^:]*: (.*)$/s.exec(e.message);
  return new Ctor(`${where}: ${rest ? `Invalid ${key}: ${rest[1]}` : e.message}`, { cause: e });
}

/**
 * The core's error `e`, for a tfjs user: prefixed with `where`, and the core's advice to
 * `await RAdam.ready()` given as the adapter's.
 */
export function adapterError(e: unknown, where: string): unknown {
  const m = e instanceof Error && /backend '(\w+)' is not loaded yet/.exec(e.message);
  if (!m) return renamedError(e, null, where);
  const arg = m[1] === 'auto' ? '' : `'${m[1]}'`;
  return new Error(
    `${where}: the '${m[1]}' kernel is not loaded yet: await RAdamOptimizer.ready(${arg}) first (before tf.loadLayersModel too), or create the optimizer with await RAdamOptimizer.create(config)`,
    { cause: e },
  );
}

/** Validates the value of a config key the core names otherwise, with a message naming the key. */
export function validateRenamed(key: string, value: unknown, where: string): void {
  const [k, i] = RENAMED.get(key)!;
  const d = HYPERPARAMETERS[k].default;
  try {
    validateOption(k, i === null ? value : (d as readonly unknown[]).map((x, j) => (j === i ? value : x)));
  } catch (e) {
    throw renamedError(e, key, where);
  }
}

/** Hyperparameters as a tfjs config. */
export function toTfjsConfig(hp: Hyperparameters): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of OPTION_KEYS) {
    const keys = tfjsKey(k);
    if (keys.length === 1) out[keys[0]] = hp[k];
    else keys.forEach((key, i) => (out[key] = (hp[k] as readonly unknown[])[i]));
  }
  return out;
}

/** The group options a tfjs config gives (absent keys: undefined, i.e. the default). */
export function fromTfjsConfig(config: Record<string, unknown>): GroupOptions {
  const out: Record<string, unknown> = {};
  for (const k of OPTION_KEYS) {
    const keys = tfjsKey(k);
    if (keys.length === 1) out[k] = config[keys[0]] ?? undefined;
    else if (keys.some((key) => config[key] != null)) {
      const d = HYPERPARAMETERS[k].default as readonly unknown[];
      out[k] = keys.map((key, i) => config[key] ?? d[i]);
    }
  }
  return out as GroupOptions;
}

/**
 * The core's options (RAdam.create's) a config gives. Unknown keys throw here, and so do bad values
 * of the keys the core names otherwise (naming the key); the other values are validated by the
 * core (resolveCreateOptions).
 */
export function coreOptions(config: unknown, where = 'RAdamOptimizer'): RAdamOptions {
  if (config === undefined || config === null) return {};
  if (typeof config !== 'object' || Array.isArray(config))
    throw new TypeError(`${where}: invalid config ${formatValue(config)} (expected an object)`);
  for (const key of Object.keys(config)) {
    if (!CONFIG_KEYS.includes(key))
      throw new TypeError(`${where}: unknown config key "${key}" (known: ${CONFIG_KEYS.join(', ')})`);
  }
  const c = config as RAdamOptimizerConfig & Record<string, unknown>;
  for (const key of RENAMED.keys()) if (c[key] != null) validateRenamed(key, c[key], where);
  const { maxGradNorm, skipNonFinite, accumulate, ema, stateDtype, stateSeed, backend } = c;
  return { ...fromTfjsConfig(c), maxGradNorm, skipNonFinite, accumulate, ema, stateDtype, stateSeed, backend };
}

/** What getConfig returns: every key, so that fromConfig rebuilds the same optimizer. */
export function tfjsConfigOf(
  hp: Hyperparameters,
  guards: Required<StepOptions>,
  accumulate: number,
  ema: Readonly<Required<EmaOptions>> | null,
  state: { stateDtype: StateDtype; stateSeed: number },
  backend: BackendChoice,
): Record<string, unknown> {
  return {
    ...toTfjsConfig(hp),
    maxGradNorm: guards.maxGradNorm,
    skipNonFinite: guards.skipNonFinite,
    accumulate,
    ema: ema ? { decay: ema.decay, warmup: ema.warmup } : null,
    stateDtype: state.stateDtype,
    stateSeed: state.stateSeed,
    backend,
  };
}

/** Runs a core setter for the adapter: its error re-worded as the adapter's. */
export function adapted(set: () => void): void {
  try {
    set();
  } catch (e) {
    throw adapterError(e, 'RAdamOptimizer');
  }
}

/** What an applyGradients call did: the core's StepResult, and the variable a skipped step was refused for. */
export interface RAdamOptimizerStep extends StepResult {
  /** With skipped: the name of the (first) variable whose gradient holds a NaN or an infinity. */
  variable?: string;
}

/** Where {@link RAdamOptimizer.applyGradients} spends its time, in milliseconds (performance.now()), summed over its calls. */
export interface ApplyTimings {
  /** applyGradients calls counted (skipped ones included). */
  calls: number;
  /** Copying the gradients (dataSync) into the kernel's memory, and the values of variables new or assigned since. */
  readMs: number;
  /** The core's step: the guards and the kernel's update (with accumulate, the calls that only accumulate too). */
  stepMs: number;
  /** Writing the new values back into the variables (one tensor per variable). */
  writeMs: number;
}
