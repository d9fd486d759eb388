// The paper's experiment as data, shared by the Node demo (demo/index.mjs) and the paper page
// (demo/web/paper/): the setup a user's changes give, the job list, and what the results say (final
// losses, the five criteria, the figures' series). Both run these functions, so the same setup
// gives the same jobs, and the same results the same numbers and PASS/SHORT lines.
import { ARMS } from './paper.mjs';

/** The arms at the default learning rate (curves, histograms, criteria). */
export const MAIN = ['adam', 'adam-warmup', 'radam', 'adam-2k', 'adam-eps', 'adam-eps-paper'];
/** The arms run over the learning-rate grid. */
export const GRID = ['adam', 'adam-warmup', 'radam', 'sgd'];
/** The arms whose first steps' updates are histogrammed. */
export const HIST = ['adam', 'adam-warmup', 'radam'];
/** SGD's learning rates are this multiple of the grid's (its momentum step averages g instead of summing it). */
export const SGD_SCALE = 100;

export const lrsOf = (setup, arm) => (arm === 'sgd' ? setup.sgdLrs : setup.lrs);
export const label = (arm) => ARMS[arm].label;

const positive = (x) => typeof x === 'number' && Number.isFinite(x) && x > 0;

/** The optimizers' state dtypes (the library's `stateDtype` option). */
export const STATE_DTYPES = ['float32', 'bfloat16'];

/**
 * `base` (demo/setup.mjs) with what a user changes: { steps, seeds, lr, lrs, stateDtype }, each
 * optional. The warmup and Adam-2k's K keep their share of the steps; SGD's grid follows lrs
 * (SGD_SCALE x). stateDtype 'bfloat16' sets every arm's optimizer state to bfloat16; 'float32',
 * the default, leaves no key (the default setup, jobs and results.json stay as they were).
 * Throws a RangeError naming the option and the bad value; `base` is never modified.
 */
export function setupOf(base, { steps, seeds, lr, lrs, stateDtype } = {}) {
  const s = { ...base };
  if (stateDtype !== undefined) {
    if (!STATE_DTYPES.includes(stateDtype))
      throw new RangeError(`setupOf: stateDtype must be one of ${STATE_DTYPES.join(', ')}, got ${stateDtype}`);
    if (stateDtype === 'float32') delete s.stateDtype;
    else s.stateDtype = stateDtype;
  }
  if (steps !== undefined) {
    if (!Number.isInteger(steps) || steps < 1 || steps > 100_000)
      throw new RangeError(`setupOf: steps must be an integer in [1, 100000], got ${steps}`);
    s.steps = steps;
    s.warmupSteps = Math.max(1, Math.round((base.warmupSteps / base.steps) * steps));
    s.secondMomentSteps = Math.max(1, Math.round((base.secondMomentSteps / base.steps) * steps));
    s.deltaSteps = Math.min(base.deltaSteps, steps);
  }
  if (seeds !== undefined) {
    const ok =
      Array.isArray(seeds) &&
      seeds.length > 0 &&
      seeds.every((x) => Number.isSafeInteger(x) && x >= 0) &&
      new Set(seeds).size === seeds.length;
    if (!ok) throw new RangeError(`setupOf: seeds must be distinct integers >= 0, got ${JSON.stringify(seeds)}`);
    s.seeds = [...seeds];
  }
  if (lr !== undefined) {
    if (!positive(lr)) throw new RangeError(`setupOf: lr must be a number > 0, got ${lr}`);
    s.lr = lr;
  }
  if (lrs !== undefined) {
    if (!Array.isArray(lrs) || !lrs.length || !lrs.every(positive) || new Set(lrs).size !== lrs.length)
      throw new RangeError(`setupOf: lrs must be distinct numbers > 0, got ${JSON.stringify(lrs)}`);
    s.lrs = [...lrs].sort((a, b) => a - b);
    s.sgdLrs = s.lrs.map((x) => +(x * SGD_SCALE).toPrecision(12));
  }
  return s;
}

