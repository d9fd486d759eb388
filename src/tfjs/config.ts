// The tfjs adapter's config (constructor, create, getConfig / fromConfig): tfjs's Adam keys for the
// options tfjs has (learningRate, beta1, beta2, epsilon), the option's own name for the others
// (derived from HYPERPARAMETERS' `tfjs` fields), and the optimizer-wide `accumulate`, `ema` and
// `backend`, validated by the core with its messages.
import { show } from '../show.js';
import {
  HYPERPARAMETERS,
  OPTION_KEYS,
  type BackendChoice,
  type Declaration,
  type EmaOptions,
  type GroupOptions,
  type Hyperparameters,
  type RAdamOptions,
} from '../options.js';

type OptionKey = keyof Hyperparameters;

/**
 * The optimizer's config: tfjs's Adam keys (learningRate, beta1, beta2, epsilon) plus RAdam's,
 * under the names HYPERPARAMETERS (src/options.ts) gives them, and the optimizer-wide options.
 */
export interface RAdamOptimizerConfig extends Omit<GroupOptions, 'lr' | 'betas' | 'eps'> {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /**
   * Gradient accumulation: applyGradients calls (model.fit's batches) per applied step, whose
   * gradients' mean it applies; an integer from 1 (off, the default) to 2^24.
   */
  accumulate?: number;
  /** A weight EMA, `{ decay, warmup? }` (see `withEma`), or null (the default): none. */
  ema?: EmaOptions | null;
  backend?: BackendChoice;
}

/** The tfjs config keys, in order: each option's (both of a pair's). */
export const TFJS_KEYS: readonly string[] = OPTION_KEYS.flatMap((k) => tfjsKey(k));

/** Every key a config may hold. */
export const CONFIG_KEYS: readonly string[] = [...TFJS_KEYS, 'accumulate', 'ema', 'backend'];

function tfjsKey(k: OptionKey): readonly string[] {
  const key = (HYPERPARAMETERS[k] as Declaration<unknown>).tfjs ?? k;
  return typeof key === 'string' ? [key] : key;
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
 * The core's options (RAdam.create's) a config gives. Unknown keys throw here; the values are
 * validated by the core (resolveCreateOptions), with its messages.
 */
export function coreOptions(config: unknown): RAdamOptions {
  if (config === undefined || config === null) return {};
  if (typeof config !== 'object' || Array.isArray(config))
    throw new TypeError(`RAdamOptimizer: invalid config ${show(config)} (expected an object)`);
  for (const key of Object.keys(config)) {
    if (!CONFIG_KEYS.includes(key))
      throw new TypeError(`RAdamOptimizer: unknown config key "${key}" (known: ${CONFIG_KEYS.join(', ')})`);
  }
  const c = config as RAdamOptimizerConfig;
  return { ...fromTfjsConfig(c as Record<string, unknown>), accumulate: c.accumulate, ema: c.ema, backend: c.backend };
}

/** What getConfig returns: every key, so that fromConfig rebuilds the same optimizer. */
export function tfjsConfigOf(
  hp: Hyperparameters,
  accumulate: number,
  ema: Readonly<Required<EmaOptions>> | null,
  backend: BackendChoice,
): Record<string, unknown> {
  return { ...toTfjsConfig(hp), accumulate, ema: ema ? { decay: ema.decay, warmup: ema.warmup } : null, backend };
}
