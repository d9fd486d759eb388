// RAdam: parameter groups, parameters in linear memory, the step, and save/restore.
import { Arena, alignUp } from './arena.js';
import { createJsKernel } from './backends/js.js';
import type { Kernel } from './backends/kernel.js';
import {
  compileWasm,
  createSharedKernel,
  createWasmKernel,
  hasWebAssembly,
  wasmSupported,
  type KernelSource,
} from './backends/wasm.js';
import type { Job, ThreadPool } from './threads/pool.js';
import { SPIN_MS } from './threads/control.js';
import {
  ENTRY_BYTES,
  E_PARAM,
  E_GRAD,
  E_EXP_AVG,
  E_EXP_AVG_SQ,
  E_MAX_EXP_AVG_SQ,
  E_SIZE,
  E_FLAGS,
  E_GRAD_SCALE,
  E_WEIGHT_DECAY,
  E_PARAM_DECAY,
  E_BETA1,
  E_ONE_MINUS_BETA1,
  E_BETA2,
  E_ONE_MINUS_BETA2,
  E_EPS,
  E_STEP_SIZE,
  E_SLOW,
  E_SUMSQ,
  FLAG_AMSGRAD,
  FLAG_COUPLED_DECAY,
  FLAG_FLUSH_SUBNORMALS,
} from './layout.js';
import {
  DEFAULTS,
  STEP_OPTION_KEYS,
  formatValue,
  resolveGroupOptions,
  validateBackend,
  validateOption,
  validateStepOptions,
  validateThreads,
  type Backend,
  type BackendChoice,
  type GroupOptions,
  type Hyperparameters,
  type RAdamOptions,
  type StepOptions,
} from './options.js';
import { stepScalars, type StepScalars } from './scalars.js';
import { decodeCheckpoint, encodeCheckpoint, type LookaheadCheckpoint } from './checkpoint.js';

/** A parameter's initial values, or its length (zeros). */
export type ParamInit = Float32Array | Float64Array | readonly number[] | number;

/** The state of one parameter in a state dict. */
export interface ParamState {
  step: number;
  expAvg: Float32Array;
  expAvgSq: Float32Array;
  /** Only with amsgrad. */
  maxExpAvgSq?: Float32Array;
}

/** What step() did. */
export interface StepResult {
  /** true: a gradient held a NaN or an infinity (with skipNonFinite) and nothing changed. */
  skipped: boolean;
  /** With skipped: the index (in `opt.params`) of the first param whose gradient is not finite. */
  param?: number;
  /** With maxGradNorm: the global L2 norm of the gradients, before clipping. */
  gradNorm?: number;
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

/** A tensor registered with the optimizer; its arrays are live views into linear memory. */
export class Param {
  /** Number of elements. */
  readonly size: number;
  /** @internal byte addresses of data, grad, expAvg, expAvgSq, maxExpAvgSq (0 without amsgrad), Lookahead's slow weights (0 without) */
  readonly ptrs: number[];
  /** @internal steps taken */
  _step = 0;
  /** @internal position of this param's entry in the step table */
  _slot = -1;
  private views: (Float32Array | null)[] = [];
  private generation = -1;

  /** @internal */
  constructor(
    readonly group: ParamGroup,
    size: number,
    ptrs: number[],
  ) {
    this.size = size;
    this.ptrs = ptrs;
  }

  /** Steps taken by this parameter (torch's state['step']). */
  get step(): number {
    this.group.optimizer._check();
    return this._step;
  }

  /** The parameter values. */
  get data(): Float32Array {
    return this.view(0) as Float32Array;
  }
  /** The gradient: write it before each `step()`. */
  get grad(): Float32Array {
    return this.view(1) as Float32Array;
  }
  /** First moment (torch's exp_avg). */
  get expAvg(): Float32Array {
    return this.view(2) as Float32Array;
  }
  /** Second moment (torch's exp_avg_sq). */
  get expAvgSq(): Float32Array {
    return this.view(3) as Float32Array;
  }
  /** Running maximum of the second moment with amsgrad, else null. */
  get maxExpAvgSq(): Float32Array | null {
    return this.view(4);
  }

  /** @internal drops the views (and with them the memory) on dispose */
  _release(): void {
    this.views = [];
  }

  /** @internal Lookahead's slow weights, or null */
  get _slow(): Float32Array | null {
    return this.view(5);
  }

  /** @internal the view cache must be rebuilt (a pointer changed) */
  _invalidate(): void {
    this.generation = -1;
  }

  // Views are re-created after the memory grew (growth detaches every view of the old buffer).
  private view(k: number): Float32Array | null {
    const opt = this.group.optimizer._check();
    if (this.generation !== opt._arena.generation) {
      const buffer = opt._kernel.memory.buffer;
      this.views = this.ptrs.map((ptr) => (ptr ? new Float32Array(buffer, ptr, this.size) : null));
      this.generation = opt._arena.generation;
    }
    return this.views[k];
  }
}

/** A parameter group: hyperparameters shared by its params, writable between steps (validated). */
export class ParamGroup {
  /** @internal */
  _hp: Hyperparameters;
  /** @internal */
  readonly _params: Param[] = [];

