// radam-wasm: the RAdam optimizer on a fused WebAssembly SIMD kernel.
export { RAdam, ParamGroup, Param } from './optimizer.js';
export type { ParamInit, ParamState, GroupState, RAdamStateDict } from './optimizer.js';
export { DEFAULTS } from './options.js';
export type { Backend, BackendChoice, GroupOptions, RAdamOptions, Hyperparameters } from './options.js';
export { rectification, stepScalars } from './scalars.js';
export type { Rectification, StepScalars, StepHyperparameters } from './scalars.js';
