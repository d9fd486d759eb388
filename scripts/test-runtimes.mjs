// npm run test:runtimes (also the last part of npm test): the same smoke test (backend detection
// and torch golden cases at the golden tolerance, test/runtimes/smoke.mjs) in Node (the machine's,
// and the pinned LTS lines 22, 24 and 26 of scripts/lts-nodes.mjs, fetched once), headless
// Chromium (dist/ loaded as plain ES modules, and an esbuild bundle made with no configuration),
// Bun, Deno and Cloudflare workerd; plus the browser example, screenshotted. A runtime whose binary
// is missing is skipped, loudly; any failure fails the run. Writes build/runtimes/last-run.json
// and the support table in docs/runtimes.md.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { SMOKE_CASES } from '../test/runtimes/smoke.mjs';
import { LTS_NODES, SKIPPED, ltsNode } from './lts-nodes.mjs';
import { serve } from './serve.mjs';
import { CHROMIUM, launchChromium } from './lib/chromium.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'build/runtimes');
const BIN = (name) => path.join(ROOT, 'node_modules/.bin', name);
fs.rmSync(OUT, { recursive: true, force: true });
fs.mkdirSync(OUT, { recursive: true });

const all = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/golden/public.json'), 'utf8')).cases;
const cases = SMOKE_CASES.map((n) => all.find((c) => c.name === n));
fs.writeFileSync(path.join(OUT, 'cases.json'), JSON.stringify(cases));
const CASES_URL = '/build/runtimes/cases.json';

const exists = (file) => fs.existsSync(file);
const version = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8' }).trim().split('\n')[0];

function run(cmd, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, ...options });
    let stdout = '',
      stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${path.basename(cmd)} exited with ${code}: ${stderr.slice(-2000)}`));
    });
  });
}
const lastJson = (text) => JSON.parse(text.trim().split('\n').at(-1));

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

// --- the runtimes ---------------------------------------------------------------------------------
// Node has worker_threads and shared memory everywhere: on a machine with more than one core,
// threads: 'auto' must really split the step there (elsewhere one thread is the right answer).
const CORES = os.availableParallelism?.() ?? os.cpus().length;
/** A Node row; `fetch` gives the binary's path, or (the LTS lines) null if skipped, or throws (CI). */
const nodeRuntime = (name, fetch, skipReason) => ({
  name,
  fetch,
  skipReason,
  expectAuto: 'simd',
  minThreads: CORES > 1 ? 2 : 1,
  version: (bin) => version(bin, ['--version']),
  run: async (bin) => lastJson(await run(bin, ['test/runtimes/cli.mjs', 'radam-wasm', path.join(OUT, 'cases.json')])),
});
const runtimes = [
  nodeRuntime(`Node ${process.versions.node.split('.')[0]}`, async () => process.execPath),
  ...Object.keys(LTS_NODES).map((major) =>
    nodeRuntime(
      `Node ${major} (LTS)`,
      () => ltsNode(major),
      () => SKIPPED[major],
    ),
  ),
  {
    name: 'Bun',
    bin: BIN('bun'),
    expectAuto: 'simd',
    version: () => `bun ${version(BIN('bun'), ['--version'])} (JavaScriptCore)`,
    run: async () =>
      lastJson(await run(BIN('bun'), ['test/runtimes/cli.mjs', 'radam-wasm', path.join(OUT, 'cases.json')])),
  },
  {
    name: 'Deno',
    bin: BIN('deno'),
    expectAuto: 'simd',
    version: () => version(BIN('deno'), ['--version']),
    run: async () =>
      lastJson(
        await run(
          BIN('deno'),
          ['run', '--allow-read', 'test/runtimes/cli.mjs', '../../dist/index.js', path.join(OUT, 'cases.json')],
          { env: { ...process.env, NO_COLOR: '1' } },
        ),
      ),
  },
  {
    name: 'Chromium (dist/ as ES modules)',
    bin: CHROMIUM,
    expectAuto: 'simd',
    version: () => chromiumVersion,
    run: () => inChromium('/test/runtimes/browser.html'),
  },
  {
    name: 'Chromium, CSP forbidding WebAssembly',
    bin: CHROMIUM,
    version: () => chromiumVersion,
    expectAuto: 'js',
    run: () => inChromium('/test/runtimes/browser-csp.html'),
  },
  {
    name: 'Chromium (esbuild bundle, no config)',
    bin: CHROMIUM,
    expectAuto: 'simd',
    version: () => chromiumVersion,
    run: async () => {
      await bundleApp();
      return inChromium('/build/runtimes/bundle/index.html');
    },
  },
  {
    name: 'workerd',
    bin: BIN('workerd'),
    expectAuto: 'simd',
    version: () => version(BIN('workerd'), ['--version']),
    run: inWorkerd,
  },
];

let browser, server, chromiumVersion;
async function chromium() {
  if (!browser) {
    browser = await launchChromium();
    chromiumVersion = `Chromium ${browser.version()}`;
    server = await serve(ROOT, 0);
  }
  return { browser, base: `http://127.0.0.1:${server.address().port}` };
}

