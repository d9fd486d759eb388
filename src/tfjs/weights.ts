// The tfjs adapter's optimizer weights (getWeights / setWeights, which model.save({ includeOptimizer })
// and tfl.loadLayersModel use): their names and order, decoding and checking what is loaded, and
// matching saved names to variables.
//
// Layout: `iter`; then every `<name>/m`, every `<name>/v` (as tfjs's Adam); then `/vhat` (amsgrad),
// `/ema` (the ema option), `/accum` (accumulate: the sum of the gradients of the open window, for
// the variables that have some); `/step` where it differs from iter; with accumulate > 1 a last
// `accumulate`: int32 [k, gradients accumulated in the open window].
import * as tf from '@tensorflow/tfjs-core';
import { formatValue } from '../util/format-value.js';

/**
 * A tensor and its name: the elements of what getWeights returns and setWeights takes (the
 * optimizer's state, e.g. `dense_Dense1/kernel/m`), and a form of applyGradients' argument (a
 * variable's name and its gradient). tfjs-core's own NamedTensor type, which its index does not export.
 */
export type NamedTensor = {
  /** The weight's name (`iter`, `<variable>/m`, …), or the variable's name for a gradient. */
  name: string;
  /** Its value (getWeights' tensors last until its next call or dispose()). */
  tensor: tf.Tensor;
};

/** A variable's arrays, in the order getWeights lists them. */
export const ARRAYS = ['m', 'v', 'vhat', 'ema', 'accum'] as const;
type ArrayKey = (typeof ARRAYS)[number];

/** One variable's state as saved (and kept for a variable not seen yet). */
export interface Saved extends Partial<Record<ArrayKey, Float32Array>> {
  step: number;
  shape: number[];
}

/** The accumulation window: gradients per applied step, and those accumulated so far. */
export interface Window {
  k: number;
  accumulated: number;
}

const WHERE = 'RAdamOptimizer.setWeights';

/** The weights of `states` (by variable name), after `iter`; `window` with accumulate > 1. */
export function encodeWeights(
  iter: NamedTensor,
  iterations: number,
  states: readonly [string, Saved][],
  window: Window | null,
): NamedTensor[] {
  const out = [iter];
  for (const q of ARRAYS) {
    for (const [name, s] of states) {
      const a = s[q];
      // No copy: these arrays are stateDict's copies, or saved ones, which are replaced, never written.
      if (a) out.push({ name: `${name}/${q}`, tensor: tf.tensor(a, s.shape, 'float32') });
    }
  }
  for (const [name, s] of states)
    if (s.step !== iterations) out.push({ name: `${name}/step`, tensor: tf.scalar(s.step, 'int32') });
  if (window) out.push({ name: 'accumulate', tensor: tf.tensor1d([window.k, window.accumulated], 'int32') });
  return out;
}

const count = (x: number, what: string): number => {
  if (!Number.isSafeInteger(x) || x < 0) throw new RangeError(`${WHERE}: ${what} (expected a non-negative integer)`);
  return x;
};

/** Reads and checks getWeights' output: names, sizes, counts. Throws naming the weight. */
export async function decodeWeights(
  weights: unknown,
): Promise<{ iter: number; loaded: Map<string, Saved>; window: Window | null }> {
  if (!Array.isArray(weights) || weights[0]?.name !== 'iter')
    throw new TypeError(`${WHERE}: expected the output of getWeights (starting with "iter")`);
  weights.forEach((w, i) => {
    if (typeof w?.name !== 'string' || typeof w.tensor?.data !== 'function')
      throw new TypeError(`${WHERE}: weight ${i} is ${formatValue(w)} (expected a { name, tensor } pair)`);
    if (w.tensor.isDisposed)
      throw new TypeError(
        `${WHERE}: weight ${i} ("${w.name}") is a disposed tensor (getWeights' tensors last until its next call)`,
      );
  });
  const values = await Promise.all(weights.map((w: NamedTensor) => w.tensor.data()));
  const iter = count(values[0][0], `"iter" is ${formatValue(values[0][0])}`);
  const loaded = new Map<string, Saved>();
  let window: Window | null = null;
  const seen = new Set<string>();
  for (let i = 1; i < weights.length; i++) {
    const { name, tensor } = weights[i] as NamedTensor;
    const data = values[i];
    // A second copy would silently replace the first.
    if (seen.has(name) || name === 'iter') throw new TypeError(`${WHERE}: weight ${i} ("${name}") appears twice`);
    seen.add(name);
    if (name === 'accumulate') {
      const [k, accumulated] = Array.from(data as ArrayLike<number>);
      if (data.length !== 2 || !Number.isSafeInteger(k) || k < 1 || !(accumulated >= 0 && accumulated < k))
        throw new RangeError(
          `${WHERE}: "accumulate" is ${formatValue(Array.from(data as ArrayLike<number>))} (expected [k, accumulated] with 0 <= accumulated < k)`,
        );
      window = { k, accumulated: count(accumulated, `accumulated is ${formatValue(accumulated)}`) };
      continue;
    }
    const cut = name.lastIndexOf('/');
    const key = name.slice(cut + 1);
    if (cut < 0 || !(key === 'step' || (ARRAYS as readonly string[]).includes(key)))
      throw new TypeError(`${WHERE}: unexpected weight "${name}"`);
    const variable = name.slice(0, cut);
    const entry = loaded.get(variable) ?? { step: iter, shape: tensor.shape };
    if (key === 'step') entry.step = count(data[0], `"${name}" is ${formatValue(data[0])}`);
    else {
      const other = ARRAYS.find((q) => entry[q]);
      if (other && entry[other]!.length !== data.length)
        throw new RangeError(
          `${WHERE}: "${name}" has ${data.length} elements, "${variable}/${other}" ${entry[other]!.length}`,
        );
      entry[key as ArrayKey] = Float32Array.from(data as ArrayLike<number>);
      entry.shape = tensor.shape;
    }
    loaded.set(variable, entry);
  }
  return { iter, loaded, window };
}

