// RAdam as a TensorFlow.js optimizer (tf.Optimizer), for model.compile/fit. The entry points
// (src/tfjs.ts, src/tfjs.workerd.ts) subclass it with the RAdam of their kernel source and
// register the subclass with tf.serialization.
//
// Variables' values, gradients and state live in the optimizer's linear memory, keyed by variable
// name. Per step, each gradient is read once (dataSync, copied into linear memory), one kernel call
// updates every variable, and each new value is written back once (one tensor per variable).
import * as tf from '@tensorflow/tfjs-core';
import { hooksOf, type Hooks } from '../hooks.js';
import type { Param, RAdam } from '../optimizer.js';
import type { BackendChoice, GroupOptions } from '../options.js';
import { TFJS_KEYS, fromTfjsConfig, toTfjsConfig } from './config.js';

/** tfjs's `{ name, tensor }` pair (not exported from tfjs-core's index). */
type NamedTensor = { name: string; tensor: tf.Tensor };

/**
 * The optimizer's config: tfjs's Adam keys (learningRate, beta1, beta2, epsilon) plus RAdam's,
 * under the names HYPERPARAMETERS (src/options.ts) gives them.
 */
export interface RAdamOptimizerConfig extends Omit<GroupOptions, 'lr' | 'betas' | 'eps'> {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  backend?: BackendChoice;
}
const CONFIG_KEYS = [...TFJS_KEYS, 'backend'];

interface Slot {
  param: Param;
  variable: tf.Variable;
  /** The variable's data after our last write: another id means someone else assigned it. */
  dataId: object | null;
}

/** State restored by setWeights for a variable not seen yet (kept, and saved again, until it is). */
interface Saved {
  m?: Float32Array;
  v?: Float32Array;
  vhat?: Float32Array;
  step: number;
  shape: number[];
}

const SUFFIXES = ['m', 'v', 'vhat', 'step'] as const;

// tfjs-layers renames a variable whose name is taken (`dense_Dense1/kernel` is created as
// `dense_Dense1/kernel_1` in a process that already holds the first): state saved under `x` must
// still find its variable under `x_N`, when exactly one does. Only that pattern: `w_1` and `w_2`
// are two variables, not one renamed.
const renamed = (variable: string, saved: string): boolean =>
  variable.startsWith(`${saved}_`) && /^\d+$/.test(variable.slice(saved.length + 1));

/** The saved name whose state belongs to `variable`: its own, or the one it was renamed from. */
function savedNameOf(variable: string, saved: Iterable<string>): string | undefined {
  const all = [...saved];
  if (all.includes(variable)) return variable;
  const from = all.filter((k) => renamed(variable, k));
  return from.length === 1 ? from[0] : undefined;
}

export class RAdamOptimizer extends tf.Optimizer {
  /** The RAdam class of the entry point (which kernels it loads). */
  static radam: typeof RAdam | null = null;

  static get className(): string {
    return 'RAdam';
  }

  private static core(): typeof RAdam {
    if (!this.radam) throw new Error("RAdamOptimizer: import it from 'radam-wasm/tfjs'");
    return this.radam;
  }

  /** Loads the WebAssembly kernel; after it, `new RAdamOptimizer(...)` and model loading work. */
  static ready(backend: BackendChoice = 'auto'): Promise<unknown> {
    return this.core().ready(backend);
  }

