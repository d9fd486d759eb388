// RAdam as a TensorFlow.js optimizer (tf.Optimizer), for model.compile/fit; the entry points
// (src/tfjs.ts, src/tfjs.workerd.ts) subclass it per kernel source. Config: tfjs/config.ts; the
// weights' layout: tfjs/weights.ts. Per step each gradient is read once into linear memory, one
// kernel call (the core's pipeline, its guards included) updates every variable, and each new value
// is written back once; calls that only accumulate, or a skipped step, write nothing back.
import * as tf from '@tensorflow/tfjs-core';
import { withSwapped } from '../optimizer/ema.js';
import { hooksOf, type Hooks } from '../optimizer/internals.js';
import type { Param, ParamGroup, RAdam } from '../optimizer/radam.js';
import {
  DEFAULTS,
  resolveCreateOptions,
  type Backend,
  type BackendChoice,
  type EmaOptions,
} from '../optimizer/options.js';
import {
  adapted,
  adapterError,
  coreOptions,
  tfjsConfigOf,
  validateRenamed,
  type RAdamOptimizerConfig,
  type ApplyTimings,
  type RAdamOptimizerStep,
} from './config.js';
import { TrainedVariables, type Slot } from './variables.js';
import { checkComplete, decodeWeights, encodeWeights, type NamedTensor } from './weights.js';

export type { ApplyTimings, RAdamOptimizerConfig, RAdamOptimizerStep } from './config.js';

export class RAdamOptimizer extends tf.Optimizer {
  /** @internal The RAdam class of the entry point (which kernels it loads); set by optimizerOn. */
  static radam: typeof RAdam | null = null;

  /**
   * 'RAdam': the name tf.serialization registers the class under, which a model saved with its
   * optimizer records and loading looks up (as tfjs's Adam is 'Adam').
   */
  static get className(): string {
    return 'RAdam';
  }

  private static core(): typeof RAdam {
    if (!this.radam) throw new Error("RAdamOptimizer: import it from 'radam-wasm/tfjs'");
    return this.radam;
  }

  /** Loads the WebAssembly kernel; after it, `new RAdamOptimizer(...)` and model loading work. */
  static ready(backend: BackendChoice = 'auto'): Promise<Backend> {
    return this.core().ready(backend);
  }

  /** Loads the kernel if needed and creates the optimizer; a bad config is refused before loading anything. */
  static async create<T extends typeof RAdamOptimizer>(
    this: T,
    config: RAdamOptimizerConfig = {},
  ): Promise<InstanceType<T>> {
    const radam = this.core();
    const where = 'RAdamOptimizer.create';
    const options = coreOptions(config, where);
    try {
      resolveCreateOptions(options, { ...DEFAULTS, ...radam.defaults });
    } catch (e) {
      throw adapterError(e, where);
    }
    await radam.ready(options.backend ?? 'auto');
    return new this(config) as InstanceType<T>;
  }