  /** @internal */
  constructor(
    readonly optimizer: RAdam,
    hp: Hyperparameters,
  ) {
    this._hp = hp;
  }

  /** The params of this group, in the order they were added. */
  get params(): readonly Param[] {
    return this._params.slice();
  }

  private set<K extends keyof Hyperparameters>(key: K, x: unknown): void {
    this.optimizer._check();
    this._hp[key] = validateOption(key, x);
  }

  get lr(): number {
    return this._hp.lr;
  }
  set lr(x: number) {
    this.set('lr', x);
  }
  get betas(): readonly [number, number] {
    return this._hp.betas;
  }
  set betas(x: readonly [number, number]) {
    this.set('betas', x);
  }
  get eps(): number {
    return this._hp.eps;
  }
  set eps(x: number) {
    this.set('eps', x);
  }
  get weightDecay(): number {
    return this._hp.weightDecay;
  }
  set weightDecay(x: number) {
    this.set('weightDecay', x);
  }
  get decoupledWeightDecay(): boolean {
    return this._hp.decoupledWeightDecay;
  }
  set decoupledWeightDecay(x: boolean) {
    this.set('decoupledWeightDecay', x);
  }
  get maximize(): boolean {
    return this._hp.maximize;
  }
  set maximize(x: boolean) {
    this.set('maximize', x);
  }
  get threshold(): number {
    return this._hp.threshold;
  }
  set threshold(x: number) {
    this.set('threshold', x);
  }
  get degenerateToSgd(): boolean {
    return this._hp.degenerateToSgd;
  }
  set degenerateToSgd(x: boolean) {
    this.set('degenerateToSgd', x);
  }
  get flushSubnormals(): boolean {
    return this._hp.flushSubnormals;
  }
  set flushSubnormals(x: boolean) {
    this.set('flushSubnormals', x);
  }
  /** false: this group takes plain Adam steps (see `Adam`). */
  get rectify(): boolean {
    return this._hp.rectify;
  }
  set rectify(x: boolean) {
    this.set('rectify', x);
  }
  /** Fixed when the group is created: it decides whether params get a maxExpAvgSq buffer. */
  get amsgrad(): boolean {
    return this._hp.amsgrad;
  }

  /** Registers a parameter: initial values (copied into linear memory) or a length (zeros). */
  addParam(init: ParamInit): Param {
    return this.optimizer._addParam(this, init);
  }
}

function toValues(init: unknown): { size: number; values: ArrayLike<number> | null } {
  if (typeof init === 'number') {
    if (!Number.isSafeInteger(init) || init < 0) {
      throw new RangeError(`Invalid param length: ${formatValue(init)} (expected a non-negative integer)`);
    }
    return { size: init, values: null };
  }
  if (init instanceof Float32Array || init instanceof Float64Array) return { size: init.length, values: init };
  if (Array.isArray(init)) {
    for (let i = 0; i < init.length; i++) {
      if (typeof init[i] !== 'number') {
        throw new TypeError(`Invalid param init: element ${i} is ${formatValue(init[i])} (expected a number)`);
      }
    }
    return { size: init.length, values: init };
  }
  throw new TypeError(
    `Invalid param init: ${formatValue(init)} (expected a Float32Array, a Float64Array, an array of numbers or a length)`,
  );
}

export class RAdam {
  /** @internal */
  readonly _kernel: Kernel;
  /** @internal */
  readonly _arena: Arena;
  private readonly _groups: ParamGroup[] = [];
  private readonly order: Param[] = []; // table order: the order params were added
  private table = 0;
  private tableCapacity = 0;
  private disposed = false;
  private guards: Required<StepOptions> = { skipNonFinite: false, maxGradNorm: null };
  private pool: ThreadPool | null = null;
  private subTables = 0; // per-thread tables for a split step
  private subCapacity = 0;
  private stepping = false;
  /** @internal elements below which a step stays on the calling thread; null: the measured defaults (the benchmark sets 0 to measure) */
  _minSplit: number | null = null;
  /** @internal split steps taken (tests check that threads were really used) */
  _splits = 0;
  private lastStepEnd = -Infinity;

  /** Where the wasm kernels come from: set by each entry point's subclass (src/index.ts, src/workerd.ts). */
  static kernels: KernelSource | null = null;

  /** @internal use RAdam.create or RAdam.createSync */
  protected constructor(kernel: Kernel, hp: Hyperparameters) {
    this._kernel = kernel;
    this._arena = new Arena(kernel.memory, kernel.heapBase);
    this._groups.push(new ParamGroup(this, hp));
    this.growTable(16);
  }

