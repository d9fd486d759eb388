// npm run demo [-- --full] [-- --update-readme] [-- --state bfloat16]
// node demo/index.mjs [--steps N] [--seeds 1,2] [--lr X] [--lrs a,b,c] [--json file] [--state bfloat16]
//
// The RAdam paper (Liu et al. 2019) reproduced on your machine, with this library's kernel: a small
// Post-LN Transformer (demo/lib/transformer.mjs, forward and backward by hand) on a task generated
// in code (demo/lib/seq-task.mjs), trained with the paper's arms (demo/lib/paper.mjs): Adam, Adam +
// linear warmup, RAdam, Adam-2k, Adam-eps, and SGD with momentum for the learning-rate figure.
// Prints the five measured criteria as PASS or SHORT and writes demo/out/results.json and the
// figures (curves.svg, update-histograms.svg, lr-robustness.svg, rectifier.svg). Deterministic:
// two runs write the same bytes. demo/README.md's tables change only with --update-readme.
// --steps, --seeds, --lr and --lrs change the setup as the paper page's controls do
// (demo/lib/experiment.mjs); then only the table is printed, and --json writes { setup,
// finalLosses, criteria } to a file: the page's numbers for the same settings, to compare.
// --state bfloat16 runs every arm with bfloat16 optimizer state (stateDtype) and writes its
// results.json and figures to demo/out/bf16/ instead, so demo/out/ keeps the float32 run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { rectification } from '../dist/index.js';
import {
  GRID,
  HIST,
  histogramColumns,
  jobsOf,
  label,
  lrSeries,
  lrsOf,
  MAIN,
  fmt,
  curveBands,
  reportLines,
  setupOf,
  STATE_DTYPES,
  summarize,
} from './lib/experiment.mjs';
import { DELTA_BINS } from './lib/paper.mjs';
import { progressBar, runJobs } from './lib/pool.mjs';
import { colorOf, heatmaps, lineChart } from './lib/svg.mjs';
import { SETUP as DEFAULT_SETUP, FULL_SETUP } from './setup.mjs';

const { values: args } = parseArgs({
  options: {
    full: { type: 'boolean' },
    'update-readme': { type: 'boolean' },
    steps: { type: 'string' },
    seeds: { type: 'string' },
    lr: { type: 'string' },
    lrs: { type: 'string' },
    json: { type: 'string' },
    state: { type: 'string' },
  },
});
const numbers = (flag) => {
  if (args[flag] === undefined) return undefined;
  const xs = args[flag].split(',').map((x) => (x.trim() === '' ? Number.NaN : Number(x)));
  if (!xs.every(Number.isFinite)) throw new RangeError(`demo/index.mjs: --${flag} takes numbers, got '${args[flag]}'`);
  return xs;
};
const FULL = !!args.full;
const UPDATE_README = !!args['update-readme'];
const CUSTOM = ['steps', 'seeds', 'lr', 'lrs', 'json'].some((k) => args[k] !== undefined);
if (CUSTOM && UPDATE_README) throw new RangeError('demo/index.mjs: --update-readme records the default run only');
if (args.state !== undefined && !STATE_DTYPES.includes(args.state))
  throw new RangeError(`demo/index.mjs: --state takes ${STATE_DTYPES.join(' or ')}, got '${args.state}'`);
const BF16 = args.state === 'bfloat16';
if (BF16 && UPDATE_README) throw new RangeError('demo/index.mjs: --update-readme records the float32 run only');
const HERE = path.dirname(fileURLToPath(import.meta.url));
// The bfloat16 run has its own directory: demo/out/ stays the float32 run's, as committed.
const OUT = path.join(HERE, 'out', ...(BF16 ? ['bf16'] : []));
const OUT_NAME = BF16 ? 'demo/out/bf16/' : 'demo/out/';
const STATE_NOTE = BF16 ? ', bfloat16 state' : ''; // in the figures' titles
const SETUP = setupOf(FULL ? FULL_SETUP : DEFAULT_SETUP, {
  steps: numbers('steps')?.[0],
  seeds: numbers('seeds'),
  lr: numbers('lr')?.[0],
  lrs: numbers('lrs'),
  stateDtype: args.state,
});
const jobs = jobsOf(SETUP);

const threads = Math.max(1, Math.min(os.availableParallelism?.() ?? os.cpus().length, 4));
console.log(
  `${jobs.length} training runs of a ${SETUP.model.layers}-layer Post-LN Transformer (d_model ${SETUP.model.dModel}, ${SETUP.task.task} of ${SETUP.task.seqLen} tokens), ${SETUP.steps} steps each, on ${threads} threads${BF16 ? ', bfloat16 optimizer state' : ''}`,
);
const t0 = Date.now();
const results = await runJobs(path.join(HERE, 'worker.mjs'), jobs, { threads, onResult: progressBar(jobs.length) });
process.stdout.write('\n\n');
const seconds = (Date.now() - t0) / 1000;

const summary = summarize(results, SETUP);
const { runs, final, spreads, criteria, outside } = summary;
console.log(reportLines(summary, SETUP).join('\n'));
if (args.json) {
  const { finalLosses } = summary;
  fs.writeFileSync(args.json, `${JSON.stringify({ setup: SETUP, finalLosses, criteria }, null, 1)}\n`);
  console.log(`\nwrote ${args.json} (${seconds.toFixed(0)} s of training)`);
}
if (CUSTOM) process.exit(0); // demo/out and the README record the default (or --full) run only