  /** Loads the kernel if needed and creates the optimizer. */
  static async create<T extends typeof RAdamOptimizer>(
    this: T,
    config: RAdamOptimizerConfig = {},
  ): Promise<InstanceType<T>> {
    await this.core().ready(config.backend ?? 'auto');
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
  private readonly slots = new Map<string, Slot>();
  private saved = new Map<string, Saved>();
  private lastWeights: tf.Tensor[] = [];
  /** Where applyGradients spends its time, summed over calls (set the fields to 0 to restart): reading gradients (dataSync into linear memory), the kernel step, writing the new values back. */
  readonly timings = { calls: 0, readMs: 0, stepMs: 0, writeMs: 0 };

  constructor(config: RAdamOptimizerConfig = {}) {
    super();
    for (const key of Object.keys(config ?? {})) {
      if (!CONFIG_KEYS.includes(key))
        throw new TypeError(`RAdamOptimizer: unknown config key "${key}" (known: ${CONFIG_KEYS.join(', ')})`);
    }
    this.backendChoice = config.backend ?? 'auto';
    this.core = (this.constructor as typeof RAdamOptimizer).core().createSync({
      ...fromTfjsConfig(config as Record<string, unknown>),
      backend: this.backendChoice,
    });
    this.hooks = hooksOf<Param>(this.core);
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
      let slot = this.slots.get(name) ?? null;
      // A variable disposed and created again under the same name: the same size keeps its state
      // (its values are re-read), another size starts afresh.
      if (slot && slot.variable !== variable && slot.param.size !== variable.size) slot = null;
      if (!slot) this.checkSaved(variable);
      work.push({ name, slot, variable, grad });
    }
    const t0 = performance.now();
    const active = new Set<Param>();
    for (const w of work) {
      const slot = w.slot ?? this.addSlot(w.variable);
      if (slot.variable !== w.variable) {
        slot.variable = w.variable;
        slot.dataId = null;
      }
      if (slot.dataId !== w.variable.dataId) slot.param.data.set(w.variable.dataSync() as Float32Array); // assigned elsewhere
      slot.param.grad.set(w.grad.dataSync() as Float32Array);
      active.add(slot.param);
      w.slot = slot;
    }
    const t1 = performance.now();
    this.hooks.stepOnly(active);
    const t2 = performance.now();
    // tfjs-wasm copies new tensor values into its heap at once; other backends (cpu, webgl) keep
    // the array, so they get a copy of ours.
    const copies = tf.getBackend() !== 'wasm';
    for (const { slot } of work) {
      const { param, variable } = slot!;
      const value = tf.tensor(copies ? param.data.slice() : param.data, variable.shape, 'float32');
      variable.assign(value);
      value.dispose();
      slot!.dataId = variable.dataId;
    }
    const t = this.timings;
    t.calls++;
    t.readMs += t1 - t0;
    t.stepMs += t2 - t1;
    t.writeMs += performance.now() - t2;
    this.incrementIterations();
  }

  private checkSaved(variable: tf.Variable): void {
    const key = savedNameOf(variable.name, this.saved.keys());
    const s = key === undefined ? undefined : this.saved.get(key)!;
    for (const q of ['m', 'v', 'vhat'] as const) {
      const a = s?.[q];
      if (a && a.length !== variable.size) {
        throw new RangeError(
          `RAdamOptimizer: the saved "${key}/${q}" has ${a.length} elements, variable "${variable.name}" has ${variable.size}`,
        );
      }
    }
  }

  private addSlot(variable: tf.Variable): Slot {
    const param = this.core.addParam(variable.dataSync() as Float32Array);
    const slot: Slot = { param, variable, dataId: variable.dataId };
    this.slots.set(variable.name, slot);
    const key = savedNameOf(variable.name, this.saved.keys());
    if (key !== undefined) {
      this.restore(slot, this.saved.get(key)!);
      this.saved.delete(key);
    }
    return slot;
  }

  // Sizes are checked by the callers, before anything changes.
  private restore(slot: Slot, s: Saved): void {
    const p = slot.param;
    if (s.m) p.expAvg.set(s.m);
    if (s.v) p.expAvgSq.set(s.v);
    if (s.vhat && p.maxExpAvgSq) p.maxExpAvgSq.set(s.vhat);
    this.hooks.setSteps(p, s.step);
  }

