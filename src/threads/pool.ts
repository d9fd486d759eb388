// Worker threads for the step: `worker_threads` in Node (and Bun, Deno), Web Workers in browsers.
// Each worker runs the SIMD kernel over the optimizer's shared memory; the calling thread hands
// out sub-tables through a shared control block (control.ts), takes a share itself, then waits.
import { CTRL, ctrlWords, LAYOUT, SPIN_MS, slot } from './control.js';
import { WORKER_SOURCE } from '../generated/worker-source.js';

/** How long the calling thread waits for a worker's share before it gives up (never hang). */
const TIMEOUT_MS = 10_000;

interface Handle {
  post(message: unknown): void;
  terminate(): void;
}

// Node's modules are imported by a computed name, so that bundlers for browsers and workers leave
// them alone (they are only reached in Node, Bun and Deno).
// biome-ignore lint/suspicious/noExplicitAny: node:os and node:worker_threads, typed where used
const nodeModule = (name: string): Promise<any> => import(/* @vite-ignore */ /* webpackIgnore: true */ `node:${name}`);

const isNode =
  typeof process === 'object' &&
  !!(process as { versions?: { node?: string } }).versions?.node &&
  typeof (globalThis as { window?: unknown }).window === 'undefined';

/** Whether shared memory is available here (browsers: only when cross-origin isolated). */
export function sharedMemoryAvailable(): boolean {
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return false;
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  return isolated !== false;
}

/** Hardware threads, or null where the runtime does not say (or says 0, as os.cpus() can). */
export async function hardwareThreads(): Promise<number | null> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency && nav.hardwareConcurrency > 0) return nav.hardwareConcurrency;
  if (isNode) {
    const os = await nodeModule('os');
    const n: number = os.availableParallelism?.() ?? os.cpus().length;
    if (n > 0) return n;
  }
  return null;
}

// The worker script travels as a string (src/threads/worker.ts, compiled by the build): no file
// for a bundler to find, emit or transform, so threads work in any app or library build.
type Source = { code: string; url?: string };

async function spawn(source: Source, onFail: (why: string) => void): Promise<Handle> {
  if (isNode) {
    const { Worker } = await nodeModule('worker_threads');
    const w = new Worker(source.code, { eval: true });
    w.unref(); // an optimizer that is never disposed does not keep the process alive
    w.on('error', (e: Error) => onFail(`a worker thread failed: ${String((e as Error)?.message ?? e)}`));
    w.on('exit', (code: number) => onFail(`a worker thread exited (code ${code})`));
    return {
      post: (m) => w.postMessage(m),
      terminate: () => {
        void w.terminate();
      },
    };
  }
  source.url ??= URL.createObjectURL(new Blob([source.code], { type: 'text/javascript' }));
  const w = new Worker(source.url);
  w.onerror = (e) =>
    onFail(
      `a worker thread failed: ${e.message || "its script could not start (a Content-Security-Policy must allow workers from blob: URLs, e.g. worker-src 'self' blob:)"}`,
    );
  return { post: (m) => w.postMessage(m), terminate: () => w.terminate() };
}

/** A sub-table for one thread (src/pipeline/table.ts cuts them). */
export interface Job {
  table: number;
  count: number;
}

// An optimizer dropped without dispose() would keep its workers (OS threads) forever: they are
// unref'd, so they do not keep the process alive, but nothing else ends them. The registry holds the
// pool, never the optimizer (else the optimizer could never be collected); the pool is its own
// unregister token, so dispose() unregisters it.
const collected =
  typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<ThreadPool>((pool) => pool.dispose()) : null;

export class ThreadPool {
  private broken: string | null = null;
  private disposed = false;
  private lastEnd = -Infinity;

  /** Whether the workers are still spinning after the last step (else waking them costs ~75 us). */
  get awake(): boolean {
    return performance.now() - this.lastEnd < SPIN_MS * 0.8;
  }

  private constructor(
    readonly workers: number,
    private readonly ctrl: Int32Array,
    private readonly handles: Handle[],
  ) {}

