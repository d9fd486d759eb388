// radam-wasm/tfjs: a tf.Optimizer that trains real tfjs-layers models on the cpu and wasm backends.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hooksOf } from '../src/optimizer/internals.js';
import { RAdam, type Param } from '../src/index.js';
import { RAdamOptimizer } from '../src/tfjs.js';
import { bits, keep, named, saveAndLoad } from './support/tfjs.js';

const FLT_MIN = 1.1754943508222875e-38;

beforeAll(async () => {
  const require = createRequire(import.meta.url);
  setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}${path.sep}`);
  await RAdamOptimizer.ready();
});

/** RAdam written with tfjs ops, from torch's formulas: the parity reference. */
class ReferenceRAdam extends tf.Optimizer {
  static get className() {
    return 'ReferenceRAdam';
  }
  private t = 0;
  private readonly state = new Map<string, { m: tf.Variable; v: tf.Variable }>();
  constructor(
    private readonly lr: number,
    private readonly b1 = 0.9,
    private readonly b2 = 0.999,
    private readonly eps = 1e-8,
  ) {
    super();
  }
  applyGradients(grads: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
    const list = Array.isArray(grads) ? grads.map((g) => [g.name, g.tensor] as const) : Object.entries(grads);
    this.t++;
    const { t, b1, b2, eps, lr } = this;
    const bc1 = 1 - b1 ** t,
      bc2 = 1 - b2 ** t;
    const rhoInf = 2 / (1 - b2) - 1,
      rhoT = rhoInf - (2 * t * b2 ** t) / bc2;
    tf.tidy(() => {
      for (const [name, g] of list) {
        const p = tf.engine().registeredVariables[name];
        if (!this.state.has(name))
          this.state.set(name, { m: tf.variable(tf.zerosLike(p), false), v: tf.variable(tf.zerosLike(p), false) });
        const s = this.state.get(name)!;
        s.m.assign(tf.add(tf.mul(s.m, b1), tf.mul(g, 1 - b1)));
        s.v.assign(tf.add(tf.mul(s.v, b2), tf.mul(tf.square(g), 1 - b2)));
        const mhat = tf.div(s.m, bc1);
        if (rhoT > 5) {
          const r = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
          p.assign(tf.sub(p, tf.div(tf.mul(mhat, lr * r * Math.sqrt(bc2)), tf.add(tf.sqrt(s.v), eps))));
        } else {
          p.assign(tf.sub(p, tf.mul(mhat, lr)));
        }
      }
    });
  }
  getConfig() {
    return {};
  }
}

function data(n = 64) {
  const x = Float32Array.from({ length: n * 8 }, (_, i) => Math.sin(i * 0.37) + Math.cos(i * 0.11));
  const y = Float32Array.from({ length: n }, (_, i) => Math.tanh(x[i * 8] - 0.5 * x[i * 8 + 3]) + 0.1 * x[i * 8 + 5]);
  return { xs: tf.tensor2d(x, [n, 8]), ys: tf.tensor2d(y, [n, 1]) };
}

function mlp(): tfl.Sequential {
  const model = tfl.sequential();
  model.add(
    tfl.layers.dense({
      units: 16,
      activation: 'tanh',
      inputShape: [8],
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
    }),
  );
  model.add(tfl.layers.dense({ units: 1, kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }));
  return model;
}

const weightsOf = (m: tfl.LayersModel) => m.getWeights().map((w) => w.dataSync().slice() as Float32Array);

/** Full-batch fit, one step per epoch, recording the weights after the given steps. */
async function train(model: tfl.LayersModel, steps: number, record: number[] = []) {
  const { xs, ys } = data();
  const out = new Map<number, Float32Array[]>();
  for (let t = 1; t <= steps; t++) {
    await model.fit(xs, ys, { epochs: 1, batchSize: 64, shuffle: false, verbose: 0 });
    if (record.includes(t)) out.set(t, weightsOf(model));
  }
  tf.dispose([xs, ys]);
  return out;
}

/** The golden README's metric: |got - want| over the largest |want| seen so far (or the initial value). */
function worst(init: Float32Array[], got: Map<number, Float32Array[]>, want: Map<number, Float32Array[]>): number {
  const scale = init.map((a) => Float64Array.from(a, (x) => Math.max(FLT_MIN, Math.abs(x))));
  let w = 0;
  for (const t of [...want.keys()].sort((a, b) => a - b)) {
    want.get(t)!.forEach((ref, k) =>
      ref.forEach((x, i) => {
        scale[k][i] = Math.max(scale[k][i], Math.abs(x));
        w = Math.max(w, Math.abs(got.get(t)![k][i] - x) / scale[k][i]);
      }),
    );
  }
  return w;
}

describe.each(['cpu', 'wasm'])('RAdamOptimizer on the tfjs %s backend', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
  });

  it('trains a 2-layer MLP with model.compile/fit, matching RAdam written with tfjs ops (60 steps)', async () => {
    const steps = [1, 2, 5, 6, 7, 10, 20, 40, 60];
    const a = mlp(),
      b = mlp();
    const init = weightsOf(a);
    a.compile({ optimizer: await RAdamOptimizer.create({ learningRate: 0.01 }), loss: 'meanSquaredError' });
    b.compile({ optimizer: new ReferenceRAdam(0.01), loss: 'meanSquaredError' });
    const { xs, ys } = data();
    const loss = (m: tfl.LayersModel) => (m.evaluate(xs, ys) as tf.Scalar).dataSync()[0];
    const before = loss(a);
    const got = await train(a, 60, steps),
      want = await train(b, 60, steps);
    expect(loss(a)).toBeLessThan(0.5 * before);
    const w = worst(init, got, want);
    console.log(
      `tfjs-${backend} parity with RAdam in tfjs ops, 60 steps: worst error ${w.toExponential(2)} (golden metric)`,
    );
    expect(w).toBeLessThan(1e-4);
    expect(Math.abs(loss(a) - loss(b))).toBeLessThan(1e-4);
    tf.dispose([xs, ys]);
  });

  it('model.save({ includeOptimizer }) and loading it resume exactly like an uninterrupted run', async () => {
    const model = mlp();
    model.compile({
      optimizer: await RAdamOptimizer.create({ learningRate: 0.02, weightDecay: 0.01 }),
      loss: 'meanSquaredError',
    });
    await train(model, 20);
    // Loaded while the first model's variables exist: tfjs-layers renames the new ones (`..._1`).
    const loaded = await saveAndLoad(model);
    expect(loaded.optimizer).toBeInstanceOf(RAdamOptimizer);
    expect(loaded.optimizer.getConfig()).toEqual(model.optimizer.getConfig());
    expect(loaded.getWeights()[0].name).not.toBe(model.getWeights()[0].name);
    const a = await train(model, 20, [20]),
      b = await train(loaded, 20, [20]);
    a.get(20)!.forEach((w, k) => expect(Array.from(b.get(20)![k])).toEqual(Array.from(w)));
    expect((loaded.optimizer as RAdamOptimizer).iterations).toBe(40);
  });

  it('stateDtype bfloat16: trains, its weights carry float32 values (bfloat16 ones), model.save / load resumes exactly', async () => {
    const model = mlp();
    const optimizer = await RAdamOptimizer.create({ learningRate: 0.01, stateDtype: 'bfloat16', stateSeed: 3 });
    model.compile({ optimizer, loss: 'meanSquaredError' });
    const { xs, ys } = data();
    const loss = (m: tfl.LayersModel) => (m.evaluate(xs, ys) as tf.Scalar).dataSync()[0];
    const before = loss(model);
    await train(model, 30);
    expect(loss(model)).toBeLessThan(0.5 * before);
    const weights = await optimizer.getWeights();
    expect(weights.length).toBe(1 + 2 * model.getWeights().length); // iter, every /m, every /v
    for (const w of weights.slice(1)) {
      const values = w.tensor.dataSync() as Float32Array;
      expect([w.name, w.tensor.dtype]).toEqual([w.name, 'float32']);
      // Widened bfloat16: the low 16 bits are zero.
      expect(new Uint32Array(values.slice().buffer).every((b) => (b & 0xffff) === 0)).toBe(true);
    }
    expect(weights.slice(1).some((w) => (w.tensor.dataSync() as Float32Array).some((x) => x !== 0))).toBe(true);
    const loaded = await saveAndLoad(model);
    expect(loaded.optimizer.getConfig()).toMatchObject({ stateDtype: 'bfloat16', stateSeed: 3 });
    const a = await train(model, 10, [10]),
      b = await train(loaded, 10, [10]);
    a.get(10)!.forEach((w, k) => expect(Array.from(b.get(10)![k])).toEqual(Array.from(w)));
    tf.dispose([xs, ys]);
  });
});

describe('RAdamOptimizer conventions', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it("is registered for serialization as 'RAdam'; getConfig/fromConfig round-trip; registering again is harmless", () => {
    const opt = new RAdamOptimizer({ learningRate: 0.003, beta2: 0.99, amsgrad: true, threshold: 6 });
    expect(RAdamOptimizer.className).toBe('RAdam');
    expect(opt.getClassName()).toBe('RAdam');
    const config = opt.getConfig();
    expect(config).toMatchObject({
      learningRate: 0.003,
      beta1: 0.9,
      beta2: 0.99,
      epsilon: 1e-8,
      amsgrad: true,
      threshold: 6,
    });
    tf.serialization.registerClass(RAdamOptimizer);
    const [cls, fromConfig] = tf.serialization.SerializationMap.getMap().classNameMap.RAdam;
    expect(cls).toBe(RAdamOptimizer);
    const copy = fromConfig(cls, config) as RAdamOptimizer;
    expect(copy.getConfig()).toEqual(config);
    opt.dispose();
    copy.dispose();
  });

  it('getWeights lays out iter, then every name/m, then every name/v, as tfjs Adam does', async () => {
    const model = mlp();
    model.compile({ optimizer: new RAdamOptimizer(), loss: 'meanSquaredError' });
    await train(model, 3);
    const names = (await model.optimizer.getWeights()).map((w) => w.name);
    const vars = model.trainableWeights.map((w) => w.originalName);
    expect(names).toEqual(['iter', ...vars.map((v) => `${v}/m`), ...vars.map((v) => `${v}/v`)]);
  });

  it('keeps state by variable name when the trainable set changes (unlike tfjs Adam, tfjs #4290)', async () => {
    const a = tf.variable(tf.tensor1d([1, 2, 3]), true, 'state_by_name_a');
    const b = tf.variable(tf.tensor1d([-1, 5]), true, 'state_by_name_b');
    const ga = tf.tensor1d([0.5, -1, 2]),
      gb = tf.tensor1d([3, -0.25]);
    const opt = new RAdamOptimizer({ learningRate: 0.1 });
    opt.applyGradients({ state_by_name_a: ga });
    opt.applyGradients([{ name: 'state_by_name_b', tensor: gb }]);
    opt.applyGradients({ state_by_name_b: gb, state_by_name_a: ga });
    // Each variable took two steps of its own, exactly as a core optimizer with just that param.
    for (const [v, init, g] of [
      [a, [1, 2, 3], [0.5, -1, 2]],
      [b, [-1, 5], [3, -0.25]],
    ] as const) {
      const core = await RAdam.create({ lr: 0.1 });
      const p = core.addParam([...init]);
      for (let t = 0; t < 2; t++) {
        p.grad.set(g);
        core.step();
      }
      expect(Array.from(v.dataSync())).toEqual(Array.from(p.data));
      core.dispose();
    }
    expect(opt.iterations).toBe(3);
    const names = (await opt.getWeights()).map((w) => w.name);
    expect(names).toEqual([
      'iter',
      'state_by_name_a/m',
      'state_by_name_b/m',
      'state_by_name_a/v',
      'state_by_name_b/v',
      'state_by_name_a/step',
      'state_by_name_b/step',
    ]); // each took 2 steps, iter is 3
    tf.dispose([a, b, ga, gb]);
    opt.dispose();
  });

  it('follows a variable assigned outside the optimizer', async () => {
    const a = tf.variable(tf.tensor1d([1, 2]), true, 'assigned_elsewhere');
    const g = tf.tensor1d([1, 1]);
    const opt = new RAdamOptimizer({ learningRate: 0.5 });
    opt.applyGradients({ assigned_elsewhere: g });
    a.assign(tf.tensor1d([10, 20]));
    opt.applyGradients({ assigned_elsewhere: g });
    const v = a.dataSync();
    expect(v[0]).toBeGreaterThan(8); // stepped from 10, not from ~0.5
    expect(v[1]).toBeGreaterThan(18);
    tf.dispose([a, g]);
    opt.dispose();
  });

  it('refuses unknown variables and wrong gradient sizes, changing nothing', async () => {
    const a = tf.variable(tf.tensor1d([1, 2]), true, 'refuse_a');
    const opt = new RAdamOptimizer();
    const bad = tf.tensor1d([1, 2, 3]),
      good = tf.tensor1d([1, 1]);
    expect(() => opt.applyGradients({ refuse_a: good, missing_var: good })).toThrow(/no variable named "missing_var"/);
    expect(() => opt.applyGradients({ refuse_a: bad })).toThrow(
      /gradient of "refuse_a" has 3 elements, the variable has 2/,
    );
    expect(Array.from(a.dataSync())).toEqual([1, 2]);
    expect(opt.iterations).toBe(0);
    expect((await opt.getWeights()).length).toBe(1); // just iter: no state was created
    await expect(opt.setWeights([{ name: 'x/m', tensor: good }])).rejects.toThrow(/starting with "iter"/);
    tf.dispose([a, bad, good]);
    opt.dispose();
  });

  it('learningRate is writable between steps and validated', () => {
    const opt = new RAdamOptimizer();
    opt.learningRate = 0.05;
    expect(opt.getConfig().learningRate).toBe(0.05);
    expect(() => {
      opt.learningRate = -1;
    }).toThrow(/RAdamOptimizer: Invalid learningRate: -1 \(expected >= 0\)/);
    expect(opt.learningRate).toBe(0.05);
    opt.dispose();
  });
});

describe('RAdamOptimizer state through getWeights/setWeights', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  const grad = (vals: number[]) => tf.tensor1d(vals);
  const weights = async (opt: RAdamOptimizer) =>
    Object.fromEntries(
      await Promise.all((await opt.getWeights()).map(async (w) => [w.name, Array.from(await w.tensor.data())])),
    );

  it('getWeights holds the moments themselves: m = (1-b1) g and v = (1-b2) g^2 after one step', async () => {
    const a = tf.variable(tf.tensor1d([1, 2]), true, 'values_a');
    const opt = new RAdamOptimizer({ amsgrad: true });
    opt.applyGradients({ values_a: grad([2, -4]) });
    const w = await weights(opt);
    expect(w['values_a/m']).toEqual([Math.fround(0.2), Math.fround(-0.4)].map((x) => Math.fround(x)));
    expect(w['values_a/v'][1]).toBeCloseTo(0.016, 7);
    expect(w['values_a/vhat']).toEqual(w['values_a/v']);
    tf.dispose(a);
    opt.dispose();
  });

  it('state restored for a variable not trained yet is saved again, and that variable resumes at its own step', async () => {
    const a = tf.variable(tf.tensor1d([1, 2]), true, 'later_a'),
      b = tf.variable(tf.tensor1d([3]), true, 'later_b');
    const first = new RAdamOptimizer({ learningRate: 0.1 });
    for (let t = 0; t < 3; t++) first.applyGradients({ later_a: grad([1, 1]), later_b: grad([1]) });
    const saved = await first.getWeights();
    const second = new RAdamOptimizer({ learningRate: 0.1 });
    await second.setWeights(saved);
    for (let t = 0; t < 4; t++) second.applyGradients({ later_a: grad([1, 1]) }); // later_b frozen meanwhile
    const again = await weights(second); // saved again before later_b trained: its state is still there
    expect(again['later_b/m']).toEqual(Array.from(await saved.find((w) => w.name === 'later_b/m')!.tensor.data()));
    expect(again['later_b/step']).toEqual([3]);
    second.applyGradients({ later_b: grad([1]) }); // its 4th step, not its 8th
    const core = await RAdam.create({ lr: 0.1 }),
      p = core.addParam([3]);
    for (let t = 0; t < 4; t++) {
      p.grad.set([1]);
      core.step();
    }
    expect(b.dataSync()[0]).toBe(p.data[0]);
    tf.dispose([a, b]);
    first.dispose();
    second.dispose();
    core.dispose();
  });

  it('does not give a variable the state saved under the name of another registered variable', async () => {
    const w1 = tf.variable(tf.tensor1d([0, 0]), true, 'amb/w_1'),
      w2 = tf.variable(tf.tensor1d([0, 0]), true, 'amb/w_2');
    const first = new RAdamOptimizer();
    first.applyGradients({ 'amb/w_2': grad([1e3, 1e3]) });
    const saved = await first.getWeights();
    const second = new RAdamOptimizer();
    second.applyGradients({ 'amb/w_1': grad([1, 1]) }); // a slot with the same base name exists
    await second.setWeights(saved);
    expect((await weights(second))['amb/w_1/m'][0]).toBeCloseTo(0.1, 6); // untouched
    second.applyGradients({ 'amb/w_2': grad([1e3, 1e3]) });
    expect((await weights(second))['amb/w_2/m'][0]).toBeCloseTo(190, 3); // 0.9*100 + 0.1*1000
    tf.dispose([w1, w2]);
    first.dispose();
    second.dispose();
  });

  it('follows a variable disposed and created again under the same name', async () => {
    let v = tf.variable(tf.tensor1d([5, 6]), true, 'recreated');
    const opt = new RAdamOptimizer({ learningRate: 0.5 });
    opt.applyGradients({ recreated: grad([1, 1]) });
    v.dispose();
    v = tf.variable(tf.tensor1d([5, 6]), true, 'recreated'); // same size: keeps its state, trains the new variable
    opt.applyGradients({ recreated: grad([1, 1]) });
    expect(v.dataSync()[0]).toBeLessThan(5);
    v.dispose();
    v = tf.variable(tf.tensor1d([1, 2, 3]), true, 'recreated'); // another size: starts afresh
    opt.applyGradients({ recreated: grad([1, 1, 1]) });
    expect(Array.from(v.dataSync()).map((x) => +x.toFixed(4))).toEqual([0.5, 1.5, 2.5]); // a first (momentum) step
    tf.dispose(v);
    opt.dispose();
  });

  it('getWeights does not leak tensors across saves', async () => {
    const a = tf.variable(tf.tensor1d([1, 2]), true, 'leak_a');
    const opt = new RAdamOptimizer();
    opt.applyGradients({ leak_a: grad([1, 1]) });
    await opt.getWeights();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) await opt.getWeights();
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    tf.dispose(a);
  });

  it('accepts every core option in its config, rectify included, and refuses unknown keys', () => {
    const opt = new RAdamOptimizer({ rectify: false, flushSubnormals: true });
    expect(opt.getConfig()).toMatchObject({ rectify: false, flushSubnormals: true });
    expect(() => new RAdamOptimizer({ lr: 0.5 } as never)).toThrow(/unknown config key "lr"/);
    opt.dispose();
  });
});

// --- accumulate, ema and clipValue through the adapter ---------------------------------------------

/** The optimizer's `<name>/ema` weights, in the order of the model's weights. */
const emaOf = async (opt: RAdamOptimizer, model: tfl.LayersModel) => {
  const w = await named(opt);
  return model.weights.map((v) => Float32Array.from(w[`${v.name}/ema`]));
};

describe('RAdamOptimizer config: accumulate, ema, clipValue', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('takes accumulate, ema and clipValue; getConfig always lists them and fromConfig round-trips it', async () => {
    const plain = new RAdamOptimizer();
    expect(plain.getConfig()).toMatchObject({ accumulate: 1, ema: null, clipValue: null });
    expect([plain.accumulate, plain.accumulated, plain.ema]).toEqual([1, 0, null]);
    const opt = await RAdamOptimizer.create({ accumulate: 4, ema: { decay: 0.999 }, clipValue: 1 });
    const config = opt.getConfig();
    expect(config).toMatchObject({ accumulate: 4, ema: { decay: 0.999, warmup: false }, clipValue: 1 });
    expect([opt.accumulate, opt.accumulated, opt.ema]).toEqual([4, 0, { decay: 0.999, warmup: false }]);
    const [cls, fromConfig] = tf.serialization.SerializationMap.getMap().classNameMap.RAdam;
    for (const c of [config, JSON.parse(JSON.stringify(config))]) {
      const copy = fromConfig(cls, c) as RAdamOptimizer;
      expect(copy.getConfig()).toEqual(config);
      copy.dispose();
    }
    const warm = new RAdamOptimizer({ ema: { decay: 0.5, warmup: true }, accumulate: 1, clipValue: null });
    expect(warm.getConfig()).toMatchObject({ ema: { decay: 0.5, warmup: true }, accumulate: 1, clipValue: null });
    for (const o of [plain, opt, warm]) o.dispose();
  });

  it.each([
    [{ accumulate: 0 }, /Invalid accumulate: 0 \(expected an integer from 1 to 16777216\)/],
    [{ accumulate: 2.5 }, /Invalid accumulate: 2.5/],
    [{ accumulate: '4' }, /Invalid accumulate: "4"/],
    [{ ema: 0.99 }, /Invalid ema: 0.99 \(expected \{ decay, warmup\? \} or null\)/],
    [{ ema: { decay: 1 } }, /Invalid ema decay: 1 \(expected 0 <= decay < 1\)/],
    [{ ema: {} }, /Invalid ema decay: undefined/],
    [{ ema: { decay: 0.9, momentum: 0.9 } }, /Unknown ema option: "momentum"/],
    [{ ema: { decay: 0.9, warmup: 'yes' } }, /Invalid ema warmup: "yes" \(expected true or false\)/],
    [{ clipValue: 0 }, /Invalid clipValue: 0 \(expected a positive finite number, or null for no clamp\)/],
    [{ clipValue: Number.NaN }, /Invalid clipValue: NaN/],
    [{ useEma: true }, /unknown config key "useEma" \(known: .*accumulate, ema, stateDtype, stateSeed, backend\)/],
  ])('refuses %o with a message naming the value (constructor, create, fromConfig)', async (config, message) => {
    expect(() => new RAdamOptimizer(config as never)).toThrow(message);
    await expect(RAdamOptimizer.create(config as never)).rejects.toThrow(message);
    const [cls, fromConfig] = tf.serialization.SerializationMap.getMap().classNameMap.RAdam;
    expect(() => fromConfig(cls, config as never)).toThrow(message);
  });

  it('clipValue clamps every gradient element before the step, as the core does', async () => {
    const a = tf.variable(tf.tensor1d([1, 2, 3]), true, 'clip_a'),
      b = tf.variable(tf.tensor1d([1, 2, 3]), true, 'clip_b');
    const clipped = new RAdamOptimizer({ learningRate: 0.1, clipValue: 1 }),
      byHand = new RAdamOptimizer({ learningRate: 0.1 });
    const core = await RAdam.create({ lr: 0.1, clipValue: 1 }),
      p = core.addParam([1, 2, 3]);
    for (let t = 0; t < 8; t++) {
      const g = [5 * (t - 3), -0.5, 1e3];
      clipped.applyGradients({ clip_a: tf.tensor1d(g) });
      byHand.applyGradients({ clip_b: tf.tensor1d(g.map((x) => Math.max(-1, Math.min(1, x)))) });
      p.grad.set(g);
      core.step();
    }
    expect(bits(a.dataSync())).toEqual(bits(p.data));
    expect(bits(a.dataSync())).toEqual(bits(b.dataSync()));
    clipped.hyperparameters.clipValue = null; // writable between steps, like every hyperparameter
    expect(clipped.getConfig().clipValue).toBe(null);
    tf.dispose([a, b]);
    for (const o of [clipped, byHand, core]) o.dispose();
  });
});

describe('RAdamOptimizer with accumulate', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('applyGradients steps as the core RAdam with accumulate on the same gradients; accumulating calls write nothing back', async () => {
    const a = tf.variable(tf.tensor1d([1, -2, 3]), true, 'acc_a'),
      b = tf.variable(tf.tensor1d([0.5, 4]), true, 'acc_b');
    const opt = new RAdamOptimizer({ learningRate: 0.1, accumulate: 3 });
    const core = await RAdam.create({ lr: 0.1, accumulate: 3 });
    const pa = core.addParam([1, -2, 3]),
      pb = core.addParam([0.5, 4]);
    const hooks = hooksOf<Param>(core);
    // Which variables get a gradient in each call: in the 1st window b only in the first call (it
    // must still step on the 3rd); in the 3rd window b gets none at all (it must not step).
    const calls = [['a', 'b'], ['a'], ['a'], ['b'], ['a', 'b'], ['a'], ['a'], ['a'], ['a'], ['b'], ['a', 'b'], ['b']];
    for (const [i, which] of calls.entries()) {
      const ga = [Math.sin(i), 2 * Math.cos(i), -1],
        gb = [i - 5, 0.25 * i];
      const grads: tf.NamedTensorMap = {};
      if (which.includes('a')) grads.acc_a = tf.tensor1d(ga);
      if (which.includes('b')) grads.acc_b = tf.tensor1d(gb);
      const ids = [a, b].map((v) => (v as unknown as { dataId: object }).dataId);
      const before = [a, b].map((v) => bits(v.dataSync()));
      opt.applyGradients(grads);
      pa.grad.set(ga);
      pb.grad.set(gb);
      const result = hooks.stepOnly(new Set(which.map((n) => (n === 'a' ? pa : pb))));
      expect(bits(a.dataSync())).toEqual(bits(pa.data));
      expect(bits(b.dataSync())).toEqual(bits(pb.data));
      expect(opt.accumulated).toBe(core.accumulated);
      expect(opt.iterations).toBe(i + 1); // applyGradients calls, as tfjs counts them
      if (!result.applied) {
        // nothing written: the very same tensors
        expect([a, b].map((v) => (v as unknown as { dataId: object }).dataId)).toEqual(ids);
        expect([a, b].map((v) => bits(v.dataSync()))).toEqual(before);
      }
      tf.dispose(Object.values(grads));
    }
    expect([pa.step, pb.step]).toEqual([4, 3]); // b: windows 1, 2 and 4
    expect(bits(b.dataSync())).not.toEqual([0.5, 4]);
    tf.dispose([a, b]);
    opt.dispose();
    core.dispose();
  });

  it('follows a variable assigned outside the optimizer mid-window, also one that steps on its accumulator alone', () => {
    const a = tf.variable(tf.tensor1d([1, 2]), true, 'acc_assigned_a'),
      b = tf.variable(tf.tensor1d([3]), true, 'acc_assigned_b');
    const opt = new RAdamOptimizer({ learningRate: 0.5, accumulate: 2 });
    opt.applyGradients({ acc_assigned_a: tf.tensor1d([1, 1]), acc_assigned_b: tf.tensor1d([1]) });
    a.assign(tf.tensor1d([10, 20]));
    b.assign(tf.tensor1d([30]));
    opt.applyGradients({ acc_assigned_a: tf.tensor1d([1, 1]) }); // b steps on its accumulator
    // first (momentum) steps from 10, 20 and 30, on the mean gradients 1, 1 and 0.5
    expect(bits(a.dataSync()).map((x) => +x.toFixed(4))).toEqual([9.5, 19.5]);
    expect(+b.dataSync()[0].toFixed(4)).toBe(29.75);
    tf.dispose([a, b]);
    opt.dispose();
  });

  describe.each(['cpu', 'wasm'])('on the tfjs %s backend', (backend) => {
    beforeAll(async () => {
      await tf.setBackend(backend);
    });

    // Not bit-identical: tfjs sums the per-sample gradients of a batch of k*B in one reduction,
    // the accumulator sums k sums of B, in another order (the scalings 1/B, 1/(k*B) and 1/k are
    // powers of 2 here, so exact). The difference is float32 rounding: measured against the
    // model's largest weight, |dw| stays under 1e-7 here (about 1 ulp); relative to each element it
    // is larger only for elements near 0 (the output bias), where Adam's m/sqrt(v) amplifies the
    // rounding of a gradient whose per-sample terms cancel.
    it('model.fit over batches of B with accumulate: k trains as model.fit over batches of k*B without it (MSE)', async () => {
      const k = 4,
        B = 8; // 64 samples: per epoch, two windows of 4 batches of 8, or two batches of 32
      const small = mlp(),
        big = mlp();
      const init = weightsOf(small);
      const accumulating = await RAdamOptimizer.create({ learningRate: 0.01, accumulate: k });
      small.compile({ optimizer: accumulating, loss: 'meanSquaredError' });
      big.compile({ optimizer: await RAdamOptimizer.create({ learningRate: 0.01 }), loss: 'meanSquaredError' });
      const { xs, ys } = data();
      let worstRel = 0;
      const epochs = 15;
      for (let e = 0; e < epochs; e++) {
        await small.fit(xs, ys, { epochs: 1, batchSize: B, shuffle: false, verbose: 0 });
        await big.fit(xs, ys, { epochs: 1, batchSize: k * B, shuffle: false, verbose: 0 });
        const got = weightsOf(small).flatMap((w) => Array.from(w)),
          want = weightsOf(big).flatMap((w) => Array.from(w));
        const scale = Math.max(...want.map(Math.abs));
        worstRel = Math.max(worstRel, ...got.map((x, i) => Math.abs(x - want[i]) / scale));
      }
      console.log(
        `tfjs-${backend}: fit on batches of ${B} with accumulate ${k} vs batches of ${k * B}, ${2 * epochs} steps: max |dw| / max |w| = ${worstRel.toExponential(2)}`,
      );
      expect(worstRel).toBeLessThan(1e-6);
      const moved = weightsOf(big).flatMap((w, j) => Array.from(w, (x, i) => Math.abs(x - init[j][i])));
      expect(Math.max(...moved)).toBeGreaterThan(1e-3); // it did train
      expect(accumulating.iterations).toBe(epochs * k * 2); // tfjs counts applyGradients calls
      expect((big.optimizer as RAdamOptimizer).iterations).toBe(epochs * 2);
      expect(accumulating.accumulated).toBe(0);
      const state = await named(accumulating);
      expect(state.iter).toEqual([epochs * k * 2]);
      const steps = Object.entries(state).filter(([name]) => name.endsWith('/step'));
      expect(steps.map(([, step]) => step)).toEqual(small.weights.map(() => [epochs * 2])); // the big batch's steps
      tf.dispose([xs, ys]);
    });
  });
});

describe.each(['cpu', 'wasm'])('RAdamOptimizer with ema, on the tfjs %s backend', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
  });

  /** A model trained 12 full-batch steps with ema, the weights after each step, and its data. */
  async function trained(ema: { decay: number; warmup?: boolean }) {
    const model = mlp();
    const init = weightsOf(model);
    const opt = await RAdamOptimizer.create({ learningRate: 0.02, ema });
    model.compile({ optimizer: opt, loss: 'meanSquaredError' });
    const steps = Array.from({ length: 12 }, (_, i) => i + 1);
    const history = await train(model, 12, steps);
    return { model, opt, init, history: steps.map((t) => history.get(t)!), ...data() };
  }

  it('the EMA is ema = d*ema + (1-d)*w after every step, from the initial weights (float32, bit for bit)', async () => {
    for (const ema of [{ decay: 0.9 }, { decay: 0.99, warmup: true }]) {
      const { model, opt, init, history, xs, ys } = await trained(ema);
      const fr = Math.fround;
      const want = init.map((a) => a.slice());
      history.forEach((w, t) => {
        const d = ema.warmup ? Math.min(ema.decay, (t + 1) / (10 + t)) : ema.decay;
        want.forEach((e, j) => e.forEach((x, i) => (e[i] = fr(fr(x * fr(d)) + fr(w[j][i] * fr(1 - d))))));
      });
      const got = await emaOf(opt, model);
      got.forEach((e, j) => expect(bits(e)).toEqual(bits(want[j])));
      tf.dispose([xs, ys]);
      opt.dispose();
    }
  });

  it('withEma: predict/evaluate inside see the EMA weights (as a model set to them); after it the weights are back bit for bit', async () => {
    const { model, opt, xs, ys } = await trained({ decay: 0.8 });
    const before = weightsOf(model);
    const ema = await emaOf(opt, model);
    const twin = mlp();
    twin.setWeights(ema.map((e, j) => tf.tensor(e, model.weights[j].shape)));
    twin.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const inside = opt.withEma(() => ({
      weights: weightsOf(model),
      predicted: (model.predict(xs) as tf.Tensor).dataSync().slice(),
      loss: (model.evaluate(xs, ys) as tf.Scalar).dataSync()[0],
      swapped: opt.emaSwapped,
    }));
    expect(inside.swapped).toBe(true);
    inside.weights.forEach((w, j) => expect(bits(w)).toEqual(bits(ema[j])));
    expect(bits(inside.predicted)).toEqual(bits((twin.predict(xs) as tf.Tensor).dataSync()));
    expect(inside.loss).toBe((twin.evaluate(xs, ys) as tf.Scalar).dataSync()[0]);
    expect(inside.loss).not.toBe((model.evaluate(xs, ys) as tf.Scalar).dataSync()[0]); // the averaged weights differ
    expect(opt.emaSwapped).toBe(false);
    weightsOf(model).forEach((w, j) => expect(bits(w)).toEqual(bits(before[j])));
    // the model predicts with its trained weights again
    const resumed = mlp();
    resumed.setWeights(before.map((w, j) => tf.tensor(w, model.weights[j].shape)));
    expect(bits((model.predict(xs) as tf.Tensor).dataSync())).toEqual(
      bits((resumed.predict(xs) as tf.Tensor).dataSync()),
    );
    tf.dispose([xs, ys]);
    opt.dispose();
  });

  it('withEma with an async fn swaps back when its promise settles, resolved or rejected; a throwing fn too', async () => {
    const { model, opt, xs, ys } = await trained({ decay: 0.8 });
    const before = weightsOf(model);
    const ema = await emaOf(opt, model);
    const back = () => weightsOf(model).forEach((w, j) => expect(bits(w)).toEqual(bits(before[j])));
    const tick = () => new Promise((r) => setTimeout(r, 5));
    const pending = opt.withEma(async () => {
      await tick();
      weightsOf(model).forEach((w, j) => expect(bits(w)).toEqual(bits(ema[j]))); // still swapped after an await
      const loss = model.evaluate(xs, ys) as tf.Scalar;
      return (await loss.data())[0];
    });
    expect(pending).toBeInstanceOf(Promise);
    expect(opt.emaSwapped).toBe(true);
    expect(Number.isFinite(await pending)).toBe(true);
    back();
    await expect(
      opt.withEma(async () => {
        await tick();
        throw new Error('boom inside');
      }),
    ).rejects.toThrow('boom inside');
    back();
    expect(() =>
      opt.withEma(() => {
        throw new Error('sync boom');
      }),
    ).toThrow('sync boom');
    back();
    expect(opt.emaSwapped).toBe(false);
    tf.dispose([xs, ys]);
    opt.dispose();
  });
});

describe('RAdamOptimizer: what the EMA swap refuses', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('while the EMA is swapped in, applyGradients (model.fit), getWeights and setWeights are refused, changing nothing', async () => {
    const model = mlp();
    const opt = await RAdamOptimizer.create({ learningRate: 0.02, ema: { decay: 0.5 } });
    model.compile({ optimizer: opt, loss: 'meanSquaredError' });
    await train(model, 3);
    const saved = await keep(opt);
    const state = await named(opt);
    const { xs, ys } = data();
    const swappedIn = opt.withEma(() => weightsOf(model));
    opt.swapEma();
    const swapped = /the EMA weights are swapped into the variables \(swapEma\); swap them back first/;
    await expect(model.fit(xs, ys, { epochs: 1, batchSize: 64, verbose: 0 })).rejects.toThrow(swapped);
    const g = Object.fromEntries(model.weights.map((w) => [w.name, tf.onesLike(w.read())]));
    expect(() => opt.applyGradients(g)).toThrow(/RAdamOptimizer.applyGradients: the EMA weights are swapped/);
    await expect(opt.getWeights()).rejects.toThrow(/RAdamOptimizer.getWeights: the EMA weights are swapped/);
    await expect(opt.setWeights(saved)).rejects.toThrow(/RAdamOptimizer.setWeights: the EMA weights are swapped/);
    expect(() => opt.withEma(() => 0)).toThrow(/withEma: the EMA weights are already swapped in/);
    weightsOf(model).forEach((w, j) => expect(bits(w)).toEqual(bits(swappedIn[j])));
    expect(opt.iterations).toBe(3);
    opt.swapEma();
    expect(await named(opt)).toEqual(state);
    tf.dispose([xs, ys, ...Object.values(g)]);
    opt.dispose();
  });

  it('swapEma without the ema option, withEma without a function: clear errors; dispose() swaps the trained weights back', async () => {
    const plain = new RAdamOptimizer();
    expect(() => plain.swapEma()).toThrow(
      /RAdamOptimizer.swapEma: this optimizer keeps no EMA \(create it with the ema option\)/,
    );
    expect(() => plain.withEma(() => 1)).toThrow(/keeps no EMA/);
    expect(() => plain.withEma(42 as never)).toThrow(/withEma: expected a function, got number/);
    plain.dispose();
    const v = tf.variable(tf.tensor1d([1, 2]), true, 'dispose_swapped');
    const opt = new RAdamOptimizer({ learningRate: 0.5, ema: { decay: 0.5 } });
    opt.applyGradients({ dispose_swapped: tf.tensor1d([1, -1]) });
    const trainedValues = bits(v.dataSync());
    opt.swapEma();
    expect(bits(v.dataSync())).toEqual([Math.fround(0.75), Math.fround(2.25)]); // 0.5*(1, 2) + 0.5*(0.5, 2.5)
    opt.dispose();
    expect(bits(v.dataSync())).toEqual(trainedValues);
    v.dispose();
  });
});

describe.each(['cpu', 'wasm'])(
  'RAdamOptimizer getWeights/setWeights with accumulate and ema, on the tfjs %s backend',
  (backend) => {
    beforeAll(async () => {
      await tf.setBackend(backend);
    });

    it('model.save({ includeOptimizer }) mid-window and loading it resume exactly like an uninterrupted run (weights, EMA, window)', async () => {
      const model = mlp();
      model.compile({
        optimizer: await RAdamOptimizer.create({
          learningRate: 0.02,
          accumulate: 3,
          ema: { decay: 0.9, warmup: true },
        }),
        loss: 'meanSquaredError',
      });
      await train(model, 10); // 10 calls: 3 applied steps, 1 gradient pending
      const opt = model.optimizer as RAdamOptimizer;
      expect(opt.accumulated).toBe(1);
      const names = (await opt.getWeights()).map((w) => w.name);
      const vars = model.weights.map((w) => w.name);
      expect(names).toEqual([
        'iter',
        ...['m', 'v', 'ema', 'accum'].flatMap((q) => vars.map((v) => `${v}/${q}`)),
        ...vars.map((v) => `${v}/step`), // 3 steps, iter 10
        'accumulate',
      ]);
      expect((await named(opt)).accumulate).toEqual([3, 1]);
      const loaded = await saveAndLoad(model);
      const again = loaded.optimizer as RAdamOptimizer;
      expect(again.getConfig()).toEqual(opt.getConfig());
      expect([again.iterations, again.accumulated]).toEqual([10, 1]);
      const a = await train(model, 8, [2, 8]),
        b = await train(loaded, 8, [2, 8]);
      for (const t of [2, 8]) a.get(t)!.forEach((w, k) => expect(bits(b.get(t)![k])).toEqual(bits(w)));
      const [ea, eb] = [await emaOf(opt, model), await emaOf(again, loaded)];
      ea.forEach((e, k) => expect(bits(eb[k])).toEqual(bits(e)));
      const { xs } = data();
      expect(bits(again.withEma(() => (loaded.predict(xs) as tf.Tensor).dataSync()))).toEqual(
        bits(opt.withEma(() => (model.predict(xs) as tf.Tensor).dataSync())),
      );
      expect([again.iterations, again.accumulated]).toEqual([18, 0]);
      xs.dispose();
    });
  },
);

describe('RAdamOptimizer setWeights with accumulate and ema', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  const g = (...x: number[]) => tf.tensor1d(x);
  let a: tf.Variable, b: tf.Variable;
  beforeEach(() => {
    a = tf.variable(tf.tensor1d([1, 2]), true, 'sw_a');
    b = tf.variable(tf.tensor1d([3]), true, 'sw_b');
  });
  afterEach(() => tf.dispose([a, b]));
  const run = (opt: RAdamOptimizer, calls: number, offset = 0) => {
    for (let i = offset; i < offset + calls; i++)
      opt.applyGradients({ sw_a: g(Math.sin(i), i % 3), ...(i % 2 ? {} : { sw_b: g(1 - i) }) });
  };

  it('mid-window into an optimizer already training the variables: replaces its window and state, and resumes exactly', async () => {
    const first = new RAdamOptimizer({ learningRate: 0.1, accumulate: 4, ema: { decay: 0.7 } });
    run(first, 6); // 1 applied step, 2 gradients pending, for a and b
    const saved = await keep(first);
    const values = [a, b].map((v) => bits(v.dataSync()));
    const state = await named(first);
    run(first, 9, 6);
    const want = [a, b].map((v) => bits(v.dataSync()));
    // another optimizer, 7 calls into its own training of the same variables, then the values
    // and the optimizer weights of the first at call 6
    const second = new RAdamOptimizer({ learningRate: 0.1, accumulate: 4, ema: { decay: 0.7 } });
    run(second, 7, 100);
    a.assign(tf.tensor1d(values[0]));
    b.assign(tf.tensor1d(values[1]));
    await second.setWeights(saved);
    expect(await named(second)).toEqual(state);
    expect(second.accumulated).toBe(2);
    run(second, 9, 6);
    expect([a, b].map((v) => bits(v.dataSync()))).toEqual(want);
    expect(await named(second)).toEqual(await named(first));
    first.dispose();
    second.dispose();
  });

  it('refuses, changing nothing: pending gradients of another window size, accumulators without "accumulate", an EMA for an optimizer without one, malformed weights', async () => {
    const source = new RAdamOptimizer({ accumulate: 4, ema: { decay: 0.7 } });
    run(source, 2);
    const saved = await keep(source);
    const target = new RAdamOptimizer({ accumulate: 2 });
    run(target, 3);
    const before = await named(target);
    const values = [a, b].map((v) => bits(v.dataSync()));
    const replace = (name: string, tensor: tf.Tensor | null) =>
      saved.flatMap((w) => (w.name !== name ? [w] : tensor ? [{ name, tensor }] : []));
    const noEma = saved.filter((w) => !w.name.endsWith('/ema'));
    const noAccumulate = new RAdamOptimizer({ accumulate: 4 });
    const noEmaTarget = new RAdamOptimizer({ accumulate: 4 });
    const cases: [RAdamOptimizer, unknown, RegExp][] = [
      [target, noEma, /the weights hold 2 gradients of an accumulation window of 4, this optimizer has accumulate 2/],
      [
        noEmaTarget,
        saved,
        /"sw_a\/ema" is a weight EMA, this optimizer keeps none \(create it with the ema option, or leave the "\/ema" weights out\)/,
      ],
      [
        noAccumulate,
        replace('accumulate', null).filter((w) => !w.name.endsWith('/ema')),
        /"sw_a\/accum" holds accumulated gradients, but the weights' "accumulate" has none/,
      ],
      [
        noAccumulate,
        replace('accumulate', tf.tensor1d([4, 5], 'int32')),
        /"accumulate" is \[4, 5\] \(expected \[k, accumulated\] with 0 <= accumulated < k\)/,
      ],
      [noAccumulate, replace('sw_a/accum', g(1, 2, 3)), /"sw_a\/accum" has 3 elements, "sw_a\/m" 2/],
      [
        noAccumulate,
        replace('sw_a/step', tf.scalar(-3, 'int32')),
        /"sw_a\/step" is -3 \(expected a non-negative integer\)/,
      ],
      [noAccumulate, replace('iter', tf.scalar(-1, 'int32')), /"iter" is -1 \(expected a non-negative integer\)/],
      [noAccumulate, [...saved, { name: 'sw_a/velocity', tensor: g(1, 2) }], /unexpected weight "sw_a\/velocity"/],
      [
        noAccumulate,
        [...saved, { name: 'sw_a/m' }],
        /weight \d+ is \[object Object\] \(expected a \{ name, tensor \} pair\)/,
      ],
      [noAccumulate, { iter: 1 }, /expected the output of getWeights \(starting with "iter"\)/],
    ];
    for (const [opt, weights, message] of cases) {
      const was = await named(opt);
      await expect(opt.setWeights(weights as never)).rejects.toThrow(message);
      expect(await named(opt)).toEqual(was);
    }
    // state for a variable the target trains, of another size
    const iter = tf.scalar(5, 'int32');
    const other = [{ name: 'iter', tensor: iter }, ...['m', 'v'].map((q) => ({ name: `sw_b/${q}`, tensor: g(1, 2) }))];
    await expect(target.setWeights(other)).rejects.toThrow(
      /RAdamOptimizer.setWeights: "sw_b\/m" has 2 elements, variable "sw_b" has 1/,
    );
    expect(await named(target)).toEqual(before);
    tf.dispose([iter, ...saved.map((w) => w.tensor)]);
    expect([a, b].map((v) => bits(v.dataSync()))).toEqual(values);
    for (const o of [source, target, noAccumulate, noEmaTarget]) o.dispose();
  });

  // Weights saved without an EMA into an optimizer with one: refused (test/tfjs-edges.test.ts).
  it('a window closed without a variable drops its saved accumulator', async () => {
    const source = new RAdamOptimizer({ learningRate: 0.1, accumulate: 2 });
    run(source, 3); // pending: sw_a and sw_b (call 2 gave both)
    const saved = await keep(source);
    const target = new RAdamOptimizer({ learningRate: 0.1, accumulate: 2 });
    await target.setWeights(saved); // target trains no variable yet: all is kept for later
    expect(Object.keys(await named(target))).toEqual(Object.keys(await named(source)));
    target.applyGradients({ sw_a: g(1, 1) }); // closes the window: sw_a steps; sw_b was not seen
    const w = await named(target);
    expect(w['sw_b/accum']).toBeUndefined(); // its window is closed
    expect(w['sw_b/m']).toEqual((await named(source))['sw_b/m']);
    expect(w.accumulate).toEqual([2, 0]);
    source.dispose();
    target.dispose();
  });
});
