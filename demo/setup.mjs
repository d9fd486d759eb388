// The demo's configuration: the model, the task and the grids, chosen by the search recorded in
// demo/README.md. The default run fits in 3 minutes on a 2-core machine; --full runs the larger grid.
export const SETUP = {
  task: { task: 'reverse', vocab: 16, seqLen: 12 },
  model: { dModel: 32, heads: 4, layers: 2, dFF: 64 },
  batch: 8,
  steps: 200,
  betas: [0.9, 0.999],
  lr: 3e-3,
  lrs: [1e-3, 2e-3, 3e-3, 6e-3, 1e-2],
  sgdLrs: [0.03, 0.06, 0.1, 0.2, 0.3],
  seeds: [1, 2, 3],
  warmupSteps: 40,
  secondMomentSteps: 30,
  deltaSteps: 40,
  curveEvery: 5,
};

export const FULL_SETUP = {
  ...SETUP,
  steps: 400,
  lrs: [3e-4, 1e-3, 2e-3, 3e-3, 6e-3, 1e-2, 3e-2],
  sgdLrs: [0.01, 0.03, 0.06, 0.1, 0.2, 0.3, 1],
  seeds: [1, 2, 3, 4, 5],
  warmupSteps: 80,
  secondMomentSteps: 60,
};
