// A library built on radam-wasm, as a library author writes one (scripts/test-bundlers.mjs builds it
// with tsc, packs it and has a Vite app consume it): a small helper around RAdam, and RAdam itself
// re-exported so that the app needs no import of radam-wasm of its own.
import { RAdam, type RAdamOptions } from 'radam-wasm';

export { RAdam } from 'radam-wasm';

/** A linear model y = x·w + b, fitted by full-batch least squares with RAdam. */
export interface Trainer {
  readonly optimizer: RAdam;
  /** The weights and the bias (live views into the optimizer's memory). */
  readonly weights: Float32Array;
  readonly bias: number;
  /** One step on the whole batch; returns the mean squared error before the step. */
  fit(xs: readonly Float32Array[], ys: readonly number[]): number;
  dispose(): void;
}

export async function createTrainer(features: number, options: RAdamOptions = {}): Promise<Trainer> {
  const optimizer = await RAdam.create(options);
  const w = optimizer.addParam(features);
  const b = optimizer.addParam(1);
  return {
    optimizer,
    get weights() {
      return w.data;
    },
    get bias() {
      return b.data[0];
    },
    fit(xs, ys) {
      const [wd, wg, bg] = [w.data, w.grad, b.grad];
      wg.fill(0);
      bg.fill(0);
      let loss = 0;
      xs.forEach((x, s) => {
        const err = x.reduce((sum, v, j) => sum + v * wd[j], b.data[0]) - ys[s];
        loss += (err * err) / xs.length;
        for (let j = 0; j < features; j++) wg[j] += (2 * err * x[j]) / xs.length;
        bg[0] += (2 * err) / xs.length;
      });
      optimizer.step();
      return loss;
    },
    dispose: () => optimizer.dispose(),
  };
}