  /** For tf.serialization (model loading): synchronous, so the kernel must be ready. */
  static fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const { customObjects: _, ...own } = config; // added by tfjs's deserializer, not ours
    return new cls(own);
  }

  private readonly core: RAdam;
  private readonly hooks: Hooks<Param>;
  private readonly backendChoice: BackendChoice;
  private readonly vars: TrainedVariables;
  private lastWeights: tf.Tensor[] = [];
  private swapped = false;
  private last: RAdamOptimizerStep | null = null;
  /** Where applyGradients spends its time, summed over its calls; set the fields to 0 to restart. */
  readonly timings: ApplyTimings = { calls: 0, readMs: 0, stepMs: 0, writeMs: 0 };

  constructor(config: RAdamOptimizerConfig = {}) {
    super();
    const options = coreOptions(config);
    this.backendChoice = options.backend ?? 'auto';
    const radam = (this.constructor as typeof RAdamOptimizer).core();
    try {
      this.core = radam.createSync({ ...options, backend: this.backendChoice });
    } catch (e) {
      throw adapterError(e, 'RAdamOptimizer');
    }
    this.hooks = hooksOf<Param>(this.core);
    this.vars = new TrainedVariables(this.core);
  }

  /** The radam-wasm backend in use ('simd', 'scalar' or 'js'). */
  get backend(): Backend {
    return this.core.backend;
  }

  /** Writable between steps (learning-rate schedules), validated. */
  get learningRate(): number {
    return this.core.groups[0].lr;
  }

  set learningRate(lr: number) {
    validateRenamed('learningRate', lr, 'RAdamOptimizer');
    this.core.groups[0].lr = lr;
  }

  /** The RAdam hyperparameters of the (single) parameter group (the core's names), writable between steps. */
  get hyperparameters(): ParamGroup {
    return this.core.groups[0];
  }

  /** Clip by the gradients' global L2 norm (Keras `global_clipnorm`), or null; writable between steps. */
  get maxGradNorm(): number | null {
    return this.core.maxGradNorm;
  }

  set maxGradNorm(x: number | null) {
    adapted(() => {
      this.core.maxGradNorm = x;
    });
  }

  /** A non-finite gradient makes applyGradients change nothing (see lastStep); writable between steps. */
  get skipNonFinite(): boolean {
    return this.core.skipNonFinite;
  }

  set skipNonFinite(x: boolean) {
    adapted(() => {
      this.core.skipNonFinite = x;
    });
  }

  /**
   * What the last applyGradients call did (null before the first): skipped (a non-finite gradient,
   * with skipNonFinite; then `variable` names it), applied, gradNorm (with maxGradNorm), accumulated
   * (with accumulate). Read it in a model.fit callback (onBatchEnd).
   */
  get lastStep(): Readonly<RAdamOptimizerStep> | null {
    this.core._check();
    return this.last;
  }

  /** applyGradients calls per applied step (the `accumulate` option; 1: none). */
  get accumulate(): number {
    return this.core.accumulate;
  }

  /** Gradients accumulated since the last applied step (0 .. accumulate - 1). */
  get accumulated(): number {
    return this.core.accumulated;
  }

  /** The weight EMA's options, or null. */
  get ema(): Readonly<Required<EmaOptions>> | null {
    return this.core.ema;
  }

  /** True between a swapEma() and the next: the variables hold the EMA. */
  get emaSwapped(): boolean {
    this.core._check();
    return this.swapped;
  }

  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    this.refuseSwapped('applyGradients');
    const entries: [string, tf.Tensor | null][] = Array.isArray(variableGradients)
      ? variableGradients.map((g) => [g.name, g.tensor])
      : Object.entries(variableGradients);
    // Check everything before changing anything.
    const work: { name: string; slot: Slot | null; variable: tf.Variable; grad: tf.Tensor }[] = [];
    for (const [name, grad] of entries) {
      if (grad == null) continue; // tfjs passes null for variables the loss does not depend on
      const variable = tf.engine().registeredVariables[name];
      if (!variable) throw new Error(`RAdamOptimizer.applyGradients: no variable named "${name}"`);
      if (variable.dtype !== 'float32')
        throw new TypeError(`RAdamOptimizer: variable "${name}" is ${variable.dtype}, not float32`);
      if (grad.size !== variable.size) {
        throw new RangeError(
          `RAdamOptimizer: the gradient of "${name}" has ${grad.size} elements, the variable has ${variable.size}`,
        );
      }
      work.push({ name, slot: this.vars.find(name, variable), variable, grad });
    }
    const t0 = performance.now();
    const vars = this.vars;
    vars.add([...new Map(work.filter((w) => !w.slot).map((w) => [w.name, w.variable])).values()]);
    const active = new Set<Param>();
    for (const w of work) {
      const slot = w.slot ?? vars.slots.get(w.name)!;
      if (slot.variable !== w.variable) {
        slot.variable = w.variable;
        slot.dataId = null;
      }
      vars.read(slot);
      slot.param.grad.set(w.grad.dataSync() as Float32Array);
      active.add(slot.param);
    }
    const k = this.core.accumulate;
    const all = [...vars.slots];
    // The call that closes an accumulation window also steps the params that got gradients earlier
    // in it but none now: their variables' current values are needed too.
    if (k > 1 && this.core.accumulated + 1 >= k) for (const slot of vars.live()) vars.read(slot);
    const steps = all.map(([, slot]) => slot.param.step);
    const t1 = performance.now();
    const result: RAdamOptimizerStep = this.hooks.stepOnly(active);
    const t2 = performance.now();
    if (result.skipped) result.variable = all.find(([, slot]) => slot.index === result.param)?.[0];
    this.last = result;
    if (result.applied) {
      // Every param that stepped (its step count moved) gets its new values written back; the
      // calls that only accumulate changed no value, so write nothing.
      all.forEach(([name, slot], i) => {
        if (slot.param.step !== steps[i] && vars.variableOf(name, slot)) vars.write(slot);
      });
      if (k > 1) vars.windowClosed();
    }
    const t = this.timings;
    t.calls++;
    t.readMs += t1 - t0;
    t.stepMs += t2 - t1;
    t.writeMs += performance.now() - t2;
    // As in tfjs, `iterations` counts applyGradients calls (model.fit's batches), not applied
    // steps: with accumulate: k it runs k times ahead of the params' step counts. A skipped call
    // is not counted (as the core counts no skipped step, and Keras's LossScaleOptimizer does
    // not), so that it changes nothing getWeights returns.
    if (!result.skipped) this.incrementIterations();
  }

  /**
   * Exchanges the values of every variable the optimizer trains with its EMA (the `ema` option):
   * call it to evaluate with the averaged weights, and again to go back (the values come back bit
   * for bit). applyGradients, getWeights and setWeights are refused while the EMA is swapped in.
   */
  swapEma(): void {
    if (!this.core.ema)
      throw new Error('RAdamOptimizer.swapEma: this optimizer keeps no EMA (create it with the ema option)');
    const live = this.vars.live();
    if (!this.swapped) for (const slot of live) this.vars.read(slot); // the values to keep are the variables'
    this.core.swapEma();
    this.swapped = !this.swapped;
    for (const slot of live) this.vars.write(slot);
  }

  /**
   * Runs `fn` with the EMA in the variables (model.predict / evaluate use the averaged weights) and
   * swaps back after it, also when it throws; an async `fn` is swapped back when its promise
   * settles (resolved or rejected), and withEma returns that promise.
   */
  withEma<T>(fn: () => T): T {
    if (typeof fn !== 'function') throw new TypeError(`RAdamOptimizer.withEma: expected a function, got ${typeof fn}`);
    if (this.swapped)
      throw new Error('RAdamOptimizer.withEma: the EMA weights are already swapped in (swapEma); swap them back first');
    return withSwapped(
      () => this.swapEma(),
      () => this.swapBack(),
      fn,
    );
  }

  private swapBack(): void {
    if (this.swapped) this.swapEma();
  }

  private refuseSwapped(where: string): void {
    if (this.swapped)
      throw new Error(
        `RAdamOptimizer.${where}: the EMA weights are swapped into the variables (swapEma); swap them back first`,
      );
  }

  /**
   * `iter`, then every `${name}/m`, every `${name}/v` (as tfjs's Adam), then `/vhat` (amsgrad),
   * `/ema`, `/accum` (mid-window), `/step` where it differs from iter, and `accumulate` (layout:
   * src/tfjs/weights.ts). State restored by setWeights for variables not trained since is
   * included. The tensors stay valid until the next getWeights call or dispose().
   */
  async getWeights(): Promise<NamedTensor[]> {
    this.refuseSwapped('getWeights');
    const sd = this.core.stateDict();
    const k = this.core.accumulate;
    const window = k > 1 ? { k, accumulated: this.core.accumulated } : null;
    const iterations = this.iterations;
    const iter = await this.saveIterations();
    tf.dispose(this.lastWeights);
    const out = encodeWeights(iter, iterations, this.vars.states(sd), window);
    this.lastWeights = out.map((w) => w.tensor);
    return out;
  }

  /**
   * Restores what getWeights saved, by variable name (variables not seen yet get it when they are).
   * Everything is checked before anything changes.
   */
  async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const { iter, loaded, window } = await decodeWeights(weightValues);
    this.refuseSwapped('setWeights');
    const where = 'RAdamOptimizer.setWeights:';
    const k = this.core.accumulate;
    const accumulated = window?.accumulated ?? 0;
    if (accumulated > 0 && window!.k !== k) {
      throw new RangeError(
        `${where} the weights hold ${accumulated} gradients of an accumulation window of ${window!.k}, this optimizer has accumulate ${k}`,
      );
    }
    checkComplete(loaded, { amsgrad: this.core.groups[0].amsgrad, ema: this.core.ema !== null }, accumulated);
    this.vars.load(loaded, accumulated);
    this.iterations_ = iter;
  }

  getConfig(): tf.serialization.ConfigDict {
    const { groups, accumulate, ema, maxGradNorm, skipNonFinite, stateDtype, stateSeed } = this.core;
    const guards = { maxGradNorm, skipNonFinite };
    const state = { stateDtype, stateSeed };
    return tfjsConfigOf(groups[0], guards, accumulate, ema, state, this.backendChoice) as tf.serialization.ConfigDict;
  }

  /** Releases the optimizer's memory; with the EMA swapped in, the variables get their trained values back first. */
  dispose(): void {
    if (this.swapped) this.swapBack();
    tf.dispose(this.lastWeights);
    this.lastWeights = [];
    this.core.dispose();
    this.vars.clear();
    super.dispose();
  }
}

/**
 * The adapter's class on an entry point's RAdam (src/tfjs.ts, src/tfjs.workerd.ts); the entry
 * registers it with tf.serialization.
 */
export function optimizerOn(radam: typeof RAdam): typeof RAdamOptimizer {
  const Base = RAdamOptimizer;
  return class RAdamOptimizer extends Base {
    static override radam = radam;
  };
}