async function inChromium(page) {
  const { browser: b, base } = await chromium();
  const tab = await b.newPage();
  const errors = [];
  tab.on('pageerror', (e) => errors.push(String(e)));
  await tab.goto(`${base}${page}?cases=${CASES_URL}`);
  try {
    await tab.waitForFunction(() => window.smokeResult, null, { timeout: 60_000 });
  } catch (e) {
    throw new Error(`${page}: no result (${errors.join('; ') || e.message})`);
  }
  const result = await tab.evaluate(() => window.smokeResult);
  await tab.close();
  return result;
}

async function bundleApp() {
  const dir = path.join(OUT, 'bundle');
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'test/runtimes/bundle-app.mjs')],
    bundle: true,
    format: 'esm',
    splitting: true,
    outdir: dir,
    platform: 'browser',
    logLevel: 'warning',
  });
  fs.writeFileSync(
    path.join(dir, 'index.html'),
    '<!doctype html><meta charset="utf-8"><script type="module" src="./bundle-app.js"></script>',
  );
}

async function inWorkerd() {
  const dir = path.join(OUT, 'workerd');
  // The 'workerd' condition selects dist/workerd.js, which imports ./radam.*.wasm: kept as modules.
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'test/runtimes/worker.mjs')],
    bundle: true,
    format: 'esm',
    outfile: path.join(dir, 'worker.js'),
    conditions: ['workerd', 'worker', 'browser'],
    platform: 'neutral',
    external: ['*.wasm'],
    logLevel: 'warning',
  });
  const worker = fs.readFileSync(path.join(dir, 'worker.js'), 'utf8');
  const wasm = [...new Set([...worker.matchAll(/from\s+"([^"]+\.wasm)"/g)].map((m) => m[1]))];
  if (wasm.length !== 2)
    throw new Error(`expected the worker bundle to import the two .wasm kernels, found ${JSON.stringify(wasm)}`);
  for (const w of wasm) fs.copyFileSync(path.join(ROOT, 'dist', path.basename(w)), path.join(dir, path.basename(w)));
  const port = await freePort();
  fs.writeFileSync(
    path.join(dir, 'config.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
${wasm.map((w) => `    (name = "${w.replace(/^\.\//, '')}", wasm = embed "${path.basename(w)}"),`).join('\n')}
  ],
  compatibilityDate = "2025-01-01",
);
`,
  );
  const child = spawn(BIN('workerd'), ['serve', path.join(dir, 'config.capnp')], { cwd: dir });
  let log = '';
  child.stderr.on('data', (d) => {
    log += d;
  });
  try {
    for (let i = 0; i < 100; i++) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/`);
        if (res.ok) return await res.json();
        throw new Error(`workerd answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
      } catch (e) {
        if (!String(e.cause?.code ?? e.message).includes('ECONNREFUSED'))
          throw new Error(`${e.message}\n${log.slice(-1500)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    throw new Error(`workerd did not start: ${log.slice(-1500)}`);
  } finally {
    child.kill();
  }
}

// --- the browser example, screenshotted --------------------------------------------------------
async function browserExample() {
  const { browser: b, base } = await chromium();
  const tab = await b.newPage({ viewport: { width: 900, height: 600 } });
  const errors = [];
  tab.on('pageerror', (e) => errors.push(String(e)));
  await tab.goto(`${base}/examples/browser/index.html?steps=300`);
  await tab
    .waitForFunction(() => window.trainingDone, null, { timeout: 60_000 })
    .catch(() => {
      throw new Error(`examples/browser did not finish: ${errors.join('; ')}`);
    });
  const shot = path.join(OUT, 'browser-example.png');
  await tab.screenshot({ path: shot });
  // The chart drew: its canvas holds pixels of the loss line's colour, and the loss fell.
  const drawn = await tab.evaluate(() => {
    const canvas = document.querySelector('.uplot canvas');
    const { data, width, height } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let line = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] > 200 && data[i + 1] < 80 && data[i + 2] < 80) line++;
    return { line, width, height, losses: window.losses };
  });
  await tab.close();
  const ok = drawn.line > 200 && drawn.losses.at(-1) < drawn.losses[0] / 10;
  return {
    ok,
    screenshot: path.relative(ROOT, shot),
    linePixels: drawn.line,
    firstLoss: drawn.losses[0],
    lastLoss: drawn.losses.at(-1),
  };
}

