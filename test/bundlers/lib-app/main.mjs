// The app of the library author's case (scripts/test-bundlers.mjs): it imports only the library
// (radam-trainer, test/bundlers/lib, built with tsc), which brings radam-wasm as its dependency; Vite
// builds it with the same config as the plain app. Then the shared smoke test, on the RAdam the
// library re-exports.
import { createTrainer, RAdam } from 'radam-trainer';
import { runPage } from '../../../test/bundlers/page.mjs';

/** Fits y = x·[2, -3, 0.5, 1] + 0.25 through the library's trainer; returns the first and last loss. */
async function train(steps = 200) {
  const truth = [2, -3, 0.5, 1];
  const xs = Array.from({ length: 64 }, (_, s) =>
    Float32Array.from(truth, (_, j) => Math.sin((s + 1) * (j + 1.5) * 1.7)),
  );
  const ys = xs.map((x) => x.reduce((sum, v, j) => sum + v * truth[j], 0.25));
  const trainer = await createTrainer(truth.length, { lr: 0.1 });
  const losses = [];
  for (let t = 0; t < steps; t++) losses.push(trainer.fit(xs, ys));
  trainer.dispose();
  return { steps, first: losses[0], last: losses.at(-1) };
}

runPage(RAdam, train);
