// npm run demo [-- --full] [-- --update-readme]
//
// The RAdam paper (Liu et al. 2019) reproduced on your machine, with this library's kernel: a small
// Post-LN Transformer (demo/lib/transformer.mjs, forward and backward by hand) on a task generated
// in code (demo/lib/seq-task.mjs), trained with the paper's arms (demo/lib/paper.mjs): Adam, Adam +
// linear warmup, RAdam, Adam-2k, Adam-eps, and SGD with momentum for the learning-rate figure.
// Prints the five measured criteria as PASS or SHORT and writes demo/out/results.json and the
// figures (curves.svg, update-histograms.svg, lr-robustness.svg, rectifier.svg). Deterministic:
// two runs write the same bytes. demo/README.md's tables change only with --update-readme.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rectification } from '../dist/index.js';
import { ARMS, DELTA_BINS } from './lib/paper.mjs';
import { progressBar, runJobs } from './lib/pool.mjs';
import { colorOf, heatmaps, lineChart } from './lib/svg.mjs';
import { SETUP as DEFAULT_SETUP, FULL_SETUP } from './setup.mjs';

const FULL = process.argv.includes('--full');
const UPDATE_README = process.argv.includes('--update-readme');
const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.join(HERE, 'out');
const SETUP = FULL ? FULL_SETUP : DEFAULT_SETUP;
const MAIN = ['adam', 'adam-warmup', 'radam', 'adam-2k', 'adam-eps', 'adam-eps-scaled'];
const GRID = ['adam', 'adam-warmup', 'radam', 'sgd'];
const HIST = ['adam', 'adam-warmup', 'radam'];

// --- the jobs: every arm at the default learning rate, then the learning-rate grids ---------------
const base = {
  steps: SETUP.steps,
  batch: SETUP.batch,
  model: SETUP.model,
  task: SETUP.task,
  betas: SETUP.betas,
  warmupSteps: SETUP.warmupSteps,
  secondMomentSteps: SETUP.secondMomentSteps,
  curveEvery: SETUP.curveEvery,
  adamEps: SETUP.adamEps,
  scaledEps: SETUP.scaledEps,
};
const jobs = [];
const lrsOf = (arm) => (arm === 'sgd' ? SETUP.sgdLrs : SETUP.lrs);
for (const seed of SETUP.seeds) {
  for (const arm of MAIN) {
    jobs.push({
      ...base,
      arm,
      lr: SETUP.lr,
      seed,
      deltaSteps: HIST.includes(arm) ? SETUP.deltaSteps : 0,
      medianDeltaSteps: arm === 'adam' || arm === 'radam' ? 10 : 0,
      reportGradientScale: arm === 'adam',
    });
  }
  for (const arm of GRID)
    for (const lr of lrsOf(arm)) if (!(MAIN.includes(arm) && lr === SETUP.lr)) jobs.push({ ...base, arm, lr, seed });
}

const threads = Math.max(1, Math.min(os.availableParallelism?.() ?? os.cpus().length, 4));
console.log(
  `${jobs.length} training runs of a ${SETUP.model.layers}-layer Post-LN Transformer (d_model ${SETUP.model.dModel}, ${SETUP.task.task} of ${SETUP.task.seqLen} tokens), ${SETUP.steps} steps each, on ${threads} threads`,
);
const t0 = Date.now();
const results = await runJobs(path.join(HERE, 'worker.mjs'), jobs, { threads, onResult: progressBar(jobs.length) });
process.stdout.write('\n\n');
const seconds = (Date.now() - t0) / 1000;

// --- aggregation --------------------------------------------------------------------------------
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const runs = (arm, lr) => results.filter((r) => r.arm === arm && r.lr === lr).sort((a, b) => a.seed - b.seed);
const final = (arm, lr = SETUP.lr) => median(runs(arm, lr).map((r) => r.loss));
const spread = (arm) => {
  const m = lrsOf(arm).map((lr) => final(arm, lr));
  return Math.max(...m) / Math.min(...m);
};
const label = (arm) => ARMS[arm].label;
const fmt = (x) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toPrecision(3)) : 'diverged');

