// State I/O as plain data: stateDict and loadStateDict (torch's layout), checked completely
// before anything changes. The binary checkpoint (src/state/checkpoint.ts) is built on them.
import {
  DEFAULTS,
  resolveGroupOptions,
  validateEma,
  validateStateSeed,
  type Hyperparameters,
} from '../optimizer/options.js';
import { formatValue } from '../util/format-value.js';
import { isTypedArray } from '../optimizer/validate.js';
import { P_ACCUM, P_EMA, P_EXP_AVG, P_EXP_AVG_SQ, P_MAX_EXP_AVG_SQ } from '../pipeline/layout.js';
import type { OptimizerParts, Stepper } from '../pipeline/step.js';

/** The state of one parameter in a state dict. */
export interface ParamState {
  /** Steps the param has taken (torch's `state['step']`). */
  step: number;
  /** The first moment m (torch's `exp_avg`). */
  expAvg: Float32Array;
  /** The second moment v (torch's `exp_avg_sq`). */
  expAvgSq: Float32Array;
  /** Only with amsgrad. */
  maxExpAvgSq?: Float32Array;
  /** Only with the ema option: the weights' moving average. */
  ema?: Float32Array;
  /** Only with accumulate, while the param's accumulator holds gradients of the current window: their sum. */
  accum?: Float32Array;
}

/** A group's hyperparameters and the (flat) indices of its params, as torch lays out param_groups. */
export interface GroupState extends Hyperparameters {
  /** The indices of the group's params in the dict's `state` (and in `opt.params`). */
  params: number[];
}

/** Everything `loadStateDict` restores; plain data that survives structuredClone. */
export interface RAdamStateDict {
  /** Always `'radam-wasm'`: what loading checks first. */
  format: 'radam-wasm';
  /** The layout's version: 1. A later one stays readable by the versions after it. */
  version: 1;
  /** The parameter groups, in order, as torch's `param_groups`. */
  groups: GroupState[];
  /** Indexed by param: params are numbered through the groups in order, as in torch. */
  state: ParamState[];
  /** With the ema option. */
  ema?: {
    /** The EMA's decay (the `ema` option's). */
    decay: number;
    /** TensorFlow's warmup rule (the `ema` option's). */
    warmup: boolean;
  };
  /**
   * With `stateDtype: 'bfloat16'`: the mode the moments were kept in (they are float32 here, widened
   * exactly), and the stochastic-rounding seed, which a bfloat16 optimizer loading the dict adopts.
   */
  bfloat16?: {
    /** The stochastic-rounding seed (the `stateSeed` option). */
    seed: number;
  };
  /** With accumulate > 1: gradients per applied step, and those accumulated so far. */
  accumulate?: {
    /** Gradients per applied step (the `accumulate` option). */
    k: number;
    /** Gradients accumulated in the current window, 0 .. k - 1. */
    accumulated: number;
  };
}

/** A Float32Array as JSON: its exact float32 values, and "NaN", "Infinity", "-Infinity", "-0" as strings. */
function float32Json(a: Float32Array): (number | string)[] {
  const out: (number | string)[] = new Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    out[i] = Number.isFinite(x) ? (x === 0 && 1 / x < 0 ? '-0' : x) : String(x);
  }
  return out;
}

function toJSON(this: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(this))
    out[k] =
      v instanceof Float32Array
        ? float32Json(v)
        : Array.isArray(v) && v.length && v.every((a) => a instanceof Float32Array || a === null)
          ? v.map((a) => a && float32Json(a))
          : v;
  return out;
}

/**
 * Gives `o` a non-enumerable toJSON that writes its Float32Arrays as arrays of numbers (JSON writes
 * a Float32Array as {"0": ...}, and NaN and ±Infinity as null), so that a state dict survives
 * JSON.stringify / JSON.parse bit for bit. structuredClone and toEqual do not see it.
 */
export function jsonSafe<T extends object>(o: T): T {
  return Object.defineProperty(o, 'toJSON', { value: toJSON, configurable: true, writable: true });
}

const SPECIAL: Readonly<Record<string, number>> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
  '-0': -0,
};

const MOMENTS = [
  ['expAvg', P_EXP_AVG],
  ['expAvgSq', P_EXP_AVG_SQ],
  ['maxExpAvgSq', P_MAX_EXP_AVG_SQ],
  ['ema', P_EMA],
] as const;

/** The groups' hyperparameters, every param's step count and moments, the EMA and accumulators (copies). */
export function stateDict({ groups, table, stepper }: OptimizerParts): RAdamStateDict {
  if (stepper.emaSwapped)
    throw new Error('stateDict: the EMA weights are swapped into the params (swapEma); swap them back first');
  let index = 0;
  const out = groups.map((g) => ({
    ...g.hp,
    betas: [g.hp.betas[0], g.hp.betas[1]] as [number, number],
    params: g.slots.map(() => index++),
  }));
  const state = groups.flatMap((g) =>
    g.slots.map((slot) => {
      const s: Record<string, unknown> = { step: slot.steps };
      for (const [name, k] of MOMENTS) {
        const a = table.readState(slot, k); // bfloat16 state widened: exact
        if (a) s[name] = a;
      }
      if (slot.pending) s.accum = table.view(slot, P_ACCUM)!.slice();
      return jsonSafe(s) as unknown as ParamState;
    }),
  );
  const sd: RAdamStateDict = { format: 'radam-wasm', version: 1, groups: out, state };
  if (stepper.ema) sd.ema = { ...stepper.ema };
  if (table.bf16) sd.bfloat16 = { seed: stepper.stateSeed };
  if (stepper.accumulate > 1) sd.accumulate = { k: stepper.accumulate, accumulated: stepper.window };
  return sd;
}

