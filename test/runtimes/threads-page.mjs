// threads: 'auto' here, against threads: 1, on the same steps: the bits must agree. A browser's
// main thread may not block, so the split step is stepAsync().
import { RAdam } from '../../dist/index.js';

const n = 100_000;
const make = async (threads) => {
  const opt = await RAdam.create({ threads, lr: 0.01 });
  const w = opt.addParam(Float32Array.from({ length: n }, (_, i) => Math.sin(i)));
  return { opt, w };
};
const [one, auto] = [await make(1), await make('auto')];
auto.opt._minSplit = 0; // split every step: the workers must really run
for (let t = 1; t <= 10; t++) {
  for (const o of [one, auto]) o.w.grad.set(o.w.data.map((x, i) => x + Math.cos(t * i)));
  one.opt.step();
  await auto.opt.stepAsync();
}
let same = true;
for (let i = 0; i < n; i++)
  if (!Object.is(one.w.data[i], auto.w.data[i])) {
    same = false;
    break;
  }
window.threadsResult = {
  isolated: globalThis.crossOriginIsolated === true,
  threads: auto.opt.threads,
  same,
  splits: auto.opt._splits,
};
one.opt.dispose();
auto.opt.dispose();