/** The training jobs of a setup: every arm at the default lr, then the grids; each seed in turn. */
export function jobsOf(setup) {
  const base = {
    steps: setup.steps,
    batch: setup.batch,
    model: setup.model,
    task: setup.task,
    betas: setup.betas,
    warmupSteps: setup.warmupSteps,
    secondMomentSteps: setup.secondMomentSteps,
    curveEvery: setup.curveEvery,
    adamEpsRatio: setup.adamEpsRatio,
    paperEps: setup.paperEps,
    ...(setup.stateDtype ? { stateDtype: setup.stateDtype } : {}),
  };
  const jobs = [];
  for (const seed of setup.seeds) {
    for (const arm of MAIN) {
      jobs.push({
        ...base,
        arm,
        lr: setup.lr,
        seed,
        deltaSteps: HIST.includes(arm) ? setup.deltaSteps : 0,
        medianDeltaSteps: arm === 'adam' || arm === 'radam' ? Math.min(10, setup.steps) : 0,
        reportGradientScale: arm === 'adam',
      });
    }
    for (const arm of GRID)
      for (const lr of lrsOf(setup, arm))
        if (!(MAIN.includes(arm) && lr === setup.lr)) jobs.push({ ...base, arm, lr, seed });
  }
  return jobs;
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
/** A loss as the tables print it: 3 significant digits, integers from 100, 'diverged' for Infinity. */
export const fmt = (x) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toPrecision(3)) : 'diverged');

/**
 * What the results of jobsOf(setup) say. Returns { runs(arm, lr), final(arm, lr), spreads,
 * finalLosses ({ 'arm@lr': loss per seed, in seed order }), criteria ([{ id, what, value,
 * measured, pass }]), outside ({ what, measured }: the paper's eps, outside the criteria),
 * sqrtV, firstGradScale, eps (medians over seeds) }.
 */
export function summarize(results, setup) {
  const runs = (arm, lr) => results.filter((r) => r.arm === arm && r.lr === lr).sort((a, b) => a.seed - b.seed);
  const final = (arm, lr = setup.lr) => median(runs(arm, lr).map((r) => r.loss));
  const spread = (arm) => {
    const m = lrsOf(setup, arm).map((lr) => final(arm, lr));
    return Math.max(...m) / Math.min(...m);
  };
  const finalLosses = {};
  for (const r of [...results].sort((a, b) => a.seed - b.seed)) (finalLosses[`${r.arm}@${r.lr}`] ??= []).push(r.loss);

  const warm = final('adam-warmup');
  const medianOf = (arm, key) => median(runs(arm, setup.lr).map((r) => r[key]));
  const medianDelta = (arm) => medianOf(arm, 'medianDelta');
  const spreads = Object.fromEntries(GRID.map((arm) => [arm, spread(arm)]));
  const ratio = setup.adamEpsRatio;
  const eps = medianOf('adam-eps', 'eps');
  const firstGradScale = medianOf('adam-eps', 'firstGradScale');
  const sqrtV = medianOf('adam', 'medianSqrtV');
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
      what: `Adam-eps (eps = ${ratio === 1 ? '' : `${ratio} x `}the median |g| of the first step) trains (<= 0.5x Adam's final loss) but ends worse than RAdam`,
      value: final('adam-eps') / final('adam'),
      measured: `eps ${eps.toExponential(1)}: Adam-eps ${fmt(final('adam-eps'))}, ${fmt(final('adam-eps') / final('adam'))}x Adam, ${fmt(final('adam-eps') / final('radam'))}x RAdam`,
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
      what: `over the first ${Math.min(10, setup.steps)} steps, the median |Δθ| of Adam is >= 10x that of RAdam`,
      value: medianDelta('adam') / medianDelta('radam'),
      measured: `Adam ${medianDelta('adam').toExponential(2)}, RAdam ${medianDelta('radam').toExponential(2)}: ${fmt(medianDelta('adam') / medianDelta('radam'))}x`,
      pass: medianDelta('adam') / medianDelta('radam') >= 10,
    },
  ];
  const paper = final('adam-eps-paper');
  const outside = {
    what: `outside the criteria: Adam with the paper's eps ${setup.paperEps.toExponential()}, against this model's median |g| of the first step ${firstGradScale.toExponential(1)} and Adam's final median sqrt(v̂) ${sqrtV.toExponential(1)}`,
    measured: `${fmt(paper)}: ${fmt(paper / final('adam'))}x Adam, ${fmt(paper / final('radam'))}x RAdam`,
  };
  return { runs, final, spreads, finalLosses, criteria, outside, sqrtV, firstGradScale, eps };
}

