// The demo's configuration: the model, the task and the grids, chosen by the search recorded in
// demo/README.md. The default run fits in 3 minutes on a 2-core machine; --full runs a larger grid
// with more seeds.
export const SETUP = {
  // Reversal of 10 tokens out of 16, with 5% label noise: the loss has a floor (0.316) instead of
  // going to 0, so ratios of final losses compare runs that learned the task with runs that did not.
  task: { task: 'reverse', vocab: 16, seqLen: 10, noise: 0.05 },
  model: { dModel: 32, heads: 4, layers: 3, dFF: 64 },
  batch: 8,
  steps: 400,
  betas: [0.9, 0.999],
  lr: 1.6e-2,
  lrs: [2e-3, 8e-3, 1.6e-2, 3.2e-2, 6.4e-2],
  // SGD's momentum step here is RAdam's (p -= lr * m / (1 - b1^t), m an average of g): lr 100x
  // Adam's is classic SGD with momentum 0.9 (buf = 0.9 buf + g; p -= lr buf) at 10x.
  sgdLrs: [0.2, 0.8, 1.6, 3.2, 6.4],
  // Adam-eps's eps, relative to this model's gradient scale: this multiple of the median |g| over
  // all parameters at the first step (sqrt(v̂_1); demo/README.md says why 1). The paper's 1e-4 is
  // negligible here; it runs as an arm outside the criteria (paperEps).
  adamEpsRatio: 1,
  paperEps: 1e-4,
  seeds: [1, 2, 3],
  warmupSteps: 80,
  secondMomentSteps: 40, // 10% of the run
  deltaSteps: 40,
  curveEvery: 5,
};

export const FULL_SETUP = {
  ...SETUP,
  lrs: [1e-3, 2e-3, 4e-3, 8e-3, 1.6e-2, 3.2e-2, 6.4e-2],
  sgdLrs: [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4],
  seeds: [1, 2, 3, 4, 5],
};
