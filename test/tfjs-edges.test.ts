// The tfjs adapter's hard edges (issue 18): messages naming the adapter's API and config keys,
// setWeights refusing partial state, and the step guards (maxGradNorm, skipNonFinite, lastStep).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, beforeAll, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import { RAdam, type Backend, type StepResult } from '../src/index.js';
import { RAdamOptimizer, type RAdamOptimizerStep } from '../src/tfjs.js';
import { bits, keep, named, saveAndLoad } from './support/tfjs.js';

const fromConfig = (config: object) => {
  const [cls, from] = tf.serialization.SerializationMap.getMap().classNameMap.RAdam;
  return from(cls, config as tf.serialization.ConfigDict) as RAdamOptimizer;
};
const g = (...x: number[]) => tf.tensor1d(x);

// First: vitest gives each file fresh modules, so no kernel is loaded yet.
describe('before the kernel is loaded', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it("names the adapter's call to make, not the core's", async () => {
    const cases: [() => unknown, RegExp][] = [
      [() => new RAdamOptimizer(), /await RAdamOptimizer\.ready\(\) first/],
      [() => new RAdamOptimizer({ backend: 'scalar' }), /await RAdamOptimizer\.ready\('scalar'\) first/],
      [() => fromConfig({ learningRate: 0.01 }), /await RAdamOptimizer\.ready\(\) first/], // tf.loadLayersModel's path
    ];
    for (const [make, call] of cases) {
      let error: unknown;
      try {
        make();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(Error);
      const { message } = error as Error;
      expect(message).toMatch(/^RAdamOptimizer: the '(auto|scalar)' kernel is not loaded yet: /);
      expect(message).toMatch(call);
      expect(message).toMatch(/or create the optimizer with await RAdamOptimizer\.create\(config\)/);
      expect(message).not.toMatch(/RAdam\.(ready|createSync)/);
    }
    // A bad config is still refused first, by name.
    expect(() => new RAdamOptimizer({ learningRate: -1 })).toThrow(/Invalid learningRate: -1/);
  });

  it('ready() resolves to the backend (typed Backend); then the constructor works', async () => {
    expectTypeOf(RAdamOptimizer.ready).returns.toEqualTypeOf<Promise<Backend>>();
    const backend: Backend = await RAdamOptimizer.ready();
    expect(backend).toBe('simd');
    expect(await RAdamOptimizer.ready('js')).toBe('js');
    const opt = new RAdamOptimizer();
    expect(opt.backend).toBe('simd');
    opt.dispose();
  });
});

