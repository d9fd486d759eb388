// The public objects RAdam, ParamGroup and Param: a façade over the step table, the step pipeline,
// state I/O and backend selection. The module map and how to add an option: src/README.md.
import { createKernelSync, createThreaded, ready } from './backend.js';
import type { Kernel } from './backends/kernel.js';
import type { KernelSource } from './backends/wasm.js';
import { createHooks, hooksOf, registerHooks, type Core } from './hooks.js';
import { P_EXP_AVG, P_EXP_AVG_SQ, P_GRAD, P_MAX_EXP_AVG_SQ, P_PARAM } from './layout.js';
import {
  DEFAULTS,
  defineGroupAccessors,
  resolveCreateOptions,
  resolveGroupOptions,
  validateParamInit,
  validateGuard,
  type Backend,
  type BackendChoice,
  type GroupAccessors,
  type GroupOptions,
  type Hyperparameters,
  type RAdamOptions,
  type StepOptions,
} from './options.js';
import { checkStateDict, stateDict, type RAdamStateDict } from './state.js';
import { Stepper, type GroupRecord, type StepResult } from './step.js';
import { StepTable, type Slot } from './table.js';
import type { ThreadPool } from './threads/pool.js';

export type { ParamState, GroupState, RAdamStateDict } from './state.js';
export type { StepResult } from './step.js';

/** A parameter's initial values, or its length (zeros). */
export type ParamInit = Float32Array | Float64Array | readonly number[] | number;

/** A tensor registered with the optimizer; its arrays are live views into linear memory. */
export class Param {
  /** @internal */
  constructor(
    readonly group: ParamGroup,
    /** @internal */ readonly _slot: Slot,
  ) {}

  /** Number of elements. */
  get size(): number {
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
    readonly optimizer: RAdam,
    hp: Hyperparameters,
  ) {
    this._record = { hp, slots: [] };
  }

  /** The params of this group, in the order they were added. */
  get params(): readonly Param[] {
    return this._params.slice();
  }

  /** Registers a parameter: initial values (copied into linear memory) or a length (zeros). */
  addParam(init: ParamInit): Param {
    return this.optimizer._addParam(this, init);
  }
}

export class RAdam {
  private readonly core: Core;
  private readonly _groups: ParamGroup[] = [];
  private disposed = false;

  /** Where the wasm kernels come from: set by each entry point's subclass (src/index.ts, src/workerd.ts). */
  static kernels: KernelSource | null = null;

  /** Hyperparameter defaults of this class over torch's (the `Adam` export sets `rectify: false`). */
  static defaults: Partial<Hyperparameters> = {};

  /** @internal use RAdam.create or RAdam.createSync */
  protected constructor(kernel: Kernel, hp: Hyperparameters) {
    const table = new StepTable(kernel);
    const groups: GroupRecord[] = [];
    this.core = { table, groups, stepper: new Stepper(kernel, table, groups, () => this._check()) };
    this.addGroupRecord(hp);
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
    const { choice, hp, guards, threads } = resolveCreateOptions(options, { ...DEFAULTS, ...this.defaults });
    const threaded = await createThreaded(this.kernels, choice, threads);
    if (threaded) return this.make(threaded.kernel, hp, guards, threaded.pool);
    return this.make(createKernelSync(this.kernels, choice), hp, guards);
  }

  private static make(kernel: Kernel, hp: Hyperparameters, guards: StepOptions, pool: ThreadPool | null = null): RAdam {
    const opt = new this(kernel, hp);
    Object.assign(opt.core.stepper.guards, guards);
    opt.core.stepper.pool = pool;
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
    const { choice, hp, guards, threads } = resolveCreateOptions(options, { ...DEFAULTS, ...this.defaults });
    if (threads !== 1) {
      throw new Error('RAdam.createSync: threads need the worker threads started: use await RAdam.create({ threads })');
    }
    return this.make(createKernelSync(this.kernels, choice), hp, guards);
  }

  /** Threads the step runs on (the calling thread included); 1 without threads. */
  get threads(): number {
    const pool = this._check().core.stepper.pool;
    return pool ? pool.workers + 1 : 1;
  }

  /** The backend actually used. */
  get backend(): Backend {
    return this._check().core.table.kernel.backend;
  }