console.log(
  `final training loss (mean of the last 10% of steps), median over ${SETUP.seeds.length} seeds, lr ${SETUP.lr}:`,
);
for (const arm of MAIN) {
  const rs = runs(arm, SETUP.lr);
  console.log(
    `  ${label(arm).padEnd(16)} ${fmt(final(arm)).padStart(9)}   seeds: ${rs.map((r) => fmt(r.loss)).join(', ')}   held-out token accuracy ${median(rs.map((r) => r.heldOut?.tokenAccuracy ?? 0)).toFixed(3)}`,
  );
}
console.log('\nfinal training loss by learning rate (median over seeds):');
for (const arm of GRID) {
  console.log(
    `  ${label(arm).padEnd(16)} ${lrsOf(arm)
      .map((lr) => `${lr}: ${fmt(final(arm, lr))}`)
      .join('   ')}   spread (max/min) ${fmt(spread(arm))}`,
  );
}

// --- the five criteria of issue 14 -----------------------------------------------------------------
const warm = final('adam-warmup');
const medianDelta = (arm) => median(runs(arm, SETUP.lr).map((r) => r.medianDelta));
const spreads = Object.fromEntries(GRID.map((arm) => [arm, spread(arm)]));
const criteria = [
  {
    id: 1,
    what: 'Adam without warmup ends at >= 2x the final loss of Adam + warmup',
    value: final('adam') / warm,
    measured: `Adam ${fmt(final('adam'))} / Adam + warmup ${fmt(warm)} = ${fmt(final('adam') / warm)}x`,
    pass: final('adam') / warm >= 2,
  },
  {
    id: 2,
    what: 'RAdam (no warmup) and Adam-2k each end within 1.25x of Adam + warmup',
    value: Math.max(final('radam') / warm, final('adam-2k') / warm),
    measured: `RAdam ${fmt(final('radam') / warm)}x, Adam-2k ${fmt(final('adam-2k') / warm)}x of Adam + warmup`,
    pass: final('radam') / warm <= 1.25 && final('adam-2k') / warm <= 1.25,
  },
  {
    id: 3,
    what: "Adam-eps trains (<= 0.5x Adam's final loss) but ends worse than RAdam",
    value: final('adam-eps') / final('adam'),
    measured: `Adam-eps ${fmt(final('adam-eps'))}: ${fmt(final('adam-eps') / final('adam'))}x Adam, ${fmt(final('adam-eps') / final('radam'))}x RAdam`,
    pass: final('adam-eps') <= 0.5 * final('adam') && final('adam-eps') > final('radam'),
  },
  {
    id: 4,
    what: "RAdam's spread over the learning-rate grid (max/min of its median final loss) is the smallest",
    value: spreads.radam,
    measured: GRID.map((arm) => `${label(arm)} ${fmt(spreads[arm])}`).join(', '),
    pass: GRID.every((arm) => arm === 'radam' || spreads.radam < spreads[arm]),
  },
  {
    id: 5,
    what: 'over the first 10 steps, the median |Δθ| of Adam is >= 10x that of RAdam',
    value: medianDelta('adam') / medianDelta('radam'),
    measured: `Adam ${medianDelta('adam').toExponential(2)}, RAdam ${medianDelta('radam').toExponential(2)}: ${fmt(medianDelta('adam') / medianDelta('radam'))}x`,
    pass: medianDelta('adam') / medianDelta('radam') >= 10,
  },
];
console.log('\nthe paper, measured (medians over seeds):');
for (const c of criteria) console.log(`  ${c.pass ? 'PASS ' : 'SHORT'} ${c.id}. ${c.what}: ${c.measured}`);
const sqrtV = median(runs('adam', SETUP.lr).map((r) => r.medianSqrtV));
const scaled = {
  what: `outside the criteria: Adam with eps ${SETUP.scaledEps}, where eps is not negligible against this model's median sqrt(v) ${sqrtV.toExponential(1)}`,
  measured: `${fmt(final('adam-eps-scaled'))}: ${fmt(final('adam-eps-scaled') / final('adam'))}x Adam, ${fmt(final('adam-eps-scaled') / final('radam'))}x RAdam`,
};
console.log(`  (${scaled.what}: ${scaled.measured})`);

