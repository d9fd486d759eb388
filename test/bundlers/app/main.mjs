// The app that Vite, webpack and Rollup each build (scripts/test-bundlers.mjs): what a user writes,
// `import { RAdam } from 'radam-wasm'` (resolved from node_modules, where the packed tarball is
// extracted) and a small training loop; then the shared smoke test (../../../test/bundlers/page.mjs,
// the same file from here and from the copy in build/bundlers/<app>/).
import { RAdam } from 'radam-wasm';
import { runPage } from '../../../test/bundlers/page.mjs';

/** Fits y = x·[2, -3, 0.5, 1] + 0.25 by full-batch least squares; returns the first and last loss. */
async function train(steps = 200) {
  const truth = [2, -3, 0.5, 1];
  const samples = 64;
  const xs = Array.from({ length: samples }, (_, s) =>
    Float32Array.from(truth, (_, j) => Math.sin((s + 1) * (j + 1.5) * 1.7)),
  );
  const ys = xs.map((x) => x.reduce((sum, v, j) => sum + v * truth[j], 0.25));
  const opt = await RAdam.create({ lr: 0.1 });
  const w = opt.addParam(truth.length);
  const b = opt.addParam(1);
  const losses = [];
  for (let t = 0; t < steps; t++) {
    const [wd, wg, bg] = [w.data, w.grad, b.grad];
    wg.fill(0);
    bg.fill(0);
    let loss = 0;
    for (let s = 0; s < samples; s++) {
      const err = xs[s].reduce((sum, v, j) => sum + v * wd[j], b.data[0]) - ys[s];
      loss += (err * err) / samples;
      for (let j = 0; j < wg.length; j++) wg[j] += (2 * err * xs[s][j]) / samples;
      bg[0] += (2 * err) / samples;
    }
    losses.push(loss);
    opt.step();
  }
  opt.dispose();
  return { steps, first: losses[0], last: losses.at(-1) };
}

runPage(RAdam, train);
