// The benchmark page: bench/'s cases (./cases.mjs) measured by bench/'s harness (bench/lib/measure.mjs)
// in this browser, drawn as a chart and a table as each N completes; the Copy button copies the JSON
// (./report.mjs). Test hooks: window.benchState while running, window.benchResult at the end.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { RAdam } from 'radam-wasm';
import { version } from '../../../package.json';
import { BYTES_PER_ELEMENT, bySize, harness } from '../../../bench/lib/measure.mjs';
import { cases, setupTfjs } from './cases.mjs';
import { chartData, fmt, parseQuery, resultsJson, shortN, tableRows } from './report.mjs';

const $ = (id) => document.getElementById(id);
const isolated = self.crossOriginIsolated === true;
// bench/lib/report.mjs's chart colours, simd first.
const COLORS = ['#d62728', '#9467bd', '#ff7f0e', '#bcbd22', '#7f7f7f', '#1f77b4', '#17becf', '#e377c2', '#2ca02c'];

$('browser').textContent = navigator.userAgent;
$('cpus').textContent = String(navigator.hardwareConcurrency ?? 'unknown');
$('isolated').textContent = isolated
  ? 'yes: radam-wasm may use threads here, so the table has a threads row'
  : 'no (the server sends no COOP/COEP headers): no threads row; everything else runs';

/** Yields to the browser between benchmark.js runs (a message, unlike a timer, is not throttled). */
const pause = () =>
  new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(0);
  });

let chart = null;
function drawChart(sizes) {
  const { impls, data } = chartData(sizes);
  chart?.destroy();
  const box = $('chart');
  const axis = { stroke: '#888', grid: { stroke: '#8883' }, ticks: { stroke: '#8883' } };
  chart = new uPlot(
    {
      width: Math.max(320, Math.min(box.clientWidth || 900, 960)),
      height: 420,
      title: 'ns per element per step (log scales; lower is faster)',
      scales: { x: { time: false, distr: 3, log: 2 }, y: { distr: 3, log: 10 } },
      axes: [
        // uPlot passes null for the splits it leaves unlabelled.
        { ...axis, label: 'N (elements, one tensor)', values: (_, splits) => splits.map((v) => (v ? shortN(v) : '')) },
        { ...axis, label: 'ns / element', size: 60, values: (_, splits) => splits.map((v) => (v ? fmt(v) : '')) },
      ],
      series: [
        { label: 'N', value: (_, v) => (v == null ? '' : shortN(v)) },
        ...impls.map(({ label }, k) => ({
          label,
          stroke: COLORS[k % COLORS.length],
          width: 2,
          points: { show: true, size: 6 },
          value: (_, v) => (v == null ? '–' : `${fmt(v)} ns`),
        })),
      ],
    },
    data,
    box,
  );
}

function drawTable(sizes) {
  const { head, rows } = tableRows(sizes);
  const table = $('table');
  table.replaceChildren();
  const tr = table.createTHead().insertRow();
  for (const text of ['implementation', ...head]) {
    const th = document.createElement('th');
    th.textContent = text;
    tr.append(th);
  }
  const body = table.createTBody();
  for (const row of rows) {
    const r = body.insertRow();
    r.insertCell().textContent = row.label;
    for (const cell of row.cells) {
      const td = r.insertCell();
      if (!cell) {
        td.textContent = '–';
        continue;
      }
      const ratio = document.createElement('small');
      ratio.textContent = ` (${cell.ratio})`;
      td.append(cell.ns, ratio);
    }
  }
  const caption = table.createCaption();
  caption.textContent = 'ns per element per step; in parentheses, the time relative to radam-wasm simd';
}

let json = null;
async function copy() {
  try {
    await navigator.clipboard.writeText(json);
    $('copied').textContent = 'Copied.';
  } catch {
    // No clipboard access (not a secure context, or permission refused): select it for the user.
    $('json-box').open = true;
    $('json').select();
    $('copied').textContent = 'Select and copy the JSON below (the clipboard is not available here).';
  }
}

