// The paper page: the Node demo's experiment (demo/lib/experiment.mjs: the same setup, jobs,
// criteria and summary) run live in Web Workers, each one trainRun of demo/lib/paper.mjs on the
// library's kernel. Charts fill in as the runs report; the criteria appear when the last run ends.
//
// Query parameters (the site test drives them): steps, seeds (comma list), lr, lrs (comma list),
// auto=1 (start at once). While running, window.paperState = { phase, done, total }; at the end,
// window.paperResult = { done, setup, finalLosses, criteria, charts, isolated, threads, errors }.
import { SETUP } from '../../setup.mjs';
import {
  criterionLine,
  curveBands,
  fmt,
  GRID,
  HIST,
  histogramColumns,
  jobsOf,
  label,
  lrSeries,
  lrsOf,
  MAIN,
  setupOf,
  summarize,
} from '../../lib/experiment.mjs';
import { DELTA_BINS } from '../../lib/paper.mjs';
import { COLORS, heatmaps, lineChart } from './charts.mjs';

const $ = (id) => document.getElementById(id);
const isolated = globalThis.crossOriginIsolated === true;
// Several workers where the page is isolated (the site serves COOP/COEP), one where it is not.
const THREADS = isolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1;

window.paperState = { phase: 'idle', done: 0, total: 0 };

$('isolation').textContent = isolated
  ? `Cross-origin isolated: ${THREADS} training runs in parallel, one Web Worker each (${navigator.hardwareConcurrency} logical CPUs).`
  : 'Not cross-origin isolated: the runs train one at a time, in one Web Worker. Served with the headers ' +
    'Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp ' +
    '(npm run demo:web does), the page runs up to 4 in parallel.';
$('isolation').className = isolated ? 'ok' : 'warn';

// --- the controls ---------------------------------------------------------------------------------
const params = new URLSearchParams(location.search);
const list = (s) => s.split(',').map((x) => (x.trim() === '' ? Number.NaN : Number(x)));
const form = $('controls');
const seedsOf = (n) => Array.from({ length: n }, (_, i) => i + 1);
let querySeeds = params.has('seeds') ? list(params.get('seeds')) : null;
form.lr.value = params.get('lr') ?? SETUP.lr;
form.steps.value = params.get('steps') ?? SETUP.steps;
form.seeds.value = querySeeds?.length ?? SETUP.seeds.length;
form.lrs.value = (params.has('lrs') ? list(params.get('lrs')) : SETUP.lrs).join(', ');
form.seeds.addEventListener('input', () => {
  querySeeds = null; // the count now decides: seeds 1..n
});

/** The setup the controls describe (setupOf validates it; its RangeError names the bad value). */
function setupFromForm() {
  const one = (name) => {
    const v = Number(form[name].value);
    if (form[name].value.trim() === '' || !Number.isFinite(v)) throw new RangeError(`${name} must be a number`);
    return v;
  };
  const n = one('seeds');
  if (!querySeeds && (!Number.isInteger(n) || n < 1 || n > 20))
    throw new RangeError(`seeds must be a whole number from 1 to 20, got ${form.seeds.value}`);
  return setupOf(SETUP, {
    steps: one('steps'),
    seeds: querySeeds ?? seedsOf(n),
    lr: one('lr'),
    lrs: list(form.lrs.value),
  });
}

function showCommand() {
  try {
    const s = setupFromForm();
    const runs = jobsOf(s).length;
    $('command').textContent =
      `node demo/index.mjs --steps ${s.steps} --seeds ${s.seeds.join(',')} --lr ${s.lr} --lrs ${s.lrs.join(',')}`;
    $('size').textContent = `${runs} training runs of ${s.steps} steps`;
    $('form-error').textContent = '';
  } catch (e) {
    $('form-error').textContent = e.message;
  }
}
form.addEventListener('input', showCommand);
showCommand();

// --- a run ----------------------------------------------------------------------------------------
let current = null;

form.addEventListener('submit', (e) => {
  e.preventDefault();
  if (current) current.stop('stopped');
  else start();
});

function start() {
  let setup;
  try {
    setup = setupFromForm();
  } catch (e) {
    $('form-error').textContent = e.message;
    return;
  }
  current = run(setup);
}

