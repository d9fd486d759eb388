// State I/O as plain data: stateDict and loadStateDict (torch's layout), checked completely
// before anything changes. The binary checkpoint (src/checkpoint.ts) is built on them.
import { DEFAULTS, formatValue, resolveGroupOptions, type Hyperparameters } from './options.js';
import { P_EXP_AVG, P_EXP_AVG_SQ, P_MAX_EXP_AVG_SQ } from './layout.js';
import type { GroupRecord } from './step.js';
import type { StepTable } from './table.js';

/** The state of one parameter in a state dict. */
export interface ParamState {
  step: number;
  expAvg: Float32Array;
  expAvgSq: Float32Array;
  /** Only with amsgrad. */
  maxExpAvgSq?: Float32Array;
}

/** A group's hyperparameters and the (flat) indices of its params, as torch lays out param_groups. */
export interface GroupState extends Hyperparameters {
  params: number[];
}

/** Everything `loadStateDict` restores; plain data that survives structuredClone. */
export interface RAdamStateDict {
  format: 'radam-wasm';
  version: 1;
  groups: GroupState[];
  /** Indexed by param: params are numbered through the groups in order, as in torch. */
  state: ParamState[];
}

const MOMENTS = [
  ['expAvg', P_EXP_AVG],
  ['expAvgSq', P_EXP_AVG_SQ],
  ['maxExpAvgSq', P_MAX_EXP_AVG_SQ],
] as const;

/** The groups' hyperparameters and every param's step count and moments (copies). */
export function stateDict(groups: readonly GroupRecord[], table: StepTable): RAdamStateDict {
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
        const a = table.view(slot, k);
        if (a) s[name] = a.slice();
      }
      return s as unknown as ParamState;
    }),
  );
  return { format: 'radam-wasm', version: 1, groups: out, state };
}

/**
 * Checks a whole state dict against the optimizer's groups and params and converts it; returns
 * what applies it. Throws, saying what differs, before anything changes. A group that lacks an
 * option key (a save from before that option existed) gets the option's default.
 */
export function checkStateDict(
  sd: RAdamStateDict,
  groups: readonly GroupRecord[],
  table: StepTable,
  where = 'loadStateDict',
): () => void {
  if (sd === null || typeof sd !== 'object')
    throw new TypeError(`${where}: expected a state dict object, got ${formatValue(sd)}`);
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
    const arrays = MOMENTS.filter(([, k]) => table.view(slot, k)).map(([name, k]) => {
      const a = s[name] as unknown;
      if (a === undefined) throw new TypeError(`${what} is missing "${name}"`);
      return [k, float32Array(a, slot.size, `${what}: "${name}"`)] as const;
    });
    return { step: s.step, arrays };
  });
  return () => {
    hps.forEach((hp, k) => {
      groups[k].hp = hp;
    });
    slots.forEach(({ slot }, i) => {
      slot.steps = states[i].step;
      for (const [k, a] of states[i].arrays) table.view(slot, k)!.set(a);
    });
  };
}

/**
 * A saved array as a Float32Array of `size` elements (a Float32Array, a Float64Array or an array
 * of numbers, as structuredClone or JSON leave it); throws naming `what` and the problem.
 */
export function float32Array(a: unknown, size: number, what: string): Float32Array {
  if (!(a instanceof Float32Array || a instanceof Float64Array || Array.isArray(a))) {
    throw new TypeError(`${what} is ${formatValue(a)} (expected a Float32Array)`);
  }
  if (a.length !== size) throw new RangeError(`${what} has ${a.length} elements, the param has ${size}`);
  if (Array.isArray(a)) {
    const bad = a.findIndex((x) => typeof x !== 'number');
    if (bad >= 0) throw new TypeError(`${what} element ${bad} is ${formatValue(a[bad])} (expected a number)`);
  }
  return Float32Array.from(a as ArrayLike<number>);
}
