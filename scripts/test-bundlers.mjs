// node scripts/test-bundlers.mjs [--update-readme]: proves that an app built with each common bundler
// runs radam-wasm, threads included, as a user would see it. The package is packed (npm pack) and
// extracted as node_modules/radam-wasm of four apps under build/bundlers/ (git-ignored), each built
// with only the config any ESM package needs (test/bundlers/: Vite 8, webpack 5, Rollup 4 with
// node-resolve, and a library built with tsc then consumed by a Vite app); each app is then served
// cross-origin isolated and run in headless Chromium: its own training loop, then the shared smoke
// test (test/runtimes/smoke.mjs: 'auto' must pick simd, torch golden cases on simd, scalar and js,
// and threads: 'auto' must run more than one thread, split every step and match one thread's bits).
// It expects `npm run build` to have run (npm test does); it builds dist/ itself only when
// dist/index.js is missing, and warns when dist/ is older than src/. Writes build/bundlers/last-run.json;
// with --update-readme, the table between <!-- bundlers:start --> and <!-- bundlers:end --> in
// docs/runtimes.md (never otherwise). Exits 1 on any failure; a missing Chromium is skipped loudly, and is a
// failure when CI=true. (The esbuild bundle and workerd cases are in scripts/test-runtimes.mjs.)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SMOKE_CASES } from '../test/runtimes/smoke.mjs';
import { serve } from './serve.mjs';
import { CHROMIUM, launchChromium } from './lib/chromium.mjs';
import { ensureBuilt } from './lib/ensure-built.mjs';

const started = performance.now();
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'build/bundlers');
const FIXTURES = path.join(ROOT, 'test/bundlers');
const BIN = (name) => path.join(ROOT, 'node_modules/.bin', name);
const BACKENDS = ['simd', 'scalar', 'js'];
const SPLIT_STEPS = 6; // the steps smoke.mjs's threads check takes, each of which must be split
const rel = (file) => path.relative(ROOT, file);
const version = (pkg) => JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'))).version;
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** Runs a command; resolves to its stdout, rejects with the end of its output; logs both to `log`. */
function run(cmd, args, { cwd = ROOT, log } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    let stdout = '',
      all = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      all += d;
    });
    child.stderr.on('data', (d) => {
      all += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (log) fs.appendFileSync(log, `$ ${path.basename(cmd)} ${args.join(' ')}\n${all}\n`);
      if (code === 0) resolve(stdout);
      else
        reject(new Error(`${path.basename(cmd)} ${args.join(' ')} exited with ${code}:\n${all.trim().slice(-1500)}`));
    });
  });
}

// --- the package, packed as for publishing -----------------------------------------------------
await ensureBuilt(ROOT, run);
fs.rmSync(OUT, { recursive: true, force: true });
fs.mkdirSync(OUT, { recursive: true });
const all = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/golden/public.json'), 'utf8')).cases;
const casesJson = path.join(OUT, 'cases.json');
fs.writeFileSync(casesJson, JSON.stringify(SMOKE_CASES.map((n) => all.find((c) => c.name === n))));

/** npm pack of `dir` (scripts not run: dist/ is already built), extracted; returns the package directory. */
async function pack(dir, name) {
  const dest = path.join(OUT, 'packed', name);
  fs.mkdirSync(dest, { recursive: true });
  const [{ filename }] = JSON.parse(
    await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], { cwd: dir }),
  );
  await run('tar', ['-xzf', path.join(dest, path.basename(filename)), '-C', dest]);
  return path.join(dest, 'package');
}
const radamWasm = await pack(ROOT, 'radam-wasm');

/**
 * Lays out an app in build/bundlers/<name>/: its files copied from test/bundlers/, a package.json,
 * and its dependencies extracted into node_modules/ as npm installs them (flat).
 */
