// radam-wasm/tfjs: RAdam as a TensorFlow.js optimizer (tf.Optimizer), for model.compile/fit.
//
// Variables' values, gradients and state live in the optimizer's linear memory, keyed by variable
// name. Per step, each gradient is read once (dataSync, copied into linear memory), one kernel call
// updates every variable, and each new value is written back once (one tensor per variable).
import * as tf from '@tensorflow/tfjs-core';

/** tfjs's `{ name, tensor }` pair (not exported from tfjs-core's index). */
type NamedTensor = { name: string; tensor: tf.Tensor };
import { RAdam } from './index.js';
import type { Param } from './optimizer.js';
import { DEFAULTS, type BackendChoice } from './options.js';

/** The optimizer's config: tfjs's Adam keys (learningRate, beta1, beta2, epsilon) plus RAdam's. */
export interface RAdamOptimizerConfig {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
  decoupledWeightDecay?: boolean;
  maximize?: boolean;
  amsgrad?: boolean;
  threshold?: number;
  degenerateToSgd?: boolean;
  flushSubnormals?: boolean;
  backend?: BackendChoice;
}

interface Slot {
  param: Param;
  variable: tf.Variable;
  /** The variable's data after our last write: another id means someone else assigned it. */
  dataId: object | null;
}

/** State loaded by setWeights for a variable not seen yet. */
interface Pending { m?: Float32Array; v?: Float32Array; vhat?: Float32Array; step?: number }

const SUFFIXES = ['m', 'v', 'vhat', 'step'] as const;

// tfjs-layers renames a variable whose name is taken (`dense_Dense1/kernel` is created as
// `dense_Dense1/kernel_1` in a process that already holds the first): state saved under one name
// must still find its variable under the other.
const baseName = (name: string): string => name.replace(/_\d+$/, '');

export class RAdamOptimizer extends tf.Optimizer {
  static get className(): string {
    return 'RAdam';
  }

  /** Loads the WebAssembly kernel; after it, `new RAdamOptimizer(...)` and model loading work. */
  static ready(backend: BackendChoice = 'auto'): Promise<unknown> {
    return RAdam.ready(backend);
  }

  /** Loads the kernel if needed and creates the optimizer. */
  static async create(config: RAdamOptimizerConfig = {}): Promise<RAdamOptimizer> {
    await RAdam.ready(config.backend ?? 'auto');
    return new RAdamOptimizer(config);
  }

