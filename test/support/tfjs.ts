// Shared by the tfjs adapter's tests (test/tfjs.test.ts, test/tfjs-edges.test.ts): the model
// save / load round trip through memory, and the optimizer weights as plain data.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { RAdamOptimizer } from '../../src/tfjs.js';

/**
 * model.save({ includeOptimizer: true }) into memory and tf.loadLayersModel of what it wrote: the
 * optimizer goes through getConfig / fromConfig and getWeights / setWeights. Loaded while the first
 * model's variables exist, so tfjs-layers renames the new ones (`..._1`).
 */
export async function saveAndLoad(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
    { includeOptimizer: true },
  );
  return tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
}

/** A tensor's values (or any array's) as a plain array, for toEqual. */
export const bits = (a: ArrayLike<number>) => Array.from(a);

/** The optimizer weights by name, as plain arrays. */
export const named = async (opt: RAdamOptimizer) =>
  Object.fromEntries(
    await Promise.all((await opt.getWeights()).map(async (w) => [w.name, bits(await w.tensor.data())])),
  );

/** getWeights' tensors last until its next call: a copy that outlives it. */
export const keep = async (opt: RAdamOptimizer) =>
  (await opt.getWeights()).map(({ name, tensor }) => ({ name, tensor: tensor.clone() }));
