// node demo/search/search.mjs '<json config>' [label]
//
// Runs every arm x learning rate x seed of one configuration on 2 worker threads, prints the
// median final training loss (mean minibatch loss over the last 10% of steps) per arm and lr,
// each arm's spread over the lr grid (max/min of its medians), and the criteria at the
// default lr; appends everything to demo/search/results.jsonl.
//   config: { task, vocab, model: { layers, dModel, heads, dFF, seqLen, batch, ... }, steps,
//             warmup, lrs, defaultLr, seeds, arms, sgdScale, eps }
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { noiseFloor } from '../lib/seq-task.mjs';
import { runJobs } from './pool.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DEFAULTS = {
  task: 'reverse',
  vocab: 16,
  model: { layers: 2, dModel: 32, heads: 4, dFF: 64, seqLen: 12, batch: 16 },
  steps: 300,
  warmup: 60,
  lrs: [3e-4, 1e-3, 3e-3, 1e-2],
  defaultLr: 1e-3,
  seeds: [1, 2, 3],
  arms: ['adam', 'adam-warmup', 'radam', 'adam-eps', 'sgdm'],
  sgdScale: 30,
};
const given = JSON.parse(process.argv[2] ?? '{}');
const label = process.argv[3] ?? '';
const C = { ...DEFAULTS, ...given, model: { ...DEFAULTS.model, ...(given.model ?? {}) } };

const jobs = [];
for (const lr of C.lrs)
  for (const seed of C.seeds)
    for (const arm of C.arms)
      jobs.push({
        arm,
        lr,
        seed,
        steps: C.steps,
        warmup: C.warmup,
        task: C.task,
        vocab: C.vocab,
        model: C.model,
        sgdScale: C.sgdScale,
        eps: C.eps,
        beta2: C.beta2,
        noise: C.noise,
      });
const t0 = Date.now();
let done = 0;
const results = await runJobs(jobs, {
  onResult: () => {
    done++;
    process.stderr.write(`\r${done}/${jobs.length} ${((Date.now() - t0) / 1000).toFixed(0)} s   `);
  },
});
process.stderr.write('\n');
const wall = (Date.now() - t0) / 1000;

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const med = {}; // med[arm][lr]
const medHeld = {};
for (const arm of C.arms) {
  med[arm] = {};
  medHeld[arm] = {};
  for (const lr of C.lrs) {
    const rs = results.filter((r) => r.arm === arm && r.lr === lr);
    med[arm][lr] = median(rs.map((r) => r.final));
    medHeld[arm][lr] = median(rs.map((r) => r.held));
  }
}
const spread = {};
for (const arm of C.arms) {
  const v = C.lrs.map((lr) => med[arm][lr]);
  spread[arm] = Math.max(...v) / Math.min(...v);
}
const secs = results.map((r) => r.seconds);
const f = (x) => (Number.isFinite(x) ? x.toFixed(3) : String(x));
console.log(`config ${label}: ${JSON.stringify(C)}`);
console.log(
  `${jobs.length} runs, wall ${wall.toFixed(0)} s, ${median(secs).toFixed(2)} s/run (median), max ${Math.max(...secs).toFixed(2)}`,
);
console.log(`noise floor ${noiseFloor({ ...C, ...C.model }).toFixed(3)}`);
console.log(['arm'.padEnd(14), ...C.lrs.map((lr) => `lr ${lr}`.padStart(10)), 'spread'.padStart(9)].join(' '));
for (const arm of C.arms)
  console.log(
    [arm.padEnd(14), ...C.lrs.map((lr) => f(med[arm][lr]).padStart(10)), f(spread[arm]).padStart(9)].join(' '),
  );
console.log('held-out medians:');
for (const arm of C.arms)
  console.log([arm.padEnd(14), ...C.lrs.map((lr) => f(medHeld[arm][lr]).padStart(10))].join(' '));
const L = C.defaultLr;
const crit = {};
if (med.adam && med['adam-warmup'] && med.adam[L] !== undefined) {
  const a = med.adam[L],
    w = med['adam-warmup'][L],
    r = med.radam?.[L],
    e = med['adam-eps']?.[L];
  crit.a = { ratio: a / w, pass: a >= 2 * w };
  if (r !== undefined) crit.b = { ratio: r / w, pass: r <= 1.25 * w };
  if (e !== undefined && r !== undefined)
    crit.c = { epsOverAdam: e / a, epsOverRadam: e / r, pass: e <= 0.5 * a && e > r };
  if (spread.radam !== undefined)
    crit.spread = {
      pass: C.arms
        .filter((x) => x !== 'radam' && ['adam', 'adam-warmup', 'sgdm'].includes(x))
        .every((x) => spread.radam < spread[x]),
    };
  console.log(`criteria at lr ${L}: ${JSON.stringify(crit)}`);
}
fs.appendFileSync(
  path.join(HERE, 'results.jsonl'),
  `${JSON.stringify({ label, config: C, wall, secondsPerRun: median(secs), med, medHeld, spread, crit, runs: results.map(({ curve, ...r }) => r) })}\n`,
);