// --- threads in Chromium, with and without cross-origin isolation ----------------------------------
async function threadsInChromium(isolated) {
  const { browser: b, base } = await chromium();
  const tab = await b.newPage();
  const errors = [];
  tab.on('pageerror', (e) => errors.push(String(e)));
  await tab.goto(`${base}${isolated ? '/isolated' : ''}/test/runtimes/threads.html`);
  await tab
    .waitForFunction(() => window.threadsResult, null, { timeout: 60_000 })
    .catch(() => {
      throw new Error(`threads page did not finish: ${errors.join('; ')}`);
    });
  const r = await tab.evaluate(() => window.threadsResult);
  await tab.close();
  const ok = r.same && r.isolated === isolated && (isolated ? r.threads > 1 && r.splits === 10 : r.threads === 1);
  return { ok, ...r };
}

// --- run, report ---------------------------------------------------------------------------------
const report = { date: new Date().toISOString(), cases: SMOKE_CASES, runtimes: [] };
// In CI (CI=true) a missing runtime is a failure: CI installs them all.
const skipIsFailure = process.env.CI === 'true';
let failed = 0,
  passed = 0,
  skipped = 0;
for (const rt of runtimes) {
  let bin = rt.bin;
  if (rt.fetch) {
    // The pinned LTS Nodes: ltsNode prints the banner when it skips one, and throws in CI.
    try {
      bin = await rt.fetch();
    } catch (e) {
      const entry = { name: rt.name, version: '-', failures: [String(e.message ?? e)] };
      console.log(`FAIL ${entry.name.padEnd(38)} ${entry.failures[0]}`);
      report.runtimes.push(entry);
      failed++;
      continue;
    }
    if (!bin) {
      report.runtimes.push({ name: rt.name, skipped: rt.skipReason?.() ?? 'binary missing' });
      skipped++;
      continue;
    }
  } else if (!exists(bin)) {
    console.log(`\n!!! SKIPPED ${rt.name}: its binary ${bin} is missing. Install it to test this runtime. !!!\n`);
    report.runtimes.push({ name: rt.name, skipped: `binary ${bin} missing` });
    skipIsFailure ? failed++ : skipped++;
    continue;
  }
  let entry;
  try {
    const result = await rt.run(bin);
    const ran = result.results.filter((r) => !r.skipped);
    const bad = ran.filter((r) => !r.ok);
    // Every runtime here has 128-bit SIMD: 'auto' must pick it; where WebAssembly is forbidden, js.
    if (result.auto !== rt.expectAuto)
      bad.push({ backend: 'auto', name: 'detection', error: `picked ${result.auto}, expected ${rt.expectAuto}` });
    // threads: 'auto' (one thread where shared memory is missing) must give one thread's bits.
    if (!result.threads.same)
      bad.push({ backend: 'threads', name: 'threads', error: result.threads.error ?? 'bits differ from one thread' });
    // Node rows are strict: 'auto' must have started workers (same above then means it split every step).
    if (rt.minThreads && !(result.threads.threads >= rt.minThreads))
      bad.push({
        backend: 'threads',
        name: 'threads',
        error: `'auto' gave ${result.threads.threads} thread(s) on ${CORES} cores, expected at least ${rt.minThreads}`,
      });
    entry = {
      name: rt.name,
      version: rt.version(bin),
      auto: result.auto,
      backends: [...new Set(ran.map((r) => r.backend))],
      worst: Math.max(...ran.map((r) => r.worst ?? Infinity)),
      threads: result.threads.threads,
      cases: ran.length,
      failures: bad.map((r) => `${r.backend}/${r.name}: ${r.error ?? `worst ${r.worst}`}`),
    };
  } catch (e) {
    let version = '?';
    try {
      version = rt.version(bin);
    } catch {
      /* the failure below says why */
    }
    entry = { name: rt.name, version, failures: [String(e.message ?? e)] };
  }
  const ok = entry.failures.length === 0;
  ok ? passed++ : failed++;
  console.log(
    `${ok ? 'ok  ' : 'FAIL'} ${entry.name.padEnd(38)} ${String(entry.version).padEnd(42)} auto=${entry.auto ?? '?'} threads=${entry.threads ?? '?'}  ${entry.cases ?? 0} case runs, worst ${entry.worst?.toExponential(1) ?? '-'}`,
  );
  for (const f of entry.failures) console.log(`     ${f}`);
  report.runtimes.push(entry);
}
if (exists(CHROMIUM)) {
  for (const isolated of [true, false]) {
    let r;
    try {
      r = await threadsInChromium(isolated);
    } catch (e) {
      r = { ok: false, error: String(e.message ?? e) };
    }
    (report.threads ??= []).push(r);
    r.ok ? passed++ : failed++;
    console.log(
      `${r.ok ? 'ok  ' : 'FAIL'} Chromium threads, ${isolated ? 'cross-origin isolated' : 'not isolated'}: ${r.error ?? `threads ${r.threads}, bits ${r.same ? 'identical to one thread' : 'DIFFERENT'}`}`,
    );
  }
  try {
    report.browserExample = await browserExample();
  } catch (e) {
    report.browserExample = { ok: false, error: String(e.message ?? e) };
  }
  const ex = report.browserExample;
  ex.ok ? passed++ : failed++;
  console.log(
    `${ex.ok ? 'ok  ' : 'FAIL'} examples/browser in Chromium: ${ex.error ?? `loss ${ex.firstLoss?.toFixed(3)} -> ${ex.lastLoss?.toFixed(4)}, ${ex.linePixels} chart pixels, screenshot ${ex.screenshot}`}`,
  );
} else {
  console.log(`\n!!! SKIPPED examples/browser: ${CHROMIUM} is missing !!!\n`);
  skipIsFailure ? failed++ : skipped++;
}
await browser?.close();
server?.close();

