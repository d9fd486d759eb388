// What every entry point exports besides its own RAdam and Adam classes (src/index.ts,
// src/workerd.ts), so that the entries differ only in where their kernels come from.
export { ParamGroup, Param } from './radam.js';
export type { ParamInit, ParamState, GroupState, RAdamStateDict, StepResult } from './radam.js';
export { Lookahead } from './lookahead.js';
export type { LookaheadOptions, LookaheadStateDict } from './lookahead.js';
export type { Bytes } from './bytes.js';
export { DEFAULTS } from './options.js';
export type {
  Backend,
  BackendChoice,
  EmaOptions,
  GroupOptions,
  RAdamOptions,
  Hyperparameters,
  StateDtype,
  StepOptions,
} from './options.js';
export { rectification, stepScalars, FLUSH_INTERVAL } from '../math/scalars.js';
export type { Rectification, StepScalars, StepHyperparameters } from '../math/scalars.js';
