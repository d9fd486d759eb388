// radam-wasm/schedules: learning-rate schedules with torch.optim.lr_scheduler's semantics (torch
// 1.13), for RAdam, Adam and the tfjs RAdamOptimizer. An entry of its own with no side effects, and
// no run-time import of the optimizer: an app that does not import it pays nothing, one that
// imports one schedule pays for that schedule and the small shared base.
/**
 * Learning-rate schedules with `torch.optim.lr_scheduler`'s semantics (torch 1.13), for `RAdam`,
 * `Adam` and the tfjs `RAdamOptimizer`.
 *
 * @module radam-wasm/schedules
 */
export { LRScheduler } from './schedules/base.js';
export type { LRSchedulerState } from './schedules/base.js';
export { ExponentialLR, MultiStepLR, PolynomialLR, StepLR } from './schedules/decay.js';
export type {
  ExponentialLROptions,
  MultiStepLROptions,
  PolynomialLROptions,
  StepLROptions,
} from './schedules/decay.js';
export { ConstantLR, LinearLR } from './schedules/warmup.js';
export type { ConstantLROptions, LinearLROptions } from './schedules/warmup.js';
export { CosineAnnealingLR, CosineAnnealingWarmRestarts } from './schedules/cosine.js';
export type { CosineAnnealingLROptions, CosineAnnealingWarmRestartsOptions } from './schedules/cosine.js';
export { OneCycleLR } from './schedules/one-cycle.js';
export type { OneCycleLROptions } from './schedules/one-cycle.js';
export { SequentialLR } from './schedules/sequential.js';
export type { SequentialLROptions } from './schedules/sequential.js';
export { ReduceLROnPlateau } from './schedules/plateau.js';
export type { ReduceLROnPlateauOptions, ReduceLROnPlateauState } from './schedules/plateau.js';
export type { Schedulable } from './schedules/util.js';