// No date in the table: README.md changes only when a version or a result does.
const table = [
  `From the last \`npm run test:runtimes\` (golden cases ${SMOKE_CASES.join(', ')} on every backend each runtime supports):`,
  '',
  "| runtime | version tested | backend picked (`auto`) | backends run | `threads: 'auto'` | result |",
  '|---|---|---|---|---|---|',
  ...report.runtimes.map(
    (r) =>
      `| ${r.name} | ${r.version ?? '-'} | ${r.auto ?? '-'} | ${(r.backends ?? []).join(', ') || '-'} | ${r.threads ?? '-'} | ${r.skipped ? `skipped: ${r.skipped}` : r.failures.length ? '**failed**' : `passed (worst ${r.worst.toExponential(1)})`} |`,
  ),
].join('\n');
// docs/runtimes.md's table changes only when asked (npm run test:runtimes -- --update-readme), so that
// running the tests never edits a tracked file.
if (process.argv.includes('--update-readme')) {
  const readme = path.join(ROOT, 'docs/runtimes.md');
  const text = fs.readFileSync(readme, 'utf8');
  const re = /(<!-- runtimes:start -->\n)[\s\S]*?(\n<!-- runtimes:end -->)/;
  if (re.test(text)) fs.writeFileSync(readme, text.replace(re, `$1${table}$2`));
}
report.summary = { passed, failed, skipped };
fs.writeFileSync(path.join(OUT, 'last-run.json'), `${JSON.stringify(report, null, 1)}\n`);
console.log(`runtimes: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed ? 1 : 0;
