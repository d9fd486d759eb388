// node scripts/test-readme.mjs [--keep]: runs the documentation's programs as a user would, against the
// package as npm would publish it. Expects a build (npm run build; npm test runs it first).
//
// 1. The code blocks of README.md and docs/*.md are extracted and classified by the fence's info
//    string (the word after ```):
//      js             a Node program (an ES module, run as block.mjs)
//      cjs            a Node program in CommonJS (run as block.cjs)
//      ts             a TypeScript program: type-checked (tsc, strict, module node16), then its
//                     JavaScript (types stripped by esbuild) run as a Node program
//      js browser     a browser program: bundled by esbuild from the consumer's node_modules, loaded
//                     as a module by a cross-origin isolated page in Chromium (Debian's, driven by
//                     playwright-core); it passes when its module finishes without an uncaught error
//      ts signature, js signature, sh, text, json, html, or no info string: not a program, not run
//    Any other info string is an error, so that a typo cannot turn a program into prose. A program
//    must be self-contained (imports, data, no undefined names): each runs alone, in its own process
//    or page, with a timeout, and fails on a non-zero exit or an uncaught error.
// 2. The package is packed (npm pack --ignore-scripts: the build has already run) and installed into
//    a consumer folder in the system's temp directory, outside this repository so that nothing
//    resolves through the project's own node_modules, together with exactly the packages the README's
//    `npm install` commands (```sh blocks) name. Their versions are the ones package.json's
//    devDependencies pin, when it lists them, so that a new release elsewhere cannot change a run.
// 3. Links: every relative link of a Markdown file the tarball ships must point into the tarball
//    (other Markdown files, and the screenshots in docs/img/, which are not shipped: into the
//    repository), and a #fragment must name a heading of its target.
//    README.md must not speak of issue numbers or of the machine the tests ran on.
// Writes build/readme/last-run.json ({ summary: { passed, failed, skipped }, ... }) and exits 1 on any
// failure. Without Chromium the browser programs are skipped loudly, and fail when CI=true.
// --keep leaves the consumer folder in place (its path is printed), as does a failure.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, launchChromium } from './lib/chromium.mjs';
import { serve } from './serve.mjs';

const started = performance.now();
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'build/readme');
const TIMEOUT_MS = 90_000;
const CI = process.env.CI === 'true';
const KEEP = process.argv.includes('--keep');
const rel = (file) => path.relative(ROOT, file);
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

fs.rmSync(OUT, { recursive: true, force: true });
fs.mkdirSync(OUT, { recursive: true });
if (!fs.existsSync(path.join(ROOT, 'dist/index.js'))) throw new Error('dist/ is missing: run npm run build first');

let passed = 0;
let failed = 0;
let skipped = 0;
const report = { checks: [], blocks: [] };
function record(name, error, detail) {
  error ? failed++ : passed++;
  report.checks.push({ name, ok: !error, detail, error });
  console.log(`${error ? 'FAIL' : 'ok  '} ${name}${detail ? `: ${detail}` : ''}`);
  if (error) console.log(String(error).replace(/^/gm, '     '));
}

// --- the blocks ----------------------------------------------------------------------------------
const SKIP_LANGS = new Set(['', 'sh', 'text', 'json', 'html']);

/** The kind of a fenced block from its info string: a program kind, 'prose', or throws. */
function kindOf(info) {
  const [lang = '', ...flags] = info.trim().split(/\s+/).filter(Boolean);
  const key = `${lang} ${flags.join(' ')}`.trim();
  if (flags.length === 0 && SKIP_LANGS.has(lang)) return 'prose';
  const kinds = { js: 'node', cjs: 'cjs', ts: 'ts', 'js browser': 'browser', 'js signature': 'prose' };
  kinds['ts signature'] = 'prose';
  if (key in kinds) return kinds[key];
  throw new Error(`unknown info string "${info}" (see the top of scripts/test-readme.mjs)`);
}

