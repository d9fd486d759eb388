// The demo's Post-LN Transformer (demo/lib/transformer.mjs): every gradient element of every
// tensor against central finite differences in float64, a deliberately wrong gradient failing the
// same check, float32 agreeing with float64, and bit-for-bit determinism.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript module without types
import { makeBatch } from '../demo/lib/seq-task.mjs';
import {
  accuracy,
  createWorkspace,
  evaluate,
  loss,
  lossAndGrad,
  modelSpec,
  mulberry32,
  // @ts-expect-error: plain JavaScript module without types
} from '../demo/lib/transformer.mjs';

type Arr = Float32Array | Float64Array;
interface Spec {
  name: string;
  size: number;
  init: (rng: () => number) => Float32Array;
}

const TINY = { vocab: 7, seqLen: 5, dModel: 8, heads: 2, layers: 2, dFF: 16, batch: 2 };

function setup(cfg: Record<string, unknown>, seed = 1) {
  const spec: Spec[] = modelSpec(cfg);
  const rng = mulberry32(seed);
  const w32 = spec.map((t) => t.init(rng));
  // Small random biases/gains too, so that no gradient is trivially zero or trivially right.
  const jitter = mulberry32(seed + 100);
  for (const w of w32) for (let i = 0; i < w.length; i++) w[i] += 0.1 * (jitter() - 0.5);
  const batch = makeBatch(mulberry32(seed + 7), { ...cfg, task: 'reverse' });
  batch.targets[3] = -1; // one position not predicted
  return { spec, w32, batch };
}

/** Largest violation of |analytic - numeric| <= atol + rtol * |numeric| over every element, in units of the bound. */
function worstViolation(analytic: Arr[], numeric: Float64Array[], atol: number, rtol: number) {
  let worst = 0,
    where = '';
  analytic.forEach((g, t) => {
    for (let i = 0; i < g.length; i++) {
      const r = Math.abs(g[i] - numeric[t][i]) / (atol + rtol * Math.abs(numeric[t][i]));
      if (r > worst) {
        worst = r;
        where = `tensor ${t}[${i}]: ${g[i]} vs ${numeric[t][i]}`;
      }
    }
  });
  return { worst, where };
}

function finiteDifferences(cfg: Record<string, unknown>, w: Float64Array[], batch: unknown, h: number) {
  const ws = createWorkspace(cfg, Float64Array);
  return w.map((t) => {
    const fd = new Float64Array(t.length);
    for (let i = 0; i < t.length; i++) {
      const x = t[i];
      t[i] = x + h;
      const up = loss(cfg, w, batch, ws);
      t[i] = x - h;
      const down = loss(cfg, w, batch, ws);
      t[i] = x;
      fd[i] = (up - down) / (2 * h);
    }
    return fd;
  });
}

describe('Post-LN Transformer', () => {
  it.each([
    ['bidirectional', {}],
    ['causal, sinusoidal positions, 1 head', { causal: true, positional: 'sinusoidal', heads: 1 }],
  ])('every gradient element matches float64 central differences (%s)', (_, extra) => {
    const cfg = { ...TINY, ...extra };
    const { spec, w32, batch } = setup(cfg);
    const w = w32.map((a) => Float64Array.from(a));
    const g = spec.map((t) => new Float64Array(t.size).fill(Number.NaN)); // must be overwritten
    const ws = createWorkspace(cfg, Float64Array);
    const l = lossAndGrad(cfg, w, g, batch, ws);
    expect(l).toBeGreaterThan(0.5);
    expect(l).toBeCloseTo(loss(cfg, w, batch, ws), 12);
    const fd = finiteDifferences(cfg, w, batch, 1e-5);
    // Every tensor gets a non-trivial gradient (none is silently disconnected), except the key
    // biases: q.bk shifts a whole row of scores, which softmax ignores, so their gradient is 0.
    g.forEach((t, i) => {
      if (spec[i].name.endsWith('.bk')) {
        expect(Math.max(...Array.from(t, Math.abs))).toBeLessThan(1e-12);
        return;
      }
      expect(Math.max(...Array.from(t, Math.abs)), spec[i].name).toBeGreaterThan(1e-6);
    });
    const ok = worstViolation(g, fd, 1e-8, 1e-5);
    expect(ok.worst, ok.where).toBeLessThan(1);
    // The same check catches a gradient off by 0.1% in a single element of any one tensor.
    for (const t of [0, 1, 2 + 4, 2 + 8, 2 + 16 + 11, spec.length - 2]) {
      const bad = g.map((a) => Float64Array.from(a));
      let i = 0;
      for (let k = 0; k < bad[t].length; k++) if (Math.abs(bad[t][k]) > Math.abs(bad[t][i])) i = k;
      bad[t][i] *= 1.001;
      expect(worstViolation(bad, fd, 1e-8, 1e-5).worst, spec[t].name).toBeGreaterThan(1);
    }
  });

  it('float32 gradients agree with float64 ones', () => {
    const { spec, w32, batch } = setup(TINY, 3);
    const g32 = spec.map((t) => new Float32Array(t.size));
    const g64 = spec.map((t) => new Float64Array(t.size));
    const l32 = lossAndGrad(TINY, w32, g32, batch, createWorkspace(TINY));
    const l64 = lossAndGrad(
      TINY,
      w32.map((a) => Float64Array.from(a)),
      g64,
      batch,
      createWorkspace(TINY, Float64Array),
    );
    expect(l32).toBeCloseTo(l64, 5);
    const scale = Math.max(...g64.map((a) => Math.max(...Array.from(a, Math.abs))));
    const { worst, where } = worstViolation(g32, g64, 1e-5 * scale, 1e-3);
    expect(worst, where).toBeLessThan(1);
  });

  it('is deterministic: two identical training runs give the same bits', () => {
    const cfg = { vocab: 10, seqLen: 8, dModel: 16, heads: 4, layers: 2, batch: 8 };
    const run = () => {
      const spec: Spec[] = modelSpec(cfg);
      const rng = mulberry32(42);
      const w = spec.map((t) => t.init(rng));
      const g = spec.map((t) => new Float32Array(t.size));
      const ws = createWorkspace(cfg);
      const data = mulberry32(9);
      const losses: number[] = [];
      for (let s = 0; s < 20; s++) {
        losses.push(lossAndGrad(cfg, w, g, makeBatch(data, { ...cfg, task: 'reverse' }), ws));
        w.forEach((a, t) => {
          for (let i = 0; i < a.length; i++) a[i] -= 0.05 * g[t][i];
        });
      }
      const held = makeBatch(mulberry32(5), { ...cfg, task: 'reverse' }, 20);
      return {
        losses,
        w,
        eval: evaluate(cfg, w, held, ws),
        acc: accuracy(cfg, w, makeBatch(mulberry32(6), { ...cfg, task: 'reverse' }), ws),
      };
    };
    const a = run(),
      b = run();
    expect(a.losses).toEqual(b.losses);
    expect(a.losses[19]).toBeLessThan(a.losses[0]);
    a.w.forEach((t, i) => {
      expect(new Uint32Array(t.buffer)).toEqual(new Uint32Array(b.w[i].buffer));
    });
    expect(a.eval).toEqual(b.eval);
    expect(a.acc).toEqual(b.acc);
  });
});
