// Threads: the step split across worker threads over shared memory. The worker script is embedded in
// src/generated/worker-source.ts, so these tests run from src/ like the others.
import fs from 'node:fs';
import os from 'node:os';
import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { Adam, Lookahead, RAdam, type GroupOptions, type Param } from '../src/index.js';
import { firstDifference, gradient, rng } from './support/random.js';

/** With threads, every step is split (the break-even off): the tests must exercise the workers. */
async function build(threads: number, groups: GroupOptions[], sizes: number[], options = {}) {
  const opt = await RAdam.create({ ...groups[0], threads, ...options });
  (opt as unknown as { _minSplit: number })._minSplit = 0;
  const gs = [opt.groups[0], ...groups.slice(1).map((g) => opt.addGroup(g))];
  const r = rng(7);
  const params: Param[] = sizes.map((n, i) => gs[i % gs.length].addParam(gradient(r, n)));
  return { opt, params };
}
const splits = (opt: RAdam) => (opt as unknown as { _splits: number })._splits;
const all = (params: Param[]) =>
  params.flatMap((p) =>
    [p.data, p.expAvg, p.expAvgSq, ...(p.maxExpAvgSq ? [p.maxExpAvgSq] : [])].map((a) => a.slice()),
  );

const cores = os.availableParallelism();
/** This process's OS threads (Linux); null where /proc is missing. */
const osThreads = (): number | null =>
  fs.existsSync('/proc/self/task') ? fs.readdirSync('/proc/self/task').length : null;

