// The smoke test every runtime runs: backend detection, then a few torch golden cases on the
// backend 'auto' picked and on every other backend the runtime supports, judged with the golden
// tolerance; a short run with the weight EMA, accumulation and clipValue, the same bits on every
// backend, and again with bfloat16 state; threads against one thread, with either state. The
// caller passes the RAdam it loaded and the cases; the only import is the (dependency-free) golden
// runner.
import { runCase, worstError, TOLERANCE } from '../support/golden-runner.mjs';

export async function smoke(RAdam, cases) {
  const probe = await RAdam.create();
  const auto = probe.backend;
  probe.dispose();
  const results = [];
  const extras = [];
  const halves = []; // the same with bfloat16 state
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
    extras.push({ backend, bits: await extrasRun(RAdam, { backend }) });
    halves.push({ backend, bits: await extrasRun(RAdam, { backend, stateDtype: 'bfloat16', amsgrad: true }) });
  }
  // Every backend must give the first one's bits.
  const differ = extras.filter((x) => x.bits !== extras[0].bits).map((x) => x.backend);
  results.push({
    backend: extras.map((x) => x.backend).join('='),
    name: 'ema+accumulate+clipValue',
    worst: 0,
    ok: differ.length === 0,
    error: differ.length ? `bits of ${differ.join(', ')} differ from ${extras[0].backend}` : undefined,
  });
  const differ16 = halves.filter((x) => x.bits !== halves[0].bits).map((x) => x.backend);
  results.push({
    backend: halves.map((x) => x.backend).join('='),
    name: 'bfloat16 state (ema+accumulate+clipValue+amsgrad)',
    worst: 0,
    ok: differ16.length === 0,
    error: differ16.length ? `bits of ${differ16.join(', ')} differ from ${halves[0].backend}` : undefined,
  });
  const [f32, bf16] = [await threadsCheck(RAdam, 'float32'), await threadsCheck(RAdam, 'bfloat16')];
  const threads = { ...f32, same: f32.same && bf16.same, error: f32.error ?? bf16.error };
  if (f32.same && !bf16.same) threads.error ??= 'bfloat16 state: bits differ from one thread';
  return { auto, results, threads };
}

/** 9 calls with ema (warmup), accumulate 3, clipValue and maxGradNorm: the params' and EMA's bits, as hex. */
async function extrasRun(RAdam, options) {
  const opt = await RAdam.create({
    ...options,
    lr: 0.05,
    ema: { decay: 0.9, warmup: true },
    accumulate: 3,
    clipValue: 0.75,
    maxGradNorm: 20,
  });
  const w = opt.addParam(Float32Array.from({ length: 1031 }, (_, i) => Math.sin(i)));
  for (let t = 1; t <= 9; t++) {
    w.grad.set(Float32Array.from({ length: w.size }, (_, i) => Math.cos(i * t) * (1 + (i % 7))));
    opt.step();
  }
  const hex = (a) => Array.from(new Uint32Array(a.slice().buffer), (x) => x.toString(16)).join('');
  const words = (name) => Array.from(w.stateWords?.(name) ?? [], (x) => x.toString(16)).join('');
  const bits = hex(w.data) + hex(w.ema) + words('expAvg') + words('expAvgSq') + words('maxExpAvgSq');
  opt.dispose();
  return bits;
}

/** threads: 'auto' against one thread on the same steps (stepAsync: a browser's main thread may not block). */
async function threadsCheck(RAdam, stateDtype) {
  const n = 100_003; // the split cuts the tensor off a multiple of 8: bfloat16's hash lanes must still line up
  const make = async (threads) => {
    const opt = await RAdam.create({
      threads,
      lr: 0.01,
      ema: { decay: 0.5 },
      accumulate: 2,
      clipValue: 0.5,
      stateDtype,
    });
    const w = opt.addParam(Float32Array.from({ length: n }, (_, i) => Math.sin(i)));
    return { opt, w };
  };
  try {
    const [one, auto] = [await make(1), await make('auto')];
    auto.opt._minSplit = 0; // split every step where there are threads: the workers must really run
    for (let t = 1; t <= 12; t++) {
      for (const o of [one, auto]) o.w.grad.set(o.w.data);
      one.opt.step();
      await auto.opt.stepAsync();
    }
    let same = true;
    for (let i = 0; i < n; i++)
      if (!Object.is(one.w.data[i], auto.w.data[i]) || !Object.is(one.w.ema[i], auto.w.ema[i])) {
        same = false;
        break;
      }
    const v1 = one.w.expAvgSq,
      v2 = auto.w.expAvgSq;
    for (let i = 0; i < n && same; i++) if (!Object.is(v1[i], v2[i])) same = false;
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
