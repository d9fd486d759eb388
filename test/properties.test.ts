// Property tests (fast-check): random hyperparameters, lengths, step counts and lr changes.
// Backends agree bit for bit; saving and loading anywhere resumes bit-identically; invalid input
// always throws and never changes the optimizer.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Lookahead, RAdam, type Backend, type GroupOptions, type Param } from '../src/index.js';
import { firstDifference, gradient, rng } from './support/random.js';

const hyper: fc.Arbitrary<GroupOptions> = fc.record({
  lr: fc.oneof(fc.constant(0), fc.double({ min: 1e-5, max: 0.5, noNaN: true })),
  betas: fc.tuple(fc.double({ min: 0, max: 0.99, noNaN: true }), fc.double({ min: 0.5, max: 0.9999, noNaN: true })),
  eps: fc.constantFrom(0, 1e-8, 1e-3),
  weightDecay: fc.constantFrom(0, 0.01, 0.2),
  decoupledWeightDecay: fc.boolean(),
  maximize: fc.boolean(),
  amsgrad: fc.boolean(),
  threshold: fc.double({ min: 4, max: 8, noNaN: true }),
  degenerateToSgd: fc.boolean(),
  flushSubnormals: fc.boolean(),
  rectify: fc.boolean(),
  clipValue: fc.oneof(fc.constant(null), fc.double({ min: 0.05, max: 3, noNaN: true })),
  secondMomentOnly: fc.boolean(),
});
const run = fc.record({
  groups: fc.array(hyper, { minLength: 1, maxLength: 3 }),
  sizes: fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 5 }),
  steps: fc.integer({ min: 1, max: 25 }),
  lrChangeAt: fc.integer({ min: 0, max: 25 }),
  maxGradNorm: fc.oneof(fc.constant(null), fc.double({ min: 0.1, max: 10, noNaN: true })),
  ema: fc.oneof(
    fc.constant(null),
    fc.record({ decay: fc.double({ min: 0, max: 0.999, noNaN: true }), warmup: fc.boolean() }),
  ),
  accumulate: fc.integer({ min: 1, max: 4 }),
  lookahead: fc.boolean(),
  stateDtype: fc.constantFrom('float32', 'bfloat16') as fc.Arbitrary<'float32' | 'bfloat16'>,
  stateSeed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  seed: fc.integer({ min: 1, max: 1e6 }),
});
type Run = typeof run extends fc.Arbitrary<infer T> ? T : never;

type Built = { opt: RAdam; params: Param[]; la: Lookahead | null };
async function build(backend: Backend, r: Run): Promise<Built> {
  const { maxGradNorm, ema, accumulate, stateDtype, stateSeed } = r;
  const opt = await RAdam.create({ ...r.groups[0], backend, maxGradNorm, ema, accumulate, stateDtype, stateSeed });
  const groups = [opt.groups[0], ...r.groups.slice(1).map((g) => opt.addGroup(g))];
  const init = rng(r.seed);
  const params = r.sizes.map((n, i) => groups[i % groups.length].addParam(gradient(init, n)));
  return { opt, params, la: r.lookahead ? new Lookahead(opt, { k: 3, alpha: 0.5 }) : null };
}
/** Trains steps from..to; returns the gradient norms step() reported (with maxGradNorm). */
function train(o: Built, r: Run, from: number, to: number): (number | undefined)[] {
  const norms = [];
  for (let t = from; t <= to; t++) {
    if (t === r.lrChangeAt)
      o.opt.groups.forEach((g) => {
        g.lr = g.lr / 2;
        g.secondMomentOnly = false; // Adam-2k: the frozen phase ends
      });
    const q = rng(r.seed + t);
    o.params.forEach((p) => p.grad.set(gradient(q, p.size)));
    norms.push((o.la ?? o.opt).step().gradNorm);
  }
  return norms;
}
const state = (params: Param[], la: Lookahead | null = null) =>
  params.flatMap((p) =>
    [
      p.data,
      p.expAvg,
      p.expAvgSq,
      ...(p.maxExpAvgSq ? [p.maxExpAvgSq] : []),
      ...(p.ema ? [p.ema] : []),
      ...(la ? [la.slowWeights(p)] : []),
    ].map((a) => a.slice()),
  );
const same = (a: Float32Array[], b: Float32Array[]) =>
  a.length === b.length && a.every((x, i) => firstDifference(x, b[i]) === -1);