function makeApp(name, files, dependencies) {
  const dir = path.join(OUT, name);
  for (const [from, to] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, to)), { recursive: true });
    fs.copyFileSync(path.join(FIXTURES, from), path.join(dir, to));
  }
  if (!fs.existsSync(path.join(dir, 'package.json'))) {
    const deps = Object.fromEntries(Object.keys(dependencies).map((d) => [d, '*']));
    const pkg = { name: `bundler-app-${name}`, private: true, type: 'module', dependencies: deps };
    fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  }
  for (const [dep, from] of Object.entries(dependencies))
    fs.cpSync(from, path.join(dir, 'node_modules', dep), { recursive: true });
  return dir;
}

/** The page webpack and Rollup apps need (Vite builds its own from the app's index.html). */
const writePage = (dist, script) =>
  fs.writeFileSync(
    path.join(dist, 'index.html'),
    `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,">${script}\n`,
  );

const APP = { 'app/main.mjs': 'main.mjs' };
const viteBuild = async (dir, log) => {
  await run(BIN('vite'), ['build'], { cwd: dir, log });
  return path.join(dir, 'dist');
};

// --- the bundlers --------------------------------------------------------------------------------
const bundlers = [
  {
    name: 'vite',
    bundler: 'Vite',
    version: `vite ${version('vite')}`,
    config: '`vite build`; `test/bundlers/vite.config.mjs`: `build.outDir` only',
    build: (log) =>
      viteBuild(
        makeApp(
          'vite',
          { ...APP, 'app/index.html': 'index.html', 'vite.config.mjs': 'vite.config.mjs' },
          { 'radam-wasm': radamWasm },
        ),
        log,
      ),
  },
  {
    name: 'webpack',
    bundler: 'webpack',
    version: `webpack ${version('webpack')}, webpack-cli ${version('webpack-cli')}`,
    config: '`webpack --mode production`; `test/bundlers/webpack.config.mjs`: mode, entry, output',
    build: async (log) => {
      const dir = makeApp(
        'webpack',
        { ...APP, 'webpack.config.mjs': 'webpack.config.mjs' },
        { 'radam-wasm': radamWasm },
      );
      await run(BIN('webpack'), ['--mode', 'production'], { cwd: dir, log });
      writePage(path.join(dir, 'dist'), '<script src="./main.js"></script>');
      return path.join(dir, 'dist');
    },
  },
  {
    name: 'rollup',
    bundler: 'Rollup + node-resolve',
    version: `rollup ${version('rollup')}, @rollup/plugin-node-resolve ${version('@rollup/plugin-node-resolve')}`,
    config: '`rollup -c`; `test/bundlers/rollup.config.mjs`: input, output (`es`), `nodeResolve()`',
    build: async (log) => {
      const dir = makeApp('rollup', { ...APP, 'rollup.config.mjs': 'rollup.config.mjs' }, { 'radam-wasm': radamWasm });
      await run(BIN('rollup'), ['-c'], { cwd: dir, log });
      writePage(path.join(dir, 'dist'), '<script type="module" src="./main.js"></script>');
      return path.join(dir, 'dist');
    },
  },
  {
    name: 'library',
    bundler: 'library (tsc) in a Vite app',
    version: `typescript ${version('typescript')}, vite ${version('vite')}`,
    config: '`test/bundlers/lib`: `tsc` (node16, ESM + .d.ts), packed; an app importing only it, `vite build` as above',
    build: async (log) => {
      const lib = makeApp(
        'lib',
        {
          'lib/package.json': 'package.json',
          'lib/tsconfig.json': 'tsconfig.json',
          'lib/src/index.ts': 'src/index.ts',
        },
        { 'radam-wasm': radamWasm },
      );
      await run(BIN('tsc'), ['-p', '.'], { cwd: lib, log });
      for (const f of ['index.js', 'index.d.ts'])
        if (!fs.existsSync(path.join(lib, 'dist', f)))
          throw new Error(`tsc emitted no ${rel(path.join(lib, 'dist', f))}`);
      const trainer = await pack(lib, 'radam-trainer');
      const files = {
        'lib-app/main.mjs': 'main.mjs',
        'lib-app/index.html': 'index.html',
        'vite.config.mjs': 'vite.config.mjs',
      };
      return viteBuild(makeApp('lib-app', files, { 'radam-trainer': trainer, 'radam-wasm': radamWasm }), log);
    },
  },
];