// --- figures ----------------------------------------------------------------------------------------
fs.mkdirSync(OUT, { recursive: true });
const curvesOf = (arm) => {
  const rs = runs(arm, SETUP.lr);
  const n = Math.min(...rs.map((r) => r.curve.length));
  const at = (i, f) => f(rs.map((r) => r.curve[i][1]));
  const steps = rs[0].curve.slice(0, n).map(([t]) => t);
  return {
    med: steps.map((t, i) => [t, at(i, median)]),
    lo: steps.map((t, i) => [t, at(i, (xs) => Math.min(...xs))]),
    hi: steps.map((t, i) => [t, at(i, (xs) => Math.min(Math.max(...xs), 1e3))]),
  };
};
const curveData = MAIN.map((arm) => curvesOf(arm));
fs.writeFileSync(
  path.join(OUT, 'curves.svg'),
  lineChart({
    title: `(a) Training loss over steps, lr ${SETUP.lr} (median of ${SETUP.seeds.length} seeds; band: min-max)`,
    xlabel: 'step',
    ylabel: 'training loss (cross-entropy)',
    ylog: true,
    width: 900,
    legendWidth: 200,
    series: MAIN.map((arm, k) => ({ label: label(arm), color: colorOf(k), points: curveData[k].med })),
    bands: MAIN.map((_, k) => ({ color: colorOf(k), lo: curveData[k].lo, hi: curveData[k].hi })),
  }),
);
const { min, max, bins } = DELTA_BINS;
fs.writeFileSync(
  path.join(OUT, 'update-histograms.svg'),
  heatmaps({
    title: `(b) Histogram of log10 |Δθ| over all ${results[0].params} parameters, per step (steps 1-${SETUP.deltaSteps}, lr ${SETUP.lr}, ${SETUP.seeds.length} seeds)`,
    xlabel: 'step',
    ylabel: 'log10 |Δθ|  (bottom row: no change)',
    panels: HIST.map((arm) => {
      const rs = runs(arm, SETUP.lr);
      return {
        title: label(arm),
        columns: rs[0].deltas.map((_, t) => rs[0].deltas[t].map((_, b) => rs.reduce((s, r) => s + r.deltas[t][b], 0))),
      };
    }),
    binLabel: (k) => {
      if (k === 0) return '0';
      const edge = min + ((k - 1) * (max - min)) / bins;
      return k > 1 && Number.isInteger(edge) && Math.abs(edge) % 2 === 1 ? String(edge) : null;
    },
  }),
);
fs.writeFileSync(
  path.join(OUT, 'lr-robustness.svg'),
  lineChart({
    title: `(c) Final training loss vs learning rate (median of ${SETUP.seeds.length} seeds; band: min-max)`,
    xlabel: 'learning rate',
    ylabel: 'final training loss',
    xlog: true,
    ylog: true,
    series: GRID.map((arm, k) => ({
      label: label(arm),
      color: colorOf(k),
      points: lrsOf(arm).map((lr) => [lr, final(arm, lr)]),
    })),
    bands: GRID.map((arm, k) => ({
      color: colorOf(k),
      lo: lrsOf(arm).map((lr) => [lr, Math.min(...runs(arm, lr).map((r) => r.loss))]),
      hi: lrsOf(arm).map((lr) => [lr, Math.min(Math.max(...runs(arm, lr).map((r) => r.loss)), 1e3)]),
    })),
  }),
);
writeRectifier();

// --- results.json (no dates or timings: byte-identical from run to run) -------------------------------
const ordered = [...results].sort((a, b) => a.arm.localeCompare(b.arm) || a.lr - b.lr || a.seed - b.seed);
fs.writeFileSync(
  path.join(OUT, 'results.json'),
  `${JSON.stringify(
    {
      setup: SETUP,
      outsideTheCriteria: scaled,
      criteria: criteria.map(({ id, what, value, measured, pass }) => ({
        id,
        what,
        value,
        measured,
        result: pass ? 'PASS' : 'SHORT',
      })),
      medians: Object.fromEntries(
        GRID.concat(['adam-2k', 'adam-eps', 'adam-eps-scaled']).map((arm) => [
          arm,
          Object.fromEntries(
            (MAIN.includes(arm) && !GRID.includes(arm) ? [SETUP.lr] : lrsOf(arm)).map((lr) => [lr, final(arm, lr)]),
          ),
        ]),
      ),
      runs: ordered.map(({ curve, deltas, ...r }) => r),
    },
    null,
    1,
  )}\n`,
);
console.log(
  `\nwrote demo/out/curves.svg, update-histograms.svg, lr-robustness.svg, rectifier.svg, results.json (${seconds.toFixed(0)} s of training)`,
);

