// The façade's objects for a tensor and a group: Param (its live views into linear memory) and
// ParamGroup (its hyperparameters). RAdam (optimizer/radam.ts) creates them; they refer back to it
// by type only.
import { P_EMA, P_EXP_AVG, P_EXP_AVG_SQ, P_GRAD, P_MAX_EXP_AVG_SQ, P_PARAM } from '../pipeline/layout.js';
import type { GroupRecord } from '../pipeline/step.js';
import type { Slot } from '../pipeline/table.js';
import { defineGroupAccessors, type GroupAccessors, type Hyperparameters } from './options.js';
import type { RAdam } from './radam.js';
import { formatValue } from '../util/format-value.js';

const STATE_ARRAYS = { expAvg: P_EXP_AVG, expAvgSq: P_EXP_AVG_SQ, maxExpAvgSq: P_MAX_EXP_AVG_SQ } as const;

/** A parameter's initial values, or its length (zeros). */
export type ParamInit = Float32Array | Float64Array | readonly number[] | number;

/** A tensor registered with the optimizer; its arrays are live views into linear memory. */
export class Param {
  /** @internal */
  constructor(
    /** The group the param belongs to. */
    readonly group: ParamGroup,
    /** @internal */ readonly _slot: Slot,
  ) {}

  /** Number of elements. */
  get size(): number {
    this.group.optimizer._check();
    return this._slot.size;
  }
  /** Steps taken by this parameter (torch's state['step']). */
  get step(): number {
    this.group.optimizer._check();
    return this._slot.steps;
  }
  /** The parameter values. */
  get data(): Float32Array {
    return this.view(P_PARAM)!;
  }
  /** The gradient: write it before each `step()`. */
  get grad(): Float32Array {
    return this.view(P_GRAD)!;
  }
  /**
   * First moment (torch's exp_avg): a live view with float32 state; with `stateDtype: 'bfloat16'`
   * a float32 copy taken now (exact), which writing to does not change the state (see `stateWords`).
   */
  get expAvg(): Float32Array {
    return this.state(P_EXP_AVG)!;
  }
  /** Second moment (torch's exp_avg_sq): a live view, or with bfloat16 state a float32 copy, as `expAvg`. */
  get expAvgSq(): Float32Array {
    return this.state(P_EXP_AVG_SQ)!;
  }
  /** Running maximum of the second moment with amsgrad, else null: a live view, or with bfloat16 state a float32 copy. */
  get maxExpAvgSq(): Float32Array | null {
    return this.state(P_MAX_EXP_AVG_SQ);
  }
  /**
   * With `stateDtype: 'bfloat16'`: a live view of a moment's raw bfloat16 words (the high 16 bits
   * of a float32: `word << 16` is its float32 bit pattern); null with float32 state, or for
   * `'maxExpAvgSq'` without amsgrad. Like every view, re-read it after the memory grew.
   */
  stateWords(name: 'expAvg' | 'expAvgSq' | 'maxExpAvgSq'): Uint16Array | null {
    const table = this.group.optimizer._table();
    const k = STATE_ARRAYS[name];
    if (!Object.hasOwn(STATE_ARRAYS, name))
      throw new TypeError(
        `stateWords: unknown state ${formatValue(name)} (expected 'expAvg', 'expAvgSq' or 'maxExpAvgSq')`,
      );
    return table.words(this._slot, k);
  }
  /** The exponential moving average of the values with the `ema` option, else null. */
  get ema(): Float32Array | null {
    return this.view(P_EMA);
  }

  private view(k: number): Float32Array | null {
    return this.group.optimizer._table().view(this._slot, k);
  }

  // A state array as float32: the live view, or with bfloat16 state a widened copy.
  private state(k: number): Float32Array | null {
    const table = this.group.optimizer._table();
    return table.bf16 ? table.readState(this._slot, k) : table.view(this._slot, k);
  }
}

// ParamGroup's hyperparameter accessors come from HYPERPARAMETERS (a getter per option, a setter
// where it is writable between steps); this interface types them.
export interface ParamGroup extends GroupAccessors {}

/** A parameter group: hyperparameters shared by its params, writable between steps (validated). */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: see the interface above
export class ParamGroup {
  /** @internal its hyperparameters and slots, as the step pipeline sees them */
  readonly _record: GroupRecord;
  /** @internal */
  readonly _params: Param[] = [];

  static {
    defineGroupAccessors(
      ParamGroup.prototype,
      (g) => g._record.hp,
      (g) => g.optimizer._check(),
    );
  }

  /** @internal */
  constructor(
    /** The optimizer the group belongs to. */
    readonly optimizer: RAdam,
    hp: Hyperparameters,
  ) {
    this._record = { hp, slots: [] };
  }

  /** The params of this group, in the order they were added. */
  get params(): readonly Param[] {
    this.optimizer._check();
    return this._params.slice();
  }

  /** Registers a parameter: initial values (copied into linear memory) or a length (zeros). */
  addParam(init: ParamInit): Param {
    return this.optimizer._addParam(this, init);
  }
}