  /**
   * Creates an optimizer. Every option is optional (defaults are torch's); the options other than
   * `backend` are the hyperparameters of the default group, which later groups inherit.
   */
  static async create(options: RAdamOptions = {}): Promise<RAdam> {
    const { choice, hp, guards, threads: asked } = this.resolve(options); // validate before loading anything
    const threads = await resolveThreads(asked, choice, this.kernels);
    if (threads > 1) {
      try {
        const { kernel, module, exportName } = await createSharedKernel(this.kernels!);
        const { ThreadPool } = await import('./threads/pool.js');
        const pool = await ThreadPool.create(threads - 1, module, kernel.memory as WebAssembly.Memory, exportName);
        return this.make(kernel, hp, guards, pool);
      } catch (e) {
        if (asked !== 'auto') throw e; // 'auto': where workers cannot start (e.g. their script is missing), one thread
      }
    }
    await this.ready(choice);
    return this.createSync({ ...options, threads: 1 });
  }

  /** Hyperparameter defaults of this class over torch's (the `Adam` export sets `rectify: false`). */
  static defaults: Partial<Hyperparameters> = {};

  /** Validates creation options, filling this class's defaults. */
  private static resolve(options: RAdamOptions | undefined) {
    return {
      choice: validateBackend(options?.backend),
      hp: resolveGroupOptions(options, { ...DEFAULTS, ...this.defaults }, ['backend', 'threads', ...STEP_OPTION_KEYS]),
      guards: validateStepOptions(pick(options, STEP_OPTION_KEYS), 'RAdam'),
      threads: validateThreads(options?.threads),
    };
  }

  private static make(kernel: Kernel, hp: Hyperparameters, guards: StepOptions, pool: ThreadPool | null = null): RAdam {
    const opt = new this(kernel, hp);
    Object.assign(opt.guards, guards);
    opt.pool = pool;
    return opt;
  }

  /**
   * Loads and compiles the kernel a backend choice resolves to, once per process, and says which
   * backend that is. After it, `createSync` with that choice works.
   */
  static ready(backend: BackendChoice = 'auto'): Promise<Backend> {
    let choice: BackendChoice;
    try {
      choice = validateBackend(backend);
    } catch (e) {
      return Promise.reject(e);
    }
    const r = loading(this.kernels);
    return (r.ready[choice] ??= resolveBackend(this.kernels, choice).then(
      (b) => (r.settled[choice] = b),
      (e) => {
        delete r.ready[choice];
        throw e;
      },
    ));
  }

  /** `create` without the wait, for callers that must be synchronous; needs `await RAdam.ready(backend)` first. */
  static createSync(options: RAdamOptions = {}): RAdam {
    const { choice, hp, guards, threads } = this.resolve(options);
    if (threads !== 1) {
      throw new Error('RAdam.createSync: threads need the worker threads started: use await RAdam.create({ threads })');
    }
    const backend = choice === 'js' ? 'js' : loading(this.kernels).settled[choice];
    if (!backend)
      throw new Error(`RAdam.createSync: backend '${choice}' is not loaded yet: await RAdam.ready('${choice}') first`);
    return this.make(backend === 'js' ? createJsKernel() : createWasmKernel(this.kernels!, backend), hp, guards);
  }

  /** Threads the step runs on (the calling thread included); 1 without threads. */
  get threads(): number {
    return this._check().pool ? this.pool!.workers + 1 : 1;
  }

  /** The backend actually used. */
  get backend(): Backend {
    return this._check()._kernel.backend;
  }

  /** A NaN or ±Infinity in any gradient makes step() change nothing and say so (default false). */
  get skipNonFinite(): boolean {
    return this._check().guards.skipNonFinite;
  }
  set skipNonFinite(x: boolean) {
    this._check().guards.skipNonFinite = validateStepOptions({ skipNonFinite: x ?? null }, 'RAdam').skipNonFinite!;
  }
  /** Clip all gradients by their global L2 norm to at most this; null: no clipping (default). */
  get maxGradNorm(): number | null {
    return this._check().guards.maxGradNorm;
  }
  set maxGradNorm(x: number | null) {
    if (x === undefined)
      throw new RangeError(
        'Invalid maxGradNorm: undefined (expected a positive finite number, or null for no clipping)',
      );
    this._check().guards.maxGradNorm = validateStepOptions({ maxGradNorm: x }, 'RAdam').maxGradNorm ?? null;
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
    return this._check()._arena.used;
  }

  /** Adds a group whose unspecified hyperparameters are those of the default group. */
  addGroup(options: GroupOptions = {}): ParamGroup {
    this._check();
    const group = new ParamGroup(this, resolveGroupOptions(options, { ...this._groups[0]._hp }));
    this._groups.push(group);
    return group;
  }

