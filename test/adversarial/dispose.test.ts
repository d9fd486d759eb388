// Issue 18: every public member after dispose() throws a named error (dispose() itself is
// idempotent). The members are found by reflection over the prototypes, so a new method or
// accessor is covered without editing this file; one that needs arguments gets valid ones from
// setUp's `args` (called with none, it would fail on its arguments, not on the disposal, and this
// test says so).
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, Lookahead, RAdam, type RAdamOptions } from '../../src/index.js';
import { RAdamOptimizer } from '../../src/tfjs.js';
import { expectNamed, failure, members, thrown } from './support.js';

const DISPOSED = /disposed/;

// Not public, though JavaScript lets anyone call them: TypeScript `private` / `protected` members,
// and `_`-prefixed @internal ones (the tfjs adapter and Lookahead use them while alive).
const INTERNAL: Record<string, string[]> = {
  RAdam: ['addGroupRecord', 'slotOf'],
  Param: ['view'],
  Lookahead: ['check'],
  RAdamOptimizer: ['swapBack', 'refuseSwapped'],
};

// Members that may still answer after dispose(): none.
const PENDING = new Set<string>([]);

/**
 * Calls every public member of `obj` (a getter: read; a setter: written with `values[name]`; a
 * method: called with `args[name]`) and asserts each throws a named error about the disposal.
 * Returns the members exercised.
 */
async function everyMemberThrows(
  kind: string,
  obj: object,
  args: Record<string, unknown[]>,
  values: Record<string, unknown> = {},
  stop: object = Object.prototype,
): Promise<string[]> {
  const done: string[] = [];
  const wrong: string[] = [];
  const all = members(Object.getPrototypeOf(obj), stop);
  for (const name of INTERNAL[kind] ?? [])
    expect(
      all.map(([k]) => k),
      `${kind}.${name}`,
    ).toContain(name);
  for (const [name, d] of all) {
    if (name.startsWith('_') || INTERNAL[kind]?.includes(name) || name === 'dispose') continue;
    const uses: [string, () => unknown][] = [];
    if (d.get) uses.push(['get', () => (obj as Record<string, unknown>)[name]]);
    if (d.set)
      uses.push([
        'set',
        () => {
          (obj as Record<string, unknown>)[name] = values[name];
        },
      ]);
    if (typeof d.value === 'function') uses.push(['call', () => d.value.apply(obj, args[name] ?? [])]);
    for (const [how, use] of uses) {
      const what = `${kind}.${name}:${how}`;
      done.push(what);
      if (PENDING.has(what)) continue;
      let e: unknown;
      try {
        e = await failure(use);
        expectNamed(e, DISPOSED);
      } catch {
        wrong.push(
          `${what} -> ${e === undefined ? 'no error' : `${(e as Error).constructor?.name}: ${(e as Error).message}`}`,
        );
      }
    }
  }
  expect(wrong).toEqual([]);
  return done;
}

async function setUp(Opt: typeof RAdam, options: RAdamOptions) {
  const opt = await Opt.create(options);
  const group = opt.addGroup({ lr: 0.01 });
  const param = group.addParam([1, -2, 3, 0.5]);
  opt.addParam(1000).grad.fill(0.25);
  const la = new Lookahead(opt, { k: 2 });
  param.grad.set([0.1, 0.2, -0.3, 0]);
  la.step();
  const hp = Object.fromEntries(members(Object.getPrototypeOf(group)).map(([k]) => [k, (group as never)[k]]));
  const args: Record<string, unknown[]> = {
    addGroup: [{ lr: 0.5 }],
    addParam: [[1, 2]],
    withEma: [() => 1],
    loadStateDict: [opt.stateDict()],
    loadState: [opt.saveState({ includeParams: true })],
    saveState: [{ includeParams: true }],
    slowWeights: [param],
  };
  const laArgs = { ...args, loadStateDict: [la.stateDict()], loadState: [la.saveState({ includeParams: true })] };
  return { opt, group, param, la, hp, args, laArgs };
}

const CONFIGS: [string, typeof RAdam, RAdamOptions][] = [
  ['RAdam js', RAdam, { backend: 'js' }],
  [
    'RAdam simd, ema, accumulate, amsgrad',
    RAdam,
    { backend: 'simd', ema: { decay: 0.9 }, accumulate: 3, amsgrad: true },
  ],
  ['Adam scalar', Adam, { backend: 'scalar', maxGradNorm: 1, skipNonFinite: true }],
];
if (os.availableParallelism() >= 2) CONFIGS.push(['RAdam threads 2', RAdam, { threads: 2 }]);

