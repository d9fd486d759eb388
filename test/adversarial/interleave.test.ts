// Issue 18: every pair of calls a user can interleave. fast-check generates sequences of
// operations (adding params and groups mid-run, steps through the optimizer and its Lookahead,
// stepAsync with another call before it is awaited, zeroGrad, state dicts and checkpoints, the
// EMA swapped in and out, hyperparameters and guards changed, dispose) and runs each twice: on a
// subject (simd or scalar, or simd with 2 threads that really split every step) that takes the
// roundabout paths (a state dict through JSON, its own checkpoint loaded back, its whole state
// moved into a fresh optimizer, stepAsync), and on a model (the js backend; the scalar one for a
// threaded subject) that takes the direct ones. After every operation both agree bit for bit, or
// both refused it with the same named error (the subject may also refuse, by name, a call made
// while its stepAsync is in flight).
import os from 'node:os';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Lookahead, RAdam, type GroupOptions, type RAdamOptions, type StepOptions } from '../../src/index.js';
import { gradient, rng } from '../support/random.js';
import { expectNamed, observe, refusedUnchanged } from './support.js';

type Op =
  | { kind: 'addParam'; group: number; size: number; seed: number }
  | { kind: 'addGroup'; lr: number; amsgrad: boolean }
  | { kind: 'grad'; seed: number; bad: boolean }
  | { kind: 'step'; options?: StepOptions }
  | { kind: 'stepAsync'; next: Op | null }
  | { kind: 'zeroGrad' }
  | { kind: 'stateDict'; json: boolean }
  | { kind: 'checkpoint'; includeParams: boolean }
  | { kind: 'transplant' }
  | { kind: 'swapEma' }
  | { kind: 'withEma' }
  | { kind: 'set'; group: number; key: keyof GroupOptions; value: unknown }
  | { kind: 'guard'; key: 'maxGradNorm' | 'skipNonFinite'; value: unknown }
  | { kind: 'dispose' };

const simple: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('addParam'), group: fc.nat(3), size: fc.nat(40), seed: fc.nat() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('addGroup'), lr: fc.constantFrom(0.01, 0.3), amsgrad: fc.boolean() }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('grad'),
      seed: fc.nat(),
      bad: fc.nat(7).map((n) => n === 0), // a NaN in 1 of 8
    }),
  },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('step') }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('step'),
      options: fc.constantFrom({ maxGradNorm: 0.5 }, { skipNonFinite: true }, { maxGradNorm: -1 } as never),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('zeroGrad') }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('stateDict'), json: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('checkpoint'), includeParams: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('transplant') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('swapEma') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('withEma') }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('set'),
      group: fc.nat(3),
      key: fc.constantFrom(
        'lr',
        'betas',
        'maximize',
        'weightDecay',
        'clipValue',
        'rectify',
        'secondMomentOnly',
        'amsgrad',
      ),
      value: fc.constantFrom(0.05, [0.5, 0.9], true, false, null, 2, -1, 'x'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('guard'),
      key: fc.constantFrom('maxGradNorm', 'skipNonFinite'),
      value: fc.constantFrom(null, 1, true, false, 0),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dispose') }) },
) as fc.Arbitrary<Op>;
// stepAsync, then (before it is awaited) any other call, another stepAsync included.
const stepAsync = fc.record({
  kind: fc.constant('stepAsync'),
  next: fc.oneof(
    { weight: 3, arbitrary: simple },
    { weight: 1, arbitrary: fc.constant({ kind: 'stepAsync', next: null } as Op) },
  ),
}) as fc.Arbitrary<Op>;
const op: fc.Arbitrary<Op> = fc.oneof({ weight: 12, arbitrary: simple }, { weight: 3, arbitrary: stepAsync });

const config = fc.record({
  ema: fc.option(fc.record({ decay: fc.constantFrom(0.5, 0.9), warmup: fc.boolean() }), { nil: null }),
  accumulate: fc.integer({ min: 1, max: 3 }),
  amsgrad: fc.boolean(),
  lookahead: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }),
  maxGradNorm: fc.constantFrom(null, 2),
  skipNonFinite: fc.boolean(),
});
type Config = typeof config extends fc.Arbitrary<infer T> ? T : never;

/** An optimizer, its Lookahead, and what it was built from (to build it again: transplant). */
interface World {
  opt: RAdam;
  la: Lookahead | null;
  groups: GroupOptions[];
  params: { group: number; size: number }[];
}

/** `big`: a first param of 30,000 elements (so that the worker's share of a split step takes time). */
async function create(c: Config, backend: 'simd' | 'scalar' | 'js' | 'threads', big: boolean): Promise<World> {
  const { lookahead, ...options } = c;
  const threads = backend === 'threads';
  const opt = await RAdam.create({ ...options, lr: 0.1, ...(threads ? { threads: 2 } : { backend }) } as RAdamOptions);
  if (threads) (opt as unknown as { _minSplit: number })._minSplit = 0; // every step really splits
  const params = big ? [{ group: 0, size: 30_000 }] : [];
  if (big) opt.addParam(gradient(rng(7), 30_000));
  return { opt, la: lookahead ? new Lookahead(opt, { k: lookahead }) : null, groups: [], params };
}

