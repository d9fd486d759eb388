// TensorFlow.js 4.22: the built-in Adam (what a user would pick instead) and a RAdam step written
// with tfjs ops inside tf.tidy, on whichever backends the caller registered (no Node imports: the
// site's benchmark page runs these too; bench/impls/tfjs.mjs registers Node's).
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { rectification } from '../../dist/index.js';
import { normals, WARM_STEPS, LR, BETA1, BETA2, EPS } from './inputs.mjs';

let ready;
/**
 * Sets up the backends once: `wasmPaths` is where the wasm backend's .wasm files are served (a
 * directory, or a map by file name: setWasmPaths), then each of `backends` is initialised.
 */
export function tfjsSetup(wasmPaths, backends) {
  ready ??= (async () => {
    setWasmPaths(wasmPaths);
    for (const b of backends) await tf.setBackend(b);
    return { tf, version: tf.version_core };
  })();
  return ready;
}

// tfjs keeps one active backend: a tensor used under another one is copied across. Each case
// selects its backend before it is sampled, so its tensors never move.
async function on(backend) {
  if (!ready) throw new Error(`bench tfjs ${backend}: call tfjsSetup first`);
  await ready;
  if (tf.getBackend() !== backend) await tf.setBackend(backend);
}

export async function tfjsAdam(backend, n) {
  await on(backend);
  const p = tf.variable(tf.tensor1d(normals(n, 1)), true, `p${n}_${backend}_adam`);
  const g = tf.tensor1d(normals(n, 100, 0.1));
  const opt = tf.train.adam(LR, BETA1, BETA2, EPS);
  const step = () => opt.applyGradients({ [p.name]: g });
  for (let t = 0; t < WARM_STEPS; t++) step();
  return {
    step,
    activate: () => on(backend),
    dispose() {
      opt.dispose();
      p.dispose();
      g.dispose();
    },
  };
}

export async function tfjsRAdam(backend, n) {
  await on(backend);
  const p = tf.variable(tf.tensor1d(normals(n, 1)));
  const m = tf.variable(tf.zeros([n])),
    v = tf.variable(tf.zeros([n]));
  const g = tf.tensor1d(normals(n, 100, 0.1));
  const [b1, c1, b2, c2, eps] = [BETA1, 1 - BETA1, BETA2, 1 - BETA2, EPS].map((x) => tf.scalar(x));
  let t = 0;
  const step = () => {
    t++;
    const r = rectification(t, BETA1, BETA2);
    tf.tidy(() => {
      const m1 = tf.add(tf.mul(m, b1), tf.mul(g, c1));
      const v1 = tf.add(tf.mul(v, b2), tf.mul(tf.square(g), c2));
      m.assign(m1);
      v.assign(v1);
      if (r.rectified) {
        const size = tf.scalar((LR * r.rT * r.sqrtBiasCorrection2) / r.biasCorrection1);
        p.assign(tf.sub(p, tf.div(tf.mul(m1, size), tf.add(tf.sqrt(v1), eps))));
      } else {
        p.assign(tf.sub(p, tf.mul(m1, tf.scalar(LR / r.biasCorrection1))));
      }
    });
  };
  for (let k = 0; k < WARM_STEPS; k++) step();
  return {
    step,
    activate: () => on(backend),
    dispose() {
      tf.dispose([p, m, v, g, b1, c1, b2, c2, eps]);
    },
  };
}