// --- Chromium ------------------------------------------------------------------------------------
let browser;
async function chromium() {
  if (!browser) {
    browser = await launchChromium();
  }
  return browser;
}

/** Serves the built app at the root of its own origin, cross-origin isolated; runs its page. */
async function inChromium(dist) {
  fs.copyFileSync(casesJson, path.join(dist, 'cases.json'));
  const server = await serve(dist, 0);
  const tab = await (await chromium()).newPage();
  const problems = [];
  tab.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  tab.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()} (${m.location().url})`));
  tab.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  tab.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`));
  try {
    await tab.goto(`http://127.0.0.1:${server.address().port}/isolated/index.html?cases=/cases.json`);
    try {
      await tab.waitForFunction(() => window.smokeResult, null, { timeout: 45_000 });
    } catch (e) {
      throw new Error(`the page published no result (${problems.join('; ') || e.message})`);
    }
    return { result: await tab.evaluate(() => window.smokeResult), problems };
  } finally {
    await tab.close();
    server.close();
  }
}

/** Everything the page must show; returns the failures (none: passed). */
function judge(r, problems) {
  if (r.error) return [`the page threw: ${r.error}`, ...problems];
  const failures = [...problems];
  for (const s of r.results.filter((x) => x.skipped)) failures.push(`${s.backend}: not run (${s.skipped})`);
  const ran = r.results.filter((x) => !x.skipped);
  for (const x of ran.filter((y) => !y.ok)) failures.push(`${x.backend}/${x.name}: ${x.error ?? `worst ${x.worst}`}`);
  // Each golden case on each backend, and the EMA + accumulation + clipValue bits across them, with
  // float32 and with bfloat16 state.
  const expected = SMOKE_CASES.length * BACKENDS.length + 2;
  if (ran.length !== expected) failures.push(`${ran.length} case runs, expected ${expected}`);
  if (r.auto !== 'simd') failures.push(`'auto' picked ${r.auto}, expected simd`);
  if (!r.isolated) failures.push('the page is not cross-origin isolated (no SharedArrayBuffer, so no threads)');
  const t = r.threads;
  if (t.error) failures.push(`threads: ${t.error}`);
  if (!(t.threads > 1)) failures.push(`threads: 'auto' ran ${t.threads} thread(s), expected more than 1`);
  else if (t.splits !== SPLIT_STEPS) failures.push(`threads: ${t.splits} of ${SPLIT_STEPS} steps split`);
  else if (!t.same) failures.push('threads: the bits differ from one thread');
  if (!(r.training.last < r.training.first / 100))
    failures.push(`training: loss ${r.training.first} -> ${r.training.last}, expected a 100x fall`);
  return failures;
}

/** The files the build emitted (a worker or .wasm file of its own would show here). */
const emitted = (dist) =>
  fs
    .readdirSync(dist, { recursive: true })
    .filter((f) => fs.statSync(path.join(dist, f)).isFile() && f !== 'cases.json')
    .map((f) => ({ file: f, bytes: fs.statSync(path.join(dist, f)).size }));

// --- run, report ---------------------------------------------------------------------------------
const haveChromium = fs.existsSync(CHROMIUM);
const skipIsFailure = process.env.CI === 'true'; // CI installs Chromium: missing there is a failure
if (!haveChromium)
  console.log(
    `\n!!! SKIPPED the bundler apps in Chromium: ${CHROMIUM} is missing (apt-get install chromium). ` +
      'The apps are only built. !!!\n',
  );
const results = [];
let passed = 0,
  failed = 0,
  skipped = 0;
