// A worker thread of the pool in src/threads/pool.ts: it instantiates the SIMD kernel over the
// optimizer's shared memory, then steps the share of the tensors the calling thread gives it.
// Control is through a shared Int32Array whose layout arrives in the start message, never through
// messages, so that the calling thread can wait synchronously.
//
// This file is not shipped as a file: scripts/build-embedded.mjs compiles it into a string
// (src/generated/worker-source.ts) that the pool starts from a Blob URL (browsers) or with
// `eval: true` (worker_threads). So it must stay a classic script: no import or export, no
// top-level await, nothing from the outside scope. Then no bundler has to find, emit or transform
// it (Vite and webpack bundle worker files as classic scripts; Rollup does not emit them at all).
import type { Layout } from './control.js';

interface Start {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctrl: SharedArrayBuffer;
  index: number;
  layout: Layout;
}

async function workerMain(): Promise<void> {
  let listen: (handler: (data: Start) => void) => void;
  const inNode =
    typeof process === 'object' &&
    !!process.versions?.node &&
    typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === 'undefined';
  if (inNode) {
    const { parentPort } = await import('node:worker_threads');
    listen = (h) => parentPort!.once('message', h);
  } else {
    listen = (h) => {
      (self as unknown as { onmessage: (e: MessageEvent) => void }).onmessage = (e) => h(e.data);
    };
  }
  listen(async ({ module, memory, ctrl: buffer, index, layout: L }) => {
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const step = instance.exports[L.STEP_EXPORT] as (table: number, count: number) => void;
    const ctrl = new Int32Array(buffer);
    const s = L.SLOT_BASE + index * L.SLOT_WORDS;
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
}

void workerMain();