/** A criterion as printed: 'PASS  1. what: measured' or 'SHORT 3. ...'. */
export const criterionLine = (c) => `${c.pass ? 'PASS ' : 'SHORT'} ${c.id}. ${c.what}: ${c.measured}`;

/** The summary as the Node demo prints it, one string per line. */
export function reportLines(summary, setup) {
  const { runs, final, spreads } = summary;
  return [
    `final training loss (mean of the last 10% of steps), median over ${setup.seeds.length} seeds, lr ${setup.lr}:`,
    ...MAIN.map((arm) => {
      const rs = runs(arm, setup.lr);
      return `  ${label(arm).padEnd(16)} ${fmt(final(arm)).padStart(9)}   seeds: ${rs.map((r) => fmt(r.loss)).join(', ')}   held-out token accuracy ${median(rs.map((r) => r.heldOut?.tokenAccuracy ?? 0)).toFixed(3)}`;
    }),
    '',
    'final training loss by learning rate (median over seeds):',
    ...GRID.map(
      (arm) =>
        `  ${label(arm).padEnd(16)} ${lrsOf(setup, arm)
          .map((lr) => `${lr}: ${fmt(final(arm, lr))}`)
          .join('   ')}   spread (max/min) ${fmt(spreads[arm])}`,
    ),
    '',
    'the paper, measured (medians over seeds):',
    ...summary.criteria.map((c) => `  ${criterionLine(c)}`),
    `  (${summary.outside.what}: ${summary.outside.measured})`,
  ];
}

/**
 * Figure (a)'s data for one arm, from its seeds' curves ([[step, loss]]): per point, the median over
 * the seeds and the band (min, max). Takes what the seeds have so far (the page draws runs in
 * progress); a diverged seed (its curve ends in Infinity) counts as Infinity from there on, and
 * hi is null where a seed diverged: the band reaches the top of the axis instead of stretching it.
 */
export function curveBands(curves) {
  const n = Math.max(0, ...curves.map((c) => c.length));
  const step = [],
    med = [],
    lo = [],
    hi = [];
  const diverged = (c) => c.length > 0 && !Number.isFinite(c.at(-1)[1]);
  for (let i = 0; i < n; i++) {
    const ys = curves
      .filter((c) => i < c.length || diverged(c))
      .map((c) => (i < c.length ? c[i][1] : Number.POSITIVE_INFINITY));
    step.push(curves.find((c) => i < c.length)[i][0]);
    const finite = ys.filter(Number.isFinite);
    const m = median(ys);
    med.push(Number.isFinite(m) ? m : null);
    lo.push(finite.length ? Math.min(...finite) : null);
    hi.push(finite.length === ys.length ? Math.max(...finite) : null);
  }
  return { step, med, lo, hi };
}

/** Figure (b)'s data for one arm: per step, the bin counts summed over the seeds' histograms. */
export function histogramColumns(histograms) {
  const n = Math.max(0, ...histograms.map((h) => h.length));
  return Array.from({ length: n }, (_, t) => {
    const cols = histograms.filter((h) => t < h.length).map((h) => h[t]);
    return cols[0].map((_, b) => cols.reduce((s, c) => s + c[b], 0));
  });
}

/** Figure (c)'s data for one arm: per lr, the median over seeds (null: diverged) and the band over finite seeds. */
export function lrSeries(summary, setup, arm) {
  const lrs = lrsOf(setup, arm);
  const losses = lrs.map((lr) => summary.runs(arm, lr).map((r) => r.loss));
  const finite = (xs) => xs.filter(Number.isFinite);
  return {
    lrs,
    med: losses.map((xs) => (Number.isFinite(median(xs)) ? median(xs) : null)),
    lo: losses.map((xs) => (finite(xs).length ? Math.min(...finite(xs)) : null)),
    hi: losses.map((xs) => (finite(xs).length ? Math.max(...finite(xs)) : null)),
    diverged: lrs.filter((_, i) => !Number.isFinite(median(losses[i]))),
  };
}
