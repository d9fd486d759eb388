// radam-wasm/tfjs: a tf.Optimizer that trains real tfjs-layers models on the cpu and wasm backends.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRequire } from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RAdam } from '../src/index.js';
import { RAdamOptimizer } from '../src/tfjs.js';

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
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
      { includeOptimizer: true },
    );
    // Loaded while the first model's variables exist: tfjs-layers renames the new ones (`..._1`).
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
    expect(loaded.optimizer).toBeInstanceOf(RAdamOptimizer);
    expect(loaded.optimizer.getConfig()).toEqual(model.optimizer.getConfig());
    expect(loaded.getWeights()[0].name).not.toBe(model.getWeights()[0].name);
    const a = await train(model, 20, [20]),
      b = await train(loaded, 20, [20]);
    a.get(20)!.forEach((w, k) => expect(Array.from(b.get(20)![k])).toEqual(Array.from(w)));
    expect((loaded.optimizer as RAdamOptimizer).iterations).toBe(40);
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
    }).toThrow(/Invalid lr: -1/);
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
