// node demo/mlp.mjs [--full]   (after npm run build; the second, quick task of the demo)
//
// The RAdam paper's claim on your machine: Adam without warmup is unstable early, warmup fixes it
// at the cost of a schedule, RAdam needs none and is less sensitive to the learning rate.
// A deep ReLU MLP (6 hidden layers of 48, no normalisation) learns a 4-arm spiral; Adam, Adam with
// linear warmup (20% of training) and RAdam, all through radam-wasm's kernel, over a grid of
// learning rates and seeds. Prints a table; writes demo/out/mlp-lr-robustness.svg (final loss vs lr)
// and demo/out/mlp-curves.svg (training curves).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { progressBar, runJobs } from './lib/pool.mjs';
import { colorOf, lineChart } from './lib/svg.mjs';
import { OPTIMIZERS } from './lib/train.mjs';

const FULL = process.argv.includes('--full');
const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.join(HERE, 'out');
const SETUP = FULL
  ? { lrs: [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1], seeds: [1, 2, 3, 4, 5], steps: 800 }
  : { lrs: [1e-3, 3e-3, 1e-2, 3e-2, 1e-1], seeds: [1, 2, 3], steps: 400 };
const MODEL = { depth: 6, width: 48, batch: 64 };
const IDS = Object.keys(OPTIMIZERS);

// --- run the grid on a small pool of worker threads ------------------------------------------
const jobs = [];
for (const lr of SETUP.lrs)
  for (const seed of SETUP.seeds)
    for (const optimizer of IDS) {
      jobs.push({ id: jobs.length, optimizer, lr, seed, steps: SETUP.steps, ...MODEL });
    }
const threads = Math.max(1, Math.min(os.availableParallelism?.() ?? os.cpus().length, 4));
console.log(
  `${jobs.length} training runs (${IDS.length} optimizers x ${SETUP.lrs.length} learning rates x ${SETUP.seeds.length} seeds, ${SETUP.steps} steps each) on ${threads} threads`,
);
const t0 = Date.now();
const results = await runJobs(path.join(HERE, 'mlp-worker.mjs'), jobs, { threads, onResult: progressBar(jobs.length) });
process.stdout.write('\n\n');

// --- table ---------------------------------------------------------------------------------------
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const cell = (id, lr) => {
  const rs = results.filter((r) => r.optimizer === id && r.lr === lr);
  const losses = rs.map((r) => (Number.isFinite(r.loss) ? r.loss : Infinity));
  return {
    loss: median(losses),
    accuracy: median(rs.map((r) => r.accuracy)),
    worstLoss: Math.max(...losses),
    bestLoss: Math.min(...losses),
  };
};
const header = ['lr', ...IDS.map((id) => OPTIMIZERS[id].label)];
const rows = SETUP.lrs.map((lr) => [
  String(lr),
  ...IDS.map((id) => {
    const c = cell(id, lr);
    return `${c.loss.toFixed(3)} / ${(c.accuracy * 100).toFixed(0)}%`;
  }),
]);
const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
const line = (r) => r.map((c, k) => c.padStart(widths[k])).join('   ');
console.log(`final training loss / held-out accuracy, median over ${SETUP.seeds.length} seeds (chance = 25%)`);
console.log(line(header));
for (const r of rows) console.log(line(r));

// Robustness to the learning rate: the learning rates at which each optimizer trains well.
console.log('\nlearning rates where the median held-out accuracy reaches 95%:');
for (const id of IDS) {
  const good = SETUP.lrs.filter((lr) => cell(id, lr).accuracy >= 0.95);
  console.log(`  ${OPTIMIZERS[id].label.padEnd(22)} ${good.length}/${SETUP.lrs.length}: ${good.join(', ') || '-'}`);
}

// --- charts --------------------------------------------------------------------------------------
fs.mkdirSync(OUT, { recursive: true });
fs.writeFileSync(
  path.join(OUT, 'mlp-lr-robustness.svg'),
  lineChart({
    title: `Final training loss vs learning rate (median of ${SETUP.seeds.length} seeds; band: min-max)`,
    xlabel: 'learning rate',
    ylabel: 'final training loss (cross-entropy)',
    xlog: true,
    ylog: true,
    series: IDS.map((id, k) => ({
      label: OPTIMIZERS[id].label,
      color: colorOf(k),
      points: SETUP.lrs.map((lr) => [lr, cell(id, lr).loss]),
    })),
    bands: IDS.map((id, k) => ({
      color: colorOf(k),
      lo: SETUP.lrs.map((lr) => [lr, cell(id, lr).bestLoss]),
      hi: SETUP.lrs.map((lr) => [lr, Math.min(cell(id, lr).worstLoss, 10)]),
    })),
  }),
);
const curveLr = [...SETUP.lrs].sort((a, b) => b - a).find((lr) => lr <= 0.03) ?? SETUP.lrs.at(-1);
const curvesAt = (lr) =>
  IDS.map((id, k) => {
    const rs = results.filter((r) => r.optimizer === id && r.lr === lr);
    const n = Math.min(...rs.map((r) => r.curve.length));
    return {
      label: `${OPTIMIZERS[id].label}, lr ${lr}`,
      color: colorOf(k),
      dash: lr !== curveLr,
      points: Array.from({ length: n }, (_, i) => [rs[0].curve[i][0], median(rs.map((r) => r.curve[i][1]))]),
    };
  });
fs.writeFileSync(
  path.join(OUT, 'mlp-curves.svg'),
  lineChart({
    title: `Training loss over steps (median of seeds): lr ${curveLr} solid, lr ${SETUP.lrs.at(-1)} dashed`,
    xlabel: 'step',
    ylabel: 'training loss',
    ylog: true,
    width: 900,
    legendWidth: 280,
    series: [...curvesAt(curveLr), ...(SETUP.lrs.at(-1) !== curveLr ? curvesAt(SETUP.lrs.at(-1)) : [])],
  }),
);
console.log(`\nwrote demo/out/mlp-lr-robustness.svg, mlp-curves.svg (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