// The EMA and accumulation parts of a state dict, checked against the optimizer's options.
function checkExtras(sd: RAdamStateDict, stepper: Stepper, where: string) {
  let ema: ReturnType<typeof validateEma> = null;
  if (stepper.ema) {
    if (sd.ema == null)
      throw new TypeError(
        `${where}: the state dict has no EMA, this optimizer keeps one (saved without the ema option?)`,
      );
    try {
      ema = validateEma(sd.ema);
    } catch (e) {
      throw new RangeError(`${where}: ${(e as Error).message}`);
    }
  } else if (sd.ema != null)
    throw new TypeError(
      `${where}: the state dict has an EMA, this optimizer keeps none (create it with the ema option)`,
    );
  const acc = sd.accumulate ?? { k: 1, accumulated: 0 };
  if (acc === null || typeof acc !== 'object' || !Number.isSafeInteger(acc.k) || acc.k < 1)
    throw new TypeError(`${where}: invalid "accumulate" ${formatValue(sd.accumulate)}`);
  if (!Number.isSafeInteger(acc.accumulated) || acc.accumulated < 0 || acc.accumulated >= acc.k)
    throw new RangeError(
      `${where}: accumulated ${formatValue(acc.accumulated)} (expected 0 <= accumulated < k ${acc.k})`,
    );
  const k = stepper.accumulate;
  if (acc.accumulated > 0 && k === 1)
    throw new RangeError(
      `${where}: the state dict holds ${acc.accumulated} accumulated gradients, this optimizer does not accumulate`,
    );
  if (k > 1 && acc.k > 1 && acc.k !== k)
    throw new RangeError(`${where}: saved with accumulate ${acc.k}, this optimizer has accumulate ${k}`);
  let seed: number | null = null;
  if (sd.bfloat16 !== undefined) {
    const b = sd.bfloat16 as unknown;
    if (b === null || typeof b !== 'object') throw new TypeError(`${where}: invalid "bfloat16" ${formatValue(b)}`);
    try {
      seed = validateStateSeed((b as { seed?: unknown }).seed);
    } catch (e) {
      throw new RangeError(`${where}: "bfloat16": ${(e as Error).message}`);
    }
  }
  return { ema, accumulated: acc.accumulated, seed };
}

/**
 * Checks a whole state dict against the optimizer's groups and params and converts it; returns
 * what applies it. Moments load into bfloat16 state rounded to nearest even (exact when they came
 * from bfloat16 state). Throws, saying what differs, before anything changes. A group that lacks an
 * option key (a save from before that option existed) gets the option's default.
 */
