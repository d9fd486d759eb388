// node scripts/test-site.mjs: the site (npm run demo:web) as its visitors get it. Builds it with Vite
// (demo/web/vite.config.mjs → dist-site/), serves it twice with scripts/serve-site.mjs, cross-origin
// isolated at the root and not isolated under a sub-path (as GitHub Pages serves a project's site),
// and drives each in headless Chromium (Debian's, through playwright-core):
// - the landing page links to both pages and says whether it is isolated;
// - the paper page runs a short configuration to the end; its final losses equal those of
//   `node demo/index.mjs --json` for the same configuration, bit for bit (LOSS_TOLERANCE), and so do
//   its criteria; its three charts have data;
// - the benchmark page completes a small run and its JSON (the Copy button's) parses and holds a
//   result for each implementation and size.
// Any page error, console error, failed request or HTTP error fails the page's check. Expects
// `npm run build` to have run (npm test does); builds dist/ only when dist/index.js is missing.
// Writes build/site/last-run.json ({ summary: { passed, failed, skipped }, ... }) and exits 1 on any
// failure. A missing Chromium skips the browser checks loudly, and is a failure when CI=true.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CHROMIUM, launchChromium } from './lib/chromium.mjs';
import { buildSite, ROOT, SITE, serveSite, siteUrl } from './serve-site.mjs';
import { ensureBuilt } from './lib/ensure-built.mjs';

const started = performance.now();
const OUT = path.join(ROOT, 'build/site');
const CI = process.env.CI === 'true';
const rel = (file) => path.relative(ROOT, file);
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

// The paper page's short run and the Node demo's, from one description. Two learning rates, so that
// the grid's arms and the lr chart have more than one point.
const PAPER = { steps: 30, seeds: [1], lr: 0.016, lrs: [0.008, 0.016] };
const PAPER_QUERY = `steps=${PAPER.steps}&seeds=${PAPER.seeds}&lr=${PAPER.lr}&lrs=${PAPER.lrs}&auto=1`;
const NODE_ARGS = ['--steps', PAPER.steps, '--seeds', PAPER.seeds, '--lr', PAPER.lr, '--lrs', PAPER.lrs].map(String);
// Node and Chromium are both V8 and run the same modules on the same kernel: the losses must be the same bits.
const LOSS_TOLERANCE = 0;
const BENCH_SIZES = [4096, 16384];
const BENCH_QUERY = `sizes=${BENCH_SIZES}&quick=1&auto=1`;
// npm run bench -- --quick's implementations; 'threads' (threads: 'auto') only where the page is isolated.
const BENCH_IMPLS = ['simd', 'scalar', 'js', 'plain-js', 'tfjs-wasm-adam'];
const PAGE_TIMEOUT = { paper: 90_000, bench: 60_000 };
const MODES = [
  { name: 'isolated', isolated: true, base: '/' },
  { name: 'not isolated', isolated: false, base: '/radam-wasm/' },
];

fs.rmSync(OUT, { recursive: true, force: true });
fs.mkdirSync(OUT, { recursive: true });

let passed = 0;
let failed = 0;
let skipped = 0;
const report = { paper: { query: PAPER_QUERY, node: NODE_ARGS.join(' ') }, bench: { query: BENCH_QUERY }, checks: [] };
/** One check: `failures` empty passes; a string is one failure. */
function record(name, failures, detail) {
  const list = [failures ?? []].flat();
  list.length ? failed++ : passed++;
  report.checks.push({ name, ok: !list.length, detail, failures: list });
  console.log(`${list.length ? 'FAIL' : 'ok  '} ${name}${detail ? `: ${detail}` : ''}`);
  for (const f of list) console.log(`     ${String(f).replaceAll('\n', '\n     ')}`);
}
/** A check not run. A missing Chromium fails in CI; a check after one that failed is only skipped. */
function skip(name, why, fails = CI) {
  fails ? failed++ : skipped++;
  report.checks.push({ name, ok: false, skipped: why, failures: fails ? [`not run: ${why} (CI=true)`] : [] });
  console.log(`${fails ? 'FAIL' : 'SKIP'} ${name}: not run (${why})`);
}

/** Runs a command; resolves to its output, rejects with its end. */
function run(cmd, args, { timeout = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else
        reject(new Error(`${path.basename(cmd)} ${args.join(' ')} exited with ${code}:\n${out.trim().slice(-1500)}`));
    });
  });
}

// --- the package, the site, the Node reference ---------------------------------------------------
await ensureBuilt(ROOT, run, { timeout: 600_000 });