describe('properties', () => {
  it('simd, scalar and js agree bit for bit', async () => {
    await fc.assert(
      fc.asyncProperty(run, async (r) => {
        const runs = await Promise.all((['simd', 'scalar', 'js'] as const).map((b) => build(b, r)));
        const norms = runs.map((o) => JSON.stringify(train(o, r, 1, r.steps))); // float64s, compared exactly
        const [a, b, c] = runs.map((o) => state(o.params, o.la));
        runs.forEach((o) => o.opt.dispose());
        return same(a, b) && same(b, c) && norms[0] === norms[1] && norms[1] === norms[2];
      }),
      { numRuns: 40 },
    );
  });

  it('saving (stateDict or saveState) at any step and loading into a fresh optimizer resumes bit-identically', async () => {
    await fc.assert(
      fc.asyncProperty(run, fc.integer({ min: 0, max: 25 }), fc.boolean(), async (r, at, binary) => {
        const k = Math.min(at, r.steps);
        const whole = await build('simd', r);
        train(whole, r, 1, r.steps);
        const first = await build('simd', r);
        train(first, r, 1, k);
        const from = first.la ?? first.opt;
        const saved = binary ? from.saveState({ includeParams: true }) : structuredClone(from.stateDict());
        const values = first.params.map((p) => p.data.slice());
        first.opt.dispose();
        // Other hyperparameters and another seed: the saved state brings its own.
        const groups = r.groups.map((g) => ({ ...g, lr: 1, eps: 0.25 }));
        const second = await build('js', { ...r, groups, stateSeed: (r.stateSeed + 1) >>> 0 });
        const into = second.la ?? second.opt;
        if (binary) into.loadState(saved as Uint8Array);
        else {
          second.params.forEach((p, i) => p.data.set(values[i]));
          into.loadStateDict(saved as never);
        }
        train(second, r, k + 1, r.steps);
        const ok = same(state(second.params, second.la), state(whole.params, whole.la));
        whole.opt.dispose();
        second.opt.dispose();
        return ok;
      }),
      { numRuns: 40 },
    );
  });

  it('invalid input always throws and never changes the optimizer', async () => {
    const junk = [NaN, Infinity, -Infinity, '0.1', null, {}, [], true];
    const nonNegative = fc.tuple(fc.constantFrom('lr', 'eps', 'weightDecay'), fc.constantFrom(-1, -1e-9, ...junk));
    const threshold = fc.tuple(fc.constant('threshold'), fc.constantFrom(3.99, 0, -5, ...junk));
    const betas = fc.tuple(
      fc.constant('betas'),
      fc.constantFrom([0.9, 1], [1, 0.9], [-0.1, 0.9], [0.9, NaN], [0.9], 'x', null),
    );
    const clip = fc.tuple(fc.constant('clipValue'), fc.constantFrom(0, -1, ...junk.filter((x) => x !== null)));
    const flags = fc.tuple(
      fc.constantFrom(
        'maximize',
        'decoupledWeightDecay',
        'degenerateToSgd',
        'flushSubnormals',
        'rectify',
        'secondMomentOnly',
      ),
      fc.constantFrom(1, 0, 'true', null, {}),
    );
    const use = fc.oneof(
      fc.tuple(fc.constant('set'), fc.oneof(nonNegative, threshold, betas, flags, clip)),
      fc.tuple(fc.constant('addParam'), fc.constantFrom(-1, 2.5, NaN, 'abc', [1, 'x'], {}, new Int32Array(2))),
      fc.tuple(
        fc.constant('step'),
        fc.constantFrom(
          { maxGradNorm: 0 },
          { maxGradNorm: -1 },
          { maxGradNorm: NaN },
          { skipNonFinite: 'yes' },
          { other: 1 },
        ),
      ),
      fc.tuple(fc.constant('addGroup'), fc.oneof(nonNegative, threshold, betas, flags, clip)),
    );
    await fc.assert(
      fc.asyncProperty(run, use, async (r, [kind, arg]) => {
        const o = await build('js', r);
        train(o, r, 1, Math.min(3, r.steps));
        const before = [
          JSON.stringify(o.opt.stateDict().groups),
          state(o.params),
          o.opt.params.length,
          o.opt.groups.length,
          o.opt.memoryBytes,
        ] as const;
        let threw = false;
        try {
          const target = o.opt as unknown as Record<string, (x: unknown) => unknown>;
          if (kind === 'set') {
            const [k, v] = arg as [string, unknown];
            (o.opt.groups[0] as unknown as Record<string, unknown>)[k] = v;
          } else if (kind === 'addGroup') {
            const [k, v] = arg as [string, unknown];
            o.opt.addGroup({ [k]: v });
          } else target[kind](arg);
        } catch {
          threw = true;
        }
        const unchanged =
          JSON.stringify(o.opt.stateDict().groups) === before[0] &&
          same(state(o.params), before[1]) &&
          o.opt.params.length === before[2] &&
          o.opt.groups.length === before[3] &&
          o.opt.memoryBytes === before[4];
        o.opt.dispose();
        return threw && unchanged;
      }),
      { numRuns: 150 },
    );
  });

  it('corrupted or truncated checkpoints always throw and never change the optimizer', async () => {
    await fc.assert(
      fc.asyncProperty(
        run,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.boolean(),
        async (r, where, xor, truncate) => {
          const o = await build('simd', r);
          train(o, r, 1, Math.min(4, r.steps));
          const bytes = o.opt.saveState({ includeParams: true });
          const i = where % bytes.length;
          const broken = truncate ? bytes.slice(0, i) : bytes.slice();
          if (!truncate) broken[i] ^= xor;
          const before = [structuredClone(o.opt.stateDict()), state(o.params)] as const;
          let threw = false;
          try {
            o.opt.loadState(broken);
          } catch {
            threw = true;
          }
          const after = o.opt.stateDict();
          const unchanged =
            JSON.stringify(after.groups) === JSON.stringify(before[0].groups) &&
            after.state.every(
              (s, k) =>
                s.step === before[0].state[k].step &&
                same([s.expAvg, s.expAvgSq], [before[0].state[k].expAvg, before[0].state[k].expAvgSq]),
            ) &&
            same(state(o.params), before[1]);
          o.opt.dispose();
          return threw && unchanged;
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('properties hold on a known bad case too', () => {
  it('the agreement check would notice a difference', () => {
    expect(same([Float32Array.of(1)], [Float32Array.of(Math.fround(1 + 2 ** -23))])).toBe(false);
  });
});
