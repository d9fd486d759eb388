// The variables a tfjs RAdamOptimizer trains, each backed by a param of its core RAdam (keyed by
// variable name), and the state setWeights restored for variables not seen yet: finding and
// adding them, reading their values into linear memory and writing new values back, and
// restoring saved state (through the core's stateDict / loadStateDict, checked whole).
import * as tf from '@tensorflow/tfjs-core';
import type { Param, RAdam } from '../optimizer/radam.js';
import { checkSizes, savedNameOf, type Saved } from './weights.js';

export interface Slot {
  param: Param;
  /** The param's index in the core's params, and in its stateDict's `state`. */
  index: number;
  variable: tf.Variable;
  /** The variable's data after our last write or read: another id means someone else assigned it. */
  dataId: object | null;
}

export class TrainedVariables {
  readonly slots = new Map<string, Slot>();
  /** State restored by setWeights for a variable not seen yet (kept, and saved again, until it is). */
  saved = new Map<string, Saved>();
  private added = 0; // params added to the core (those of variables recreated with another size included)

  constructor(private readonly core: RAdam) {}

  /**
   * The slot of `variable` (registered under `name`), or null for a variable to add: checks the
   * state saved for it first. A variable disposed and created again under the same name: the same
   * size keeps its state (its values are re-read), another size starts afresh.
   */
  find(name: string, variable: tf.Variable): Slot | null {
    const slot = this.slots.get(name);
    if (slot && (slot.variable === variable || slot.param.size === variable.size)) return slot;
    const key = savedNameOf(variable.name, this.saved.keys());
    if (key !== undefined)
      checkSizes(this.saved.get(key)!, key, variable.name, variable.size, 'RAdamOptimizer: the saved');
    return null;
  }

  /** Slots for variables seen for the first time, with the state saved for them restored. */
  add(variables: readonly tf.Variable[]): Slot[] {
    const restored: [Slot, string][] = [];
    const slots = variables.map((variable) => {
      const param = this.core.addParam(variable.dataSync() as Float32Array);
      const slot: Slot = { param, index: this.added++, variable, dataId: variable.dataId };
      this.slots.set(variable.name, slot);
      const key = savedNameOf(variable.name, this.saved.keys());
      if (key !== undefined) restored.push([slot, key]);
      return slot;
    });
    if (restored.length) {
      this.restore(
        restored.map(([slot, key]) => [slot, this.saved.get(key)!]),
        null,
      );
      for (const [, key] of restored) this.saved.delete(key);
    }
    return slots;
  }

  /** The variable registered under a slot's name, if it can take the slot's values (followed if recreated). */
  variableOf(name: string, slot: Slot): tf.Variable | null {
    const v = tf.engine().registeredVariables[name];
    if (v?.dtype !== 'float32' || v.size !== slot.param.size) return null;
    if (v !== slot.variable) {
      slot.variable = v;
      slot.dataId = null;
    }
    return v;
  }

  /** The slots whose variable is still registered. */
  live(): Slot[] {
    return [...this.slots].filter(([name, slot]) => this.variableOf(name, slot)).map(([, slot]) => slot);
  }

  /** Re-reads the values of a variable assigned outside the optimizer since our last write. */
  read(slot: Slot): void {
    if (slot.dataId === slot.variable.dataId) return;
    slot.param.data.set(slot.variable.dataSync() as Float32Array);
    slot.dataId = slot.variable.dataId;
  }

  /** Writes the param's values into its variable (one new tensor). */
  write(slot: Slot): void {
    const { param, variable } = slot;
    // tfjs-wasm copies new tensor values into its heap at once; other backends (cpu, webgl) keep
    // the array, so they get a copy of ours.
    const value = tf.tensor(tf.getBackend() !== 'wasm' ? param.data.slice() : param.data, variable.shape, 'float32');
    variable.assign(value);
    value.dispose();
    slot.dataId = variable.dataId;
  }

  /** Every variable's state, as getWeights lists it: the slots' (from `sd`), then the saved. */
  states(sd: ReturnType<RAdam['stateDict']>): [string, Saved][] {
    const own = [...this.slots].map(([name, slot]): [string, Saved] => {
      const { expAvg: m, expAvgSq: v, maxExpAvgSq: vhat, ema, accum, step } = sd.state[slot.index];
      return [name, { m, v, vhat, ema, accum, step, shape: slot.variable.shape }];
    });
    return [...own, ...this.saved];
  }

  /**
   * setWeights' part: gives each loaded state to its variable (by name, exactly, or the one
   * variable renamed from it), or keeps it for when that variable is seen; `accumulated` opens a
   * new accumulation window. Sizes are checked before anything changes.
   */
  load(loaded: Map<string, Saved>, accumulated: number): void {
    const known = [...loaded.entries()].map(([saved, s]) => {
      const names = [...this.slots.keys()].filter((n) => savedNameOf(n, loaded.keys()) === saved);
      const name = names.includes(saved) ? saved : names.length === 1 ? names[0] : undefined;
      const slot = name === undefined ? undefined : this.slots.get(name)!;
      if (slot) checkSizes(s, saved, name!, slot.param.size, 'RAdamOptimizer.setWeights:');
      return { saved, s, name, slot };
    });
    for (const { name, slot } of known) if (slot && this.variableOf(name!, slot)) this.read(slot);
    this.restore(
      known.filter((x) => x.slot).map(({ slot, s }) => [slot!, s] as const),
      accumulated,
    );
    this.saved = new Map(known.filter((x) => !x.slot).map(({ saved, s }) => [saved, s]));
  }

  /** An applied step closed the accumulation window: the saved accumulators belonged to it. */
  windowClosed(): void {
    for (const s of this.saved.values()) delete s.accum;
  }

  /**
   * Puts saved state into slots' params through the core's stateDict / loadStateDict (all or
   * nothing). The state is complete (checkComplete): every array the param keeps is replaced, none
   * is kept, and an array missing anyway makes loadStateDict refuse. With `window` (setWeights), a
   * new accumulation window: the other params' accumulators are emptied.
   */
  private restore(pairs: readonly (readonly [Slot, Saved])[], window: number | null): void {
    const sd = this.core.stateDict();
    for (const [slot, s] of pairs) {
      const st = sd.state[slot.index];
      st.step = s.step;
      st.expAvg = s.m!;
      st.expAvgSq = s.v!;
      if (st.maxExpAvgSq) st.maxExpAvgSq = s.vhat!;
      if (st.ema) st.ema = s.ema!;
      if (s.accum) st.accum = s.accum;
      else delete st.accum;
    }
    if (window !== null) {
      const given = new Set(pairs.map(([slot]) => slot.index));
      sd.state.forEach((st, i) => {
        if (!given.has(i)) delete st.accum;
      });
      if (sd.accumulate) sd.accumulate.accumulated = window;
    }
    this.core.loadStateDict(sd);
  }

  clear(): void {
    this.slots.clear();
    this.saved.clear();
  }
}
