// radam-wasm/tfjs: RAdam as a TensorFlow.js optimizer (see src/tfjs/optimizer.ts), on the kernels
// embedded in the JS. (Under the `workerd` condition: src/tfjs.workerd.ts.)
/**
 * RAdam as a TensorFlow.js optimizer (`tf.Optimizer`), for `model.compile` and `model.fit`, with
 * `@tensorflow/tfjs-core` 4.x as a peer dependency.
 *
 * @module radam-wasm/tfjs
 */
import * as tf from '@tensorflow/tfjs-core';
import { RAdam } from './index.js';
import { type RAdamOptimizer as Base, optimizerOn } from './tfjs/optimizer.js';

/**
 * RAdam as a TensorFlow.js optimizer: a `tf.Optimizer` whose variables' values, gradients and
 * state live in the RAdam kernel's memory, keyed by variable name. Its config keys are tfjs's
 * (`learningRate`, `beta1`, `beta2`, `epsilon`) plus RAdam's options; `model.save` with
 * `includeOptimizer` saves its state, and loading the model restores it.
 *
 * @example
 * ```ts
 * import { RAdamOptimizer } from 'radam-wasm/tfjs';
 *
 * const optimizer = await RAdamOptimizer.create({ learningRate: 1e-3, weightDecay: 1e-4 });
 * model.compile({ optimizer, loss: 'meanSquaredError' });
 * await model.fit(xs, ys, { epochs: 10 });
 *
 * // Loading a model saved with its optimizer builds it synchronously: load the kernel first.
 * await RAdamOptimizer.ready();
 * const again = await tfl.loadLayersModel('indexeddb://my-model'); // tfl: @tensorflow/tfjs-layers
 * ```
 * @class
 */
export const RAdamOptimizer = optimizerOn(RAdam);
export type RAdamOptimizer = Base;

// Registering twice (the module evaluated twice, e.g. by two bundles) only overwrites the entry.
tf.serialization.registerClass(RAdamOptimizer);

export type { ApplyTimings, RAdamOptimizerConfig, RAdamOptimizerStep } from './tfjs/optimizer.js';
export type { NamedTensor } from './tfjs/weights.js';
