// The tfjs adapter's config (getConfig / fromConfig): tfjs's Adam keys for the options tfjs has
// (learningRate, beta1, beta2, epsilon), the option's own name for the others; derived from
// HYPERPARAMETERS' `tfjs` fields.
import { HYPERPARAMETERS, OPTION_KEYS, type Declaration, type GroupOptions, type Hyperparameters } from '../options.js';

type OptionKey = keyof Hyperparameters;

/** The tfjs config keys, in order: each option's (both of a pair's). */
export const TFJS_KEYS: readonly string[] = OPTION_KEYS.flatMap((k) => tfjsKey(k));

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
