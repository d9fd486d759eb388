// A consumer of `radam-wasm/tfjs`, type-checked like consumer.ts (scripts/check-package.mjs), in a
// program of its own: it pulls in @tensorflow/tfjs-core's declarations, whose own errors under
// TypeScript 6+ (its pinned @webgpu/types against the DOM lib's WebGPU types) are not ours and are
// reported apart. Never run.
import { type Backend, RAdam, type ParamGroup } from 'radam-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { RAdamOptimizer, type RAdamOptimizerConfig } from 'radam-wasm/tfjs';
import { CosineAnnealingLR, type Schedulable, StepLR } from 'radam-wasm/schedules';

export async function tfjs(): Promise<void> {
  const config: RAdamOptimizerConfig = {
    learningRate: 1e-3,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    backend: 'auto',
    clipValue: 1,
    accumulate: 2,
    ema: { decay: 0.99 },
  };
  const backend: Backend = await RAdamOptimizer.ready();
  const opt: RAdamOptimizer = await RAdamOptimizer.create(config);
  const direct = new RAdamOptimizer({ weightDecay: 0.01, decoupledWeightDecay: true, amsgrad: true });
  const asOptimizer: tf.Optimizer = opt;
  const w = tf.variable(tf.zeros([2]), true, 'w');
  opt.applyGradients({ w: tf.ones([2]) });
  opt.applyGradients([{ name: 'w', tensor: tf.ones([2]) }]);
  opt.learningRate = 0.01;
  const lr: number = opt.learningRate;
  const group: ParamGroup = opt.hyperparameters;
  const weights = await opt.getWeights();
  await opt.setWeights(weights);
  const saved: tf.serialization.ConfigDict = opt.getConfig();
  // tfjs's fromConfig signature (as on tf.AdamOptimizer) gives a Serializable.
  const restored = RAdamOptimizer.fromConfig(RAdamOptimizer, saved) as RAdamOptimizer;
  const t: { calls: number; readMs: number; stepMs: number; writeMs: number } = opt.timings;
  const name: string = opt.getClassName();
  opt.swapEma();
  opt.swapEma();
  const inside: Promise<number> = opt.withEma(async () => 1);
  const window: [number, number] = [opt.accumulate, opt.accumulated];
  void [backend, inside, window];
  void [asOptimizer, lr, group, restored, t, name, opt.backend, w];
  for (const o of [opt, direct, restored]) o.dispose();
}

export async function schedules(): Promise<void> {
  const tfOpt = new RAdamOptimizer({ learningRate: 0.1 });
  const core = await RAdam.create({ lr: 0.1 });
  const targets: Schedulable[] = [tfOpt, core];
  const cosine = new CosineAnnealingLR(tfOpt, { tMax: 100, etaMin: 0 });
  cosine.step();
  new StepLR(tfOpt, { stepSize: 30 }).step();
  const lr: number[] = cosine.getLastLr();
  void [targets, lr];
  tfOpt.dispose();
  core.dispose();
}
