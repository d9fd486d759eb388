// The demo's code (demo/lib): every arm of the main experiment runs a few steps (Adam-2k really
// freezes the params and m), the run is deterministic, and the second, quick MLP task still learns.
// The Transformer's gradients are checked in test/transformer.test.ts.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript module without types
import { initWeights, lossAndGrad, spirals } from '../demo/lib/task.mjs';
// @ts-expect-error: plain JavaScript module without types
import { train } from '../demo/lib/train.mjs';
// @ts-expect-error: plain JavaScript module without types
import { ARMS, trainRun } from '../demo/lib/paper.mjs';

const tiny = {
  steps: 12,
  batch: 4,
  model: { dModel: 8, heads: 2, layers: 2, dFF: 16 },
  task: { task: 'reverse', vocab: 6, seqLen: 5 },
  betas: [0.9, 0.999],
  warmupSteps: 4,
  secondMomentSteps: 5,
  curveEvery: 1,
  deltaSteps: 3,
  medianDeltaSteps: 3,
};

describe('demo: the paper arms on the Post-LN Transformer', () => {
  it.each(Object.keys(ARMS))('%s runs, changes the weights and reports its figures', async (arm) => {
    const lr = arm === 'sgd' ? 0.1 : 0.003;
    const r = await trainRun({ ...tiny, arm, lr, seed: 1 });
    expect(r.curve).toHaveLength(12);
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(r.deltas).toHaveLength(3);
    expect(r.deltas[0].reduce((a: number, b: number) => a + b, 0)).toBe(r.params);
    expect(r.medianDelta).toBeGreaterThanOrEqual(0);
  });

  it('Adam-2k freezes the params and m for its first K steps, updating v; then trains', async () => {
    const seen: { p: Float32Array[]; m: Float32Array[]; v: Float32Array[] }[] = [];
    type P = { data: Float32Array; expAvg: Float32Array; expAvgSq: Float32Array };
    await trainRun(
      { ...tiny, arm: 'adam-2k', lr: 0.003, seed: 2 },
      {
        onStep: (_t: number, _loss: number, _opt: unknown, params: P[]) =>
          seen.push({
            p: params.map((q) => q.data.slice()),
            m: params.map((q) => q.expAvg.slice()),
            v: params.map((q) => q.expAvgSq.slice()),
          }),
      },
    );
    const K = tiny.secondMomentSteps;
    const same = (a: Float32Array[], b: Float32Array[]) => a.every((x, i) => x.every((y, j) => Object.is(y, b[i][j])));
    for (let t = 1; t < K; t++) {
      expect(same(seen[t].p, seen[0].p), `params at step ${t + 1}`).toBe(true);
      expect(seen[t].m.every((x) => x.every((y) => y === 0))).toBe(true);
      expect(same(seen[t].v, seen[t - 1].v)).toBe(false);
    }
    expect(same(seen[K].p, seen[K - 1].p)).toBe(false); // step K + 1 is Adam's first
  });

  it('is deterministic: the same job gives the same bits', async () => {
    const a = await trainRun({ ...tiny, arm: 'radam', lr: 0.003, seed: 3 });
    const b = await trainRun({ ...tiny, arm: 'radam', lr: 0.003, seed: 3 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });
});

describe('demo: the MLP task (node demo/mlp.mjs)', () => {
  it('backprop matches finite differences', () => {
    const data = spirals({ perClass: 10 });
    const layers = initWeights([2, 8, 8, 4], 3);
    const idx = Array.from({ length: 40 }, (_: unknown, i: number) => i);
    const grads = layers.map((l: { W: Float32Array; b: Float32Array }) => ({
      W: new Float32Array(l.W.length),
      b: new Float32Array(l.b.length),
    }));
    lossAndGrad(layers, data, idx, grads);
    for (const [l, key, i] of [
      [0, 'W', 3],
      [1, 'W', 17],
      [1, 'b', 2],
      [2, 'W', 5],
      [2, 'b', 1],
    ] as const) {
      const w = layers[l][key];
      const h = 1e-3,
        x = w[i];
      w[i] = x + h;
      const up = lossAndGrad(layers, data, idx).loss;
      w[i] = x - h;
      const down = lossAndGrad(layers, data, idx).loss;
      w[i] = x;
      expect(grads[l][key][i]).toBeCloseTo((up - down) / (2 * h), 3);
    }
  });

  it.each(['adam', 'adam-warmup', 'radam'])('%s learns the spirals (short run)', async (optimizer) => {
    const r = await train({ optimizer, lr: 0.01, seed: 1, steps: 150, batch: 64, depth: 3, width: 32 });
    expect(r.curve[0][1]).toBeGreaterThan(1);
    expect(r.loss).toBeLessThan(0.7 * r.curve[0][1]);
    expect(r.accuracy).toBeGreaterThan(0.5);
  });
});