/** What the optimizer keeps for each variable besides m and v. */
export interface Kept {
  amsgrad: boolean;
  ema: boolean;
}

const listed = (name: string, s: Saved): string => {
  const given = ARRAYS.filter((q) => s[q]).map((q) => `"${name}/${q}"`);
  return given.length ? given.join(', ') : `only "${name}/step"`;
};

/**
 * Refuses a variable's state that would leave loaded and current arrays side by side (as the core's
 * loadStateDict does): each variable needs `/m` and `/v`, `/vhat` exactly with amsgrad, `/ema`
 * exactly with the ema option, and `/accum` only with gradients pending in the weights' window.
 * Throws naming the weight, before anything changes.
 */
export function checkComplete(loaded: ReadonlyMap<string, Saved>, kept: Kept, accumulated: number): void {
  for (const [name, s] of loaded) {
    for (const q of ['m', 'v'] as const)
      if (!s[q])
        throw new TypeError(
          `${WHERE}: "${name}/${q}" is missing, the weights hold ${listed(name, s)} (a variable's state needs both "/m" and "/v")`,
        );
    if (kept.amsgrad && !s.vhat)
      throw new TypeError(
        `${WHERE}: "${name}/vhat" is missing: this optimizer has amsgrad, which keeps the running maximum of v (saved without amsgrad? create the optimizer with amsgrad: false)`,
      );
    if (!kept.amsgrad && s.vhat)
      throw new TypeError(
        `${WHERE}: "${name}/vhat" is AMSGrad's running maximum of v, this optimizer has amsgrad false (create it with amsgrad: true, or leave the "/vhat" weights out)`,
      );
    if (kept.ema && !s.ema)
      throw new TypeError(
        `${WHERE}: "${name}/ema" is missing: this optimizer keeps a weight EMA (saved without the ema option? create the optimizer without it, or add "/ema" weights, e.g. the variables' values, to start the average there)`,
      );
    if (!kept.ema && s.ema)
      throw new TypeError(
        `${WHERE}: "${name}/ema" is a weight EMA, this optimizer keeps none (create it with the ema option, or leave the "/ema" weights out)`,
      );
    if (s.accum && accumulated === 0)
      throw new TypeError(
        `${WHERE}: "${name}/accum" holds accumulated gradients, but the weights' "accumulate" has none`,
      );
  }
}

// tfjs-layers renames a variable whose name is taken (`dense_Dense1/kernel` is created as
// `dense_Dense1/kernel_1` in a process that already holds the first): state saved under `x` must
// still find its variable under `x_N`, when exactly one does. Only that pattern: `w_1` and `w_2`
// are two variables, not one renamed.
const renamed = (variable: string, saved: string): boolean =>
  variable.startsWith(`${saved}_`) && /^\d+$/.test(variable.slice(saved.length + 1));

/** The saved name whose state belongs to `variable`: its own, or the one it was renamed from. */
export function savedNameOf(variable: string, saved: Iterable<string>): string | undefined {
  const all = [...saved];
  if (all.includes(variable)) return variable;
  const from = all.filter((k) => renamed(variable, k));
  return from.length === 1 ? from[0] : undefined;
}

/** Throws unless every array of `s` (saved as `saved`) has the size of `variable`; `lead` starts the message. */
export function checkSizes(s: Saved, saved: string, variable: string, size: number, lead: string): void {
  for (const q of ARRAYS) {
    const a = s[q];
    if (a && a.length !== size)
      throw new RangeError(`${lead} "${saved}/${q}" has ${a.length} elements, variable "${variable}" has ${size}`);
  }
}