/** The Node demo's numbers for PAPER: { setup, finalLosses, criteria } or { error }. */
async function nodeReference() {
  const json = path.join(OUT, 'node-demo.json');
  // Without --json the demo would run its full default configuration and rewrite demo/out/.
  if (!fs.readFileSync(path.join(ROOT, 'demo/index.mjs'), 'utf8').includes('--json'))
    return { error: 'demo/index.mjs has no --json option (node demo/index.mjs --steps N --seeds … --json file)' };
  const t = performance.now();
  try {
    await run(process.execPath, ['demo/index.mjs', ...NODE_ARGS, '--json', json]);
    return { ...JSON.parse(fs.readFileSync(json, 'utf8')), ms: performance.now() - t };
  } catch (e) {
    return { error: String(e.message ?? e) };
  }
}

const t = performance.now();
const [build, node] = await Promise.all([
  buildSite({ log: path.join(OUT, 'vite.log') }).then(
    () => ({ ms: performance.now() - t }),
    (e) => ({ error: String(e.message ?? e) }),
  ),
  nodeReference(),
]);
const PAGES = ['index.html', 'paper/index.html', 'bench/index.html', '_headers'];
record(
  'vite build → dist-site/',
  build.error ?? PAGES.filter((f) => !fs.existsSync(path.join(SITE, f))).map((f) => `no dist-site/${f}`),
  build.error ? undefined : `${PAGES.join(', ')} in ${seconds(build.ms)} (${rel(OUT)}/vite.log)`,
);
const nodeLosses = node.finalLosses ? Object.values(node.finalLosses).flat().length : 0;
record(
  `Node demo: node demo/index.mjs ${NODE_ARGS.join(' ')} --json`,
  node.error ?? (nodeLosses ? [] : 'its JSON has no finalLosses'),
  node.error ? undefined : `${nodeLosses} final losses in ${seconds(node.ms)}`,
);
report.node = node;

// --- Chromium ------------------------------------------------------------------------------------
/** A new tab whose problems (page errors, console errors, failed requests, HTTP errors) are collected. */
async function openTab(context) {
  const tab = await context.newPage();
  const problems = [];
  tab.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  tab.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()} (${m.location().url})`));
  tab.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  tab.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`));
  return { tab, problems };
}

/** Waits for `window[name].done`; resolves to the object, or throws with the page's `window[state]`. */
async function resultOf(tab, name, state, timeout) {
  try {
    await tab.waitForFunction((n) => window[n]?.done === true, name, { timeout, polling: 250 });
  } catch (e) {
    const last = await tab.evaluate((s) => JSON.stringify(window[s] ?? null), state).catch(() => '?');
    throw new Error(`window.${name} never came (${e.message.split('\n')[0]}); window.${state}: ${last}`);
  }
  return tab.evaluate((n) => window[n], name);
}

/** The landing page: both links, and the isolation it reports. Resolves to the pages' URLs. */
async function checkLanding(context, url, mode) {
  const { tab, problems } = await openTab(context);
  const failures = [];
  const links = {};
  try {
    await tab.goto(url);
    Object.assign(
      links,
      await tab.evaluate(() => ({
        paper: document.getElementById('paper')?.href,
        bench: document.getElementById('bench')?.href,
      })),
    );
    for (const page of ['paper', 'bench'])
      if (links[page] !== `${url}${page}/`)
        failures.push(`its ${page} link is ${links[page]}, expected ${url}${page}/`);
    const isolated = await tab.evaluate(() => self.crossOriginIsolated);
    if (isolated !== mode.isolated) failures.push(`crossOriginIsolated is ${isolated}, expected ${mode.isolated}`);
    const said = await tab.evaluate(() => document.getElementById('isolation')?.textContent ?? '');
    if (!said.includes(mode.isolated ? 'is cross-origin isolated' : 'is not cross-origin isolated'))
      failures.push(`it says "${said}"`);
  } catch (e) {
    failures.push(String(e.message ?? e));
  } finally {
    await tab.close();
  }
  record(`landing page (${mode.name}, ${url})`, [...problems, ...failures], 'links to paper/ and bench/');
  return { paper: `${url}paper/`, bench: `${url}bench/` };
}

