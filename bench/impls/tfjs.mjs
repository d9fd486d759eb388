// TensorFlow.js 4.22 on its cpu and wasm backends in Node (the cases: bench/impls/tfjs-cases.mjs).
import '@tensorflow/tfjs-backend-cpu';
import { createRequire } from 'node:module';
import path from 'node:path';
import { tfjsSetup } from './tfjs-cases.mjs';

export { tfjsAdam, tfjsRAdam } from './tfjs-cases.mjs';

/** Registers both backends once; the wasm backend's .wasm files ship in its npm package. */
export function tfjsReady() {
  const require = createRequire(import.meta.url);
  return tfjsSetup(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}${path.sep}`, ['wasm', 'cpu']);
}