  /**
   * `iter`, then every `${name}/m`, every `${name}/v` (as tfjs's Adam), then `/vhat` (amsgrad) and
   * `/step` where it differs from iter. State restored by setWeights for variables not trained
   * since is included. The tensors stay valid until the next getWeights call or dispose().
   */
  async getWeights(): Promise<NamedTensor[]> {
    tf.dispose(this.lastWeights);
    const states: [string, Saved][] = [
      ...[...this.slots.entries()].map(([name, s]): [string, Saved] => [
        name,
        {
          m: s.param.expAvg,
          v: s.param.expAvgSq,
          vhat: s.param.maxExpAvgSq ?? undefined,
          step: s.param.step,
          shape: s.variable.shape,
        },
      ]),
      ...this.saved.entries(),
    ];
    const out: NamedTensor[] = [await this.saveIterations()];
    const tensor = (a: Float32Array, shape: number[]) => tf.tensor(a.slice(), shape, 'float32');
    for (const [name, s] of states) if (s.m) out.push({ name: `${name}/m`, tensor: tensor(s.m, s.shape) });
    for (const [name, s] of states) if (s.v) out.push({ name: `${name}/v`, tensor: tensor(s.v, s.shape) });
    for (const [name, s] of states) if (s.vhat) out.push({ name: `${name}/vhat`, tensor: tensor(s.vhat, s.shape) });
    for (const [name, s] of states)
      if (s.step !== this.iterations) out.push({ name: `${name}/step`, tensor: tf.scalar(s.step, 'int32') });
    this.lastWeights = out.map((w) => w.tensor);
    return out;
  }

  /** Restores what getWeights saved, by variable name (variables not seen yet get it when they are). */
  async setWeights(weightValues: NamedTensor[]): Promise<void> {
    if (!Array.isArray(weightValues) || weightValues[0]?.name !== 'iter') {
      throw new TypeError('RAdamOptimizer.setWeights: expected the output of getWeights (starting with "iter")');
    }
    const iter = (await weightValues[0].tensor.data())[0];
    const loaded = new Map<string, Saved>();
    for (const { name, tensor } of weightValues.slice(1)) {
      const cut = name.lastIndexOf('/');
      const key = name.slice(cut + 1) as (typeof SUFFIXES)[number];
      if (cut < 0 || !SUFFIXES.includes(key))
        throw new TypeError(`RAdamOptimizer.setWeights: unexpected weight "${name}"`);
      const entry = loaded.get(name.slice(0, cut)) ?? { step: iter, shape: tensor.shape };
      if (key === 'step') entry.step = (await tensor.data())[0];
      else {
        entry[key] = Float32Array.from(await tensor.data());
        entry.shape = tensor.shape;
      }
      loaded.set(name.slice(0, cut), entry);
    }
    // Match saved names to known variables (exactly, or the one variable renamed from it) and
    // check sizes before applying anything.
    const known = [...loaded.entries()].map(([saved, s]) => {
      const names = [...this.slots.keys()].filter((n) => savedNameOf(n, loaded.keys()) === saved);
      const name = names.includes(saved) ? saved : names.length === 1 ? names[0] : undefined;
      const slot = name === undefined ? undefined : this.slots.get(name)!;
      for (const q of ['m', 'v', 'vhat'] as const) {
        const a = s[q];
        if (slot && a && a.length !== slot.param.size) {
          throw new RangeError(
            `RAdamOptimizer.setWeights: "${saved}/${q}" has ${a.length} elements, variable "${name}" has ${slot.param.size}`,
          );
        }
      }
      return [saved, s, slot] as const;
    });
    this.iterations_ = iter;
    this.saved = new Map();
    for (const [saved, s, slot] of known) {
      if (slot) this.restore(slot, s);
      else this.saved.set(saved, s);
    }
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...(toTfjsConfig(this.core.groups[0]) as tf.serialization.ConfigDict), backend: this.backendChoice };
  }

  dispose(): void {
    tf.dispose(this.lastWeights);
    this.lastWeights = [];
    this.core.dispose();
    this.slots.clear();
    this.saved.clear();
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