function run(setup) {
  const jobs = jobsOf(setup);
  // The main arms first (every seed), so the curves and heat maps fill in early; results are kept
  // by job index, and nothing computed from them depends on the order they arrive in.
  const order = jobs.map((_, i) => i).sort((a, b) => MAIN.includes(jobs[b].arm) - MAIN.includes(jobs[a].arm) || a - b);
  const results = new Array(jobs.length);
  const curves = jobs.map(() => []);
  const hists = jobs.map(() => []);
  const stepsDone = new Array(jobs.length).fill(0);
  const errors = [];
  const t0 = performance.now();
  let done = 0;
  let next = 0;
  let phase = 'running';
  window.paperResult = undefined;
  window.paperState = { phase, done, total: jobs.length };
  form.go.textContent = 'Stop';
  for (const id of ['results', 'lr-figure']) $(id).hidden = true;
  $('progress').max = jobs.length * setup.steps;
  $('progress').value = 0;

  // Charts for this setup.
  $('curves').replaceChildren();
  $('heatmaps').replaceChildren();
  $('lr-chart').replaceChildren();
  const style = (arm) => (arm === 'adam' ? { width: 4 } : arm === 'adam-eps-paper' ? { dash: [6, 4] } : {});
  const curveChart = lineChart($('curves'), {
    xlabel: 'step',
    ylabel: 'training loss (cross-entropy)',
    ylog: true,
    series: MAIN.map((arm, k) => ({ label: label(arm), color: COLORS[k], ...style(arm) })),
  });
  legend($('curves-legend'), MAIN, style);
  const { min, max, bins } = DELTA_BINS;
  const heat = heatmaps($('heatmaps'), {
    titles: HIST.map(label),
    steps: setup.deltaSteps,
    bins,
    binLabel: (k) => {
      if (k === 0) return '0';
      const edge = min + ((k - 1) * (max - min)) / bins;
      return k > 1 && Number.isInteger(edge) && Math.abs(edge) % 2 === 1 ? String(edge) : null;
    },
  });
  $('curves-title').textContent =
    `(a) Training loss over steps at lr ${setup.lr} (median of ${seedCount(setup)}; band: min-max)`;
  $('heat-title').textContent =
    `(b) Histogram of log10 |Δθ| over all parameters, per step (steps 1-${setup.deltaSteps}, lr ${setup.lr}, ${seedCount(setup)}): Adam's first step moves every weight by lr`;

  const idsOf = (arm) => jobs.flatMap((j, i) => (j.arm === arm && j.lr === setup.lr ? [i] : []));
  const xSteps = [];
  for (let t = 1; t <= setup.steps; t++)
    if ((t === 1 && setup.curveEvery > 1) || t % setup.curveEvery === 0) xSteps.push(t);
  let dirty = false;
  const redraw = () => {
    dirty = false;
    const lines = MAIN.map((arm) => {
      const b = curveBands(idsOf(arm).map((i) => curves[i]));
      const at = (ys) => xSteps.map((t) => (b.step.includes(t) ? ys[b.step.indexOf(t)] : null));
      return { med: at(b.med), lo: at(b.lo), hi: at(b.hi) };
    });
    curveChart.update({ x: xSteps, lines });
    heat.update(
      HIST.map((arm) =>
        histogramColumns(
          idsOf(arm)
            .map((i) => hists[i])
            .filter((h) => h.length),
        ),
      ),
    );
    const stepsNow = stepsDone.reduce((a, b) => a + b, 0);
    const total = jobs.length * setup.steps;
    const elapsed = (performance.now() - t0) / 1000;
    $('progress').value = stepsNow;
    const eta = stepsNow ? (elapsed / stepsNow) * (total - stepsNow) : null;
    $('status').textContent =
      phase === 'running'
        ? `${done} of ${jobs.length} runs done, ${elapsed.toFixed(0)} s${eta === null ? '' : `, about ${eta.toFixed(0)} s left`}`
        : `${phase === 'done' ? 'done' : phase}: ${done} of ${jobs.length} runs in ${elapsed.toFixed(0)} s`;
  };
  const schedule = () => {
    if (!dirty) {
      dirty = true;
      requestAnimationFrame(redraw);
    }
  };
  const ticker = setInterval(schedule, 1000); // the elapsed time moves even between reports

  const workers = [];
  const finish = (how) => {
    if (phase !== 'running') return;
    phase = how;
    clearInterval(ticker);
    for (const w of workers) w.terminate();
    current = null;
    form.go.textContent = 'Run';
    redraw();
    const charts = { curves: curveChart.points(), heatmap: heat.cells(), lr: 0 };
    let summary = null;
    if (how === 'done') {
      summary = summarize(results, setup);
      charts.lr = showResults(summary, setup);
    }
    window.paperState = { phase: how, done, total: jobs.length };
    window.paperResult = {
      done: true,
      setup,
      finalLosses: summary?.finalLosses ?? {},
      criteria: summary?.criteria ?? [],
      charts,
      isolated,
      threads: THREADS,
      seconds: (performance.now() - t0) / 1000,
      errors,
    };
  };
  const fail = (message) => {
    errors.push(message);
    $('run-error').textContent = `A training run failed: ${message}`;
    finish('failed');
  };
  const feed = (w) => {
    if (next >= order.length) return;
    const id = order[next++];
    w.postMessage({ ...jobs[id], id });
  };
  for (let k = 0; k < Math.min(THREADS, jobs.length); k++) {
    const w = new Worker(new URL('./train.worker.mjs', import.meta.url), { type: 'module' });
    workers.push(w);
    w.onmessage = ({ data: m }) => {
      if (phase !== 'running') return;
      if (m.type === 'curve') {
        curves[m.id].push(m.point);
        stepsDone[m.id] = Math.min(setup.steps, m.point[0]);
      } else if (m.type === 'hist') hists[m.id].push(m.hist);
      else if (m.type === 'error') return fail(m.error);
      else if (m.type === 'done') {
        results[m.id] = m.result;
        curves[m.id] = m.result.curve; // the run's own record (the same points)
        stepsDone[m.id] = setup.steps;
        done++;
        window.paperState = { phase, done, total: jobs.length };
        if (done === jobs.length) return finish('done');
        feed(w);
      }
      schedule();
    };
    w.onerror = (e) => {
      e.preventDefault();
      fail(e.message || 'the training worker could not start');
    };
    feed(w);
  }
  schedule();
  return { stop: finish };
}

