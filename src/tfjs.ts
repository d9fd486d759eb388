// radam-wasm/tfjs: RAdam as a TensorFlow.js optimizer (see src/tfjs/optimizer.ts), on the kernels
// embedded in the JS. (Under the `workerd` condition: src/tfjs.workerd.ts.)
import * as tf from '@tensorflow/tfjs-core';
import { RAdam } from './index.js';
import { RAdamOptimizer as Base } from './tfjs/optimizer.js';

export class RAdamOptimizer extends Base {
  static override radam = RAdam;
}

// Registering twice (the module evaluated twice, e.g. by two bundles) only overwrites the entry.
tf.serialization.registerClass(RAdamOptimizer);

export type { RAdamOptimizerConfig } from './tfjs/optimizer.js';