/** A fresh optimizer with the world's groups and params, its whole state loaded from the old one's checkpoint. */
async function transplant(w: World, c: Config, backend: 'simd' | 'scalar' | 'threads'): Promise<World> {
  const bytes = (w.la ?? w.opt).saveState({ includeParams: true });
  const next = await create(c, backend, false);
  // The Lookahead first, over no params: loading gives slow weights to exactly the params that have
  // them in the original (one added since its last step has none yet).
  next.la = w.la && new Lookahead(next.opt, { k: w.la.k });
  const groups = [next.opt.groups[0], ...w.groups.map((g) => next.opt.addGroup(g))];
  for (const p of w.params) groups[p.group].addParam(p.size);
  (next.la ?? next.opt).loadState(bytes);
  // Not part of a checkpoint: the gradients written for the next step, and the guards.
  next.opt.params.forEach((p, i) => p.grad.set(w.opt.params[i].grad));
  next.opt.maxGradNorm = w.opt.maxGradNorm;
  next.opt.skipNonFinite = w.opt.skipNonFinite;
  w.opt.dispose();
  return { ...next, groups: w.groups, params: w.params };
}

/** Applies one operation; `subject` takes the roundabout paths. Returns what it gives back, as plain data. */
async function apply(w: World, o: Op, subject: boolean, c: Config): Promise<unknown> {
  const { opt, la } = w;
  switch (o.kind) {
    case 'addParam': {
      const groups = opt.groups;
      const g = o.group % groups.length;
      const p = groups[g].addParam(gradient(rng(o.seed), o.size));
      w.params.push({ group: g, size: o.size });
      return p.size;
    }
    case 'addGroup': {
      opt.addGroup({ lr: o.lr, amsgrad: o.amsgrad });
      w.groups.push({ lr: o.lr, amsgrad: o.amsgrad });
      return opt.groups.length;
    }
    case 'grad': {
      const r = rng(o.seed);
      for (const p of opt.params) p.grad.set(gradient(r, p.size));
      if (o.bad && opt.params.some((p) => p.size)) opt.params.find((p) => p.size)!.grad[0] = Number.NaN;
      return null;
    }
    case 'step':
      return { ...(la ?? opt).step(o.options) };
    case 'zeroGrad':
      (la ?? opt).zeroGrad();
      return null;
    case 'stateDict': {
      const from = la ?? opt;
      const sd = from.stateDict();
      if (!subject) return null;
      // A Lookahead's state dict is not JSON-safe yet: through structuredClone.
      from.loadStateDict(o.json && !la ? JSON.parse(JSON.stringify(sd)) : structuredClone(sd));
      return null;
    }
    case 'checkpoint': {
      const from = la ?? opt;
      const bytes = from.saveState({ includeParams: o.includeParams });
      if (subject) from.loadState(bytes);
      return null;
    }
    case 'transplant':
      if (!subject) (la ?? opt).saveState({ includeParams: true });
      else
        Object.assign(
          w,
          await transplant(w, c, opt.threads > 1 ? 'threads' : opt.backend === 'simd' ? 'simd' : 'scalar'),
        );
      return null;
    case 'swapEma':
      opt.swapEma();
      return null;
    case 'withEma':
      return opt.withEma(() => opt.params.map((p) => Array.from(p.data)));
    case 'set':
      (opt.groups[o.group % opt.groups.length] as unknown as Record<string, unknown>)[o.key] = o.value;
      return null;
    case 'guard':
      (opt as unknown as Record<string, unknown>)[o.key] = o.value;
      return null;
    case 'dispose':
      opt.dispose();
      return null;
    case 'stepAsync': // as the call made while another stepAsync is in flight (see run)
      return subject ? { ...(await opt.stepAsync()) } : { ...opt.step() };
  }
}

type Outcome = { ok: unknown } | { error: string };
async function outcome(fn: () => unknown): Promise<Outcome> {
  try {
    return { ok: await fn() };
  } catch (e) {
    expectNamed(e);
    return { error: (e as Error).message };
  }
}

// More runs for a longer hunt: ADVERSARIAL_RUNS=2000 npx vitest run test/adversarial/interleave.test.ts
const RUNS = Number(process.env.ADVERSARIAL_RUNS ?? 200);
const IN_FLIGHT = /stepAsync\(\) is still running/;
const STATS: Record<string, number> = {};
const count = (k: string) => (STATS[k] = (STATS[k] ?? 0) + 1);