/** What the page learns once, before any run: tfjs's wasm backend, the library's backend and threads. */
let setup;
async function prepare() {
  const [tfjs, probe] = await Promise.all([setupTfjs(), RAdam.create()]);
  const backendAuto = probe.backend;
  probe.dispose();
  let threads = 0;
  if (isolated) {
    const opt = await RAdam.create({ threads: 'auto' });
    threads = opt.threads;
    opt.dispose();
  }
  $('library').textContent =
    `${version}; backend 'auto' is ${backendAuto} here` +
    (isolated ? `; threads: 'auto' uses ${threads} thread${threads > 1 ? 's' : ''}` : '');
  $('tfjs').textContent =
    `${tfjs.version}, wasm backend${tfjs.simd ? ' with SIMD' : ' without SIMD'}, one thread (as in Node)`;
  return { tfjs, backendAuto, threads };
}

async function run({ sizes, quick }) {
  $('run').disabled = $('copy').disabled = true;
  $('error').textContent = $('copied').textContent = '';
  $('table').replaceChildren();
  chart?.destroy();
  chart = null;
  const t0 = performance.now();
  const list = cases(setup.threads);
  const { rounds, options } = harness(quick);
  const total = sizes.reduce((sum, n) => sum + rounds(n) * list.length, 0);
  const state = { phase: 'running', done: 0, total };
  window.benchState = state;
  const progress = $('progress');
  progress.max = total;
  progress.value = 0;
  const results = {};
  const errors = [];
  const log = (line) => ($('status').textContent = line.trim());
  const step = async () => {
    state.done++;
    progress.value = state.done;
    await pause();
  };
  try {
    for (const n of sizes) {
      state.n = n;
      results[n] = await bySize(n, list, rounds(n), options(n), { log, pause: step });
      drawChart(results);
      drawTable(results);
    }
    log(
      `Done: ${sizes.length} sizes, ${list.length} implementations in ${((performance.now() - t0) / 1000).toFixed(1)} s.`,
    );
  } catch (e) {
    // Shown on the page and in the JSON, not logged: a report with the error is more useful.
    errors.push(String(e?.stack ?? e));
    $('error').textContent = `The run stopped: ${e?.message ?? e}`;
  }
  json = resultsJson(
    {
      browser: navigator.userAgent,
      cpus: navigator.hardwareConcurrency,
      isolated,
      date: new Date().toISOString(),
      seconds: Math.round((performance.now() - t0) / 100) / 10,
      quick,
      sizes,
      backendAuto: setup.backendAuto,
      threads: setup.threads || null,
      tfjsWasm: { simd: setup.tfjs.simd, threads: 1 },
      versions: { 'radam-wasm': version, '@tensorflow/tfjs-core': setup.tfjs.version },
      harness: {
        rounds: Object.fromEntries(sizes.map((n) => [n, rounds(n)])),
        benchmarkOptions: Object.fromEntries(sizes.map((n) => [n, options(n)])),
        bytesPerElement: BYTES_PER_ELEMENT,
      },
      ...(errors.length ? { errors } : {}),
    },
    results,
  );
  $('json').value = json;
  $('run').disabled = $('copy').disabled = false;
  state.phase = errors.length ? 'failed' : 'done';
  window.benchResult = { done: true, json, errors };
}

function settingsFromForm() {
  const q = new URLSearchParams({ sizes: $('sizes').value.replace(/\s+/g, '') });
  if ($('quick').checked) q.set('quick', '1');
  return parseQuery(`?${q}`);
}

let query;
try {
  query = parseQuery(location.search);
} catch (e) {
  $('error').textContent = e.message;
  query = parseQuery('');
  if (new URLSearchParams(location.search).get('auto') === '1')
    window.benchResult = { done: true, json: null, errors: [e.message] };
}
$('sizes').value = query.sizes.join(',');
$('quick').checked = query.quick;
$('copy').addEventListener('click', copy);
$('run').addEventListener('click', () => {
  let settings;
  try {
    settings = settingsFromForm();
  } catch (e) {
    $('error').textContent = e.message;
    return;
  }
  run(settings);
});
window.benchState = { phase: 'loading', done: 0, total: 0 };
try {
  setup = await prepare();
  $('run').disabled = false;
  $('status').textContent = 'Ready: press Run (the default sizes take a minute or two; the page is busy meanwhile).';
  window.benchState.phase = 'ready';
  if (query.auto && !window.benchResult) run(query);
} catch (e) {
  $('error').textContent = `Could not start: ${e?.message ?? e}`;
  window.benchState.phase = 'failed';
  window.benchResult = { done: true, json: null, errors: [String(e?.stack ?? e)] };
}