  /** A NaN or ±Infinity in any gradient makes step() change nothing and say so (default false). */
  get skipNonFinite(): boolean {
    return this._check().core.stepper.guards.skipNonFinite;
  }
  set skipNonFinite(x: boolean) {
    this._check().core.stepper.guards.skipNonFinite = validateGuard('skipNonFinite', x);
  }
  /** Clip all gradients by their global L2 norm to at most this; null: no clipping (default). */
  get maxGradNorm(): number | null {
    return this._check().core.stepper.guards.maxGradNorm;
  }
  set maxGradNorm(x: number | null) {
    this._check().core.stepper.guards.maxGradNorm = validateGuard('maxGradNorm', x);
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
    const { size, values } = validateParamInit(init);
    const slot = table.add(size, group._record.hp.amsgrad ? 5 : 4);
    const param = new Param(group, slot);
    slot.owner = param;
    if (values) param.data.set(values);
    group._params.push(param);
    group._record.slots.push(slot);
    return param;
  }

  /**
   * Takes one optimization step for every param, using the gradients in `param.grad`.
   * The per-step scalars are computed once per (group, step count) in float64; one kernel call
   * then walks all tensors.
   */
  step(options?: StepOptions): StepResult {
    return this._check().core.stepper.step(null, options);
  }

  /**
   * step() for a thread that must not block: with threads on a browser's main thread (which may
   * not Atomics.wait) the work is shared with the workers only here; elsewhere it is step().
   */
  stepAsync(options?: StepOptions): Promise<StepResult> {
    return this._check().core.stepper.stepAsync(options);
  }

  /** Sets every gradient to zero. */
  zeroGrad(): void {
    const { table } = this._check().core;
    for (const slot of table.slots) table.view(slot, P_GRAD)!.fill(0);
  }

  /** The groups' hyperparameters and every param's step count and moments (copies). */
  stateDict(): RAdamStateDict {
    const { groups, table } = this._check().core;
    return stateDict(groups, table);
  }

  /**
   * Restores the groups' hyperparameters and the params' state (not the param values), like torch.
   * The whole dict is checked first: on any mismatch it throws, saying what differs, and changes nothing.
   */
  loadStateDict(sd: RAdamStateDict): void {
    const { groups, table } = this._check().core;
    checkStateDict(sd, groups, table)();
  }

  /**
   * The state as a versioned binary checkpoint (magic, version, hyperparameters, per-param step and
   * state, CRC-32); with `includeParams`, also the param values, so one file restores training.
   */
  saveState(options: { includeParams?: boolean } = {}): Uint8Array<ArrayBuffer> {
    return hooksOf(this._check()).saveState(options, null);
  }

  /**
   * Restores a checkpoint from saveState (and the param values, if it holds them). Truncated,
   * corrupt, wrong-version or mismatched bytes throw a clear error and change nothing.
   */
  loadState(bytes: Uint8Array): void {
    hooksOf(this._check()).loadState(bytes, () => undefined);
  }

  /** Releases the linear memory; any later use of the optimizer, its groups or params throws. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const { stepper, table } = this.core;
    stepper.disposed = true;
    stepper.pool?.dispose();
    for (const slot of table.slots) slot.views = [];
    // Drop every reference to the memory, even while the optimizer object is still referenced.
    (this as unknown as { core: Core | null }).core = null;
    registerHooks(this, null);
    this._groups.length = 0;
  }

  /** @internal a live view of one of a param's arrays (P_*) */
  _view(slot: Slot, k: number): Float32Array | null {
    return this._check().core.table.view(slot, k);
  }

  /** @internal throws when disposed, or while a stepAsync() is running (the workers are writing) */
  _check(): this {
    if (this.disposed) throw new Error('RAdam: this optimizer has been disposed');
    if (this.core.stepper.stepping)
      throw new Error('RAdam: a stepAsync() is still running; await it before using the optimizer');
    return this;
  }

  /** @internal elements below which a step stays on the calling thread; null: the measured defaults (the benchmark sets 0 to measure) */
  get _minSplit(): number | null {
    return this.core.stepper.minSplit;
  }
  set _minSplit(n: number | null) {
    this.core.stepper.minSplit = n;
  }
  /** @internal split steps taken (tests check that threads were really used) */
  get _splits(): number {
    return this.core.stepper.splits;
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