if (UPDATE_README) {
  const readme = path.join(HERE, 'README.md'); // demo/README.md, Results
  const cell = (x) => String(x).replace(/\|/g, '\\|'); // a | inside a table cell
  const block = [
    `Last run (${FULL ? '--full' : 'default'}): ${jobs.length} runs, medians over ${SETUP.seeds.length} seeds.`,
    '',
    '| criterion | measured | |',
    '|---|---|---|',
    ...criteria.map((c) => `| ${c.id}. ${cell(c.what)} | ${cell(c.measured)} | ${c.pass ? 'PASS' : 'SHORT'} |`),
    `| (${cell(scaled.what)}) | ${cell(scaled.measured)} | |`,
    '',
    `| final training loss at lr (SGD: its own lr) | ${SETUP.lrs.map((lr, i) => `${lr} (${SETUP.sgdLrs[i]})`).join(' | ')} | spread |`,
    `|---|${SETUP.lrs.map(() => '---').join('|')}|---|`,
    ...GRID.map(
      (arm) =>
        `| ${label(arm)} | ${lrsOf(arm)
          .map((lr) => fmt(final(arm, lr)))
          .join(' | ')} | ${fmt(spreads[arm])} |`,
    ),
  ].join('\n');
  const text = fs.readFileSync(readme, 'utf8');
  if (!text.includes('<!-- demo:start -->')) throw new Error('demo/README.md has no <!-- demo:start --> marker');
  fs.writeFileSync(readme, text.replace(/(<!-- demo:start -->)[\s\S]*?(<!-- demo:end -->)/, `$1\n${block}\n$2`));
  console.log('updated demo/README.md between <!-- demo:start --> and <!-- demo:end -->');
}

function writeRectifier() {
  const betas2 = [0.9, 0.99, 0.999, 0.9999];
  const T = 5000,
    ts = Array.from({ length: 200 }, (_, i) => Math.round(1 + (T - 1) * (i / 199) ** 2));
  const rect = lineChart({
    title: 'RAdam rectifier r_t over steps (0 until rho_t > 5: momentum steps)',
    xlabel: 'step t',
    ylabel: 'r_t',
    xlog: true,
    series: betas2.map((b2, k) => ({
      label: `beta2 = ${b2}`,
      color: colorOf(k),
      points: ts.map((t) => [t, rectification(t, 0.9, b2).rT ?? 0]),
    })),
  });
  const rho = lineChart({
    title: 'rho_t (length of the approximated SMA) over steps; RAdam rectifies once rho_t > 5',
    xlabel: 'step t',
    ylabel: 'rho_t',
    xlog: true,
    ylog: true,
    series: [
      ...betas2.map((b2, k) => ({
        label: `beta2 = ${b2}`,
        color: colorOf(k),
        points: ts.map((t) => [t, rectification(t, 0.9, b2).rhoT]),
      })),
      {
        label: 'threshold 5',
        color: '#777',
        dash: true,
        points: [
          [1, 5],
          [T, 5],
        ],
      },
    ],
  });
  fs.writeFileSync(
    path.join(OUT, 'rectifier.svg'),
    `<svg xmlns="http://www.w3.org/2000/svg" width="720" height="840" font-family="sans-serif" font-size="12">${rect.replace(/^<svg[^>]*>/, '<g>').replace(/<\/svg>$/, '</g>')}<g transform="translate(0 420)">${rho.replace(/^<svg[^>]*>/, '').replace(/<\/svg>$/, '')}</g></svg>`,
  );
}
