// A worker thread of the pool in src/threads/pool.ts: it instantiates the SIMD kernel over the
// optimizer's shared memory, then steps the share of the tensors the calling thread gives it.
// Control is through a shared Int32Array whose layout arrives in the start message (so this file
// imports nothing and can be loaded on its own), never through messages, so that the calling
// thread can wait synchronously.
import type { Layout } from './control.js';

interface Start {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctrl: SharedArrayBuffer;
  index: number;
  exportName: string;
  layout: Layout;
}

async function port(): Promise<{ on(handler: (data: Start) => void): void }> {
  if (
    typeof process === 'object' &&
    process.versions?.node &&
    typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === 'undefined'
  ) {
    const name = 'node:worker_threads'; // computed: bundlers for browsers leave it alone
    const { parentPort } = await import(/* @vite-ignore */ /* webpackIgnore: true */ name);
    return { on: (h) => parentPort!.once('message', h) };
  }
  return {
    on: (h) => {
      (self as unknown as { onmessage: (e: MessageEvent) => void }).onmessage = (e) => h(e.data);
    },
  };
}

(await port()).on(async ({ module, memory, ctrl: buffer, index, exportName, layout: L }) => {
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const step = instance.exports[exportName] as (table: number, count: number) => void;
  const ctrl = new Int32Array(buffer);
  const s = L.SLOT_BASE + index * L.SLOT_WORDS;
  Atomics.store(ctrl, s + L.READY, 1);
  Atomics.add(ctrl, L.READY_COUNT, 1);
  Atomics.notify(ctrl, L.READY_COUNT);
  let seen = Atomics.load(ctrl, L.GENERATION);
  for (;;) {
    // Spin briefly for the next step (back-to-back steps find the worker awake), then sleep.
    let gen = Atomics.load(ctrl, L.GENERATION);
    const until = performance.now() + L.SPIN_MS;
    while (gen === seen && performance.now() < until) gen = Atomics.load(ctrl, L.GENERATION);
    while (gen === seen) {
      Atomics.wait(ctrl, L.GENERATION, seen);
      gen = Atomics.load(ctrl, L.GENERATION);
    }
    seen = gen;
    if (Atomics.load(ctrl, L.STOP)) return;
    const count = ctrl[s + L.COUNT];
    try {
      if (count > 0) step(ctrl[s + L.TABLE] >>> 0, count);
    } catch {
      Atomics.store(ctrl, L.ERROR, 1); // the calling thread wakes and reports it at once
    }
    Atomics.add(ctrl, L.DONE, 1);
    Atomics.notify(ctrl, L.DONE);
  }
});
