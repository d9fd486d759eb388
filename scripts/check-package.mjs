// npm run test:package (part of npm test): the package as npm would publish it, checked with the
// ecosystem's own tools rather than by hand. Expects a build (npm run build). Each check prints
// one line; build/package/last-run.json holds the summary and the size-limit figures.
// - the tarball (npm pack): dist/, the AssemblyScript source and what it imports, README, CHANGELOG,
//   docs/, LICENSE;
//   no tests, benchmarks, demo or build output; and its AssemblyScript source compiles;
// - publint (--strict) and @arethetypeswrong/cli on the tarball;
// - size-limit (.size-limit.mjs): the budgets for what an app pays;
// - a consumer's type-check under every supported TypeScript (TYPESCRIPTS: the oldest supported,
//   the build's and the current one): tsc --noEmit on test/consumer/*.ts (the whole public API)
//   against the unpacked tarball, under moduleResolution node16 and bundler (and node16 without the
//   DOM lib, as a Node project has it), with skipLibCheck off so that our .d.ts files are checked;
// - CommonJS: require('radam-wasm'), require('radam-wasm/tfjs') and require('radam-wasm/schedules')
//   work (Node's require(esm)) on the machine's Node and on the pinned LTS lines (scripts/lts-nodes.mjs).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LTS_NODES, ltsNode } from './lts-nodes.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'build/package');
const BIN = (name) => path.join(ROOT, 'node_modules/.bin', name);
fs.rmSync(OUT, { recursive: true, force: true });
fs.mkdirSync(OUT, { recursive: true });
if (!fs.existsSync(path.join(ROOT, 'dist/index.js'))) throw new Error('dist/ is missing: run npm run build first');

const sh = (cmd, args, options = {}) =>
  execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
