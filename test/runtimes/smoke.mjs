// The smoke test every runtime runs: backend detection, then a few torch golden cases on the
// backend 'auto' picked and on every other backend the runtime supports, judged with the golden
// tolerance. The caller passes the RAdam it loaded and the cases; the only import is the
// (dependency-free) golden runner.
import { runCase, worstError, TOLERANCE } from '../support/golden-runner.mjs';

export async function smoke(RAdam, cases) {
  const probe = await RAdam.create();
  const auto = probe.backend;
  probe.dispose();
  const results = [];
  for (const backend of ['simd', 'scalar', 'js']) {
    let ready = true;
    try {
      await RAdam.ready(backend);
    } catch {
      ready = false;
    }
    if (!ready) {
      results.push({ backend, skipped: 'not supported here' });
      continue;
    }
    for (const c of cases) {
      let worst, error;
      try {
        worst = worstError(c, await runCase(RAdam, c, backend));
      } catch (e) {
        error = String(e?.message ?? e);
      }
      results.push({ backend, name: c.name, worst, ok: error === undefined && worst <= TOLERANCE, error });
    }
  }
  return { auto, results, threads: await threadsCheck(RAdam) };
}

/** threads: 'auto' against one thread on the same steps (stepAsync: a browser's main thread may not block). */
async function threadsCheck(RAdam) {
  const n = 100_000;
  const make = async (threads) => {
    const opt = await RAdam.create({ threads, lr: 0.01 });
    const w = opt.addParam(Float32Array.from({ length: n }, (_, i) => Math.sin(i)));
    return { opt, w };
  };
  try {
    const [one, auto] = [await make(1), await make('auto')];
    auto.opt._minSplit = 0; // split every step where there are threads: the workers must really run
    for (let t = 1; t <= 6; t++) {
      for (const o of [one, auto]) o.w.grad.set(o.w.data);
      one.opt.step();
      await auto.opt.stepAsync();
    }
    let same = true;
    for (let i = 0; i < n; i++)
      if (!Object.is(one.w.data[i], auto.w.data[i])) {
        same = false;
        break;
      }
    const threads = auto.opt.threads,
      splits = auto.opt._splits;
    one.opt.dispose();
    auto.opt.dispose();
    return { threads, same: same && (threads === 1 || splits === 6), splits };
  } catch (e) {
    return { threads: 0, same: false, error: String(e?.message ?? e) };
  }
}

/** The golden cases the matrix runs: small, and covering both step modes, 0/1 elements, options. */
export const SMOKE_CASES = [
  'defaults',
  'one_element',
  'empty_tensor',
  'maximize',
  'decoupled_weight_decay_0.1',
  'large_1031',
];