describe("config errors name the adapter's keys", () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await RAdamOptimizer.ready();
  });

  // Every key whose core option has another name (lr, betas[0], betas[1], eps).
  it.each([
    [{ learningRate: Number.NaN }, RangeError, 'Invalid learningRate: NaN (expected a finite number)'],
    [{ learningRate: -1 }, RangeError, 'Invalid learningRate: -1 (expected >= 0)'],
    [{ learningRate: '0.1' }, RangeError, 'Invalid learningRate: "0.1" (expected a finite number)'],
    [{ beta1: 1 }, RangeError, 'Invalid beta1: 1 (expected 0 <= beta < 1)'],
    [{ beta1: Number.NaN, beta2: 0.99 }, RangeError, 'Invalid beta1: NaN (expected a finite number)'],
    [{ beta2: -0.5 }, RangeError, 'Invalid beta2: -0.5 (expected 0 <= beta < 1)'],
    [{ beta1: 0.8, beta2: 1 }, RangeError, 'Invalid beta2: 1 (expected 0 <= beta < 1)'],
    [{ epsilon: -1e-8 }, RangeError, 'Invalid epsilon: -1e-8 (expected >= 0)'],
    [{ epsilon: Number.POSITIVE_INFINITY }, RangeError, 'Invalid epsilon: Infinity (expected a finite number)'],
  ])('%o: %o naming the key (constructor, create, fromConfig)', async (config, Class, message) => {
    const check = (e: unknown, where: string) => {
      expect(e).toBeInstanceOf(Class);
      expect((e as Error).message).toBe(`${where}: ${message}`);
      expect((e as Error).message).not.toMatch(/\b(lr|betas|eps)\b/);
    };
    const caught = async (f: () => unknown) => {
      try {
        await f();
      } catch (e) {
        return e;
      }
      throw new Error('expected a refusal');
    };
    check(await caught(() => new RAdamOptimizer(config as never)), 'RAdamOptimizer');
    check(await caught(() => RAdamOptimizer.create(config as never)), 'RAdamOptimizer.create');
    check(await caught(() => fromConfig(config)), 'RAdamOptimizer');
  });

  it('the float32 limits the core checks name the key too', () => {
    for (const [config, message] of [
      [{ learningRate: 1e39 }, /^RAdamOptimizer: Invalid learningRate: 1e\+39 \(overflows float32/],
      [{ epsilon: 1e39 }, /^RAdamOptimizer: Invalid epsilon: 1e\+39 \(overflows float32/],
      [{ beta2: 0.99999999 }, /^RAdamOptimizer: Invalid beta2: 0\.99999999 \(is 1 in float32/],
    ] as const) {
      expect(() => new RAdamOptimizer(config)).toThrow(RangeError);
      expect(() => new RAdamOptimizer(config)).toThrow(message);
    }
  });

  it('the learningRate setter names learningRate and keeps the value; the core keys keep their class, with the API named', async () => {
    const opt = new RAdamOptimizer({ learningRate: 0.01 });
    for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY]) {
      expect(() => {
        opt.learningRate = bad;
      }).toThrow(
        new RangeError(
          `RAdamOptimizer: Invalid learningRate: ${bad} (${bad === -1 ? 'expected >= 0' : 'expected a finite number'})`,
        ),
      );
    }
    expect(opt.learningRate).toBe(0.01);
    opt.dispose();
    const same: [object, ErrorConstructor, RegExp][] = [
      [{ accumulate: 0 }, RangeError, /^RAdamOptimizer: Invalid accumulate: 0 /],
      [{ weightDecay: -1 }, RangeError, /^RAdamOptimizer: Invalid weightDecay: -1 \(expected >= 0\)$/],
      [{ amsgrad: 1 }, TypeError, /^RAdamOptimizer: Invalid amsgrad: 1 \(expected true or false\)$/],
      [{ ema: { decay: 2 } }, RangeError, /^RAdamOptimizer: Invalid ema decay: 2 /],
      [
        { maxGradNorm: 0 },
        RangeError,
        /^RAdamOptimizer: Invalid maxGradNorm: 0 \(expected a positive finite number, or null for no clipping\)$/,
      ],
      [{ maxGradNorm: Number.NaN }, RangeError, /^RAdamOptimizer: Invalid maxGradNorm: NaN /],
      [
        { skipNonFinite: 'yes' },
        TypeError,
        /^RAdamOptimizer: Invalid skipNonFinite: "yes" \(expected true or false\)$/,
      ],
      [{ backend: 'gpu' }, TypeError, /^RAdamOptimizer: Invalid backend: "gpu"/],
    ];
    for (const [config, Class, message] of same) {
      expect(() => new RAdamOptimizer(config as never)).toThrow(Class);
      expect(() => new RAdamOptimizer(config as never)).toThrow(message);
      const created = RAdamOptimizer.create(config as never);
      await expect(created).rejects.toThrow(Class);
      await expect(created).rejects.toThrow(
        new RegExp(message.source.replace('RAdamOptimizer:', 'RAdamOptimizer\\.create:')),
      );
    }
  });
});