describe('threads: the count is checked against the hardware before anything starts', () => {
  it.skipIf(cores >= 64)(
    'more threads than the machine has are refused, naming the count; no worker starts',
    async () => {
      const before = osThreads();
      const err = await RAdam.create({ threads: cores + 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RangeError);
      expect((err as Error).message).toBe(
        `Invalid threads: ${cores + 1} (this machine has ${cores} hardware threads: use at most ${cores}, or 'auto')`,
      );
      await new Promise((r) => setTimeout(r, 100)); // a worker started would show by now
      expect(osThreads()).toBe(before);
      await expect(Adam.create({ threads: 64, lr: 0.1 })).rejects.toThrow(
        `Invalid threads: 64 (this machine has ${cores} hardware threads: use at most ${cores}, or 'auto')`,
      );
    },
  );

  it.skipIf(cores < 2)('exactly the hardware threads are accepted', async () => {
    const n = Math.min(cores, 64);
    const opt = await RAdam.create({ threads: n });
    expect(opt.threads).toBe(n);
    opt.dispose();
  });

  it('navigator.hardwareConcurrency, where the runtime has it, is the count', async () => {
    vi.stubGlobal('navigator', { hardwareConcurrency: 3 });
    try {
      await expect(RAdam.create({ threads: 4 })).rejects.toThrow(
        "Invalid threads: 4 (this machine has 3 hardware threads: use at most 3, or 'auto')",
      );
      const opt = await RAdam.create({ threads: 3 });
      expect(opt.threads).toBe(3);
      opt.dispose();
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

// These split over two threads: they need two cores.
describe.skipIf(cores < 2)('threads', () => {
  it('split steps are bit-identical to one thread (many tensors, every option, clipping, a skip)', async () => {
    const groups: GroupOptions[] = [
      { lr: 0.02 },
      { lr: 0.1, amsgrad: true, weightDecay: 0.1, maximize: true },
      { rectify: false, decoupledWeightDecay: true, weightDecay: 0.05 },
    ];
    const sizes = [0, 1, 17, 5000, 16, 70_001, 3, 40_000, 129];
    const one = await build(1, groups, sizes, { maxGradNorm: 50, skipNonFinite: true });
    const two = await build(2, groups, sizes, { maxGradNorm: 50, skipNonFinite: true });
    expect([one.opt.threads, two.opt.threads]).toEqual([1, 2]);
    for (let t = 1; t <= 12; t++) {
      const q = rng(100 + t);
      const grads = sizes.map((n) => gradient(q, n));
      if (t === 5) grads[5][123] = NaN;
      const results = [one, two].map((o) => {
        o.params.forEach((p, i) => p.grad.set(grads[i]));
        return o.opt.step();
      });
      expect(results[1]).toEqual(results[0]);
    }
    const [a, b] = [all(one.params), all(two.params)];
    a.forEach((x, i) => expect(firstDifference(x, b[i]), `array ${i}`).toBe(-1));
    expect(splits(two.opt)).toBe(11); // every step but the skipped one went to the workers
    one.opt.dispose();
    two.opt.dispose();
  });

  it('with the EMA, accumulation and clipValue, split steps are bit-identical to one thread', async () => {
    const groups: GroupOptions[] = [
      { lr: 0.02, clipValue: 0.5 },
      { lr: 0.1, amsgrad: true, clipValue: null },
    ];
    const sizes = [0, 1, 17, 5000, 70_001, 3, 40_000];
    const options = { ema: { decay: 0.9, warmup: true }, accumulate: 3, maxGradNorm: 100, skipNonFinite: true };
    const one = await build(1, groups, sizes, options);
    const two = await build(2, groups, sizes, options);
    for (let t = 1; t <= 13; t++) {
      const q = rng(200 + t);
      const grads = sizes.map((n) => gradient(q, n));
      if (t === 5) grads[4][77] = Number.NaN; // refused: the accumulators stay as they were
      const results = [one, two].map((o) => {
        o.params.forEach((p, i) => p.grad.set(grads[i]));
        return o.opt.step();
      });
      expect(results[1]).toEqual(results[0]);
    }
    const [a, b] = [one, two].map((o) => [...all(o.params), ...o.params.map((p) => p.ema!.slice())]);
    a.forEach((x, i) => expect(firstDifference(x, b[i]), `array ${i}`).toBe(-1));
    expect(two.params[4].step).toBe(4); // 12 accepted gradients, 3 per applied step
    expect(splits(two.opt)).toBe(4);
    one.opt.dispose();
    two.opt.dispose();
  });

  it('property: every combination of the EMA, accumulation, clipValue, clipping, Lookahead, secondMomentOnly and the state dtype splits bit-identically', async () => {
    const combo = fc.record({
      ema: fc.oneof(
        fc.constant(null),
        fc.record({ decay: fc.double({ min: 0, max: 0.99, noNaN: true }), warmup: fc.boolean() }),
      ),
      accumulate: fc.integer({ min: 1, max: 3 }),
      clipValue: fc.oneof(fc.constant(null), fc.double({ min: 0.05, max: 2, noNaN: true })),
      maxGradNorm: fc.oneof(fc.constant(null), fc.double({ min: 1, max: 300, noNaN: true })),
      amsgrad: fc.boolean(),
      lookahead: fc.boolean(),
      secondMomentSteps: fc.integer({ min: 0, max: 3 }),
      stateDtype: fc.constantFrom('float32', 'bfloat16') as fc.Arbitrary<'float32' | 'bfloat16'>,
      sizes: fc.array(fc.integer({ min: 0, max: 30_000 }), { minLength: 1, maxLength: 4 }),
      steps: fc.integer({ min: 1, max: 9 }),
    });
    await fc.assert(
      fc.asyncProperty(combo, async (c) => {
        const { ema, accumulate, maxGradNorm, clipValue, amsgrad, stateDtype } = c;
        const options = { ema, accumulate, maxGradNorm, stateDtype };
        const runs = await Promise.all(
          [1, 2].map((n) => build(n, [{ lr: 0.05, clipValue, amsgrad }], c.sizes, options)),
        );
        const las = runs.map((o) => (c.lookahead ? new Lookahead(o.opt, { k: 2 }) : null));
        const results: string[][] = [[], []];
        for (let t = 1; t <= c.steps; t++) {
          const q = rng(t);
          const grads = c.sizes.map((n) => gradient(q, n));
          runs.forEach((o, k) => {
            o.opt.groups[0].secondMomentOnly = t <= c.secondMomentSteps;
            o.params.forEach((p, i) => p.grad.set(grads[i]));
            results[k].push(JSON.stringify((las[k] ?? o.opt).step()));
          });
        }
        const [a, b] = runs.map((o, k) => [
          ...all(o.params),
          ...o.params.flatMap((p) => [
            ...(p.ema ? [p.ema.slice()] : []),
            ...(las[k] ? [las[k]!.slowWeights(p).slice()] : []),
          ]),
        ]);
        runs.forEach((o) => o.opt.dispose());
        return results[0].join() === results[1].join() && a.every((x, i) => firstDifference(x, b[i]) === -1);
      }),
      { numRuns: 12 },
    );
  });

  it('Adam with threads is still Adam', async () => {
    const [a, b] = [await Adam.create({ threads: 1 }), await Adam.create({ threads: 2 })];
    expect([a.groups[0].rectify, b.groups[0].rectify]).toEqual([false, false]);
    a.dispose();
    b.dispose();
  });

  it('many small tensors stay on the calling thread (splitting them costs more than it saves)', async () => {
    const opt = await RAdam.create({ threads: 2 });
    const ps = Array.from({ length: 300 }, () => opt.addParam(100));
    for (let t = 0; t < 5; t++) {
      ps.forEach((p) => p.grad.fill(1));
      opt.step();
    }
    expect(splits(opt)).toBe(0);
    opt.dispose();
  });

  it('while a stepAsync runs the optimizer refuses use; dispose during it rejects the step', async () => {
    const { opt, params } = await build(2, [{}], [300_000]);
    params[0].grad.fill(1);
    const pending = opt.stepAsync();
    expect(() => opt.zeroGrad()).toThrow(/a stepAsync\(\) is still running/);
    await pending;
    expect(splits(opt)).toBe(1);
    const again = opt.stepAsync();
    opt.dispose();
    await expect(again).rejects.toThrow(/disposed/);
  });

  it('stepAsync gives the same bits; small steps stay on the calling thread', async () => {
    const one = await build(1, [{ lr: 0.05 }], [100_000, 10]),
      two = await build(2, [{ lr: 0.05 }], [100_000, 10]);
    for (let t = 1; t <= 8; t++) {
      [one, two].forEach((o) => o.params.forEach((p) => p.grad.set(gradient(rng(t), p.size))));
      one.opt.step();
      await two.opt.stepAsync();
    }
    const [a, b] = [all(one.params), all(two.params)];
    a.forEach((x, i) => expect(firstDifference(x, b[i])).toBe(-1));
    expect(splits(two.opt)).toBe(8);
    const small = await RAdam.create({ threads: 2 }); // the measured break-even: 100 elements stay here
    small.addParam(100).grad.fill(1);
    small.step();
    expect(splits(small)).toBe(0);
    [one.opt, two.opt, small].forEach((o) => o.dispose());
  });

  it("'auto' uses the cores here; createSync refuses threads; bad values are named", async () => {
    const opt = await RAdam.create({ threads: 'auto' });
    expect(opt.threads).toBe(Math.min(4, cores));
    opt.dispose();
    expect(() => RAdam.createSync({ threads: 2 })).toThrow(
      /threads need the worker threads started: use await RAdam.create/,
    );
    await expect(RAdam.create({ threads: 0 })).rejects.toThrow(
      /Invalid threads: 0 \(expected an integer from 1 to 64, or 'auto'\)/,
    );
    await expect(RAdam.create({ threads: 2, backend: 'js' })).rejects.toThrow(
      /threads: 2 needs shared memory .* backend 'simd' or 'auto'/,
    );
  });

  it('a worker that dies makes step() throw a clear error instead of hanging; dispose ends the workers', async () => {
    const { opt, params } = await build(2, [{}], [200_000]);
    params[0].grad.fill(1);
    opt.step();
    // Kill the worker behind the optimizer's back, as a crash would.
    (
      opt as unknown as { parts: { stepper: { pool: { handles: { terminate(): void }[] } } } }
    ).parts.stepper.pool.handles[0].terminate();
    await new Promise((r) => setTimeout(r, 200));
    expect(() => opt.step()).toThrow(/radam-wasm threads: a worker thread exited .*; dispose this optimizer/);
    expect(() => opt.step()).toThrow(/radam-wasm threads/); // and stays unusable
    opt.dispose();
    expect(() => opt.step()).toThrow(/disposed/);
  });
});
