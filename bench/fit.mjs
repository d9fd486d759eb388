// model.fit time per epoch for an MLP of ~1M parameters: radam-wasm/tfjs's RAdamOptimizer vs
// tf.train.adam, on the tfjs cpu and wasm backends; and where the time goes (the optimizer's share,
// measured by timing applyGradients inside fit).
//
// model.fit is asynchronous and an epoch takes from ~0.1 to several seconds, so this part times
// whole epochs directly (performance.now) rather than through benchmark.js; the optimizers
// alternate epoch by epoch (rotated each round) and figures are medians.
//   node bench/fit.mjs [--quick]        (also run by npm run bench)
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { RAdamOptimizer } from '../dist/tfjs.js';
import { tfjsReady } from './impls/tfjs.mjs';
import { median } from './lib/measure.mjs';

// Two settings: batch 128, where the forward and backward passes dominate an epoch; batch 8, where
// the optimizer's share is visible (each setting trains 512 resp. 128 samples per epoch).
const SETTINGS = [
  { samples: 512, batch: 128 },
  { samples: 128, batch: 8 },
];
const FEATURES = 512,
  LR = 1e-3;

function model() {
  const m = tfl.sequential();
  m.add(
    tfl.layers.dense({
      units: 1024,
      activation: 'relu',
      inputShape: [FEATURES],
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
    }),
  );
  m.add(
    tfl.layers.dense({
      units: 512,
      activation: 'relu',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
    }),
  );
  m.add(tfl.layers.dense({ units: 1, kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }));
  return m;
}

/** Wraps the optimizer's applyGradients to add up the time spent in it. */
function timed(optimizer) {
  const t = { ms: 0 };
  const apply = optimizer.applyGradients.bind(optimizer);
  optimizer.applyGradients = (g) => {
    const t0 = performance.now();
    apply(g);
    t.ms += performance.now() - t0;
  };
  return t;
}

export async function fitBench({ quick = false, log = console.error } = {}) {
  await tfjsReady();
  await RAdamOptimizer.ready();
  const out = [];
  for (const setting of SETTINGS) out.push(await fitSetting(setting, quick ? 2 : 5, log));
  return out;
}

async function fitSetting({ samples: SAMPLES, batch: BATCH }, epochs, log) {
  const out = { samples: SAMPLES, features: FEATURES, batch: BATCH, stepsPerEpoch: SAMPLES / BATCH };
  for (const backend of ['wasm', 'cpu']) {
    await tf.setBackend(backend);
    const xs = tf.randomNormal([SAMPLES, FEATURES], 0, 1, 'float32', 7),
      ys = tf.randomNormal([SAMPLES, 1], 0, 1, 'float32', 8);
    const cases = [
      { id: 'radam', label: 'RAdamOptimizer (radam-wasm/tfjs)', optimizer: new RAdamOptimizer({ learningRate: LR }) },
      { id: 'adam', label: 'tf.train.adam', optimizer: tf.train.adam(LR) },
    ].map((c) => {
      const m = model();
      m.compile({ optimizer: c.optimizer, loss: 'meanSquaredError' });
      return { ...c, model: m, params: m.countParams(), timer: timed(c.optimizer), epochs: [], optimizerMs: [] };
    });
    for (const c of cases) await c.model.fit(xs, ys, { epochs: 1, batchSize: BATCH, shuffle: false, verbose: 0 }); // warm-up
    Object.assign(cases[0].optimizer.timings, { calls: 0, readMs: 0, stepMs: 0, writeMs: 0 }); // phases: timed epochs only
    for (let r = 0; r < epochs; r++) {
      for (let j = 0; j < cases.length; j++) {
        const c = cases[(j + r) % cases.length];
        c.timer.ms = 0;
        const t0 = performance.now();
        await c.model.fit(xs, ys, { epochs: 1, batchSize: BATCH, shuffle: false, verbose: 0 });
        c.epochs.push(performance.now() - t0);
        c.optimizerMs.push(c.timer.ms);
        log(
          `  fit batch ${BATCH} ${backend} round ${r + 1}/${epochs}  ${c.label.padEnd(34)} ${c.epochs.at(-1).toFixed(0).padStart(6)} ms/epoch (optimizer ${c.timer.ms.toFixed(1)} ms)`,
        );
      }
    }
    const res = Object.fromEntries(
      cases.map((c) => [
        c.id,
        {
          label: c.label,
          params: c.params,
          msPerEpoch: median(c.epochs),
          optimizerMsPerEpoch: median(c.optimizerMs),
          epochs: c.epochs,
          optimizerMs: c.optimizerMs,
        },
      ]),
    );
    res.adamOverRadam = median(cases[0].epochs.map((x, i) => cases[1].epochs[i] / x));
    res.optimizerAdamOverRadam = res.adam.optimizerMsPerEpoch / res.radam.optimizerMsPerEpoch;
    const t = cases[0].optimizer.timings; // RAdamOptimizer's own phases, per step, over the whole run
    res.radam.phasesMsPerStep = { read: t.readMs / t.calls, kernel: t.stepMs / t.calls, write: t.writeMs / t.calls };
    out[backend] = res;
    cases.forEach((c) => {
      c.model.dispose();
      c.optimizer.dispose();
    });
    tf.dispose([xs, ys]);
  }
  return out;
}

/** Rows: setting, backend, optimizer, ms/epoch, optimizer ms/epoch, optimizer share. */
export function fitTable(fit) {
  const rows = [];
  for (const s of fit) {
    for (const backend of ['wasm', 'cpu']) {
      const r = s[backend];
      const where = `batch ${s.batch}, tfjs-${backend}`;
      for (const id of ['radam', 'adam']) {
        const c = r[id];
        rows.push([
          where,
          c.label,
          c.msPerEpoch.toFixed(0),
          c.optimizerMsPerEpoch.toFixed(1),
          `${((100 * c.optimizerMsPerEpoch) / c.msPerEpoch).toFixed(1)}%`,
        ]);
      }
      const ph = r.radam.phasesMsPerStep;
      rows.push([
        where,
        `Adam / RAdam; RAdam step = read ${ph.read.toFixed(2)} + kernel ${ph.kernel.toFixed(2)} + write ${ph.write.toFixed(2)} ms`,
        `${r.adamOverRadam.toFixed(2)}x`,
        `${r.optimizerAdamOverRadam.toFixed(1)}x`,
        '',
      ]);
    }
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const fit = await fitBench({ quick: process.argv.includes('--quick') });
  console.log(JSON.stringify(fit, (_k, v) => (Array.isArray(v) ? undefined : v), 2));
}