// --- figures ----------------------------------------------------------------------------------------
fs.mkdirSync(OUT, { recursive: true });
const curveData = MAIN.map((arm) => {
  const b = curveBands(runs(arm, SETUP.lr).map((r) => r.curve));
  const at = (ys) => b.step.map((t, i) => [t, ys[i] ?? Number.NaN]);
  return { med: at(b.med), lo: at(b.lo), hi: at(b.hi) };
});
// Adam-eps at the paper's 1e-4 lies on Adam's curve: dashed over a wider Adam, both show.
const styleOf = (arm) => (arm === 'adam' ? { width: 4 } : arm === 'adam-eps-paper' ? { dash: true } : {});
fs.writeFileSync(
  path.join(OUT, 'curves.svg'),
  lineChart({
    title: `(a) Training loss over steps, lr ${SETUP.lr}${STATE_NOTE} (median of ${SETUP.seeds.length} seeds; band: min-max)`,
    xlabel: 'step',
    ylabel: 'training loss (cross-entropy)',
    ylog: true,
    width: 900,
    legendWidth: 200,
    series: MAIN.map((arm, k) => ({ label: label(arm), color: colorOf(k), points: curveData[k].med, ...styleOf(arm) })),
    bands: MAIN.map((_, k) => ({ color: colorOf(k), lo: curveData[k].lo, hi: curveData[k].hi })),
  }),
);
const { min, max, bins } = DELTA_BINS;
fs.writeFileSync(
  path.join(OUT, 'update-histograms.svg'),
  heatmaps({
    title: `(b) Histogram of log10 |Δθ| over all ${results[0].params} parameters, per step (steps 1-${SETUP.deltaSteps}, lr ${SETUP.lr}, ${SETUP.seeds.length} seeds${STATE_NOTE})`,
    xlabel: 'step',
    ylabel: 'log10 |Δθ|  (bottom row: no change)',
    panels: HIST.map((arm) => {
      const rs = runs(arm, SETUP.lr);
      return {
        title: label(arm),
        columns: histogramColumns(rs.map((r) => r.deltas)),
      };
    }),
    binLabel: (k) => {
      if (k === 0) return '0';
      const edge = min + ((k - 1) * (max - min)) / bins;
      return k > 1 && Number.isInteger(edge) && Math.abs(edge) % 2 === 1 ? String(edge) : null;
    },
  }),
);
const lrData = GRID.map((arm) => lrSeries(summary, SETUP, arm));
const pointsOf = (d, ys) => d.lrs.map((lr, i) => [lr, ys[i] ?? Number.NaN]);
fs.writeFileSync(
  path.join(OUT, 'lr-robustness.svg'),
  lineChart({
    title: `(c) Final training loss vs learning rate${STATE_NOTE} (median of ${SETUP.seeds.length} seeds; band: min-max)`,
    xlabel: 'learning rate',
    ylabel: 'final training loss',
    xlog: true,
    ylog: true,
    width: 840,
    legendWidth: 310,
    series: GRID.map((arm, k) => ({
      label: `${label(arm)}${lrData[k].diverged.length ? ` (diverged at ${lrData[k].diverged.join(', ')})` : ''}`,
      color: colorOf(k),
      points: pointsOf(lrData[k], lrData[k].med),
    })),
    bands: lrData.map((d, k) => ({
      color: colorOf(k),
      lo: pointsOf(d, d.lo),
      hi: pointsOf(d, d.hi),
    })),
  }),
);
if (!BF16) writeRectifier(); // it does not depend on the state: demo/out/rectifier.svg

// --- results.json (no dates or timings: byte-identical from run to run) -------------------------------
const ordered = [...results].sort((a, b) => a.arm.localeCompare(b.arm) || a.lr - b.lr || a.seed - b.seed);
fs.writeFileSync(
  path.join(OUT, 'results.json'),
  `${JSON.stringify(
    {
      setup: SETUP,
      outsideTheCriteria: outside,
      criteria: criteria.map(({ id, what, value, measured, pass }) => ({
        id,
        what,
        value,
        measured,
        result: pass ? 'PASS' : 'SHORT',
      })),
      medians: Object.fromEntries(
        GRID.concat(['adam-2k', 'adam-eps', 'adam-eps-paper']).map((arm) => [
          arm,
          Object.fromEntries(
            (MAIN.includes(arm) && !GRID.includes(arm) ? [SETUP.lr] : lrsOf(SETUP, arm)).map((lr) => [
              lr,
              final(arm, lr),
            ]),
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
  `\nwrote ${OUT_NAME}curves.svg, update-histograms.svg, lr-robustness.svg, ${BF16 ? '' : 'rectifier.svg, '}results.json (${seconds.toFixed(0)} s of training)`,
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
    `| (${cell(outside.what)}) | ${cell(outside.measured)} | |`,
    '',
    `| final training loss at lr (SGD: its own lr) | ${SETUP.lrs.map((lr, i) => `${lr} (${SETUP.sgdLrs[i]})`).join(' | ')} | spread |`,
    `|---|${SETUP.lrs.map(() => '---').join('|')}|---|`,
    ...GRID.map(
      (arm) =>
        `| ${label(arm)} | ${lrsOf(SETUP, arm)
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