describe.each(CONFIGS)('after dispose() (%s)', (_, Opt, options) => {
  it('every public member of RAdam, ParamGroup, Param and Lookahead throws a named error', async () => {
    const { opt, group, param, la, hp, args, laArgs } = await setUp(Opt, options);
    opt.dispose();
    const done = [
      ...(await everyMemberThrows('RAdam', opt, args, { skipNonFinite: false, maxGradNorm: null })),
      ...(await everyMemberThrows('ParamGroup', group, args, hp)),
      ...(await everyMemberThrows('Param', param, args)),
      ...(await everyMemberThrows('Lookahead', la, laArgs)),
    ];
    // The reflection found the API (a sample of it), getters and setters included.
    for (const m of ['RAdam.step:call', 'RAdam.stepAsync:call', 'RAdam.maxGradNorm:set', 'RAdam.accumulated:get'])
      expect(done).toContain(m);
    for (const m of ['ParamGroup.lr:get', 'ParamGroup.lr:set', 'ParamGroup.amsgrad:get', 'ParamGroup.params:get'])
      expect(done).toContain(m);
    for (const m of ['Param.size:get', 'Param.data:get', 'Param.step:get', 'Lookahead.loadState:call'])
      expect(done).toContain(m);
    expect(done.length).toBeGreaterThan(60);
    // dispose() is idempotent.
    expect(opt.dispose()).toBeUndefined();
    expect(opt.dispose()).toBeUndefined();
    // Nothing can be built on a disposed optimizer either.
    expectNamed(await failure(() => new Lookahead(opt)), DISPOSED);
  });
});

function isInFlight(opt: RAdam): boolean {
  try {
    void opt.threads;
    return false;
  } catch (e) {
    return /still running/.test((e as Error).message);
  }
}

describe.skipIf(os.availableParallelism() < 2)('dispose() during an in-flight stepAsync (threads 2)', () => {
  it('the step rejects naming the disposal, and every member throws a named error after it', async () => {
    const { opt, group, param, la, hp, args, laArgs } = await setUp(RAdam, { threads: 2 });
    (opt as unknown as { _minSplit: number })._minSplit = 0; // the worker really steps
    opt.addParam(50_000).grad.fill(1);
    // The calling thread takes its share first: the step is still in flight after it only if the
    // worker is slower (waking it costs ~75 us), so try until that is seen.
    let inFlight = opt.stepAsync();
    for (let i = 0; i < 50 && !isInFlight(opt); i++) {
      await inFlight;
      await new Promise((r) => setTimeout(r, 30)); // the worker goes to sleep again
      inFlight = opt.stepAsync();
    }
    expect(isInFlight(opt)).toBe(true);
    // While it runs, the optimizer refuses to be used (the workers are writing); no await here.
    const running = [() => param.data, () => group.lr, () => opt.stateDict(), () => opt.addParam(3)].map(thrown);
    opt.dispose();
    for (const e of running) expectNamed(e, /stepAsync\(\) is still running/);
    expectNamed(await failure(() => inFlight), /disposed \(during stepAsync\)/);
    await everyMemberThrows('RAdam', opt, args, { skipNonFinite: false, maxGradNorm: null });
    await everyMemberThrows('ParamGroup', group, args, hp);
    await everyMemberThrows('Param', param, args);
    await everyMemberThrows('Lookahead', la, laArgs);
    expect(opt.dispose()).toBeUndefined();
  });
});

describe('the tfjs RAdamOptimizer after dispose()', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await RAdamOptimizer.ready();
  });

  it('every member of its own (and minimize) throws a named error; dispose() is idempotent', async () => {
    const opt = await RAdamOptimizer.create({ ema: { decay: 0.9 } });
    const v = tf.variable(tf.tensor1d([1, 2, 3]), true, 'adversarial_dispose_v');
    const grads = () => ({ [v.name]: tf.tensor1d([0.5, -1, 2]) });
    opt.applyGradients(grads());
    const weights = (await opt.getWeights()).map(({ name, tensor }) => ({ name, tensor: tensor.clone() }));
    opt.dispose();
    const args = {
      applyGradients: [grads()],
      setWeights: [weights],
      withEma: [() => 1],
      minimize: [() => tf.sum(tf.square(v)) as tf.Scalar],
    };
    const values = { learningRate: 0.01, maxGradNorm: null, skipNonFinite: false };
    // Its own members, and the one inherited method that reaches the core.
    const done = await everyMemberThrows('RAdamOptimizer', opt, args, values, tf.Optimizer.prototype);
    const minimize = await failure(() => opt.minimize(args.minimize[0]));
    expectNamed(minimize, DISPOSED);
    expect(done).toContain('RAdamOptimizer.applyGradients:call');
    expect(opt.dispose()).toBeUndefined();
    v.dispose();
  });
});