  /** @internal Starts `workers` threads stepping with `module` over `memory`; resolves when all are ready. */
  static async create(workers: number, module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<ThreadPool> {
    const ctrl = new Int32Array(new SharedArrayBuffer(ctrlWords(workers) * 4));
    let pool: ThreadPool | undefined;
    let failure: string | null = null;
    const fail = (why: string) => {
      failure ??= why;
      if (pool && !pool.disposed) pool.broken ??= why;
    };
    const handles: Handle[] = [];
    const source: Source = { code: WORKER_SOURCE };
    try {
      for (let i = 0; i < workers; i++) {
        const h = await spawn(source, fail);
        handles.push(h);
        h.post({ module, memory, ctrl: ctrl.buffer, index: i, layout: LAYOUT });
      }
      const deadline = Date.now() + TIMEOUT_MS;
      while (Atomics.load(ctrl, CTRL.READY_COUNT) < workers) {
        if (failure) throw new Error(failure);
        if (Date.now() > deadline) throw new Error('worker threads did not start within 10 s');
        await new Promise((r) => setTimeout(r, 1));
      }
    } catch (e) {
      handles.forEach((h) => h.terminate());
      throw new Error(`radam-wasm threads: ${(e as Error).message}`);
    } finally {
      if (source.url) URL.revokeObjectURL(source.url); // every worker has loaded it, or failed
    }
    pool = new ThreadPool(workers, ctrl, handles);
    return pool;
  }

  /** Throws if a worker has failed (a crashed pool is never used again). */
  check(): void {
    if (this.broken) throw new Error(`radam-wasm threads: ${this.broken}; dispose this optimizer`);
  }

  private start(jobs: Job[]): void {
    this.check();
    const c = this.ctrl;
    Atomics.store(c, CTRL.ERROR, 0);
    jobs.forEach((j, i) => {
      c[slot(i) + CTRL.TABLE] = j.table;
      c[slot(i) + CTRL.COUNT] = j.count;
    });
    Atomics.store(c, CTRL.DONE, 0);
    Atomics.add(c, CTRL.GENERATION, 1);
    Atomics.notify(c, CTRL.GENERATION);
  }

  private fail(why: string): never {
    this.broken = `${why}; the params may be partly updated`;
    throw new Error(`radam-wasm threads: ${this.broken}; dispose this optimizer`);
  }

  private timedOut(): never {
    return this.fail(`a worker thread did not finish its share within ${TIMEOUT_MS / 1000} s (it may have crashed)`);
  }

  private afterWait(): void {
    if (Atomics.load(this.ctrl, CTRL.ERROR)) this.fail('a worker thread failed during the step');
    this.lastEnd = performance.now();
  }

  /** Runs the jobs on the workers and `own` on this thread, and waits for all (this thread blocks). */
  run(jobs: Job[], own: () => void): void {
    this.start(jobs);
    own();
    const c = this.ctrl;
    const spinUntil = performance.now() + SPIN_MS,
      deadline = spinUntil + TIMEOUT_MS;
    let done: number;
    while ((done = Atomics.load(c, CTRL.DONE)) < this.workers) {
      const now = performance.now();
      if (now < spinUntil) continue;
      if (now > deadline) this.timedOut();
      Atomics.wait(c, CTRL.DONE, done, 50);
    }
    this.afterWait();
  }

  /** As run, but waits without blocking (for a browser's main thread). */
  async runAsync(jobs: Job[], own: () => void): Promise<void> {
    this.start(jobs);
    own();
    const c = this.ctrl;
    const deadline = performance.now() + TIMEOUT_MS;
    const waitAsync = (
      Atomics as {
        waitAsync?: (
          a: Int32Array,
          i: number,
          v: number,
          t: number,
        ) => { async: boolean; value: Promise<string> | string };
      }
    ).waitAsync;
    // A pending Atomics.waitAsync does not keep Node's event loop alive (the workers are unref'd):
    // a timer does, for as long as we wait.
    const keepAlive = setInterval(() => {}, 1000);
    try {
      let done: number;
      while ((done = Atomics.load(c, CTRL.DONE)) < this.workers) {
        if (this.disposed) throw new Error('RAdam: this optimizer has been disposed (during stepAsync)');
        if (this.broken) this.fail(this.broken);
        if (performance.now() > deadline) this.timedOut();
        const r = waitAsync?.(c, CTRL.DONE, done, 50);
        if (r?.async) await r.value;
        else if (!r) await new Promise((resolve) => setTimeout(resolve, 0));
      }
    } finally {
      clearInterval(keepAlive);
    }
    this.afterWait();
  }

  /**
   * Ends the workers when `owner` (the optimizer, the one object through which the pool is used) is
   * garbage-collected without dispose(). The pool must not reference `owner`.
   */
  releaseWhenCollected(owner: object): void {
    if (!this.disposed) collected?.register(owner, this, this);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    collected?.unregister(this);
    Atomics.store(this.ctrl, CTRL.STOP, 1);
    Atomics.add(this.ctrl, CTRL.GENERATION, 1);
    Atomics.notify(this.ctrl, CTRL.GENERATION);
    this.handles.forEach((h) => h.terminate());
  }
}
