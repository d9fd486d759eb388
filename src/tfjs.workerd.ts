// radam-wasm/tfjs under the `workerd` condition: the same optimizer on the kernels imported as
// .wasm modules (Cloudflare Workers forbid compiling WebAssembly from bytes at run time).
import * as tf from '@tensorflow/tfjs-core';
import { type RAdamOptimizer as Base, optimizerOn } from './tfjs/optimizer.js';
import { RAdam } from './workerd.js';

/**
 * RAdam as a TensorFlow.js optimizer (see radam-wasm/tfjs), on the kernels imported as .wasm modules.
 *
 * @class
 */
export const RAdamOptimizer = optimizerOn(RAdam);
export type RAdamOptimizer = Base;

tf.serialization.registerClass(RAdamOptimizer);

export type { ApplyTimings, RAdamOptimizerConfig, RAdamOptimizerStep } from './tfjs/optimizer.js';
export type { NamedTensor } from './tfjs/weights.js';
