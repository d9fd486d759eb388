// Train a tfjs-layers model with radam-wasm's RAdam, save it with the optimizer state, load it
// back and keep training.   node examples/tfjs-fit.mjs   (after npm run build)
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { RAdamOptimizer } from 'radam-wasm/tfjs';

await tf.setBackend('cpu');
const model = tfl.sequential();
model.add(tfl.layers.dense({ units: 64, activation: 'relu', inputShape: [8] }));
model.add(tfl.layers.dense({ units: 1 }));
const optimizer = await RAdamOptimizer.create({ learningRate: 1e-2, weightDecay: 1e-4 });
model.compile({ optimizer, loss: 'meanSquaredError' });

const xs = tf.randomNormal([256, 8], 0, 1, 'float32', 1),
  ys = tf.sum(xs, 1, true);
const train = async (m, label) => {
  const h = await m.fit(xs, ys, { epochs: 20, batchSize: 32, verbose: 0 });
  console.log(`${label}: loss ${h.history.loss[0].toFixed(4)} -> ${h.history.loss.at(-1).toFixed(4)}`);
};
await train(model, 'first 20 epochs');

let saved;
await model.save(
  tf.io.withSaveHandler(async (artifacts) => {
    saved = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }),
  { includeOptimizer: true },
);
await RAdamOptimizer.ready(); // loading rebuilds the optimizer synchronously
const again = await tfl.loadLayersModel(tf.io.fromMemory(saved));
console.log(`loaded: ${again.optimizer.getClassName()} at iteration ${again.optimizer.iterations}`);
await train(again, 'next 20 epochs, resumed');