describe('setWeights refuses partial or mixed state, changing nothing', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await RAdamOptimizer.ready();
  });
  let a: tf.Variable, b: tf.Variable;
  beforeEach(() => {
    a = tf.variable(tf.tensor1d([1, 2]), true, 'edge_a');
    b = tf.variable(tf.tensor1d([3]), true, 'edge_b');
  });
  afterEach(() => tf.dispose([a, b]));
  const run = (opt: RAdamOptimizer, calls: number, offset = 0) => {
    for (let i = offset; i < offset + calls; i++)
      opt.applyGradients({ edge_a: g(Math.sin(i), i % 3), edge_b: g(1 - i) });
  };
  /** Weights of an optimizer with `config`, after 3 steps (tensors that outlive it). */
  const savedBy = async (config: object) => {
    const values = [a, b].map((v) => bits(v.dataSync()));
    const source = new RAdamOptimizer({ learningRate: 0.1, ...config });
    run(source, 3);
    const saved = await keep(source);
    source.dispose();
    a.assign(tf.tensor1d(values[0]));
    b.assign(tf.tensor1d(values[1]));
    return saved;
  };
  const without = (weights: { name: string; tensor: tf.Tensor }[], re: RegExp) =>
    weights.filter((w) => !re.test(w.name));

  /** Refused with `message`; the target's weights, iterations and variables are as they were. */
  const refuses = async (target: RAdamOptimizer, weights: unknown, message: string) => {
    const before = await named(target);
    const iterations = target.iterations;
    const values = [a, b].map((v) => bits(v.dataSync()));
    let error: unknown;
    try {
      await target.setWeights(weights as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe(`RAdamOptimizer.setWeights: ${message}`);
    expect(await named(target)).toEqual(before);
    expect(target.iterations).toBe(iterations);
    expect([a, b].map((v) => bits(v.dataSync()))).toEqual(values);
  };

  it('a variable without /m or /v (only /step too): refused, naming what is there', async () => {
    const saved = await savedBy({});
    const target = new RAdamOptimizer({ learningRate: 0.1 });
    run(target, 5, 50); // its own state for both variables, which must survive the refusals
    const step = { name: 'edge_c/step', tensor: tf.scalar(2, 'int32') };
    const need = `(a variable's state needs both "/m" and "/v")`;
    await refuses(target, without(saved, /^edge_a\/v$/), `"edge_a/v" is missing, the weights hold "edge_a/m" ${need}`);
    await refuses(target, without(saved, /^edge_b\/m$/), `"edge_b/m" is missing, the weights hold "edge_b/v" ${need}`);
    await refuses(target, [...saved, step], `"edge_c/m" is missing, the weights hold only "edge_c/step" ${need}`);
    // A target that trains no variable yet keeps what it loaded for later: a refusal keeps that too.
    const later = new RAdamOptimizer({ learningRate: 0.1 });
    await later.setWeights(saved);
    await refuses(later, without(saved, /\/v$/), `"edge_a/v" is missing, the weights hold "edge_a/m" ${need}`);
    expect(Object.keys(await named(later))).toEqual(saved.map((w) => w.name));
    tf.dispose([step.tensor, ...saved.map((w) => w.tensor)]);
    for (const o of [target, later]) o.dispose();
  });

  it('amsgrad: weights without /vhat into an amsgrad optimizer, /vhat into one without amsgrad', async () => {
    const plain = await savedBy({});
    const ams = await savedBy({ amsgrad: true });
    const amsTarget = new RAdamOptimizer({ learningRate: 0.1, amsgrad: true });
    run(amsTarget, 4, 20);
    const plainTarget = new RAdamOptimizer({ learningRate: 0.1 });
    run(plainTarget, 4, 20);
    const missing = (v: string) =>
      `"${v}/vhat" is missing: this optimizer has amsgrad, which keeps the running maximum of v (saved without amsgrad? create the optimizer with amsgrad: false)`;
    await refuses(amsTarget, plain, missing('edge_a'));
    await refuses(amsTarget, without(ams, /^edge_b\/vhat$/), missing('edge_b'));
    await refuses(
      plainTarget,
      ams,
      `"edge_a/vhat" is AMSGrad's running maximum of v, this optimizer has amsgrad false (create it with amsgrad: true, or leave the "/vhat" weights out)`,
    );
    // The matching sets load, and replace every array.
    await amsTarget.setWeights(ams);
    await plainTarget.setWeights(plain);
    expect(Object.keys(await named(amsTarget))).toEqual(ams.map((w) => w.name));
    expect(await named(plainTarget)).toEqual(
      Object.fromEntries(await Promise.all(plain.map(async (w) => [w.name, bits(await w.tensor.data())]))),
    );
    tf.dispose([...plain, ...ams].map((w) => w.tensor));
    for (const o of [amsTarget, plainTarget]) o.dispose();
  });

  it('ema: weights without /ema (or with it for some variables only) into an optimizer with one, as loadStateDict', async () => {
    const plain = await savedBy({});
    const withEma = await savedBy({ ema: { decay: 0.9 } });
    const target = new RAdamOptimizer({ learningRate: 0.1, ema: { decay: 0.9 } });
    run(target, 3, 7);
    const missing = (v: string) =>
      `"${v}/ema" is missing: this optimizer keeps a weight EMA (saved without the ema option? create the optimizer without it, or add "/ema" weights, e.g. the variables' values, to start the average there)`;
    await refuses(target, plain, missing('edge_a'));
    await refuses(target, without(withEma, /^edge_b\/ema$/), missing('edge_b'));
    const none = new RAdamOptimizer({ learningRate: 0.1 });
    await refuses(
      none,
      withEma,
      '"edge_a/ema" is a weight EMA, this optimizer keeps none (create it with the ema option, or leave the "/ema" weights out)',
    );
    // The way on with an average saved without one: give it a start, here the variables' values.
    const start = [a, b].map((v) => ({ name: `${v.name}/ema`, tensor: v.clone() }));
    await target.setWeights([...plain, ...start]);
    const w = await named(target);
    expect([w['edge_a/ema'], w['edge_b/ema']]).toEqual([bits(a.dataSync()), bits(b.dataSync())]);
    tf.dispose([...plain, ...withEma, ...start].map((x) => x.tensor));
    for (const o of [target, none]) o.dispose();
  });

  it('a weight given twice', async () => {
    const saved = await savedBy({});
    const target = new RAdamOptimizer({ learningRate: 0.1 });
    run(target, 2);
    const copy = { name: 'edge_b/v', tensor: saved.find((w) => w.name === 'edge_b/v')!.tensor };
    await refuses(target, [...saved, copy], `weight ${saved.length} ("edge_b/v") appears twice`);
    await refuses(target, [...saved, saved[0]], `weight ${saved.length} ("iter") appears twice`);
    tf.dispose(saved.map((w) => w.tensor));
    target.dispose();
  });
});