const seedCount = (setup) => `${setup.seeds.length} seed${setup.seeds.length > 1 ? 's' : ''}`;

/** The legend under a chart: one swatch per arm, drawn as its line is. */
function legend(el, arms, style) {
  el.replaceChildren(
    ...arms.map((arm) => {
      const item = document.createElement('span');
      const s = style(arm);
      const k = MAIN.includes(arm) ? MAIN.indexOf(arm) : GRID.indexOf(arm);
      item.innerHTML = `<svg width="28" height="10"><line x1="1" x2="27" y1="5" y2="5" stroke="${COLORS[k]}" stroke-width="${s.width ?? 2}"${s.dash ? ' stroke-dasharray="6,4"' : ''}/></svg>`;
      item.append(label(arm));
      return item;
    }),
  );
}

/** Figure (c), the criteria and the final losses; returns the lr chart's point count. */
function showResults(summary, setup) {
  $('lr-figure').hidden = false;
  $('results').hidden = false;
  const data = GRID.map((arm) => lrSeries(summary, setup, arm));
  const x = [...new Set(data.flatMap((d) => d.lrs))].sort((a, b) => a - b);
  const at = (d, ys) => x.map((lr) => (d.lrs.includes(lr) ? ys[d.lrs.indexOf(lr)] : null));
  const chart = lineChart($('lr-chart'), {
    xlabel: 'learning rate (SGD: its own, 100x)',
    ylabel: 'final training loss',
    xlog: true,
    ylog: true,
    fitX: true,
    series: GRID.map((arm, k) => ({ label: label(arm), color: COLORS[k], points: true })),
  });
  chart.update({ x, lines: data.map((d) => ({ med: at(d, d.med), lo: at(d, d.lo), hi: at(d, d.hi) })) });
  legend($('lr-legend'), GRID, () => ({}));
  const diverged = data.flatMap((d, k) =>
    d.diverged.length ? [`${label(GRID[k])} diverged at ${d.diverged.join(', ')}`] : [],
  );
  $('lr-note').textContent = diverged.length ? `${diverged.join('; ')} (no point drawn).` : '';

  $('criteria').replaceChildren(
    ...summary.criteria.map((c) => {
      const li = document.createElement('li');
      li.className = c.pass ? 'pass' : 'short';
      const mark = document.createElement('b');
      mark.className = 'mark';
      mark.textContent = c.pass ? 'PASS' : 'SHORT';
      li.append(mark, criterionLine(c).slice(6));
      return li;
    }),
  );
  $('outside').textContent = `(${summary.outside.what}: ${summary.outside.measured})`;
  const head = `<tr><th>arm</th>${setup.lrs.map((lr, i) => `<th>${lr} <small>(SGD ${setup.sgdLrs[i]})</small></th>`).join('')}<th>spread</th></tr>`;
  const rows = GRID.map(
    (arm) =>
      `<tr><td>${label(arm)}</td>${lrsOf(setup, arm)
        .map((lr) => `<td>${fmt(summary.final(arm, lr))}</td>`)
        .join('')}<td>${fmt(summary.spreads[arm])}</td></tr>`,
  );
  const main = MAIN.filter((arm) => !GRID.includes(arm)).map(
    (arm) =>
      `<tr><td>${label(arm)}</td><td colspan="${setup.lrs.length + 1}">${fmt(summary.final(arm))} at lr ${setup.lr}</td></tr>`,
  );
  $('losses').innerHTML = head + rows.join('') + main.join('');
  return chart.points();
}

if (params.get('auto') === '1') start();