  /** For tf.serialization (model loading): synchronous, so the kernel must be ready. */
  static fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config);
  }

  private readonly core: RAdam;
  private readonly backendChoice: BackendChoice;
  private readonly slots = new Map<string, Slot>();
  private pending = new Map<string, Pending>();
  /** Where applyGradients spends its time, summed over calls: reading gradients (dataSync into linear memory), the kernel step, writing the new values back. */
  readonly timings = { calls: 0, readMs: 0, stepMs: 0, writeMs: 0 };

  constructor(config: RAdamOptimizerConfig = {}) {
    super();
    this.backendChoice = config.backend ?? 'auto';
    this.core = RAdam.createSync({
      lr: config.learningRate ?? DEFAULTS.lr,
      betas: [config.beta1 ?? DEFAULTS.betas[0], config.beta2 ?? DEFAULTS.betas[1]],
      eps: config.epsilon ?? DEFAULTS.eps,
      weightDecay: config.weightDecay, decoupledWeightDecay: config.decoupledWeightDecay, maximize: config.maximize,
      amsgrad: config.amsgrad, threshold: config.threshold, degenerateToSgd: config.degenerateToSgd,
      flushSubnormals: config.flushSubnormals, backend: this.backendChoice,
    });
  }

  /** The radam-wasm backend in use ('simd', 'scalar' or 'js'). */
  get backend(): string {
    return this.core.backend;
  }

  /** Writable between steps (learning-rate schedules), validated. */
  get learningRate(): number {
    return this.core.groups[0].lr;
  }

  set learningRate(lr: number) {
    this.core.groups[0].lr = lr;
  }

  /** The RAdam hyperparameters of the (single) parameter group, writable between steps. */
  get hyperparameters() {
    return this.core.groups[0];
  }

  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries: [string, tf.Tensor | null][] = Array.isArray(variableGradients)
      ? variableGradients.map((g) => [g.name, g.tensor])
      : Object.entries(variableGradients);
    // Check everything before changing anything.
    const work: [Slot | null, tf.Variable, tf.Tensor][] = [];
    for (const [name, grad] of entries) {
      if (grad == null) continue; // tfjs passes null for variables the loss does not depend on
      const variable = tf.engine().registeredVariables[name];
      if (!variable) throw new Error(`RAdamOptimizer.applyGradients: no variable named "${name}"`);
      if (variable.dtype !== 'float32') throw new TypeError(`RAdamOptimizer: variable "${name}" is ${variable.dtype}, not float32`);
      if (grad.size !== variable.size) {
        throw new RangeError(`RAdamOptimizer: the gradient of "${name}" has ${grad.size} elements, the variable has ${variable.size}`);
      }
      const slot = this.slots.get(name) ?? null;
      if (!slot) this.checkPending(variable);
      work.push([slot, variable, grad]);
    }
    const t0 = performance.now();
    const active = new Set<Param>();
    for (const [known, variable, grad] of work) {
      const slot = known ?? this.addSlot(variable);
      if (slot.dataId !== variable.dataId) slot.param.data.set(variable.dataSync() as Float32Array); // assigned elsewhere
      slot.param.grad.set(grad.dataSync() as Float32Array);
      active.add(slot.param);
    }
    const t1 = performance.now();
    this.core._step(active);
    const t2 = performance.now();
    // tfjs-wasm copies new tensor values into its heap at once; other backends (cpu, webgl) keep
    // the array, so they get a copy of ours.
    const copies = tf.getBackend() !== 'wasm';
    for (const slot of this.slots.values()) {
      if (!active.has(slot.param)) continue;
      const value = tf.tensor(copies ? slot.param.data.slice() : slot.param.data, slot.variable.shape, 'float32');
      slot.variable.assign(value);
      value.dispose();
      slot.dataId = slot.variable.dataId;
    }
    const t = this.timings;
    t.calls++;
    t.readMs += t1 - t0;
    t.stepMs += t2 - t1;
    t.writeMs += performance.now() - t2;
    this.incrementIterations();
  }

  private addSlot(variable: tf.Variable): Slot {
    const param = this.core.addParam(variable.dataSync() as Float32Array);
    const slot: Slot = { param, variable, dataId: variable.dataId };
    this.slots.set(variable.name, slot);
    const key = this.matchPending(variable.name);
    if (key !== undefined) {
      this.restore(slot, this.pending.get(key)!);
      this.pending.delete(key);
    }
    return slot;
  }

  private checkPending(variable: tf.Variable): void {
    const key = this.matchPending(variable.name);
    const s = key === undefined ? undefined : this.pending.get(key)!;
    for (const q of ['m', 'v', 'vhat'] as const) {
      const a = s?.[q];
      if (a && a.length !== variable.size) {
        throw new RangeError(`RAdamOptimizer: the saved "${key}/${q}" has ${a.length} elements, variable "${variable.name}" has ${variable.size}`);
      }
    }
  }

  private matchPending(name: string): string | undefined {
    if (this.pending.has(name)) return name;
    const matches = [...this.pending.keys()].filter((k) => baseName(k) === baseName(name));
    return matches.length === 1 ? matches[0] : undefined;
  }

  // Sizes are checked by the callers, before anything changes.
  private restore(slot: Slot, s: Pending): void {
    const p = slot.param;
    if (s.m) p.expAvg.set(s.m);
    if (s.v) p.expAvgSq.set(s.v);
    if (s.vhat && p.maxExpAvgSq) p.maxExpAvgSq.set(s.vhat);
    p._step = s.step ?? this.iterations;
  }

  /** `iter`, then every `${name}/m`, every `${name}/v` (as tfjs's Adam), then `/vhat` (amsgrad) and `/step` where it differs from iter. */
  async getWeights(): Promise<NamedTensor[]> {
    const out: NamedTensor[] = [await this.saveIterations()];
    const slots = [...this.slots.entries()];
    const tensor = (a: Float32Array, s: Slot) => tf.tensor(a.slice(), s.variable.shape, 'float32');
    for (const [name, s] of slots) out.push({ name: `${name}/m`, tensor: tensor(s.param.expAvg, s) });
    for (const [name, s] of slots) out.push({ name: `${name}/v`, tensor: tensor(s.param.expAvgSq, s) });
    for (const [name, s] of slots) if (s.param.maxExpAvgSq) out.push({ name: `${name}/vhat`, tensor: tensor(s.param.maxExpAvgSq, s) });
    for (const [name, s] of slots) {
      if (s.param.step !== this.iterations) out.push({ name: `${name}/step`, tensor: tf.scalar(s.param.step, 'int32') });
    }
    return out;
  }

  /** Restores what getWeights saved, by variable name (variables not seen yet get it when they are). */
  async setWeights(weightValues: NamedTensor[]): Promise<void> {
    if (!Array.isArray(weightValues) || weightValues[0]?.name !== 'iter') {
      throw new TypeError('RAdamOptimizer.setWeights: expected the output of getWeights (starting with "iter")');
    }
    const iter = (await weightValues[0].tensor.data())[0];
    const loaded = new Map<string, Pending>();
    for (const { name, tensor } of weightValues.slice(1)) {
      const cut = name.lastIndexOf('/');
      const key = name.slice(cut + 1) as (typeof SUFFIXES)[number];
      if (cut < 0 || !SUFFIXES.includes(key)) throw new TypeError(`RAdamOptimizer.setWeights: unexpected weight "${name}"`);
      const entry = loaded.get(name.slice(0, cut)) ?? {};
      if (key === 'step') entry.step = (await tensor.data())[0];
      else entry[key] = Float32Array.from(await tensor.data());
      loaded.set(name.slice(0, cut), entry);
    }
    // Check sizes against the variables already known before applying anything.
    const known = [...loaded.entries()].map(([saved, s]) => {
      const name = [...this.slots.keys()].find((n) => n === saved) ?? [...this.slots.keys()].find((n) => baseName(n) === baseName(saved));
      const slot = name === undefined ? undefined : this.slots.get(name)!;
      for (const key of ['m', 'v', 'vhat'] as const) {
        const a = s[key];
        if (slot && a && a.length !== slot.param.size) {
          throw new RangeError(`RAdamOptimizer.setWeights: "${saved}/${key}" has ${a.length} elements, variable "${name}" has ${slot.param.size}`);
        }
      }
      return [saved, s, slot] as const;
    });
    this.iterations_ = iter;
    this.pending = new Map();
    for (const [saved, s, slot] of known) {
      if (slot) this.restore(slot, s);
      else this.pending.set(saved, s);
    }
  }

  getConfig(): tf.serialization.ConfigDict {
    const g = this.core.groups[0];
    return {
      learningRate: g.lr, beta1: g.betas[0], beta2: g.betas[1], epsilon: g.eps,
      weightDecay: g.weightDecay, decoupledWeightDecay: g.decoupledWeightDecay, maximize: g.maximize,
      amsgrad: g.amsgrad, threshold: g.threshold, degenerateToSgd: g.degenerateToSgd,
      flushSubnormals: g.flushSubnormals, backend: this.backendChoice,
    };
  }

  dispose(): void {
    this.core.dispose();
    this.slots.clear();
    this.pending.clear();
    super.dispose();
  }
}

// Registering twice (the module evaluated twice, e.g. by two bundles) only overwrites the entry.
tf.serialization.registerClass(RAdamOptimizer);
