// The worker of bench/bf16/stream.mjs: streams the second half of the arrays when the calling thread
// bumps the generation (spinning 0.5 ms for it, then sleeping, as the optimizer's workers do).
import { workerData } from 'node:worker_threads';

// The control block's words, as in stream.mjs (not imported: it imports assemblyscript).
const CTRL = { GENERATION: 0, DONE: 1, STOP: 2, READY: 3, KIND: 4, ARGS: 5 };
const SPIN_MS = 0.5;

const { module, memory, ctrl: buffer } = workerData;
const { exports } = await WebAssembly.instantiate(module, { env: { memory } });
const ctrl = new Int32Array(buffer);
Atomics.store(ctrl, CTRL.READY, 1);
let seen = Atomics.load(ctrl, CTRL.GENERATION);
for (;;) {
  let gen = Atomics.load(ctrl, CTRL.GENERATION);
  const until = performance.now() + SPIN_MS;
  while (gen === seen && performance.now() < until) gen = Atomics.load(ctrl, CTRL.GENERATION);
  while (gen === seen) {
    Atomics.wait(ctrl, CTRL.GENERATION, seen);
    gen = Atomics.load(ctrl, CTRL.GENERATION);
  }
  seen = gen;
  if (Atomics.load(ctrl, CTRL.STOP)) break;
  const a = CTRL.ARGS;
  (ctrl[CTRL.KIND] === 28 ? exports.stream28 : exports.stream20)(
    ctrl[a],
    ctrl[a + 1],
    ctrl[a + 2],
    ctrl[a + 3],
    ctrl[a + 4],
  );
  Atomics.store(ctrl, CTRL.DONE, 1);
  Atomics.notify(ctrl, CTRL.DONE);
}