for (const b of bundlers) {
  const entry = { name: b.name, bundler: b.bundler, version: b.version, config: b.config, failures: [] };
  const log = path.join(OUT, `${b.name}.log`);
  try {
    let t = performance.now();
    const dist = await b.build(log);
    entry.buildMs = Math.round(performance.now() - t);
    entry.output = rel(dist);
    entry.files = emitted(dist);
    if (haveChromium) {
      t = performance.now();
      const { result, problems } = await inChromium(dist);
      entry.pageMs = Math.round(performance.now() - t);
      entry.failures = judge(result, problems);
      if (!result.error) {
        const ran = result.results.filter((x) => !x.skipped);
        Object.assign(entry, {
          auto: result.auto,
          threads: result.threads.threads,
          splits: result.threads.splits,
          sameBits: result.threads.same,
          cases: ran.length,
          worst: Math.max(...ran.map((x) => x.worst ?? Infinity)),
          training: result.training,
        });
      }
    } else entry.skipped = `${CHROMIUM} missing`;
  } catch (e) {
    entry.failures.push(String(e.message ?? e));
  }
  entry.ok = !entry.skipped && entry.failures.length === 0;
  if (entry.skipped && !entry.failures.length) skipIsFailure ? failed++ : skipped++;
  else entry.ok ? passed++ : failed++;
  const status = entry.ok ? 'ok  ' : entry.skipped && !entry.failures.length && !skipIsFailure ? 'SKIP' : 'FAIL';
  if (entry.skipped && skipIsFailure) entry.failures.push(`not run: ${entry.skipped} (CI=true, so a failure)`);
  const threads = entry.threads === undefined ? '?' : `${entry.threads} (${entry.splits}/${SPLIT_STEPS} steps split)`;
  const timing = ['build', 'page'].map((k) => `${k} ${entry[`${k}Ms`] === undefined ? '-' : seconds(entry[`${k}Ms`])}`);
  const worst = entry.worst?.toExponential(1) ?? '-';
  console.log(
    `${status} ${entry.bundler.padEnd(28)} ${entry.version.padEnd(52)} auto=${entry.auto ?? '?'} threads=${threads}  ` +
      `${entry.cases ?? 0} case runs, worst ${worst}  (${timing.join(', ')})`,
  );
  for (const f of entry.failures) console.log(`     ${f.replaceAll('\n', '\n     ')}`);
  results.push(entry);
}
const chromiumVersion = browser ? `Chromium ${browser.version()}` : null;
await browser?.close();

// No date in the table: README.md changes only when a version or a result does.
const table = [
  `From the last \`node scripts/test-bundlers.mjs\` (the packed package installed in each app; built for production, ` +
    `served cross-origin isolated, run in ${chromiumVersion ?? 'Chromium'}: golden cases ${SMOKE_CASES.join(', ')} ` +
    `on simd, scalar and js, and \`threads: 'auto'\` splitting every step):`,
  '',
  "| bundler | version | config used | backend picked (`auto`) | `threads: 'auto'` | result |",
  '|---|---|---|---|---|---|',
  ...results.map((r) => {
    const result = r.failures.length
      ? '**failed**'
      : r.skipped
        ? `skipped: ${r.skipped}`
        : `passed (${r.cases} case runs, worst ${r.worst.toExponential(1)})`;
    const threads = r.threads === undefined ? '-' : `${r.threads} (${r.splits}/${SPLIT_STEPS} steps split)`;
    return `| ${r.bundler} | ${r.version} | ${r.config} | ${r.auto ?? '-'} | ${threads} | ${result} |`;
  }),
].join('\n');
if (process.argv.includes('--update-readme')) {
  const readme = path.join(ROOT, 'docs/runtimes.md');
  const text = fs.readFileSync(readme, 'utf8');
  const re = /(<!-- bundlers:start -->\n)[\s\S]*?(<!-- bundlers:end -->)/;
  if (!re.test(text)) throw new Error('docs/runtimes.md has no <!-- bundlers:start --> / <!-- bundlers:end --> block');
  fs.writeFileSync(readme, text.replace(re, `$1${table}\n$2`));
  console.log('docs/runtimes.md: bundler table updated');
}
const summary = { passed, failed, skipped };
const report = { date: new Date().toISOString(), chromium: chromiumVersion, cases: SMOKE_CASES, summary, results };
fs.writeFileSync(path.join(OUT, 'last-run.json'), `${JSON.stringify(report, null, 1)}\n`);
console.log(
  `bundlers: ${passed} passed, ${failed} failed, ${skipped} skipped in ${seconds(performance.now() - started)} ` +
    `(${rel(OUT)}/last-run.json)`,
);
process.exitCode = failed ? 1 : 0;