describe('maxGradNorm and skipNonFinite', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await RAdamOptimizer.ready();
  });

  it('are config keys: off by default, in getConfig, round-tripped by fromConfig (JSON too), writable and validated', () => {
    const plain = new RAdamOptimizer();
    expect(plain.getConfig()).toMatchObject({ maxGradNorm: null, skipNonFinite: false });
    expect([plain.maxGradNorm, plain.skipNonFinite, plain.lastStep]).toEqual([null, false, null]);
    const opt = new RAdamOptimizer({ maxGradNorm: 2.5, skipNonFinite: true });
    const config = opt.getConfig();
    expect(config).toMatchObject({ maxGradNorm: 2.5, skipNonFinite: true });
    expect(Object.keys(config).slice(-7)).toEqual([
      'maxGradNorm',
      'skipNonFinite',
      'accumulate',
      'ema',
      'stateDtype',
      'stateSeed',
      'backend',
    ]);
    for (const c of [config, JSON.parse(JSON.stringify(config))]) {
      const copy = fromConfig(c);
      expect(copy.getConfig()).toEqual(config);
      expect([copy.maxGradNorm, copy.skipNonFinite]).toEqual([2.5, true]);
      copy.dispose();
    }
    opt.maxGradNorm = null;
    opt.skipNonFinite = false;
    expect(opt.getConfig()).toMatchObject({ maxGradNorm: null, skipNonFinite: false });
    opt.maxGradNorm = 1;
    for (const [key, bad, Class, message] of [
      [
        'maxGradNorm',
        0,
        RangeError,
        'Invalid maxGradNorm: 0 (expected a positive finite number, or null for no clipping)',
      ],
      ['maxGradNorm', undefined, RangeError, 'Invalid maxGradNorm: undefined'],
      ['skipNonFinite', 1, TypeError, 'Invalid skipNonFinite: 1 (expected true or false)'],
    ] as const) {
      expect(() => Object.assign(opt, { [key]: bad })).toThrow(Class);
      expect(() => Object.assign(opt, { [key]: bad })).toThrow(`RAdamOptimizer: ${message}`);
    }
    expect([opt.maxGradNorm, opt.skipNonFinite]).toEqual([1, false]);
    for (const o of [plain, opt]) o.dispose();
  });

  it('maxGradNorm clips by the global norm over all variables: bit-identical to the core RAdam, and to clipping by hand', async () => {
    const init = [
      [1, -2, 3],
      [0.5, 4],
    ];
    const clipped = init.map((x, i) => tf.variable(tf.tensor1d(x), true, `norm_${i}`));
    const byHand = init.map((x, i) => tf.variable(tf.tensor1d(x), true, `hand_${i}`));
    const opt = new RAdamOptimizer({ learningRate: 0.05, maxGradNorm: 1 });
    const plain = new RAdamOptimizer({ learningRate: 0.05 });
    const core = await RAdam.create({ lr: 0.05, maxGradNorm: 1 });
    const params = init.map((x) => core.addParam(x));
    const fr = Math.fround;
    for (let t = 0; t < 12; t++) {
      // Above the norm mostly; below it at t = 5.
      const grads = [
        [3 * Math.sin(t), -2, 0.5 * t],
        [4, Math.cos(t)],
      ].map((x) => Float32Array.from(x, (v) => (t === 5 ? v * 0.01 : v)));
      opt.applyGradients(Object.fromEntries(grads.map((x, i) => [`norm_${i}`, tf.tensor1d(x)])));
      params.forEach((p, i) => p.grad.set(grads[i]));
      const want: StepResult = core.step();
      const step = opt.lastStep!;
      expect(step).toEqual(want);
      const norm = Math.sqrt(grads.flatMap((x) => Array.from(x)).reduce((s, v) => s + v * v, 0));
      expect(step.gradNorm).toBeCloseTo(norm, 5);
      const coef = Math.min(1, 1 / (norm + 1e-6)); // torch's clip_grad_norm_
      plain.applyGradients(
        Object.fromEntries(grads.map((x, i) => [`hand_${i}`, tf.tensor1d(x.map((v) => fr(v * fr(coef))))])),
      );
    }
    clipped.forEach((v, i) => {
      expect(bits(v.dataSync())).toEqual(bits(params[i].data));
      expect(bits(v.dataSync())).toEqual(bits(byHand[i].dataSync()));
    });
    tf.dispose([...clipped, ...byHand]);
    for (const o of [opt, plain, core]) o.dispose();
  });

  it.each([{ skipNonFinite: true }, { skipNonFinite: true, maxGradNorm: 1 }])(
    '%o: a non-finite gradient changes nothing (variables, getWeights, iterations); training goes on as if it had not come',
    async (guards) => {
      const config = { learningRate: 0.1, amsgrad: true, ema: { decay: 0.9 }, ...guards };
      const vars = (p: string) => [
        tf.variable(tf.tensor1d([1, 2]), true, `${p}_a`),
        tf.variable(tf.tensor1d([3]), true, `${p}_b`),
      ];
      const [a, b] = vars('skip'),
        [ta, tb] = vars('twin');
      const opt = new RAdamOptimizer(config),
        twin = new RAdamOptimizer(config);
      const grads = (t: number) => [g(Math.sin(t), 0.5), g(1 - t)];
      const feed = (o: RAdamOptimizer, p: string, [ga, gb]: tf.Tensor[]) =>
        o.applyGradients({ [`${p}_a`]: ga, [`${p}_b`]: gb });
      for (let t = 0; t < 3; t++) {
        feed(opt, 'skip', grads(t));
        feed(twin, 'twin', grads(t));
      }
      const weights = await named(opt);
      const values = [a, b].map((v) => bits(v.dataSync()));
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        feed(opt, 'skip', [g(0.5, 0.5), g(bad)]);
        const step: Readonly<RAdamOptimizerStep> = opt.lastStep!;
        expect(step).toEqual({ skipped: true, applied: false, param: 1, variable: 'skip_b' });
        expect([a, b].map((v) => bits(v.dataSync()))).toEqual(values);
        expect(await named(opt)).toEqual(weights);
        expect(opt.iterations).toBe(3);
      }
      for (let t = 3; t < 6; t++) {
        feed(opt, 'skip', grads(t));
        feed(twin, 'twin', grads(t));
      }
      expect(opt.lastStep).toMatchObject({ skipped: false, applied: true });
      expect([a, b].map((v) => bits(v.dataSync()))).toEqual([ta, tb].map((v) => bits(v.dataSync())));
      const rename = (w: Record<string, number[]>) =>
        Object.fromEntries(Object.entries(w).map(([k, v]) => [k.replace('skip_', 'twin_'), v]));
      expect(rename(await named(opt))).toEqual(await named(twin));
      expect(opt.iterations).toBe(6);
      tf.dispose([a, b, ta, tb]);
      for (const o of [opt, twin]) o.dispose();
    },
  );

  it('without skipNonFinite a NaN gradient reaches the variables, as in torch', () => {
    const v = tf.variable(tf.tensor1d([1, 2]), true, 'noskip');
    const opt = new RAdamOptimizer({ learningRate: 0.1 });
    opt.applyGradients({ noskip: g(Number.NaN, 1) });
    expect(opt.lastStep).toEqual({ skipped: false, applied: true });
    expect(Number.isNaN(v.dataSync()[0])).toBe(true);
    expect(opt.iterations).toBe(1);
    tf.dispose(v);
    opt.dispose();
  });

  it('with accumulate: a skipped call accumulates nothing; the window closes on the next good one', () => {
    const [a, b] = ['acc_skip', 'acc_twin'].map((n) => tf.variable(tf.tensor1d([1, -1]), true, n));
    const opt = new RAdamOptimizer({ learningRate: 0.1, accumulate: 2, skipNonFinite: true });
    const twin = new RAdamOptimizer({ learningRate: 0.1, accumulate: 2 });
    opt.applyGradients({ acc_skip: g(1, 2) });
    twin.applyGradients({ acc_twin: g(1, 2) });
    expect(opt.lastStep).toEqual({ skipped: false, applied: false, accumulated: 1 });
    opt.applyGradients({ acc_skip: g(Number.NaN, 2) });
    expect(opt.lastStep).toEqual({ skipped: true, applied: false, param: 0, variable: 'acc_skip' });
    expect([opt.accumulated, opt.iterations]).toEqual([1, 1]);
    expect(bits(a.dataSync())).toEqual([1, -1]);
    opt.applyGradients({ acc_skip: g(-3, 0.5) });
    twin.applyGradients({ acc_twin: g(-3, 0.5) });
    expect(opt.lastStep).toEqual({ skipped: false, applied: true, accumulated: 0 });
    expect(bits(a.dataSync())).toEqual(bits(b.dataSync()));
    expect(bits(a.dataSync())).not.toEqual([1, -1]);
    tf.dispose([a, b]);
    for (const o of [opt, twin]) o.dispose();
  });

  it('a variable first seen in a skipped call is registered with fresh state (m = v = 0, step 0), as it would be anyway', async () => {
    const v = tf.variable(tf.tensor1d([1, 2]), true, 'first_skip');
    const opt = new RAdamOptimizer({ skipNonFinite: true });
    opt.applyGradients({ first_skip: g(Number.NaN, 1) });
    expect(opt.lastStep).toMatchObject({ skipped: true, variable: 'first_skip' });
    expect(await named(opt)).toEqual({ iter: [0], 'first_skip/m': [0, 0], 'first_skip/v': [0, 0] });
    expect(bits(v.dataSync())).toEqual([1, 2]);
    tf.dispose(v);
    opt.dispose();
  });
});

