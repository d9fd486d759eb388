// The public objects RAdam, ParamGroup and Param: a façade over the step table, the step pipeline,
// state I/O and backend selection. The module map and how to add an option: src/README.md.
import { createKernelSync, createThreaded, ready } from '../backends/select.js';
import type { Kernel } from '../backends/kernel.js';
import type { KernelSource } from '../backends/wasm.js';
import { createHooks, registerHooks } from './internals.js';
import { P_ACCUM, P_EMA, P_EXP_AVG, P_EXP_AVG_SQ, P_GRAD, P_MAX_EXP_AVG_SQ, P_PARAM } from '../pipeline/layout.js';
import {
  DEFAULTS,
  defineGroupAccessors,
  resolveCreateOptions,
  resolveGroupOptions,
  type Backend,
  type BackendChoice,
  type GroupAccessors,
  type GroupOptions,
  type Hyperparameters,
  type RAdamOptions,
  type ResolvedOptions,
} from './options.js';
import { OptimizerCore } from './optimizer-core.js';
import { validateParamInit } from './validate.js';
import { Stepper, type GroupRecord } from '../pipeline/step.js';
import { StepTable, type Slot } from '../pipeline/table.js';
import type { ThreadPool } from '../threads/pool.js';

export type { ParamState, GroupState, RAdamStateDict } from '../state/state-dict.js';
export type { StepResult } from '../pipeline/step.js';

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
  /** First moment (torch's exp_avg). */
  get expAvg(): Float32Array {
    return this.view(P_EXP_AVG)!;
  }
  /** Second moment (torch's exp_avg_sq). */
  get expAvgSq(): Float32Array {
    return this.view(P_EXP_AVG_SQ)!;
  }
  /** Running maximum of the second moment with amsgrad, else null. */
  get maxExpAvgSq(): Float32Array | null {
    return this.view(P_MAX_EXP_AVG_SQ);
  }
  /** The exponential moving average of the values with the `ema` option, else null. */
  get ema(): Float32Array | null {
    return this.view(P_EMA);
  }

  private view(k: number): Float32Array | null {
    return this.group.optimizer._view(this._slot, k);
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

export class RAdam extends OptimizerCore {
  private readonly _groups: ParamGroup[] = [];

  /** @internal Where the wasm kernels come from: set by each entry point's subclass (src/index.ts, src/workerd.ts). */
  static kernels: KernelSource | null = null;

  /** Hyperparameter defaults of this class over torch's (the `Adam` export sets `rectify: false`). */
  static defaults: Partial<Hyperparameters> = {};

  /** @internal use RAdam.create or RAdam.createSync */
  protected constructor(kernel: Kernel, o: ResolvedOptions, pool: ThreadPool | null) {
    // JavaScript lets anyone call `new RAdam()`; without this it fails deep inside on `undefined.memory`.
    if (typeof kernel?.step !== 'function' || o === undefined)
      throw new TypeError(
        `${new.target.name}: create an optimizer with \`await ${new.target.name}.create(options)\` (or ${new.target.name}.createSync after await ${new.target.name}.ready()), not with new`,
      );
    const table = new StepTable(kernel);
    const groups: GroupRecord[] = [];
    const { ema, accumulate, guards } = o;
    super({ table, groups, stepper: new Stepper(kernel, table, groups, { pool, ema, accumulate, guards }) });
    this.addGroupRecord(o.hp);
    registerHooks(
      this,
      createHooks(
        kernel,
        () => this._check().core,
        (p: Param) => this.slotOf(p),
      ),
    );
  }

  /**
   * Creates an optimizer. Every option is optional (defaults are torch's); the options other than
   * `backend` are the hyperparameters of the default group, which later groups inherit.
   */
  static async create(options: RAdamOptions = {}): Promise<RAdam> {
    // Validate before loading anything.
    const o = resolveCreateOptions(options, { ...DEFAULTS, ...this.defaults });
    const threaded = await createThreaded(this.kernels, o.choice, o.threads);
    if (threaded) return this.make(threaded.kernel, o, threaded.pool);
    return this.make(createKernelSync(this.kernels, o.choice), o);
  }

  private static make(kernel: Kernel, o: ResolvedOptions, pool: ThreadPool | null = null): RAdam {
    const opt = new this(kernel, o, pool);
    pool?.releaseWhenCollected(opt); // its workers end when the optimizer is collected without dispose()
    return opt;
  }

  /**
   * Loads and compiles the kernel a backend choice resolves to, once per process, and says which
   * backend that is. After it, `createSync` with that choice works.
   */
  static ready(backend: BackendChoice = 'auto'): Promise<Backend> {
    return ready(this.kernels, backend);
  }

  /** `create` without the wait, for callers that must be synchronous; needs `await RAdam.ready(backend)` first. */
  static createSync(options: RAdamOptions = {}): RAdam {
    const o = resolveCreateOptions(options, { ...DEFAULTS, ...this.defaults });
    if (o.threads !== 1) {
      throw new Error('RAdam.createSync: threads need the worker threads started: use await RAdam.create({ threads })');
    }
    return this.make(createKernelSync(this.kernels, o.choice), o);
  }

  /** The parameter groups; `groups[0]` is the default group. */
  get groups(): readonly ParamGroup[] {
    return this._check()._groups.slice();
  }

  /** All params, numbered through the groups in order (the numbering of stateDict). */
  get params(): readonly Param[] {
    return this._check()._groups.flatMap((g) => g._params);
  }

  /** Bytes of linear memory in use (params, gradients, state and the step table). */
  get memoryBytes(): number {
    return this._check().core.table.arena.used;
  }

  /** Adds a group whose unspecified hyperparameters are those of the default group. */
  addGroup(options: GroupOptions = {}): ParamGroup {
    return this.addGroupRecord(resolveGroupOptions(options, { ...this._check().core.groups[0].hp }));
  }

  /** Registers a parameter in the default group. */
  addParam(init: ParamInit): Param {
    return this._addParam(this._groups[0], init);
  }

  /** @internal */
  _addParam(group: ParamGroup, init: ParamInit): Param {
    const { table } = this._check().core;
    if (group.optimizer !== this || !this._groups.includes(group))
      throw new Error('addParam: that group belongs to another optimizer');
    let { size, values } = validateParamInit(init);
    // Values in this optimizer's own memory (another param's data, say) would be detached when
    // adding grows the memory: copy them first.
    if (ArrayBuffer.isView(values) && values.buffer === table.kernel.memory.buffer) values = Float64Array.from(values);
    const { ema, accumulate } = this.core.stepper;
    const arrays = [P_PARAM, P_GRAD, P_EXP_AVG, P_EXP_AVG_SQ];
    if (group._record.hp.amsgrad) arrays.push(P_MAX_EXP_AVG_SQ);
    if (accumulate > 1) arrays.push(P_ACCUM);
    if (ema) arrays.push(P_EMA);
    let param: Param | undefined;
    table.add(size, arrays, (slot) => {
      param = new Param(group, slot);
      slot.owner = param;
      if (values) param.data.set(values);
      if (ema) param.ema!.set(param.data); // the average starts at the values, as in Keras and timm
    });
    group._params.push(param!);
    group._record.slots.push(param!._slot);
    return param!;
  }

  /** @internal */
  protected disposeObjects(): void {
    this._groups.length = 0;
  }

  private addGroupRecord(hp: Hyperparameters): ParamGroup {
    const group = new ParamGroup(this, hp);
    this._groups.push(group);
    this.core.groups.push(group._record);
    return group;
  }

  private slotOf(p: Param): Slot {
    this._check();
    if (p.group.optimizer !== this) throw new Error('Lookahead: that param belongs to another optimizer');
    return p._slot;
  }
}