/** Compares the page's final losses and criteria with the Node demo's; returns { failures, detail }. */
function compareWithNode(page) {
  if (node.error) return { failures: [`no Node reference: ${node.error.split('\n')[0]}`] };
  const failures = [];
  const keys = [...new Set([...Object.keys(page.finalLosses ?? {}), ...Object.keys(node.finalLosses)])].sort();
  let total = 0;
  let same = 0;
  let worst = 0;
  for (const key of keys) {
    const a = page.finalLosses?.[key];
    const b = node.finalLosses[key];
    if (!Array.isArray(a) || !Array.isArray(b)) {
      failures.push(`${key}: ${Array.isArray(a) ? 'not in the Node demo' : 'not on the page'}`);
      continue;
    }
    if (a.length !== b.length) failures.push(`${key}: ${a.length} seeds on the page, ${b.length} in Node`);
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      total++;
      // JSON writes a diverged (non-finite) loss as null.
      if (Object.is(a[i], b[i]) || (b[i] === null && !Number.isFinite(a[i]))) {
        same++;
        continue;
      }
      const diff = Math.abs(a[i] - b[i]) / Math.abs(b[i]);
      worst = Math.max(worst, Number.isNaN(diff) ? Infinity : diff);
      if (!(diff <= LOSS_TOLERANCE)) failures.push(`${key} seed #${i + 1}: page ${a[i]}, Node ${b[i]}`);
    }
  }
  if (!total) failures.push('no final losses to compare');
  const criterion = (c) => `${c.id}. ${c.measured}: ${(c.pass ?? c.result === 'PASS') ? 'PASS' : 'SHORT'}`;
  const pageCriteria = (page.criteria ?? []).map(criterion);
  const nodeCriteria = (node.criteria ?? []).map(criterion);
  if (pageCriteria.join('\n') !== nodeCriteria.join('\n'))
    failures.push(
      `the criteria differ:\n  page: ${pageCriteria.join('\n        ')}\n  Node: ${nodeCriteria.join('\n        ')}`,
    );
  if (failures.length && JSON.stringify(page.setup) !== JSON.stringify(node.setup))
    failures.push(`the setups differ:\n  page: ${JSON.stringify(page.setup)}\n  Node: ${JSON.stringify(node.setup)}`);
  const detail = `${same}/${total} final losses bit-identical${worst ? `, worst relative difference ${worst.toExponential(1)}` : ''}, ${pageCriteria.length} criteria`;
  return { failures, detail };
}

async function checkPaper(context, url, mode) {
  const name = `paper page (${mode.name})`;
  const { tab, problems } = await openTab(context);
  let result;
  let dom;
  const t0 = performance.now();
  try {
    await tab.goto(`${url}?${PAPER_QUERY}`);
    result = await resultOf(tab, 'paperResult', 'paperState', PAGE_TIMEOUT.paper);
    // uPlot draws each chart into a canvas inside a .uplot element.
    dom = await tab.evaluate(() => ({
      isolated: self.crossOriginIsolated,
      cpus: navigator.hardwareConcurrency,
      uplots: [...document.querySelectorAll('.uplot')].map((u) => {
        const c = u.querySelector('canvas');
        return c ? c.width * c.height : 0;
      }),
    }));
  } catch (e) {
    record(`${name}: runs ${PAPER_QUERY} to the end`, [...problems, String(e.message ?? e)]);
    skip(`${name}: final losses equal the Node demo's`, 'the page did not finish', false);
    skip(`${name}: charts have data`, 'the page did not finish', false);
    return;
  } finally {
    await tab.close();
  }
  const ms = performance.now() - t0;
  const runFailures = [...problems, ...(result.errors ?? []).map((e) => `paperResult.errors: ${e}`)];
  if (dom.isolated !== mode.isolated)
    runFailures.push(`crossOriginIsolated is ${dom.isolated}, expected ${mode.isolated}`);
  if (result.isolated !== dom.isolated)
    runFailures.push(`paperResult.isolated is ${result.isolated}, the page is ${dom.isolated}`);
  if (mode.isolated && dom.cpus > 1 && !(result.threads > 1))
    runFailures.push(`isolated with ${dom.cpus} CPUs, yet paperResult.threads is ${result.threads}`);
  if (result.setup?.steps !== PAPER.steps)
    runFailures.push(`paperResult.setup.steps is ${result.setup?.steps}, asked ${PAPER.steps}`);
  const losses = Object.values(result.finalLosses ?? {}).flat();
  if (!losses.length) runFailures.push('paperResult.finalLosses is empty');
  const criteria = result.criteria ?? [];
  if (criteria.length !== 5 || criteria.some((c) => typeof c.pass !== 'boolean' || !c.measured))
    runFailures.push(`paperResult.criteria: ${JSON.stringify(criteria)}, expected five { id, what, measured, pass }`);
  record(
    `${name}: runs ${PAPER_QUERY} to the end`,
    runFailures,
    `${losses.length} runs on ${result.threads} thread(s) in ${seconds(ms)}`,
  );

  const { failures, detail } = compareWithNode(result);
  record(`${name}: final losses equal the Node demo's`, failures, detail);

  const charts = result.charts ?? {};
  const chartFailures = ['curves', 'heatmap', 'lr']
    .filter((k) => !(charts[k] > 0))
    .map((k) => `paperResult.charts.${k} is ${charts[k]}, expected a positive count`);
  if (dom.uplots.length < 2 || dom.uplots.some((px) => !px))
    chartFailures.push(`uPlot charts on the page: ${dom.uplots.length} (canvas pixels ${dom.uplots.join(', ')})`);
  record(
    `${name}: charts have data`,
    chartFailures,
    `curves ${charts.curves} points, heat map ${charts.heatmap} cells, lr ${charts.lr} points; ${dom.uplots.length} uPlot charts`,
  );
  report.paper[mode.name] = { ms, threads: result.threads, isolated: result.isolated, finalLosses: result.finalLosses };
}