describe('model.fit with a NaN in the data', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await RAdamOptimizer.ready();
  });
  const model = () => {
    const m = tfl.sequential();
    m.add(
      tfl.layers.dense({ units: 1, inputShape: [3], kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }),
    );
    return m;
  };
  const weightsOf = (m: tfl.LayersModel) => m.getWeights().map((w) => bits(w.dataSync()));
  // 3 batches of 4; the second holds a NaN.
  const x = Array.from({ length: 36 }, (_, i) => Math.sin(i * 0.7));
  const y = Array.from({ length: 12 }, (_, i) => Math.cos(i));
  const withNaN = x.map((v, i) => (i === 14 ? Number.NaN : v));
  const drop = <T>(a: T[], per: number) => [...a.slice(0, 4 * per), ...a.slice(8 * per)];

  it('skipNonFinite: the NaN batch changes nothing and is seen in lastStep; the result is that of fit without that batch', async () => {
    const skipping = model(),
      clean = model();
    expect(weightsOf(skipping)).toEqual(weightsOf(clean));
    skipping.compile({
      optimizer: await RAdamOptimizer.create({ learningRate: 0.05, skipNonFinite: true }),
      loss: 'meanSquaredError',
    });
    clean.compile({
      optimizer: await RAdamOptimizer.create({ learningRate: 0.05, skipNonFinite: true }),
      loss: 'meanSquaredError',
    });
    const seen: (RAdamOptimizerStep | null)[] = [];
    const opt = skipping.optimizer as RAdamOptimizer;
    const xs = tf.tensor2d(withNaN, [12, 3]),
      ys = tf.tensor2d(y, [12, 1]);
    await skipping.fit(xs, ys, {
      epochs: 1,
      batchSize: 4,
      shuffle: false,
      verbose: 0,
      callbacks: { onBatchEnd: async () => void seen.push(opt.lastStep && { ...opt.lastStep }) },
    });
    expect(seen.map((s) => s?.skipped)).toEqual([false, true, false]);
    expect(skipping.trainableWeights.map((w) => w.name)).toContain(seen[1]!.variable);
    expect(opt.iterations).toBe(2);
    const cx = tf.tensor2d(drop(x, 3), [8, 3]),
      cy = tf.tensor2d(drop(y, 1), [8, 1]);
    await clean.fit(cx, cy, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
    expect(weightsOf(skipping)).toEqual(weightsOf(clean));
    expect(weightsOf(skipping).flat().every(Number.isFinite)).toBe(true);
    tf.dispose([xs, ys, cx, cy]);
  });

  it('one NaN batch with skipNonFinite: the weights stay bit-identical; without it they become NaN', async () => {
    const xs = tf.tensor2d(withNaN.slice(12, 24), [4, 3]),
      ys = tf.tensor2d(y.slice(4, 8), [4, 1]);
    for (const skipNonFinite of [true, false]) {
      const m = model();
      const before = weightsOf(m);
      m.compile({ optimizer: await RAdamOptimizer.create({ skipNonFinite }), loss: 'meanSquaredError' });
      await m.fit(xs, ys, { epochs: 1, batchSize: 4, verbose: 0 });
      const opt = m.optimizer as RAdamOptimizer;
      expect(opt.lastStep!.skipped).toBe(skipNonFinite);
      if (skipNonFinite) expect(weightsOf(m)).toEqual(before);
      else expect(weightsOf(m).flat().some(Number.isNaN)).toBe(true);
    }
    tf.dispose([xs, ys]);
  });

  it('model.save / tf.loadLayersModel keep maxGradNorm and skipNonFinite', async () => {
    const m = model();
    m.compile({
      optimizer: await RAdamOptimizer.create({ maxGradNorm: 0.5, skipNonFinite: true }),
      loss: 'meanSquaredError',
    });
    const xs = tf.tensor2d(x, [12, 3]),
      ys = tf.tensor2d(y, [12, 1]);
    await m.fit(xs, ys, { epochs: 1, batchSize: 12, verbose: 0 });
    expect((m.optimizer as RAdamOptimizer).lastStep!.gradNorm).toBeGreaterThan(0);
    const loaded = await saveAndLoad(m);
    const opt = loaded.optimizer as RAdamOptimizer;
    expect(opt.getConfig()).toEqual(m.optimizer.getConfig());
    expect([opt.maxGradNorm, opt.skipNonFinite]).toEqual([0.5, true]);
    tf.dispose([xs, ys]);
  });
});