  /** Registers a parameter in the default group. */
  addParam(init: ParamInit): Param {
    return this._addParam(this._groups[0], init);
  }

  /** @internal */
  _addParam(group: ParamGroup, init: ParamInit): Param {
    this._check();
    const { size, values } = toValues(init);
    const stride = alignUp(size * 4);
    const count = group._hp.amsgrad ? 5 : 4;
    const mark = this._arena.used,
      table = this.table,
      capacity = this.tableCapacity;
    let base: number;
    try {
      if (this.order.length === this.tableCapacity) this.growTable(this.tableCapacity * 2);
      base = this._arena.alloc(stride * count);
    } catch (e) {
      // Out of memory: undo a table growth (the old table is intact: growTable copies).
      this._arena.release(mark);
      this.table = table;
      this.tableCapacity = capacity;
      throw e;
    }
    const ptrs = [0, 1, 2, 3, 4, 5].map((k) => (k < count ? base + k * stride : 0));
    const param = new Param(group, size, ptrs);
    if (values) param.data.set(values);
    param._slot = this.order.length;
    const i32 = new Int32Array(this._kernel.memory.buffer, this.table + param._slot * ENTRY_BYTES, ENTRY_BYTES / 4);
    i32[E_PARAM / 4] = ptrs[0];
    i32[E_GRAD / 4] = ptrs[1];
    i32[E_EXP_AVG / 4] = ptrs[2];
    i32[E_EXP_AVG_SQ / 4] = ptrs[3];
    i32[E_MAX_EXP_AVG_SQ / 4] = ptrs[4];
    i32[E_SIZE / 4] = size;
    this.order.push(param);
    group._params.push(param);
    return param;
  }

  private growTable(capacity: number): void {
    const table = this._arena.alloc(capacity * ENTRY_BYTES);
    const bytes = new Uint8Array(this._kernel.memory.buffer);
    bytes.copyWithin(table, this.table, this.table + this.order.length * ENTRY_BYTES);
    this.table = table;
    this.tableCapacity = capacity;
  }

  /**
   * Takes one optimization step for every param, using the gradients in `param.grad`.
   * The per-step scalars are computed once per (group, step count) in float64; one kernel call
   * then walks all tensors.
   */
  step(options?: StepOptions): StepResult {
    return this._step(null, options);
  }

  /**
   * step() for a thread that must not block: with threads on a browser's main thread (which may
   * not Atomics.wait) the work is shared with the workers only here; elsewhere it is step().
   */
  async stepAsync(options?: StepOptions): Promise<StepResult> {
    const prepared = this.prepare(null, options);
    if (this.pool) this.pool.check();
    if (prepared.result.skipped) return prepared.result;
    const split = this.split(prepared.count);
    this.stepping = true;
    try {
      if (split) await this.pool!.runAsync(split.jobs, () => this._kernel.step(split.own.table, split.own.count));
      else this._kernel.step(this.table, prepared.count);
    } finally {
      this.stepping = false;
    }
    if (this.disposed) throw new Error('RAdam: this optimizer has been disposed (during stepAsync)');
    this.finish(null);
    return prepared.result;
  }

  /** @internal steps only the params in `active` (all when null); the others keep their state and step count */
  _step(active: ReadonlySet<Param> | null, options?: StepOptions): StepResult {
    const prepared = this.prepare(active, options);
    if (prepared.result.skipped) return prepared.result;
    const split = canBlockHere() ? this.split(prepared.count) : null;
    if (split) this.pool!.run(split.jobs, () => this._kernel.step(split.own.table, split.own.count));
    else this._kernel.step(this.table, prepared.count);
    this.finish(active);
    return prepared.result;
  }

  private finish(active: ReadonlySet<Param> | null): void {
    for (const param of this.order) if (!active || active.has(param)) param._step++;
    this.lastStepEnd = performance.now();
  }

