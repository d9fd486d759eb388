// What changes from the machine's Node (20) to the LTS lines users run (22, 24, 26): the kernel's
// backends section (simd, scalar, js and the plain JS loop, bench/kernel.mjs --only backends) run
// under each Node binary in turn, several passes with the order rotated each pass, so that a slow
// spell of the shared machine does not land on one version only. Figures are medians over passes
// of each run's median; ratios likewise (each run's ratio is the median of its per-round ratios).
// The LTS binaries come from scripts/lts-nodes.mjs (fetched once into node_modules/.cache).
//
//   npm run build && node bench/node-versions.mjs [--passes 5]
//
// Writes bench/results/node-versions.json (summary, and every run's kernel.mjs output with its raw
// samples) and prints the tables of bench/README.md's "Node 20 → 26" section.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LTS_NODES, ltsNode } from '../scripts/lts-nodes.mjs';
import { ROOT } from './lib/asc.mjs';

const arg = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const PASSES = Number(arg('--passes') ?? 5);
const TMP = path.join(ROOT, 'build/node-versions');
const OUT = path.join(ROOT, 'bench/results/node-versions.json');
const CASES = ['simd', 'scalar', 'js', 'plainJs', 'plainJsShared'];
const RATIOS = ['simdOverPlainJs', 'simdOverPlainJsShared', 'simdOverScalar', 'scalarOverJs'];

const nodes = [{ label: `Node ${process.versions.node.split('.')[0]} (this machine)`, bin: process.execPath }];
for (const major of Object.keys(LTS_NODES)) {
  const bin = await ltsNode(major);
  if (bin) nodes.push({ label: `Node ${major}`, bin });
}
fs.rmSync(TMP, { recursive: true, force: true });
fs.mkdirSync(TMP, { recursive: true });

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q,
    lo = Math.floor(i);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (i - lo);
};
const median = (xs) => quantile(xs, 0.5);

const t0 = Date.now();
const runs = [];
for (let pass = 0; pass < PASSES; pass++) {
  for (let j = 0; j < nodes.length; j++) {
    const node = nodes[(j + pass) % nodes.length];
    const file = path.join(TMP, `${node.label.split(' ')[1]}-${pass}.json`);
    console.error(`pass ${pass + 1}/${PASSES}: ${node.label} (load ${os.loadavg()[0].toFixed(2)})`);
    const r = spawnSync(node.bin, ['bench/kernel.mjs', '--only', 'backends', '--out', file], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    if (r.status !== 0) throw new Error(`${node.label}: bench/kernel.mjs exited ${r.status}: ${r.stderr.slice(-2000)}`);
    runs.push({ node: node.label, pass, ...JSON.parse(fs.readFileSync(file, 'utf8')) });
  }
}

const sizes = Object.keys(runs[0].backends);
const summary = {};
for (const n of sizes) {
  summary[n] = {};
  for (const node of nodes) {
    const mine = runs.filter((r) => r.node === node.label).map((r) => r.backends[n]);
    const s = { version: runs.find((r) => r.node === node.label).meta.node, passes: mine.length };
    for (const c of CASES) {
      const xs = mine.map((b) => b[c].median);
      // p10: the 10th percentile of a run's samples, the least disturbed by other work on the
      // machine (a sample that shared its core with another process takes up to twice as long).
      const p10 = mine.map((b) => quantile(b[c].samples, 0.1));
      s[c] = { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), p10: median(p10) };
    }
    for (const q of RATIOS) {
      const xs = mine.map((b) => b.ratios[q].median);
      s[q] = { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
    }
    summary[n][node.label] = s;
  }
}

const meta = {
  date: new Date().toISOString(),
  command: `npm run build && node bench/node-versions.mjs --passes ${PASSES}`,
  cpu: os.cpus()[0].model,
  cpus: os.cpus().length,
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  nodes: nodes.map((node) => {
    const r = runs.find((x) => x.node === node.label);
    return { label: node.label, version: r.meta.node, v8: r.meta.v8 };
  }),
  passes: PASSES,
  minutes: +((Date.now() - t0) / 60_000).toFixed(1),
  unit:
    'ns per element per step; per Node: median over passes of each run median (min and max of those medians; ' +
    'p10: median over passes of the 10th percentile of each run samples)',
};
// Numeric arrays (the raw samples) on one line each, so the file stays readable.
const json = JSON.stringify({ meta, summary, runs }, null, 1).replace(
  /\[\n\s*([-\d.e+,\s]+?)\n\s*\]/g,
  (_, xs) => `[${xs.split(/,\s*/).join(', ')}]`,
);
fs.writeFileSync(OUT, `${json}\n`);
console.error(`wrote ${path.relative(ROOT, OUT)} after ${meta.minutes} min`);

// The README's tables.
const f = (x) => (x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));
for (const n of sizes) {
  console.log(`\nN = ${Number(n).toLocaleString('en-US')} (ns per element per step, median of ${PASSES} runs)\n`);
  console.log(
    '| Node | V8 | simd | scalar | js backend | plain JS | plain JS, shared fn | simd / plain JS | simd / plain JS, shared fn |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  const range = (x) => `${f(x.median)} (${f(x.min)}-${f(x.max)}; p10 ${f(x.p10)})`;
  const ratio = (x) => `${x.median.toFixed(3)} (${(1 / x.median).toFixed(1)}x)`;
  for (const node of meta.nodes) {
    const s = summary[n][node.label];
    const cells = [node.version, node.v8.split('-')[0], ...CASES.map((c) => range(s[c]))];
    cells.push(ratio(s.simdOverPlainJs), ratio(s.simdOverPlainJsShared));
    console.log(`| ${cells.join(' | ')} |`);
  }
}
