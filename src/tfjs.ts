// radam-wasm/tfjs: RAdam as a TensorFlow.js optimizer (see src/tfjs/optimizer.ts), on the kernels
// embedded in the JS. (Under the `workerd` condition: src/tfjs.workerd.ts.)
import * as tf from '@tensorflow/tfjs-core';
import { RAdam } from './index.js';
import { type RAdamOptimizer as Base, optimizerOn } from './tfjs/optimizer.js';

export const RAdamOptimizer = optimizerOn(RAdam);
export type RAdamOptimizer = Base;

// Registering twice (the module evaluated twice, e.g. by two bundles) only overwrites the entry.
tf.serialization.registerClass(RAdamOptimizer);

export type { RAdamOptimizerConfig, RAdamOptimizerStep } from './tfjs/optimizer.js';