  // Writes the table's scalars and runs the guards: nothing is changed yet when a step is refused.
  private prepare(active: ReadonlySet<Param> | null, options?: StepOptions): { result: StepResult; count: number } {
    this._check();
    this.pool?.check();
    const { skipNonFinite, maxGradNorm } = { ...this.guards, ...validateStepOptions(options, 'step') };
    const { i32, f32 } = this.tableViews();
    for (const group of this._groups) {
      const hp = group._hp;
      const coupled = !hp.decoupledWeightDecay && hp.weightDecay !== 0;
      const flags = (hp.amsgrad ? FLAG_AMSGRAD : 0) | (coupled ? FLAG_COUPLED_DECAY : 0);
      let t = -1;
      let s: StepScalars | undefined;
      for (const param of group._params) {
        // Params of a group normally share their step count: the scalars are computed once.
        if (param._step + 1 !== t) {
          t = param._step + 1;
          s = stepScalars(t, hp);
          if (!Number.isFinite(Math.fround(s.stepSize)) || !Number.isFinite(Math.fround(s.paramDecay))) {
            throw new RangeError(
              `step: the step size of group ${this._groups.indexOf(group)} at step ${t} overflows float32 (lr ${hp.lr}, step size ${s.stepSize})`,
            );
          }
        }
        const e = param._slot * (ENTRY_BYTES / 4);
        i32[e + E_SIZE / 4] = !active || active.has(param) ? param.size : 0; // the kernel skips size 0
        i32[e + E_FLAGS / 4] = s!.mode | flags | (s!.flush ? FLAG_FLUSH_SUBNORMALS : 0);
        f32[e + E_GRAD_SCALE / 4] = hp.maximize ? -1 : 1; // times the clipping coefficient, below
        f32[e + E_WEIGHT_DECAY / 4] = coupled ? hp.weightDecay : 0;
        f32[e + E_PARAM_DECAY / 4] = s!.paramDecay;
        f32[e + E_BETA1 / 4] = hp.betas[0];
        f32[e + E_ONE_MINUS_BETA1 / 4] = 1 - hp.betas[0];
        f32[e + E_BETA2 / 4] = hp.betas[1];
        f32[e + E_ONE_MINUS_BETA2 / 4] = 1 - hp.betas[1];
        f32[e + E_EPS / 4] = s!.eps;
        f32[e + E_STEP_SIZE / 4] = s!.stepSize;
      }
    }
    const count = this.order.length;
    // Guards read the gradients before anything is written, so a refusal changes nothing.
    let gradNorm: number | undefined;
    if (maxGradNorm !== null) {
      // Squares of finite float32s summed in float64 cannot overflow: a non-finite sum means a
      // non-finite gradient, so with clipping on the check costs no pass of its own.
      this._kernel.gradSumSq(this.table, count);
      const f64 = new Float64Array(this._kernel.memory.buffer, this.table, (count * ENTRY_BYTES) / 8);
      let total = 0;
      for (let k = 0; k < count; k++) {
        const sumsq = f64[(k * ENTRY_BYTES + E_SUMSQ) / 8];
        if (skipNonFinite && !Number.isFinite(sumsq))
          return { result: { skipped: true, param: this.params.indexOf(this.order[k]) }, count };
        total += sumsq;
      }
      gradNorm = Math.sqrt(total);
      const coef = maxGradNorm / (gradNorm + 1e-6); // torch.nn.utils.clip_grad_norm_
      if (!(coef >= 1)) for (let k = 0; k < count; k++) f32[k * (ENTRY_BYTES / 4) + E_GRAD_SCALE / 4] *= coef;
    } else if (skipNonFinite) {
      const k = this._kernel.firstNonFinite(this.table, count);
      if (k >= 0) return { result: { skipped: true, param: this.params.indexOf(this.order[k]) }, count };
    }
    return { result: gradNorm === undefined ? { skipped: false } : { skipped: false, gradNorm }, count };
  }

  /**
   * With threads, the step's elements cut into one contiguous range per thread, balanced across all
   * tensors (cut at multiples of 16 elements counted across them), as sub-tables (the entries'
   * pointers moved to the range);
   * null below the size where threading pays (BREAK_EVEN / BREAK_EVEN_ASLEEP).
   */
  private split(count: number): { jobs: Job[]; own: Job } | null {
    if (!this.pool) return null;
    const { i32 } = this.tableViews();
    let total = 0;
    for (let k = 0; k < count; k++) total += i32[k * (ENTRY_BYTES / 4) + E_SIZE / 4];
    // Back-to-back steps (or workers still spinning) pay a wake-up once per burst; steps far
    // apart pay it every time, so only large ones are split.
    const backToBack = this.pool.awake || performance.now() - this.lastStepEnd < SPIN_MS * 0.8;
    if (total < (this._minSplit ?? (backToBack ? BREAK_EVEN : BREAK_EVEN_ASLEEP))) return null;
    // Building the sub-tables costs JS time per tensor: many small tensors stay on one thread.
    if (this._minSplit === null && total < count * MIN_ELEMENTS_PER_TENSOR) return null;
    this._splits++;
    const threads = this.pool.workers + 1;
    if (this.subCapacity < count + 1) {
      this.subTables = this._arena.alloc(threads * (count + 1) * ENTRY_BYTES * 2);
      this.subCapacity = (count + 1) * 2;
    }
    const share = Math.ceil(total / threads / 16) * 16;
    const buffer = this._kernel.memory.buffer;
    const bytes = new Uint8Array(buffer),
      words = new Int32Array(buffer);
    const tables: Job[] = Array.from({ length: threads }, (_, t) => ({
      table: this.subTables + t * this.subCapacity * ENTRY_BYTES,
      count: 0,
    }));
    let offset = 0;
    for (let k = 0; k < count; k++) {
      const src = this.table + k * ENTRY_BYTES;
      const n = i32[k * (ENTRY_BYTES / 4) + E_SIZE / 4];
      for (let start = 0; start < n; ) {
        const t = Math.min(threads - 1, Math.floor((offset + start) / share));
        const end = Math.min(n, (t + 1) * share - offset);
        const job = tables[t];
        const dst = job.table + job.count * ENTRY_BYTES;
        bytes.copyWithin(dst, src, src + ENTRY_BYTES);
        const e = dst >>> 2;
        for (const f of RANGE_POINTERS) {
          if (words[e + f / 4] !== 0) words[e + f / 4] = ((words[e + f / 4] >>> 0) + start * 4) | 0;
        }
        words[e + E_SIZE / 4] = end - start;
        words[e + E_SLOW / 4] = 0;
        job.count++;
        start = end;
      }
      offset += n;
    }
    return { jobs: tables.slice(1), own: tables[0] };
  }