/** Runs the operations on both, checking after each that they agree. */
async function run(c: Config, ops: Op[], backend: 'simd' | 'scalar' | 'threads'): Promise<void> {
  const subject = await create(c, backend, backend === 'threads');
  // The js model, or for a threaded subject (30,000 elements more) the scalar kernel, much faster.
  const model = await create(c, backend === 'threads' ? 'scalar' : 'js', backend === 'threads');
  try {
    for (const [i, o] of ops.entries()) {
      const at = `op ${i} ${JSON.stringify(o)}`;
      count(o.kind + (o.kind === 'stepAsync' && o.next ? `+${o.next.kind}` : ''));
      if (o.kind === 'stepAsync' && o.next) {
        // The subject: stepAsync, and the next call before it is awaited. The call's synchronous
        // part runs now (apply is async, its first await is in transplant, which saves first).
        const pending = outcome(() => subject.opt.stepAsync());
        const call = outcome(() => apply(subject, o.next!, true, c));
        const [stepped, after] = [await pending, await call];
        if ('error' in stepped && /during stepAsync/.test(stepped.error)) {
          // dispose() while the step was in flight: the step is abandoned, by name.
          expect([o.next.kind, after], at).toEqual(['dispose', { ok: null }]);
          return expectDisposed(subject);
        }
        // The model: the step (the optimizer's, never the Lookahead's), then the call, unless the
        // subject refused it, by name, because its step was still in flight.
        expect(stepped, at).toEqual(await outcome(() => ({ ...model.opt.step() })));
        if ('error' in after && IN_FLIGHT.test(after.error)) count('in flight');
        if ('error' in stepped) count('stepAsync refused');
        if (!('error' in after && IN_FLIGHT.test(after.error)))
          expect(after, at).toEqual(await outcome(() => apply(model, o.next!, false, c)));
      } else {
        const got = await outcome(() => apply(subject, o, true, c));
        if ('error' in got) count(`refused ${o.kind}`);
        expect(got, at).toEqual(await outcome(() => apply(model, o, false, c)));
      }
      if ([o.kind, o.kind === 'stepAsync' && o.next?.kind].includes('dispose')) return expectDisposed(subject);
      const { memoryBytes: _, ...s } = observe(subject.opt, subject.la);
      const { memoryBytes: __, ...m } = observe(model.opt, model.la);
      expect(s, at).toEqual(m);
    }
  } finally {
    subject.opt.dispose();
    model.opt.dispose();
  }
}

async function expectDisposed(w: World): Promise<void> {
  for (const o of [
    { kind: 'step' },
    { kind: 'addParam', group: 0, size: 2, seed: 1 },
    { kind: 'checkpoint' },
  ] as Op[]) {
    const got = await outcome(() => apply(w, o, true, {} as Config));
    expect('error' in got && /disposed/.test(got.error), JSON.stringify(got)).toBe(true);
  }
}

describe('interleaved calls against a model (fast-check)', () => {
  it('simd and scalar subjects agree with the js model after every operation', { timeout: RUNS * 300 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        config,
        fc.array(op, { minLength: 8, maxLength: 30 }),
        fc.constantFrom('simd', 'scalar'),
        async (c, ops, backend) => {
          await run(c, ops, backend as 'simd' | 'scalar');
        },
      ),
      { numRuns: RUNS },
    );
    // The runs reached the interleavings this test is about.
    for (const k of ['transplant', 'stepAsync+stepAsync', 'stepAsync+addParam', 'stepAsync+dispose', 'refused step'])
      expect(STATS[k], k).toBeGreaterThan(0);
  });

  it.skipIf(os.availableParallelism() < 2)(
    'a subject on 2 threads, every step split, agrees with the js model',
    { timeout: RUNS * 1000 },
    async () => {
      await fc.assert(
        fc.asyncProperty(config, fc.array(op, { minLength: 8, maxLength: 25 }), async (c, ops) => {
          await run(c, ops, 'threads');
        }),
        { numRuns: Math.ceil(RUNS / 8) },
      );
    },
  );
});

// A param added after the Lookahead started gets its slow weights at the next Lookahead step, from
// its values then. Saving, or a refused load, must not give it slow weights earlier (from its
// values at that moment): a user who sets its values in between (pretrained weights) would then
// be pulled back towards the old ones at the next sync. (src/optimizer/lookahead.ts saves such a param's
// values without allocating, and allocates only once a load has been checked whole.)
describe('a Lookahead param added mid-run', () => {
  async function trainedWithNewParam() {
    const opt = await RAdam.create({ backend: 'js', lr: 0.1 });
    opt.addParam([1, 1]).grad.fill(1);
    const la = new Lookahead(opt, { k: 2, alpha: 0.5 });
    la.step();
    const b = opt.addParam([1, 2]);
    return { opt, la, b };
  }
  async function finish(o: Awaited<ReturnType<typeof trainedWithNewParam>>) {
    o.b.data.set([10, 20]); // pretrained values, set before its first step
    o.b.grad.fill(1);
    o.la.step(); // the sync: slow weights pulled towards the fast ones
    return Array.from(o.b.data);
  }

  it('gets the same slow weights whether or not a checkpoint was saved before its first step', async () => {
    const plain = await trainedWithNewParam();
    const saved = await trainedWithNewParam();
    saved.la.saveState();
    expect(await finish(saved)).toEqual(await finish(plain));
  });

  it('a refused Lookahead.loadStateDict changes nothing (no slow weights, no memory)', async () => {
    const o = await trainedWithNewParam();
    const sd = o.la.stateDict();
    o.opt.addParam([3]); // now the state dict is for 2 params of 3
    await refusedUnchanged(o.opt, o.la, () => o.la.loadStateDict(sd), /^Lookahead.loadStateDict/);
  });
});