const report = { checks: [] };
let passed = 0;
let failed = 0;
let skipped = 0;
function check(name, fn) {
  let detail;
  let error;
  try {
    detail = fn();
  } catch (e) {
    error = `${e.message ?? e}${e.stdout ? `\n${e.stdout}` : ''}${e.stderr ? `\n${e.stderr}` : ''}`.trim();
  }
  error === undefined ? passed++ : failed++;
  report.checks.push({ name, ok: error === undefined, detail, error });
  console.log(`${error === undefined ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
  if (error) console.log(error.replace(/^/gm, '     '));
}

// --- the tarball ---------------------------------------------------------------------------------
const [packed] = JSON.parse(sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', OUT]));
const tarball = path.join(OUT, packed.filename);
const files = packed.files.map((f) => f.path);
const unpacked = path.join(OUT, 'consumer/node_modules/radam-wasm');
fs.mkdirSync(unpacked, { recursive: true });
sh('tar', ['xzf', tarball, '-C', unpacked, '--strip-components=1']);

check('npm pack: dist/, the AssemblyScript source, README, CHANGELOG, docs/ and LICENSE; nothing else', () => {
  const required = [
    'package.json',
    'README.md',
    'CHANGELOG.md',
    'docs/README.md',
    'LICENSE',
    'dist/index.js',
    'dist/index.d.ts',
    'dist/tfjs.js',
  ];
  required.push('dist/tfjs.d.ts', 'dist/workerd.js', 'dist/radam.simd.wasm', 'dist/radam.scalar.wasm');
  required.push(...fs.readdirSync(path.join(ROOT, 'assembly')).map((f) => `assembly/${f}`), 'src/pipeline/layout.ts');
  const missing = required.filter((f) => !files.includes(f));
  const allowed = (f) =>
    required.includes(f) ||
    /^dist\/.+\.(js|d\.ts|wasm)$/.test(f) ||
    /^assembly\/[^/]+\.ts$/.test(f) ||
    /^docs\/[^/]+\.md$/.test(f) ||
    f === 'src/README.md'; // npm packs every README; this one maps the source
  const extra = files.filter((f) => !allowed(f));
  if (missing.length || extra.length) {
    throw new Error(`missing: ${missing.join(', ') || '-'}; not expected: ${extra.join(', ') || '-'}`);
  }
  return `${files.length} files, ${(packed.size / 1024).toFixed(1)} KiB packed, ${(packed.unpackedSize / 1024).toFixed(1)} KiB unpacked`;
});

check("the tarball's AssemblyScript source compiles (asc, SIMD)", () => {
  const wasm = path.join(OUT, 'from-tarball.wasm');
  sh(process.execPath, [
    path.join(ROOT, 'node_modules/assemblyscript/bin/asc.js'),
    path.join(unpacked, 'assembly/simd.ts'),
    '--enable',
    'simd',
    '--runtime',
    'stub',
    '-O3',
    '--noAssert',
    '--use',
    'abort=',
    '--outFile',
    wasm,
  ]);
  if (!WebAssembly.validate(fs.readFileSync(wasm))) throw new Error('the module does not validate');
  return `${fs.statSync(wasm).size} B`;
});

// --- the ecosystem's package linters -------------------------------------------------------------
check('publint --strict', () => sh(BIN('publint'), ['run', tarball, '--strict']).trim().split('\n').at(-1));

// CommonJS: TypeScript's node16 mode types `require` of an ES module as "dynamic import only", while
// Node itself (20.19+, 22.12+) loads it with require(esm), checked below: that one rule is ignored.
check('@arethetypeswrong/cli (node10, node16 CJS and ESM, bundler)', () => {
  const out = sh(BIN('attw'), [tarball, '--format', 'json', '--ignore-rules', 'cjs-resolves-to-esm']);
  const { analysis } = JSON.parse(out);
  const modes = Object.entries(analysis.entrypoints).map(
    ([entry, e]) =>
      `${entry}: ${Object.entries(e.resolutions)
        .map(([mode, r]) => `${mode} ${r.resolution?.isTypeScript || r.resolution?.isJson ? 'ok' : 'NO'}`)
        .join(', ')}`,
  );
  return modes.join('; ');
});

check('size-limit (.size-limit.mjs budgets)', () => {
  let out;
  try {
    out = sh(BIN('size-limit'), ['--json']);
  } catch (e) {
    out = e.stdout;
    report.sizeLimit = JSON.parse(out);
    throw new Error(report.sizeLimit.map((r) => `${r.name}: ${r.size} B (limit ${r.sizeLimit} B)`).join('\n'));
  }
  report.sizeLimit = JSON.parse(out);
  return report.sizeLimit.map((r) => `${r.size} B / ${r.sizeLimit} B`).join(', ');
});

// --- a consumer ----------------------------------------------------------------------------------
// The TypeScript versions the README promises (its "TypeScript" paragraph): the oldest supported, the
// build's, and the current one, each a devDependency (npm aliases) so that `npm ci` pins them.
const TYPESCRIPTS = [
  ['typescript-5.4', 'the oldest supported'],
  ['typescript', "the build's"],
  ['typescript-7', 'current'],
];
// `types` is explicit, so that every compiler sees the same ambient types (TypeScript 6+ defaults
// to none, 5.x to every @types package around) and the check depends on no @types but those named.
const DOM = ['ES2022', 'DOM'];
const CONFIGS = {
  node16: { module: 'Node16', moduleResolution: 'Node16', lib: DOM, types: [] },
  bundler: { module: 'ESNext', moduleResolution: 'Bundler', lib: DOM, types: [] },
  'node16 without DOM (@types/node)': {
    module: 'Node16',
    moduleResolution: 'Node16',
    lib: ['ES2022'],
    types: ['node'],
  },
};
// Each program is checked whole, with skipLibCheck off. The tfjs one also checks
// @tensorflow/tfjs-core's declarations, which need the global `Long` of @types/long and, under
// TypeScript 6+, conflict with the DOM lib (tfjs-core 4.22 pins @webgpu/types 0.1.38, whose WebGPU
// declarations the DOM lib now has too): errors in other packages' files are counted there, not
// failed; any error in radam-wasm's own declarations or in the consumer fails.
const PROGRAMS = [
  { file: 'consumer.ts', api: "'radam-wasm' and 'radam-wasm/schedules'", configs: Object.keys(CONFIGS) },
  { file: 'tfjs.ts', api: "'radam-wasm/tfjs'", configs: ['node16', 'bundler'], types: ['long'], others: true },
];
const consumer = path.join(OUT, 'consumer');
for (const { file } of PROGRAMS) fs.copyFileSync(path.join(ROOT, 'test/consumer', file), path.join(consumer, file));
fs.writeFileSync(path.join(consumer, 'package.json'), '{ "type": "module", "private": true }\n');
const versionOf = (pkg) => JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'))).version;
report.typescript = [];

/** tsc's diagnostics as { file, line, code, message }, file relative to the consumer folder. */
function typeCheck(tsc, tsconfigFile) {
  let out = '';
  try {
    out = sh(process.execPath, [tsc, '-p', tsconfigFile, '--pretty', 'false'], { cwd: consumer });
  } catch (e) {
    if (typeof e.stdout !== 'string' || !/error TS\d+/.test(e.stdout)) throw e; // tsc itself failed
    out = e.stdout;
  }
  return [...out.matchAll(/^(.+?)\((\d+),\d+\): error (TS\d+): (.*)$/gm)].map(([, file, line, code, message]) => ({
    file: file.split(path.sep).join('/'),
    line: Number(line),
    code,
    message,
  }));
}
// Where an error is: radam-wasm's own files and the consumer's are ours; others by package (or lib file).
const ownerOf = (file) =>
  file.startsWith('node_modules/radam-wasm/') || !file.includes('/')
    ? null
    : /(^|\/)lib\.[\w.]+\.d\.ts$/.test(file)
      ? `TypeScript's ${path.posix.basename(file)}`
      : (file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/)?.[1] ?? file);

for (const [pkg, role] of TYPESCRIPTS) {
  const version = versionOf(pkg);
  const tsc = path.join(ROOT, 'node_modules', pkg, 'bin/tsc');
  for (const program of PROGRAMS) {
    check(`TypeScript ${version} (${role}), skipLibCheck off: a consumer of ${program.api}`, () => {
      const failures = [];
      const elsewhere = []; // per config: the errors in other packages' declarations, by package
      for (const name of program.configs) {
        const { module, moduleResolution, lib, types } = CONFIGS[name];
        const compilerOptions = { target: 'ES2022', module, moduleResolution, lib, types: program.types ?? types };
        Object.assign(compilerOptions, { strict: true, noEmit: true, skipLibCheck: false });
        const tsconfigFile = path.join(
          consumer,
          `tsconfig.${path.parse(program.file).name}.${pkg}.${name.split(' ')[0]}.json`,
        );
        fs.writeFileSync(tsconfigFile, JSON.stringify({ compilerOptions, files: [program.file] }, null, 2));
        const errors = typeCheck(tsc, tsconfigFile);
        const ours = errors.filter((e) => !program.others || !ownerOf(e.file));
        failures.push(...ours.map((e) => `${name}: ${e.file}(${e.line}): ${e.code}: ${e.message}`));
        const counts = {};
        for (const e of errors) if (!ours.includes(e)) counts[ownerOf(e.file)] = (counts[ownerOf(e.file)] ?? 0) + 1;
        elsewhere.push(
          Object.entries(counts)
            .map(([owner, n]) => `${owner} ${n}`)
            .join(', '),
        );
        const entry = { typescript: version, file: program.file, config: name, errors: errors.length };
        report.typescript.push({ ...entry, inOtherPackages: errors.length - ours.length });
      }
      if (failures.length) throw new Error(failures.join('\n'));
      const configs = program.configs.join(', ');
      const distinct = [...new Set(elsewhere)];
      if (!distinct.some(Boolean)) return `${configs}: no errors`;
      const others =
        distinct.length === 1
          ? `${distinct[0]} (each)`
          : elsewhere.map((o, i) => `${program.configs[i]}: ${o || 'none'}`).join('; ');
      return `${configs}: none in radam-wasm's declarations or the consumer; in other packages': ${others}`;
    });
  }
}

// CommonJS: on every Node line tested (the machine's and the pinned LTS builds).
const requireScript = `
  const { RAdam } = require('radam-wasm');
  const { RAdamOptimizer } = require('radam-wasm/tfjs');
  const { StepLR } = require('radam-wasm/schedules');
  RAdam.create().then((opt) => {
    const p = opt.addParam([1, 2]);
    p.grad.set([0.5, -0.5]);
    opt.step();
    new StepLR(opt, { stepSize: 1, gamma: 0.5 }).step();
    const lr = opt.groups[0].lr;
    console.log(JSON.stringify({ backend: opt.backend, p: Array.from(p.data), tfjs: typeof RAdamOptimizer, lr }));
  });`;
const nodes = [process.execPath];
for (const major of Object.keys(LTS_NODES)) {
  try {
    const bin = await ltsNode(major);
    if (bin) nodes.push(bin);
    else skipped++;
  } catch (e) {
    check(`Node ${major}`, () => {
      throw e;
    });
  }
}
for (const bin of nodes) {
  const version = sh(bin, ['--version']).trim();
  check(`CommonJS require('radam-wasm'), 'radam-wasm/tfjs' and 'radam-wasm/schedules' on Node ${version}`, () => {
    const out = JSON.parse(sh(bin, ['-e', requireScript], { cwd: consumer }).trim().split('\n').at(-1));
    // The first step is a momentum step: p -= lr * g.
    const ok = out.p[0] === Math.fround(1 - 1e-3 * 0.5) && out.tfjs === 'function' && out.lr === 1e-3 * 0.5;
    if (!ok) throw new Error(JSON.stringify(out));
    return `backend ${out.backend}`;
  });
}

// The README's size table is written from size-limit's own output, and only when asked
// (node scripts/check-package.mjs --update-readme), so that the tests never edit a tracked file.
if (process.argv.includes('--update-readme') && report.sizeLimit) {
  const kb = (bytes) => `${(bytes / 1000).toFixed(2)} kB`;
  const table = [
    'From `size-limit` (`.size-limit.mjs`; esbuild with code splitting, minified, gzip -9), as `npm test` checks it:',
    '',
    '| what an app loads | size | budget |',
    '|---|---|---|',
    ...report.sizeLimit.map((r) => `| ${r.name} | ${kb(r.size)} | ${kb(r.sizeLimit)} |`),
  ].join('\n');
  const readme = path.join(ROOT, 'README.md');
  const text = fs.readFileSync(readme, 'utf8');
  const re = /(<!-- size:start -->\n)[\s\S]*?(<!-- size:end -->)/;
  if (!re.test(text)) throw new Error('README.md has no <!-- size:start --> ... <!-- size:end --> block');
  fs.writeFileSync(readme, text.replace(re, `$1${table}\n$2`));
}

report.summary = { passed, failed, skipped };
fs.writeFileSync(path.join(OUT, 'last-run.json'), `${JSON.stringify(report, null, 1)}\n`);
console.log(`package: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed ? 1 : 0;