export function checkStateDict(sd: RAdamStateDict, parts: OptimizerParts, where = 'loadStateDict'): () => void {
  const { groups, table, stepper } = parts;
  if (stepper.emaSwapped)
    throw new Error(`${where}: the EMA weights are swapped into the params (swapEma); swap them back first`);
  if (sd === null || typeof sd !== 'object')
    throw new TypeError(`${where}: expected a state dict object, got ${formatValue(sd)}`);
  if ((sd as { lookahead?: unknown }).lookahead !== undefined)
    throw new TypeError(
      `${where}: this state dict was saved by a Lookahead (it holds slow weights and a counter): load it with that Lookahead's loadStateDict`,
    );
  if (sd.format !== 'radam-wasm' || sd.version !== 1) {
    throw new TypeError(
      `${where}: not a radam-wasm version 1 state dict (format ${formatValue(sd.format)}, version ${formatValue(sd.version)})`,
    );
  }
  if (!Array.isArray(sd.groups)) throw new TypeError(`${where}: the state dict has no "groups" array`);
  if (!Array.isArray(sd.state)) throw new TypeError(`${where}: the state dict has no "state" array`);
  if (sd.groups.length !== groups.length) {
    throw new RangeError(
      `${where}: the state dict has ${sd.groups.length} groups, this optimizer has ${groups.length}`,
    );
  }
  const extras = checkExtras(sd, stepper, where);
  const slots = groups.flatMap((g, k) => g.slots.map((slot) => ({ slot, group: k })));
  if (sd.state.length !== slots.length) {
    throw new RangeError(
      `${where}: the state dict has state for ${sd.state.length} params, this optimizer has ${slots.length}`,
    );
  }
  let index = 0;
  const hps = sd.groups.map((gs, k): Hyperparameters => {
    const group = groups[k];
    if (gs === null || typeof gs !== 'object' || !Array.isArray(gs.params)) {
      throw new TypeError(`${where}: group ${k} has no "params" array`);
    }
    if (gs.params.length !== group.slots.length) {
      throw new RangeError(
        `${where}: group ${k} has ${gs.params.length} params in the state dict, ${group.slots.length} in this optimizer`,
      );
    }
    gs.params.forEach((pi, j) => {
      if (pi !== index + j)
        throw new RangeError(
          `${where}: group ${k} lists param ${formatValue(pi)} at position ${j}, expected ${index + j}`,
        );
    });
    index += gs.params.length;
    const { params: _, ...given } = gs;
    let hp: Hyperparameters;
    try {
      hp = resolveGroupOptions(given, { ...DEFAULTS }); // a missing key: its default, as torch's setdefault
    } catch (e) {
      const Ctor = e instanceof RangeError ? RangeError : TypeError;
      throw new Ctor(`${where}: group ${k}: ${(e as Error).message}`);
    }
    if (hp.amsgrad !== group.hp.amsgrad) {
      throw new RangeError(
        `${where}: group ${k} has amsgrad ${hp.amsgrad} in the state dict, ${group.hp.amsgrad} in this optimizer`,
      );
    }
    return hp;
  });
  const states = slots.map(({ slot, group }, i) => {
    const s = sd.state[i];
    const what = `${where}: state of param ${i} (group ${group}, size ${slot.size})`;
    if (s === null || typeof s !== 'object') throw new TypeError(`${what} is ${formatValue(s)}`);
    if (!Number.isSafeInteger(s.step) || s.step < 0) {
      throw new RangeError(`${what} has step ${formatValue(s.step)} (expected a non-negative integer)`);
    }
    const arrays = MOMENTS.filter(([, k]) => slot.ptrs[k] !== 0).map(([name, k]): [number, Float32Array] => {
      const a = s[name] as unknown;
      if (a === undefined) throw new TypeError(`${what} is missing "${name}"`);
      return [k, float32Array(a, slot.size, `${what}: "${name}"`)];
    });
    const accum = s.accum;
    if (accum !== undefined) {
      if (extras.accumulated === 0)
        throw new TypeError(`${what} has "accum" but the state dict has no accumulated gradients`);
      arrays.push([P_ACCUM, float32Array(accum, slot.size, `${what}: "accum"`)]);
    }
    return { step: s.step, arrays, pending: accum !== undefined };
  });
  return () => {
    hps.forEach((hp, k) => {
      groups[k].hp = hp;
    });
    slots.forEach(({ slot }, i) => {
      slot.steps = states[i].step;
      slot.pending = states[i].pending;
      for (const [k, a] of states[i].arrays) table.writeState(slot, k, a); // to bfloat16: nearest even
    });
    if (extras.ema) stepper.ema = extras.ema;
    // A float32 optimizer keeps no seed; a dict saved with float32 state leaves the seed as it is.
    if (extras.seed !== null && table.bf16) stepper.stateSeed = extras.seed;
    stepper.window = extras.accumulated;
  };
}

/**
 * A saved array as a Float32Array of `size` elements: a Float32Array or a Float64Array (as
 * structuredClone leaves it), an array of numbers and "NaN", "Infinity", "-Infinity", "-0" (as
 * JSON leaves a state dict's arrays), or {"0": x, ...} (as JSON leaves a plain Float32Array);
 * throws naming `what` and the problem.
 */
export function float32Array(a: unknown, size: number, what: string): Float32Array {
  if (isTypedArray(a, 'Float32Array') || isTypedArray(a, 'Float64Array')) {
    if (a.length !== size) throw new RangeError(`${what} has ${a.length} elements, the param has ${size}`);
    // From a Float32Array, a byte copy (NaN payloads kept: bfloat16 state's words come back whole).
    return isTypedArray(a, 'Float32Array') ? new Float32Array(a) : Float32Array.from(a);
  }
  let items: unknown[];
  if (Array.isArray(a)) items = a;
  else if (a !== null && typeof a === 'object' && Object.getPrototypeOf(a) === Object.prototype) {
    // JSON.stringify of a plain Float32Array: its indices as keys, in order.
    const keys = Object.keys(a);
    if (!keys.every((k, i) => k === String(i)))
      throw new TypeError(`${what} is an object whose keys are not the indices 0..n-1 (expected a Float32Array)`);
    items = Object.values(a);
  } else throw new TypeError(`${what} is ${formatValue(a)} (expected a Float32Array)`);
  if (items.length !== size) throw new RangeError(`${what} has ${items.length} elements, the param has ${size}`);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const x = items[i];
    const v = typeof x === 'number' ? x : typeof x === 'string' && Object.hasOwn(SPECIAL, x) ? SPECIAL[x] : undefined;
    if (v === undefined) {
      const why =
        x === null ? '; JSON writes NaN and Infinity as null, so they are lost from a plain Float32Array' : '';
      throw new TypeError(`${what} element ${i} is ${formatValue(x)} (expected a number${why})`);
    }
    out[i] = v;
  }
  return out;
}
