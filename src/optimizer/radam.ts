// The public objects RAdam, ParamGroup and Param: a façade over the step table, the step pipeline,
// state I/O and backend selection. The module map and how to add an option: src/README.md.
import type { Kernel } from '../backends/kernel.js';
import { createKernelSync, createThreaded, ready } from '../backends/select.js';
import type { KernelSource } from '../backends/wasm.js';
import { P_ACCUM, P_EMA, P_EXP_AVG, P_EXP_AVG_SQ, P_GRAD, P_MAX_EXP_AVG_SQ, P_PARAM } from '../pipeline/layout.js';
import { DISPOSED, Stepper, type GroupRecord, type OptimizerParts, type StepResult } from '../pipeline/step.js';
import { StepTable, type Slot } from '../pipeline/table.js';
import { loadCheckpoint, saveCheckpoint } from '../state/checkpoint.js';
import { checkStateDict, stateDict, type RAdamStateDict } from '../state/state-dict.js';
import type { ThreadPool } from '../threads/pool.js';
import type { Bytes } from './bytes.js';
import { swapEma, withSwapped } from './ema.js';
import { createHooks, registerHooks } from './internals.js';
import {
  DEFAULTS,
  resolveCreateOptions,
  resolveGroupOptions,
  validateGuard,
  type Backend,
  type BackendChoice,
  type EmaOptions,
  type GroupOptions,
  type Hyperparameters,
  type RAdamOptions,
  type ResolvedOptions,
  type StateDtype,
  type StepOptions,
} from './options.js';
import { Param, ParamGroup, type ParamInit } from './param.js';
import { validateParamInit } from './validate.js';

export type { ParamState, GroupState, RAdamStateDict } from '../state/state-dict.js';
export { Param, ParamGroup, type ParamInit } from './param.js';
export type { StepResult } from '../pipeline/step.js';

/**
 * The optimizer: torch.optim.RAdam's update over params in linear memory. Create it with
 * `await RAdam.create(options)`; the entry points export it (`radam-wasm`).
 */