  /** @internal gives `param` Lookahead slow weights (a copy of its values), unless it has them */
  _ensureSlow(params: readonly Param[], reset: boolean): void {
    this._check();
    for (const p of params) {
      if (p.group.optimizer !== this) throw new Error('Lookahead: that param belongs to another optimizer');
    }
    // Allocate all or nothing (an out-of-memory error leaves no param half-equipped).
    const missing = params.filter((p) => !p.ptrs[5]);
    const mark = this._arena.used;
    let ptrs: number[];
    try {
      ptrs = missing.map((p) => this._arena.alloc(alignUp(p.size * 4)));
    } catch (e) {
      this._arena.release(mark);
      throw e;
    }
    missing.forEach((p, i) => {
      p.ptrs[5] = ptrs[i];
      new Uint32Array(this._kernel.memory.buffer, this.table + p._slot * ENTRY_BYTES, ENTRY_BYTES / 4)[E_SLOW / 4] =
        ptrs[i];
    });
    for (const p of params) {
      p._invalidate();
      if (reset || missing.includes(p)) p._slow!.set(p.data); // slow weights start from the current values
    }
  }

  /** @internal Lookahead's slow update over every param with slow weights */
  _lookaheadSync(alpha: number): void {
    this._check();
    const { i32 } = this.tableViews();
    for (const param of this.order) i32[param._slot * (ENTRY_BYTES / 4) + E_SIZE / 4] = param.size;
    this._kernel.lookaheadSync(this.table, this.order.length, alpha);
  }

  private tableCache = { generation: -1, table: -1, i32: new Int32Array(0), f32: new Float32Array(0) };

  private tableViews(): { i32: Int32Array; f32: Float32Array } {
    const c = this.tableCache;
    if (
      c.generation !== this._arena.generation ||
      c.table !== this.table ||
      c.i32.length !== this.order.length * (ENTRY_BYTES / 4)
    ) {
      const buffer = this._kernel.memory.buffer;
      const words = this.order.length * (ENTRY_BYTES / 4);
      this.tableCache = {
        generation: this._arena.generation,
        table: this.table,
        i32: new Int32Array(buffer, this.table, words),
        f32: new Float32Array(buffer, this.table, words),
      };
    }
    return this.tableCache;
  }

  /** Sets every gradient to zero. */
  zeroGrad(): void {
    this._check();
    for (const param of this.order) param.grad.fill(0);
  }

  /** The groups' hyperparameters and every param's step count and moments (copies). */
  stateDict(): RAdamStateDict {
    this._check();
    let index = 0;
    const groups = this._groups.map((g) => ({
      ...g._hp,
      betas: [g._hp.betas[0], g._hp.betas[1]] as [number, number],
      params: g._params.map(() => index++),
    }));
    const state = this.params.map((p) => {
      const s: ParamState = { step: p._step, expAvg: p.expAvg.slice(), expAvgSq: p.expAvgSq.slice() };
      if (p.maxExpAvgSq) s.maxExpAvgSq = p.maxExpAvgSq.slice();
      return s;
    });
    return { format: 'radam-wasm', version: 1, groups, state };
  }

