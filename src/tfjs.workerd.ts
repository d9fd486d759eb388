// radam-wasm/tfjs under the `workerd` condition: the same optimizer on the kernels imported as
// .wasm modules (Cloudflare Workers forbid compiling WebAssembly from bytes at run time).
import * as tf from '@tensorflow/tfjs-core';
import { RAdam } from './workerd.js';
import { RAdamOptimizer as Base } from './tfjs/optimizer.js';

export class RAdamOptimizer extends Base {
  static override radam = RAdam;
}

tf.serialization.registerClass(RAdamOptimizer);

export type { RAdamOptimizerConfig } from './tfjs/optimizer.js';