export class RAdam {
  private readonly _groups: ParamGroup[] = [];
  /** @internal */
  protected readonly parts: OptimizerParts;
  private disposed = false;

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
    const table = new StepTable(kernel, o.stateDtype);
    const groups: GroupRecord[] = [];
    const { ema, accumulate, guards, stateSeed } = o;
    this.parts = {
      table,
      groups,
      stepper: new Stepper(kernel, table, groups, { pool, ema, accumulate, guards, stateSeed }),
    };
    this.addGroupRecord(o.hp);
    registerHooks(
      this,
      createHooks(
        kernel,
        () => this._check().parts,
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

  /** How the moments are stored (the `stateDtype` option): `'float32'` or `'bfloat16'`. */
  get stateDtype(): StateDtype {
    return this._check().parts.table.stateDtype;
  }
  /** The seed of bfloat16 state's stochastic rounding (the `stateSeed` option, or the one a loaded state carried). */
  get stateSeed(): number {
    return this._check().parts.stepper.stateSeed;
  }

  /** Bytes of linear memory in use (params, gradients, state and the step table). */
  get memoryBytes(): number {
    return this._check().parts.table.arena.used;
  }

  /** Adds a group whose unspecified hyperparameters are those of the default group. */
  addGroup(options: GroupOptions = {}): ParamGroup {
    return this.addGroupRecord(resolveGroupOptions(options, { ...this._check().parts.groups[0].hp }));
  }

  /** Registers a parameter in the default group. */
  addParam(init: ParamInit): Param {
    return this._addParam(this._groups[0], init);
  }

  /** @internal */
  _addParam(group: ParamGroup, init: ParamInit): Param {
    const { table } = this._check().parts;
    if (group.optimizer !== this || !this._groups.includes(group))
      throw new Error('addParam: that group belongs to another optimizer');
    let { size, values } = validateParamInit(init);
    // Values in this optimizer's own memory (another param's data, say) would be detached when
    // adding grows the memory: copy them first.
    if (ArrayBuffer.isView(values) && values.buffer === table.kernel.memory.buffer) values = Float64Array.from(values);
    const { ema, accumulate } = this.parts.stepper;
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

  private addGroupRecord(hp: Hyperparameters): ParamGroup {
    const group = new ParamGroup(this, hp);
    this._groups.push(group);
    this.parts.groups.push(group._record);
    return group;
  }

  private slotOf(p: Param): Slot {
    this._check();
    if (p.group.optimizer !== this) throw new Error('Lookahead: that param belongs to another optimizer');
    return p._slot;
  }

  /** Threads the step runs on (the calling thread included); 1 without threads. */
  get threads(): number {
    const pool = this._check().parts.stepper.pool;
    return pool ? pool.workers + 1 : 1;
  }

  /** The backend actually used. */
  get backend(): Backend {
    return this._check().parts.table.kernel.backend;
  }

  /** A NaN or ±Infinity in any gradient makes step() change nothing and say so (default false). */
  get skipNonFinite(): boolean {
    return this._check().parts.stepper.guards.skipNonFinite;
  }
  set skipNonFinite(x: boolean) {
    this._check().parts.stepper.guards.skipNonFinite = validateGuard('skipNonFinite', x);
  }
  /** Clip all gradients by their global L2 norm to at most this; null: no clipping (default). */
  get maxGradNorm(): number | null {
    return this._check().parts.stepper.guards.maxGradNorm;
  }
  set maxGradNorm(x: number | null) {
    this._check().parts.stepper.guards.maxGradNorm = validateGuard('maxGradNorm', x);
  }

  /** The weight EMA's options, or null. */
  get ema(): Readonly<Required<EmaOptions>> | null {
    return this._check().parts.stepper.ema;
  }
  /** Gradients per applied step (the `accumulate` option; 1: none). */
  get accumulate(): number {
    return this._check().parts.stepper.accumulate;
  }
  /** Gradients accumulated since the last applied step (0 .. accumulate - 1). */
  get accumulated(): number {
    return this._check().parts.stepper.window;
  }

  /**
   * Exchanges every param's values with its EMA (`param.ema`): call it to evaluate with the averaged
   * weights, and again to go back. step() is refused while they are swapped.
   */
  swapEma(): void {
    const { table, stepper } = this._check().parts;
    swapEma(table, stepper);
  }

  /** Runs `fn` with the EMA weights in the params and swaps them back after it, even if it throws (or its promise rejects). */
  withEma<T>(fn: () => T): T {
    return withSwapped(
      () => this.swapEma(),
      () => this.swapEma(),
      fn,
    );
  }

  /**
   * Takes one optimization step for every param, using the gradients in `param.grad`.
   * The per-step scalars are computed once per (group, step count) in float64; one kernel call
   * then walks all tensors.
   */
  step(options?: StepOptions): StepResult {
    return this._check().parts.stepper.step(null, options);
  }

  /**
   * step() for a thread that must not block: with threads on a browser's main thread (which may
   * not Atomics.wait) the work is shared with the workers only here; elsewhere it is step().
   */
  async stepAsync(options?: StepOptions): Promise<StepResult> {
    // async: every refusal (disposed, another stepAsync in flight, bad options) is a rejection.
    return this._check().parts.stepper.stepAsync(options);
  }

  /** Sets every gradient to zero. */
  zeroGrad(): void {
    const { table } = this._check().parts;
    for (const slot of table.slots) table.view(slot, P_GRAD)!.fill(0);
  }

  /** The groups' hyperparameters, every param's step count and moments, the EMA and the accumulators (copies). */
  stateDict(): RAdamStateDict {
    return stateDict(this._check().parts);
  }

  /**
   * Restores the groups' hyperparameters and the params' state (not the param values), like torch.
   * The whole dict is checked first: on any mismatch it throws, saying what differs, and changes nothing.
   */
  loadStateDict(sd: RAdamStateDict): void {
    checkStateDict(sd, this._check().parts)();
  }

  /**
   * The state as a versioned binary checkpoint (magic, version, hyperparameters, per-param step and
   * state, CRC-32); with `includeParams`, also the param values, so one file restores training.
   */
  saveState(options: { includeParams?: boolean } = {}): Bytes {
    return saveCheckpoint(this._check().parts, options, null);
  }

  /**
   * Restores a checkpoint from saveState (and the param values, if it holds them). Truncated,
   * corrupt, wrong-version or mismatched bytes throw a clear error and change nothing.
   */
  loadState(bytes: Uint8Array | ArrayBuffer): void {
    loadCheckpoint(bytes, this._check().parts, ({ lookahead }) => {
      // Loading only the inner part would silently drop the slow weights and the counter.
      if (lookahead)
        throw new TypeError(
          "loadState: this checkpoint was saved by a Lookahead (it holds slow weights and a counter): load it with that Lookahead's loadState",
        );
      return undefined;
    });
  }

  /** Releases the linear memory; any later use of the optimizer, its groups or params throws. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const { stepper, table } = this.parts;
    stepper.disposed = true;
    stepper.pool?.dispose();
    for (const slot of table.slots) slot.views = [];
    // Drop every reference to the memory, even while the optimizer object is still referenced.
    (this as unknown as { parts: OptimizerParts | null }).parts = null;
    registerHooks(this, null);
    this._groups.length = 0;
  }

  /** @internal the step table (a param's views and state) */
  _table(): StepTable {
    return this._check().parts.table;
  }

  /** @internal throws when disposed, or while a stepAsync() is running (the workers are writing) */
  _check(): this {
    if (this.disposed) throw new Error(DISPOSED);
    this.parts.stepper.check();
    return this;
  }

  /** @internal elements below which a step stays on the calling thread; null: the measured defaults (the benchmark sets 0 to measure) */
  get _minSplit(): number | null {
    return this.parts.stepper.minSplit;
  }
  /** @internal */
  set _minSplit(n: number | null) {
    this.parts.stepper.minSplit = n;
  }
  /** @internal split steps taken (tests check that threads were really used) */
  get _splits(): number {
    return this.parts.stepper.splits;
  }
}