async function checkBench(context, url, mode) {
  const name = `bench page (${mode.name}): runs ${BENCH_QUERY}, its JSON parses`;
  const { tab, problems } = await openTab(context);
  const failures = [];
  let json;
  const t0 = performance.now();
  try {
    await tab.goto(`${url}?${BENCH_QUERY}`);
    const result = await resultOf(tab, 'benchResult', 'benchState', PAGE_TIMEOUT.bench);
    json = JSON.parse(result.json);
  } catch (e) {
    failures.push(String(e.message ?? e));
  } finally {
    await tab.close();
  }
  const ms = performance.now() - t0;
  let detail;
  if (json) {
    if (typeof json.browser !== 'string' || !json.browser) failures.push(`browser: ${JSON.stringify(json.browser)}`);
    if (!(json.cpus >= 1)) failures.push(`cpus: ${JSON.stringify(json.cpus)}`);
    if (json.isolated !== mode.isolated) failures.push(`isolated: ${json.isolated}, expected ${mode.isolated}`);
    const results = Array.isArray(json.results) ? json.results : [];
    const impls = [...new Set(results.map((r) => r.impl))];
    for (const r of results)
      if (!(Number.isFinite(r.nsPerElement) && r.nsPerElement > 0))
        failures.push(`${r.impl} at ${r.n}: nsPerElement ${r.nsPerElement}`);
    for (const n of BENCH_SIZES)
      for (const impl of impls)
        if (!results.some((r) => r.n === n && r.impl === impl)) failures.push(`no ${impl} at ${n}`);
    for (const r of results) if (!BENCH_SIZES.includes(r.n)) failures.push(`${r.impl} at ${r.n}: a size not asked for`);
    const expected = mode.isolated ? [...BENCH_IMPLS, 'threads'] : BENCH_IMPLS;
    if ([...expected].sort().join() !== [...impls].sort().join())
      failures.push(`implementations: ${impls.join(', ') || 'none'}; expected ${expected.join(', ')}`);
    detail = `${results.length} results (${impls.join(', ')}) in ${seconds(ms)}`;
    report.bench[mode.name] = json;
  }
  record(name, [...problems, ...failures], detail);
}

if (!fs.existsSync(CHROMIUM)) {
  console.log(`\n!!! SKIPPED the pages in Chromium: ${CHROMIUM} is missing (apt-get install chromium) !!!\n`);
  for (const mode of MODES) skip(`the pages (${mode.name})`, `${CHROMIUM} missing`);
} else if (build.error) {
  for (const mode of MODES) skip(`the pages (${mode.name})`, 'the site did not build', false);
} else {
  const browser = await launchChromium();
  report.chromium = `Chromium ${browser.version()}`;
  try {
    for (const mode of MODES) {
      const server = await serveSite({ port: 0, isolated: mode.isolated, base: mode.base });
      const context = await browser.newContext();
      try {
        const urls = await checkLanding(context, siteUrl(server, mode.base), mode);
        await checkPaper(context, urls.paper, mode);
        await checkBench(context, urls.bench, mode);
      } finally {
        await context.close();
        server.close();
      }
    }
  } finally {
    await browser.close();
  }
}

const summary = { passed, failed, skipped };
fs.writeFileSync(
  path.join(OUT, 'last-run.json'),
  `${JSON.stringify({ date: new Date().toISOString(), summary, ...report }, null, 1)}\n`,
);
console.log(
  `site: ${passed} passed, ${failed} failed, ${skipped} skipped in ${seconds(performance.now() - started)} ` +
    `(${rel(OUT)}/last-run.json)`,
);
process.exitCode = failed ? 1 : 0;