/** Fenced blocks (``` or ~~~, indented up to 3 spaces or inside a list item) with their first line. */
function blocksOf(file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, info] = open;
    const body = [];
    let j = i + 1;
    while (j < lines.length && !new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`).test(lines[j])) {
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j].trimStart());
      j++;
    }
    out.push({ file: rel(file), line: i + 1, info: info.trim(), code: `${body.join('\n')}\n` });
    i = j;
  }
  return out;
}

const docsDir = path.join(ROOT, 'docs');
const markdown = [
  path.join(ROOT, 'README.md'),
  ...(fs.existsSync(docsDir)
    ? fs
        .readdirSync(docsDir)
        .filter((f) => f.endsWith('.md'))
        .sort()
        .map((f) => path.join(docsDir, f))
    : []),
];
const blocks = [];
for (const file of markdown) {
  for (const b of blocksOf(file)) {
    try {
      b.kind = kindOf(b.info);
    } catch (e) {
      b.kind = 'error';
      record(`${b.file}:${b.line}`, e.message);
    }
    blocks.push(b);
  }
}
const programs = blocks.filter((b) => !['prose', 'error'].includes(b.kind));
console.log(
  `${blocks.length} code blocks in ${markdown.map(rel).join(', ')}: ${programs.length} programs, ` +
    `${blocks.filter((b) => b.kind === 'prose').length} not programs (sh, text, signatures)`,
);

// --- what the README tells a user to install -------------------------------------------------------
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const installs = blocksOf(path.join(ROOT, 'README.md'))
  .filter((b) => b.info === 'sh')
  .flatMap((b) => b.code.split('\n'))
  .map((l) => /^\s*npm (?:install|i|add)\s+(.+?)\s*(?:#.*)?$/.exec(l)?.[1])
  .filter(Boolean)
  .flatMap((args) => args.split(/\s+/).filter((a) => !a.startsWith('-')));
/** name@range → name (scoped names keep their @). */
const nameOf = (spec) => spec.replace(/^(@?[^@]+)@.*$/, '$1');
const named = [...new Set(installs.map(nameOf))];
if (!named.includes(pkg.name)) record('README: an npm install command names the package', `none of ${installs}`);
const extra = named.filter((n) => n !== pkg.name);
const pinned = extra.map((n) => {
  const v = pkg.devDependencies?.[n];
  return v ? `${n}@${v}` : installs.find((s) => nameOf(s) === n);
});

// --- the README speaks to users --------------------------------------------------------------------
const hygiene = [
  [/\bissues?\s*#?\d+/i, 'no issue numbers'],
  [/\b(this|the) machine\b/i, 'no word of the machine the tests ran on'],
  [/\bthe issue'?s\b/i, 'no "the issue\'s" (a development ticket)'],
];
for (const [re, what] of hygiene) {
  const lines = readme.split('\n').flatMap((l, i) => (re.test(l) ? [`README.md:${i + 1}: ${l.trim()}`] : []));
  record(`README.md speaks to users: ${what}`, lines.length ? lines.join('\n') : undefined);
}

// --- the tarball ---------------------------------------------------------------------------------
const [packed] = JSON.parse(
  execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', OUT], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }),
);
const tarball = path.join(OUT, packed.filename);
const shipped = new Set(packed.files.map((f) => f.path));

// --- links ---------------------------------------------------------------------------------------
/** GitHub's heading anchors: lower case, punctuation dropped, spaces to '-', repeats numbered. */
function anchorsOf(file) {
  const seen = new Map();
  const out = new Set();
  let fence = false;
  for (const l of fs.readFileSync(file, 'utf8').split('\n')) {
    if (/^\s*(```|~~~)/.test(l)) fence = !fence;
    const h = !fence && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(l);
    if (!h) continue;
    const text = h[1].replace(/<[^>]+>/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

for (const file of markdown) {
  const where = rel(file);
  const inTarball = shipped.has(where);
  const text = fs.readFileSync(file, 'utf8').replace(/^(\s*)(```|~~~)[\s\S]*?^\1\2\s*$/gm, '');
  const bad = [];
  for (const m of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = m[1];
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
    const [p, frag] = target.split('#');
    const resolved = p ? path.normalize(path.join(path.dirname(where), decodeURI(p))) : where;
    // Images (the site's screenshots) are not shipped: npm does not show a tarball's images anyway.
    const image = m[0].startsWith('!') && /^docs\/img\/[^/]+\.png$/.test(resolved);
    const exists = inTarball && !image ? shipped.has(resolved) : fs.existsSync(path.join(ROOT, resolved));
    if (!exists) {
      bad.push(`${target}: ${inTarball && !image ? 'not in the tarball' : 'no such file'}`);
      continue;
    }
    if (frag && resolved.endsWith('.md') && !anchorsOf(path.join(ROOT, resolved)).has(frag))
      bad.push(`${target}: no heading "#${frag}" in ${resolved}`);
  }
  record(
    `links in ${where} resolve ${inTarball ? 'inside the tarball' : 'in the repository (not shipped)'}`,
    bad.length ? bad.join('\n') : undefined,
  );
}

// --- the consumer --------------------------------------------------------------------------------
const consumer = fs.mkdtempSync(path.join(os.tmpdir(), 'radam-wasm-readme-'));
fs.writeFileSync(
  path.join(consumer, 'package.json'),
  `${JSON.stringify({ name: 'readme-consumer', private: true, type: 'module' }, null, 2)}\n`,
);

/** Runs a command; resolves to { code, output } (stdout and stderr interleaved), killed at the timeout. */
function run(cmd, args, { cwd = consumer, timeout = TIMEOUT_MS } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    let output = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeout);
    child.on('error', (e) => (output += `\n${e.message}`));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: timedOut ? 'timeout' : code, output });
    });
  });
}

const install = await run(
  'npm',
  ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball, ...pinned],
  { timeout: 600_000 },
);
record(
  `npm install ${packed.filename} ${pinned.join(' ')} (the README's install commands) into a fresh consumer`,
  install.code === 0 ? undefined : `exit ${install.code}\n${install.output.trim().slice(-2000)}`,
);

// --- the programs --------------------------------------------------------------------------------
const esbuild = await import('esbuild');
const name = (b) => `${b.file.replace(/[/.]/g, '_')}-${b.line}`;
const tail = (s) => s.trim().split('\n').slice(-40).join('\n');

async function runNode(b) {
  const ext = b.kind === 'cjs' ? 'cjs' : 'mjs';
  let code = b.code;
  if (b.kind === 'ts') {
    const ts = path.join(consumer, `${name(b)}.ts`);
    fs.writeFileSync(ts, code);
    const tsconfig = path.join(consumer, `${name(b)}.tsconfig.json`);
    const compilerOptions = { target: 'ES2022', module: 'Node16', moduleResolution: 'Node16', strict: true };
    Object.assign(compilerOptions, { noEmit: true, skipLibCheck: false, lib: ['ES2022', 'DOM'] });
    fs.writeFileSync(tsconfig, JSON.stringify({ compilerOptions, files: [path.basename(ts)] }));
    const tsc = await run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', tsconfig]);
    if (tsc.code !== 0) return `tsc: ${tail(tsc.output)}`;
    code = (await esbuild.transform(code, { loader: 'ts', format: 'esm', target: 'es2022' })).code;
  }
  const file = path.join(consumer, `${name(b)}.${ext}`);
  fs.writeFileSync(file, code);
  const r = await run(process.execPath, [file]);
  b.output = r.output;
  return r.code === 0 ? undefined : `exit ${r.code}\n${tail(r.output)}`;
}

let browser = null;
let server = null;
async function runBrowser(b) {
  if (!browser) {
    browser = await launchChromium();
    server = await serve(consumer, 0);
  }
  const entry = path.join(consumer, `${name(b)}.mjs`);
  // The module's last statement runs only after every top-level await before it settled.
  fs.writeFileSync(entry, `${b.code}\nglobalThis.__readmeBlockDone = true;\n`);
  await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    outfile: path.join(consumer, 'pages', `${name(b)}.js`),
    absWorkingDir: consumer,
    logLevel: 'silent',
  });
  fs.writeFileSync(
    path.join(consumer, 'pages', `${name(b)}.html`),
    `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="./${name(b)}.js"></script>\n`,
  );
  const tab = await browser.newPage();
  const log = [];
  const errors = [];
  let failedEarly;
  const erred = new Promise((resolve) => (failedEarly = resolve));
  tab.on('console', (m) => log.push(m.text()));
  tab.on('pageerror', (e) => {
    errors.push(e.stack ?? String(e));
    failedEarly(); // an uncaught error ends the wait: the module will not finish
  });
  try {
    await tab.goto(`http://127.0.0.1:${server.address().port}/isolated/pages/${name(b)}.html`);
    const done = tab.waitForFunction(() => globalThis.__readmeBlockDone || null, null, { timeout: TIMEOUT_MS });
    done.catch(() => {}); // settles after the page is closed when the race went to an error
    await Promise.race([done, erred]);
    if (!errors.length) log.push(`page text: ${await tab.evaluate(() => document.body?.textContent ?? '')}`);
  } catch (e) {
    if (!errors.length) errors.push(e.message);
  } finally {
    await tab.close();
  }
  b.output = log.join('\n');
  return errors.length ? `${errors.join('\n')}\n${tail(b.output)}` : undefined;
}

const hasChromium = fs.existsSync(CHROMIUM);
if (install.code === 0) {
  for (const b of programs) {
    const label = `${b.file}:${b.line} \`\`\`${b.info}`;
    if (b.kind === 'browser' && !hasChromium) {
      if (CI) record(label, `${CHROMIUM} is missing (CI=true: a failure)`);
      else {
        skipped++;
        console.log(`\n!!! SKIPPED ${label}: ${CHROMIUM} is missing (apt-get install chromium) !!!\n`);
      }
      report.blocks.push({ file: b.file, line: b.line, info: b.info, skipped: 'no Chromium' });
      continue;
    }
    const t0 = performance.now();
    let error;
    try {
      error = b.kind === 'browser' ? await runBrowser(b) : await runNode(b);
    } catch (e) {
      error = e.stack ?? String(e);
    }
    const ms = performance.now() - t0;
    report.blocks.push({ file: b.file, line: b.line, info: b.info, ok: !error, ms: Math.round(ms), output: b.output });
    record(label, error, seconds(ms));
  }
}
await browser?.close();
server?.close();
if (KEEP || failed) console.log(`consumer kept: ${consumer}`);
else fs.rmSync(consumer, { recursive: true, force: true });

report.summary = { passed, failed, skipped };
fs.writeFileSync(path.join(OUT, 'last-run.json'), `${JSON.stringify(report, null, 1)}\n`);
console.log(
  `readme: ${passed} passed, ${failed} failed, ${skipped} skipped in ${seconds(performance.now() - started)}`,
);
process.exitCode = failed ? 1 : 0;
