// A worker thread of the pool in src/threads/pool.ts: it instantiates the SIMD kernel over the
// optimizer's shared memory, then steps the share of the tensors the calling thread gives it.
// Control is through a shared Int32Array (layout in pool.ts), never through messages, so the
// calling thread can wait synchronously.
import { CTRL, SPIN_MS, slot } from './control.js';

interface Start { module: WebAssembly.Module; memory: WebAssembly.Memory; ctrl: SharedArrayBuffer; index: number; exportName: string }

async function port(): Promise<{ on(handler: (data: Start) => void): void }> {
  if (typeof process === 'object' && process.versions?.node && typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === 'undefined') {
    const name = 'node:worker_threads'; // computed: bundlers for browsers leave it alone
    const { parentPort } = await import(/* @vite-ignore */ /* webpackIgnore: true */ name);
    return { on: (h) => parentPort!.once('message', h) };
  }
  return { on: (h) => { (self as unknown as { onmessage: (e: MessageEvent) => void }).onmessage = (e) => h(e.data); } };
}

(await port()).on(async ({ module, memory, ctrl: buffer, index, exportName }) => {
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const step = instance.exports[exportName] as (table: number, count: number) => void;
  const ctrl = new Int32Array(buffer);
  const s = slot(index);
  Atomics.store(ctrl, s + CTRL.READY, 1);
  Atomics.add(ctrl, CTRL.READY_COUNT, 1);
  Atomics.notify(ctrl, CTRL.READY_COUNT);
  let seen = Atomics.load(ctrl, CTRL.GENERATION);
  for (;;) {
    // Spin briefly for the next step (back-to-back steps find the worker awake), then sleep.
    let gen = Atomics.load(ctrl, CTRL.GENERATION);
    const until = performance.now() + SPIN_MS;
    while (gen === seen && performance.now() < until) gen = Atomics.load(ctrl, CTRL.GENERATION);
    while (gen === seen) {
      Atomics.wait(ctrl, CTRL.GENERATION, seen);
      gen = Atomics.load(ctrl, CTRL.GENERATION);
    }
    seen = gen;
    if (Atomics.load(ctrl, CTRL.STOP)) return;
    const count = ctrl[s + CTRL.COUNT];
    if (count > 0) step(ctrl[s + CTRL.TABLE] >>> 0, count);
    Atomics.add(ctrl, CTRL.DONE, 1);
    Atomics.notify(ctrl, CTRL.DONE);
  }
});
