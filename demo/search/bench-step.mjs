// node demo/search/bench-step.mjs: milliseconds per training step (forward+backward) of model sizes.
import { makeBatch, taskVocab } from '../lib/seq-task.mjs';
import { createWorkspace, lossAndGrad, modelSpec, mulberry32, parameterCount } from '../lib/transformer.mjs';

const configs = [
  { layers: 2, dModel: 32, heads: 4, seqLen: 16, batch: 16 },
  { layers: 3, dModel: 32, heads: 4, seqLen: 16, batch: 16 },
  { layers: 4, dModel: 32, heads: 4, seqLen: 16, batch: 16 },
  { layers: 3, dModel: 48, heads: 4, seqLen: 16, batch: 16 },
  { layers: 2, dModel: 64, heads: 4, seqLen: 16, batch: 16 },
  { layers: 3, dModel: 32, heads: 4, seqLen: 24, batch: 16 },
  { layers: 6, dModel: 24, heads: 4, seqLen: 12, batch: 16 },
];
for (const m of configs) {
  const cfg = { task: 'reverse', vocab: 16, ...m };
  Object.assign(cfg, taskVocab(cfg));
  const spec = modelSpec(cfg);
  const rng = mulberry32(1);
  const w = spec.map((t) => t.init(rng));
  const g = spec.map((t) => new Float32Array(t.size));
  const ws = createWorkspace(cfg);
  const data = mulberry32(2);
  for (let i = 0; i < 30; i++) lossAndGrad(cfg, w, g, makeBatch(data, cfg), ws);
  const t0 = performance.now();
  const n = 100;
  for (let i = 0; i < n; i++) lossAndGrad(cfg, w, g, makeBatch(data, cfg), ws);
  const ms = (performance.now() - t0) / n;
  console.log(JSON.stringify(m), `params ${parameterCount(cfg)}`, `${ms.toFixed(2)} ms/step`);
}
