// The memory-bandwidth ceilings of the bfloat16 section: the float32 step's traffic (28 B/element,
// the bench's roofline loop) and the bfloat16 step's (20 B/element), on 1 thread and on 2 (the
// calling thread and one worker, each streaming half, handed out through a shared Int32Array the
// way the optimizer's thread pool does it: the worker spins 0.5 ms for the next step, then sleeps).
import asc from 'assemblyscript/asc';
import { Worker } from 'node:worker_threads';
import { ROOT } from '../lib/asc.mjs';

/** Bytes per element moved by one step: float32 state (read p, g, m, v; write p, m, v) and bfloat16 state. */
export const BYTES = { f32: 28, bf16: 20 };

// The control block's words (shared with stream-worker.mjs).
export const CTRL = { GENERATION: 0, DONE: 1, STOP: 2, READY: 3, KIND: 4, ARGS: 5 };
const SPIN_MS = 0.5;
const PAGE = 65536;

let compiled;
/** Compiles stream.ts in memory (no file written; ~1 s), once per process. */
async function compile(log) {
  if (compiled) return compiled;
  log('compiling bench/bf16/stream.ts (shared memory)');
  const files = {};
  const { error, stderr } = await asc.main(
    [
      'bench/bf16/stream.ts',
      '--baseDir',
      ROOT,
      '--enable',
      'simd,threads',
      '--runtime',
      'stub',
      '--noAssert',
      '--use',
      'abort=',
      '-O3',
      '--importMemory',
      '--sharedMemory',
      '--initialMemory',
      '1',
      '--maximumMemory',
      '65536',
      '--outFile',
      'stream.wasm',
    ],
    { writeFile: (name, contents) => (files[name] = contents) },
  );
  if (error) throw new Error(`asc failed: ${error.message}\n${stderr.toString()}`);
  compiled = await WebAssembly.compile(files['stream.wasm']);
  return compiled;
}

/**
 * Arrays for n elements in a fresh shared memory: p, g, m, v as float32 (the 28-B stream) and m, v
 * as bfloat16 words (the 20-B stream), 64-byte aligned, every page touched. Then `make(bytes,
 * threads)` gives a case's { step, dispose }; `dispose()` ends the worker.
 */
export async function streams(n, log = () => {}) {
  if (n % 32) throw new Error('streams: n must be a multiple of 32 (each thread streams whole 16-element blocks)');
  const module = await compile(log);
  const f32 = n * 4,
    bf16 = n * 2;
  const base = PAGE; // the module's static data (none but the heap base) lives below
  const layout = { p: base, g: base + f32, m: base + 2 * f32, v: base + 3 * f32 };
  layout.m16 = base + 4 * f32;
  layout.v16 = layout.m16 + bf16;
  const pages = Math.ceil((layout.v16 + bf16) / PAGE);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: 65536, shared: true });
  const { exports } = await WebAssembly.instantiate(module, { env: { memory } });
  if (exports.heapBase() > base) throw new Error('streams: static data above the first page');
  new Uint32Array(memory.buffer, base, (layout.v16 + bf16 - base) / 4).fill(0x3f800000);

  const ctrl = new Int32Array(new SharedArrayBuffer(16 * 4));
  const worker = new Worker(new URL('./stream-worker.mjs', import.meta.url), {
    workerData: { module, memory, ctrl: ctrl.buffer },
  });
  worker.unref();
  let failure = null;
  worker.on('error', (e) => (failure = e));
  const deadline = Date.now() + 10_000;
  while (!Atomics.load(ctrl, CTRL.READY)) {
    if (failure) throw failure;
    if (Date.now() > deadline) throw new Error('streams: the worker did not start within 10 s');
    await new Promise((r) => setTimeout(r, 1));
  }

  // One call per thread, over whole arrays (1 thread) or each half (2 threads).
  const args = (bytes, from, count) => {
    const [m, v, w] = bytes === BYTES.f32 ? [layout.m, layout.v, 4] : [layout.m16, layout.v16, 2];
    return [layout.p + 4 * from, layout.g + 4 * from, m + w * from, v + w * from, count];
  };
  const fn = (bytes) => (bytes === BYTES.f32 ? exports.stream28 : exports.stream20);
  const make = (bytes, threads) => {
    const run = fn(bytes);
    if (threads === 1) {
      const a = args(bytes, 0, n);
      return { step: () => run(...a) };
    }
    const half = n / 2;
    const own = args(bytes, 0, half),
      theirs = args(bytes, half, half);
    return {
      step: () => {
        Atomics.store(ctrl, CTRL.KIND, bytes);
        theirs.forEach((x, i) => (ctrl[CTRL.ARGS + i] = x));
        Atomics.store(ctrl, CTRL.DONE, 0);
        Atomics.add(ctrl, CTRL.GENERATION, 1);
        Atomics.notify(ctrl, CTRL.GENERATION);
        run(...own);
        const spinUntil = performance.now() + SPIN_MS;
        while (!Atomics.load(ctrl, CTRL.DONE)) {
          if (failure) throw failure;
          if (performance.now() >= spinUntil) Atomics.wait(ctrl, CTRL.DONE, 0, 50);
        }
      },
    };
  };
  const dispose = () => {
    Atomics.store(ctrl, CTRL.STOP, 1);
    Atomics.add(ctrl, CTRL.GENERATION, 1);
    Atomics.notify(ctrl, CTRL.GENERATION);
    void worker.terminate();
  };
  return { make, dispose };
}
