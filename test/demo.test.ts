// The demo's model code (demo/lib): gradients checked by finite differences, and one short run of
// each optimizer learning the task, so `npm run demo` cannot silently train nothing.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript module without types
import { initWeights, lossAndGrad, spirals } from '../demo/lib/task.mjs';
// @ts-expect-error: plain JavaScript module without types
import { train } from '../demo/lib/train.mjs';

describe('demo', () => {
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
