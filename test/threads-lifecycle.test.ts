// The worker threads' lifetime: an optimizer dropped without dispose() must not keep its workers
// (OS threads) alive. The tests force garbage collection: --expose-gc set at run time, as vitest
// starts its workers without it.
import fs from 'node:fs';
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createThreaded } from '../src/backends/select.js';
import { RAdam } from '../src/index.js';
import type { ThreadPool } from '../src/threads/pool.js';

v8.setFlagsFromString('--expose-gc');
const gc: () => void = (globalThis as { gc?: () => void }).gc ?? vm.runInNewContext('gc');

/** This process's OS threads (Linux); null where /proc is missing, and then that assertion is skipped. */
const osThreads = (): number | null =>
  fs.existsSync('/proc/self/task') ? fs.readdirSync('/proc/self/task').length : null;

const tick = () => new Promise((r) => setTimeout(r, 20));

/**
 * Collects until `done()` holds: finalizers run as tasks after a collection, workers exit after
 * terminate(). A WeakRef's deref() keeps its target alive until the job ends, so gc() runs in a
 * later task than the check.
 */
async function collectUntil(done: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    await tick();
    gc();
    await tick();
    if (done()) return true;
    if (Date.now() > deadline) return false;
  }
}

/** The thread count once workers ended by an earlier dispose() have exited. */
async function settledThreads(): Promise<number | null> {
  let last = osThreads();
  for (let i = 0; i < 50 && last !== null; i++) {
    await tick();
    const now = osThreads();
    if (now === last) break;
    last = now;
  }
  return last;
}

const poolOf = (opt: RAdam) => (opt as unknown as { parts: { stepper: { pool: ThreadPool } } }).parts.stepper.pool;
const disposed = (pool: ThreadPool) => (pool as unknown as { disposed: boolean }).disposed;

/** A pool of one worker, as RAdam.create({ threads: 2 }) starts. */
async function newPool(): Promise<ThreadPool> {
  const threaded = await createThreaded(RAdam.kernels, 'auto', 2);
  return threaded!.pool;
}

// Objects to be collected are made in helpers that return no reference to them: a suspended async
// function's frame may still hold the last value a loop in it assigned.

/** A stand-in owner of a new pool: releaseWhenCollected on it, as RAdam.make does on the optimizer. */
async function ownedPool(): Promise<{ pool: ThreadPool; owner: WeakRef<object> }> {
  const pool = await newPool();
  const owner = { pool }; // as the optimizer references its pool
  pool.releaseWhenCollected(owner);
  return { pool, owner: new WeakRef(owner) };
}

/** A threaded RAdam that has split a step; only its pool (which must not reference it) and a WeakRef leave. */
async function droppedOptimizer(): Promise<{ pool: ThreadPool; opt: WeakRef<RAdam> }> {
  const opt = await RAdam.create({ threads: 2 });
  (opt as unknown as { _minSplit: number })._minSplit = 0; // the worker really steps
  opt.addParam(new Float32Array(5000).fill(1)).grad.fill(1);
  opt.step();
  expect((opt as unknown as { _splits: number })._splits).toBe(1);
  return { pool: poolOf(opt), opt: new WeakRef(opt) };
}

describe.skipIf(os.availableParallelism() < 2)('worker threads of an optimizer that is never disposed', () => {
  it('releaseWhenCollected ends the workers when the owner is collected, and the pool does not keep it alive', async () => {
    (await newPool()).dispose(); // warm up: what the first pool starts once (libuv, V8) stays
    const before = await settledThreads();
    const owned = [await ownedPool(), await ownedPool(), await ownedPool()];
    if (before !== null) expect(osThreads()).toBe(before + 3);
    expect(await collectUntil(() => owned.every((o) => o.owner.deref() === undefined))).toBe(true);
    expect(await collectUntil(() => owned.every((o) => disposed(o.pool)))).toBe(true);
    if (before !== null) expect(await collectUntil(() => osThreads() === before)).toBe(true);
  });

  it('dispose() unregisters: a disposed pool is not disposed again when its owner is collected', async () => {
    const { pool, owner } = await ownedPool();
    pool.dispose();
    let calls = 0;
    pool.dispose = () => void calls++;
    expect(await collectUntil(() => owner.deref() === undefined)).toBe(true);
    await tick(); // time for a finalizer that should not run
    expect(calls).toBe(0);
    expect(disposed(pool)).toBe(true);
  });

  it('a dropped threaded optimizer is collected (nothing keeps it reachable)', async () => {
    const dropped = [await droppedOptimizer(), await droppedOptimizer()]; // their pools stay referenced
    expect(await collectUntil(() => dropped.every((d) => d.opt.deref() === undefined))).toBe(true);
    dropped.forEach((d) => d.pool.dispose());
  });

  // Needs the lead's wiring: `pool?.releaseWhenCollected(opt)` in RAdam.make (src/optimizer/radam.ts).
  it('ten dropped threaded optimizers end their ten workers when collected (needs the RAdam.make wiring)', async () => {
    const before = await settledThreads();
    const dropped: { pool: ThreadPool; opt: WeakRef<RAdam> }[] = [];
    for (let i = 0; i < 10; i++) dropped.push(await droppedOptimizer());
    if (before !== null) expect(osThreads()).toBe(before + 10);
    expect(await collectUntil(() => dropped.every((d) => disposed(d.pool)))).toBe(true);
    if (before !== null) expect(await collectUntil(() => osThreads() === before)).toBe(true);
  });

  it('an explicitly disposed optimizer ends its worker at once', async () => {
    const before = await settledThreads();
    const opt = await RAdam.create({ threads: 2 });
    const pool = poolOf(opt);
    if (before !== null) expect(osThreads()).toBe(before + 1);
    opt.dispose();
    expect(disposed(pool)).toBe(true);
    if (before !== null) expect(await collectUntil(() => osThreads() === before)).toBe(true);
  });
});