  /**
   * Restores the groups' hyperparameters and the params' state (not the param values), like torch.
   * The whole dict is checked first: on any mismatch it throws, saying what differs, and changes nothing.
   */
  loadStateDict(sd: RAdamStateDict): void {
    this._check();
    const where = 'loadStateDict';
    if (sd === null || typeof sd !== 'object')
      throw new TypeError(`${where}: expected a state dict object, got ${formatValue(sd)}`);
    if (sd.format !== 'radam-wasm' || sd.version !== 1) {
      throw new TypeError(
        `${where}: not a radam-wasm version 1 state dict (format ${formatValue(sd.format)}, version ${formatValue(sd.version)})`,
      );
    }
    if (!Array.isArray(sd.groups)) throw new TypeError(`${where}: the state dict has no "groups" array`);
    if (!Array.isArray(sd.state)) throw new TypeError(`${where}: the state dict has no "state" array`);
    if (sd.groups.length !== this._groups.length) {
      throw new RangeError(
        `${where}: the state dict has ${sd.groups.length} groups, this optimizer has ${this._groups.length}`,
      );
    }
    const params = this.params;
    if (sd.state.length !== params.length) {
      throw new RangeError(
        `${where}: the state dict has state for ${sd.state.length} params, this optimizer has ${params.length}`,
      );
    }
    // Check and convert everything first; apply only from the converted copies.
    let index = 0;
    const hps = sd.groups.map((gs, k): Hyperparameters => {
      const group = this._groups[k];
      if (gs === null || typeof gs !== 'object' || !Array.isArray(gs.params)) {
        throw new TypeError(`${where}: group ${k} has no "params" array`);
      }
      if (gs.params.length !== group._params.length) {
        throw new RangeError(
          `${where}: group ${k} has ${gs.params.length} params in the state dict, ${group._params.length} in this optimizer`,
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
        // A key missing from an earlier save gets its default, as torch's __setstate__ does.
        hp = resolveGroupOptions(given, { ...DEFAULTS });
      } catch (e) {
        const Ctor = e instanceof RangeError ? RangeError : TypeError;
        throw new Ctor(`${where}: group ${k}: ${(e as Error).message}`);
      }
      if (hp.amsgrad !== group._hp.amsgrad) {
        throw new RangeError(
          `${where}: group ${k} has amsgrad ${hp.amsgrad} in the state dict, ${group._hp.amsgrad} in this optimizer`,
        );
      }
      return hp;
    });
    const states = params.map((p, i) => {
      const s = sd.state[i];
      const what = `state of param ${i} (group ${this._groups.indexOf(p.group)}, size ${p.size})`;
      if (s === null || typeof s !== 'object') throw new TypeError(`${where}: ${what} is ${formatValue(s)}`);
      if (!Number.isSafeInteger(s.step) || s.step < 0) {
        throw new RangeError(`${where}: ${what} has step ${formatValue(s.step)} (expected a non-negative integer)`);
      }
      const names = p.maxExpAvgSq
        ? (['expAvg', 'expAvgSq', 'maxExpAvgSq'] as const)
        : (['expAvg', 'expAvgSq'] as const);
      const arrays = names.map((name) => {
        const a = s[name] as unknown;
        if (a === undefined) throw new TypeError(`${where}: ${what} is missing "${name}"`);
        if (!(a instanceof Float32Array || a instanceof Float64Array || Array.isArray(a))) {
          throw new TypeError(`${where}: ${what}: "${name}" is ${formatValue(a)} (expected a Float32Array)`);
        }
        if (a.length !== p.size) {
          throw new RangeError(`${where}: ${what}: "${name}" has ${a.length} elements, the param has ${p.size}`);
        }
        if (Array.isArray(a)) {
          const bad = a.findIndex((x) => typeof x !== 'number');
          if (bad >= 0)
            throw new TypeError(
              `${where}: ${what}: "${name}" element ${bad} is ${formatValue(a[bad])} (expected a number)`,
            );
        }
        return Float32Array.from(a as ArrayLike<number>);
      });
      return { step: s.step, arrays };
    });
    hps.forEach((hp, k) => {
      this._groups[k]._hp = hp;
    });
    params.forEach((p, i) => {
      p._step = states[i].step;
      const [m, v, vmax] = states[i].arrays;
      p.expAvg.set(m);
      p.expAvgSq.set(v);
      if (vmax) p.maxExpAvgSq!.set(vmax);
    });
  }

  /**
   * The state as a versioned binary checkpoint (magic, version, hyperparameters, per-param step and
   * state, CRC-32); with `includeParams`, also the param values, so one file restores training.
   */
  saveState(options: { includeParams?: boolean } = {}): Uint8Array<ArrayBuffer> {
    return this._saveState(options, null);
  }

  /** @internal */
  _saveState(options: { includeParams?: boolean }, lookahead: LookaheadCheckpoint | null): Uint8Array<ArrayBuffer> {
    this._check();
    const includeParams = options?.includeParams ?? false;
    if (typeof includeParams !== 'boolean')
      throw new TypeError(`saveState: Invalid includeParams: ${formatValue(includeParams)} (expected true or false)`);
    return encodeCheckpoint(this.stateDict(), includeParams ? this.params.map((p) => p.data.slice()) : null, lookahead);
  }

  /**
   * Restores a checkpoint from saveState (and the param values, if it holds them). Truncated,
   * corrupt, wrong-version or mismatched bytes throw a clear error and change nothing.
   */
  loadState(bytes: Uint8Array): void {
    this._loadState(bytes, () => {});
  }

  /** @internal `check` sees the decoded checkpoint before anything changes and returns what to apply after */
  _loadState(bytes: Uint8Array, check: (decoded: ReturnType<typeof decodeCheckpoint>) => (() => void) | void): void {
    this._check();
    const decoded = decodeCheckpoint(bytes);
    const { sd, values } = decoded;
    const params = this.params;
    if (values) {
      if (values.length !== params.length)
        throw new RangeError(
          `loadState: the checkpoint holds values for ${values.length} params, this optimizer has ${params.length}`,
        );
      values.forEach((v, i) => {
        if (v.length !== params[i].size)
          throw new RangeError(
            `loadState: the checkpoint's values of param ${i} have ${v.length} elements, the param has ${params[i].size}`,
          );
      });
    }
    const after = check(decoded);
    this.loadStateDict(sd); // checks everything before it changes anything
    values?.forEach((v, i) => params[i].data.set(v));
    after?.();
  }

  /** Releases the linear memory; any later use of the optimizer, its groups or params throws. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pool?.dispose();
    for (const p of this.order) p._release();
    const self = this as unknown as { _kernel: Kernel | null; _arena: Arena | null };
    self._kernel = null;
    self._arena = null;
    this._groups.length = 0;
    this.order.length = 0;
  }

  /** @internal throws when disposed, or while a stepAsync() is running (the workers are writing) */
  _check(): this {
    if (this.disposed) throw new Error('RAdam: this optimizer has been disposed');
    if (this.stepping) throw new Error('RAdam: a stepAsync() is still running; await it before using the optimizer');
    return this;
  }
}

/**
 * Below this many elements a step runs on the calling thread alone (measured: bench/README.md):
 * while the workers still spin after the previous step, and once they sleep (waking costs ~75 us).
 */
const BREAK_EVEN = 16_384;
const BREAK_EVEN_ASLEEP = 393_216;
const MIN_ELEMENTS_PER_TENSOR = 1024;
/** The pointer fields of an entry that move to a thread's range (0: no such array). */
const RANGE_POINTERS = [E_PARAM, E_GRAD, E_EXP_AVG, E_EXP_AVG_SQ, E_MAX_EXP_AVG_SQ];

let blocking: boolean | undefined;
const canBlockHere = (): boolean =>
  (blocking ??= (() => {
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
      return true;
    } catch {
      return false;
    }
  })());

/** The number of threads to use, checking what the runtime offers. */
async function resolveThreads(
  threads: number | 'auto',
  backend: BackendChoice,
  source: KernelSource | null,
): Promise<number> {
  if (threads === 1) return 1;
  const { hardwareThreads, sharedMemoryAvailable } = await import('./threads/pool.js');
  const usable =
    sharedMemoryAvailable() &&
    source?.shared !== undefined &&
    (backend === 'auto' || backend === 'simd') &&
    hasWebAssembly() &&
    source !== null &&
    (await wasmSupported(source, 'simd'));
  if (threads === 'auto') return usable ? Math.max(1, Math.min(4, await hardwareThreads())) : 1;
  if (!usable) {
    throw new Error(
      `threads: ${threads} needs shared memory (in browsers: a cross-origin isolated page), WebAssembly SIMD and backend 'simd' or 'auto'`,
    );
  }
  return threads;
}

interface Loading {
  ready: Partial<Record<BackendChoice, Promise<Backend>>>;
  settled: Partial<Record<BackendChoice, Backend>>;
}
const NO_KERNELS = {} as KernelSource;
const loadings = new WeakMap<KernelSource, Loading>();
function loading(source: KernelSource | null): Loading {
  const key = source ?? NO_KERNELS;
  let l = loadings.get(key);
  if (!l) loadings.set(key, (l = { ready: {}, settled: {} }));
  return l;
}

function pick<K extends string>(o: unknown, keys: readonly K[]): Partial<Record<K, unknown>> | undefined {
  if (o === null || typeof o !== 'object') return undefined;
  const out: Partial<Record<K, unknown>> = {};
  for (const k of keys) if (k in o) out[k] = (o as Record<K, unknown>)[k];
  return out;
}

async function resolveBackend(source: KernelSource | null, choice: BackendChoice): Promise<Backend> {
  if (choice === 'js') return 'js';
  const usable = source !== null && hasWebAssembly();
  if (choice === 'auto') {
    for (const b of ['simd', 'scalar'] as const) {
      if (!usable || !(await wasmSupported(source, b))) continue;
      try {
        await compileWasm(source, b);
        return b;
      } catch {
        /* e.g. a content security policy that forbids compiling WebAssembly: try the next */
      }
    }
    return 'js';
  }
  if (!usable)
    throw new Error(`backend '${choice}' needs WebAssembly, which this runtime does not provide (use 'js' or 'auto')`);
  if (!(await wasmSupported(source, choice)))
    throw new Error(`backend '${choice}': this runtime rejects the ${choice} build (use 'auto' to fall back)`);
  await compileWasm(source, choice);
  return choice;
}
