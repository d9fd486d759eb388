// The benchmark's output: tables on stdout, targets, JSON with raw samples, an SVG chart, and the
// copy of the last full run's table in docs/performance.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { ROOT } from './asc.mjs';
import { fitTable } from '../fit.mjs';

export function machine() {
  let git = null;
  try {
    git = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    /* not a checkout */
  }
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    os: `${os.platform()} ${os.release()} ${os.arch()}`,
    runtime: `node ${process.version} (v8 ${process.versions.v8})`,
    git,
  };
}

const fmt = (x, digits = 3) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(digits));
const pad = (rows) => {
  const w = rows[0].map((_, k) => Math.max(...rows.map((r) => String(r[k]).length)));
  return rows
    .map((r) => r.map((c, k) => (k === 0 ? String(c).padEnd(w[k]) : String(c).padStart(w[k]))).join('  '))
    .join('\n');
};

function sizeRows(res) {
  return Object.values(res).map((c) => [
    c.label,
    fmt(c.ns),
    c.gbPerS.toFixed(1),
    `${Math.round(c.ofRoofline * 100)}%`,
    `${fmt(c.timesSimd)}x`,
  ]);
}
const HEAD = ['implementation', 'ns/element', 'GB/s', '% roofline', 'time vs simd'];

/** Each target of issue 3, met or short, from the measured ratios. */
export function targets(results) {
  const { sizes, tensors, subnormals } = results;
  const out = [];
  const add = (what, value, ok, need) => out.push({ what, value, need, ok });
  for (const [n, r] of Object.entries(sizes ?? {})) {
    if (+n >= 65536) {
      add(`simd vs plain JS loop, N=${n}`, r['plain-js'].timesSimd, r['plain-js'].timesSimd >= 12, '>= 12x');
      add(`simd vs tfjs-wasm Adam, N=${n}`, r['tfjs-wasm-adam'].timesSimd, r['tfjs-wasm-adam'].timesSimd >= 8, '>= 8x');
    } else {
      add(
        `simd vs tfjs-wasm Adam, N=${n}`,
        r['tfjs-wasm-adam'].timesSimd,
        r['tfjs-wasm-adam'].timesSimd >= 25,
        '>= 25x',
      );
    }
    add(`simd vs tfjs-cpu Adam, N=${n}`, r['tfjs-cpu-adam'].timesSimd, r['tfjs-cpu-adam'].timesSimd >= 200, '>= 200x');
  }
  const big = sizes?.[1 << 24];
  if (big) add('simd share of the roofline, N=16777216', big.simd.ofRoofline, big.simd.ofRoofline >= 0.85, '>= 85%');
  if (tensors)
    add(
      `${tensors.sizes} mixed tensors / one tensor (${tensors.total} elements)`,
      tensors.manyOverOne,
      tensors.manyOverOne <= 1.15,
      '<= 1.15x',
    );
  if (subnormals)
    add(
      'subnormal v with flushSubnormals / normal state',
      subnormals.flushedOverNormal,
      subnormals.flushedOverNormal <= 1.1,
      '<= 1.1x',
    );
  for (const [n, r] of Object.entries(results.threads?.sizes ?? {})) {
    const need = +n >= 1 << 20 ? 1.8 : +n >= 65536 ? 1.4 : 1;
    add(
      `2 threads / 1 thread, N=${n}${need === 1 ? ' (never slower)' : ''}`,
      r.shipped,
      need === 1 ? r.shipped >= 0.97 : r.shipped >= need,
      need === 1 ? '>= 1x (noise 3%)' : `>= ${need}x`,
    );
  }
  if (results.guards)
    add(
      'step with skipNonFinite / plain step, N=1048576',
      results.guards.skipNonFiniteOverPlain,
      results.guards.skipNonFiniteOverPlain <= 1.1,
      '<= 1.1x',
    );
  if (results.guards?.emaOverPlain !== undefined)
    add(
      'step with ema / plain step, N=1048576',
      results.guards.emaOverPlain,
      results.guards.emaOverPlain <= 1.3,
      '<= 1.3x',
    );
  for (const s of results.fit ?? []) {
    for (const b of ['wasm', 'cpu']) {
      // Faster only if every round says so; a median above 1 with rounds that disagree is noise.
      const { radam, adam } = s[b];
      const r = s[b].adamOverRadam,
        rounds = radam.epochs.map((x, i) => adam.epochs[i] / x);
      const shown = rounds.every((x) => x > 1);
      add(
        `model.fit epoch, tf.train.adam / RAdamOptimizer, tfjs-${b}, batch ${s.batch}${!shown && r > 1 ? ' (rounds disagree: not shown)' : ''}`,
        r,
        shown,
        '> 1x in every round',
      );
    }
  }
  return out;
}

function render(results) {
  const { meta, sizes, tensors, subnormals } = results;
  const parts = [];
  for (const [n, res] of Object.entries(sizes ?? {}))
    parts.push(`N = ${(+n).toLocaleString('en-US')}\n${pad([HEAD, ...sizeRows(res)])}`);
  if (tensors)
    parts.push(
      pad([
        ['many tensors (simd)', 'ns/element'],
        [tensors.one.label, fmt(tensors.one.ns)],
        [tensors.many.label, fmt(tensors.many.ns)],
        ['ratio (paired)', `${tensors.manyOverOne.toFixed(3)}x`],
      ]),
    );
  if (subnormals)
    parts.push(
      pad([
        [`subnormals (simd, N=${subnormals.n})`, 'ns/element', 'vs normal'],
        [subnormals.normal.label, fmt(subnormals.normal.ns), '1x'],
        [subnormals.subnormal.label, fmt(subnormals.subnormal.ns), `${subnormals.subnormalOverNormal.toFixed(2)}x`],
        [subnormals.flushed.label, fmt(subnormals.flushed.ns), `${subnormals.flushedOverNormal.toFixed(2)}x`],
      ]),
    );
  if (results.guards) {
    const g = results.guards;
    parts.push(
      pad([
        [`guards (simd, N=${g.n})`, 'ns/element', 'vs plain'],
        ...['plain', 'skipNonFinite', 'maxGradNorm', 'lookahead', 'ema', 'clipValue', 'accumulate', 'everything']
          .filter((id) => g[id])
          .map((id) => [g[id].label, fmt(g[id].ns), id === 'plain' ? '1x' : `${g[`${id}OverPlain`].toFixed(3)}x`]),
      ]),
    );
  }
  if (results.threads) {
    parts.push(
      pad([
        ['threads (simd)', '1 thread ns/el', '2 threads ns/el', 'speedup', 'always split', 'with 2 ms between steps'],
        ...Object.entries(results.threads.sizes).map(([n, r]) => [
          `N=${n}`,
          fmt(r.one.ns),
          fmt(r.two.ns),
          `${r.shipped.toFixed(2)}x`,
          `${r.forcedSplit.toFixed(2)}x`,
          r.gapped ? `${r.gapped.toFixed(2)}x` : '-',
        ]),
      ]),
    );
  }
  if (results.fit) {
    parts.push(
      pad([
        ['model.fit, MLP 512-1024-512-1', 'optimizer', 'ms/epoch', 'optimizer ms/epoch', 'share'],
        ...fitTable(results.fit),
      ]),
    );
  }
  const t = targets(results);
  parts.push(
    pad([
      ['target', 'measured', 'needed', ''],
      ...t.map((x) => [
        x.what,
        x.need.endsWith('%') ? `${Math.round(x.value * 100)}%` : `${x.value.toFixed(2)}x`,
        x.need,
        x.ok ? 'met' : 'SHORT',
      ]),
    ]),
  );
  const header = `${meta.cpu}, ${meta.cores} cores, ${meta.runtime}; tfjs ${meta.versions['@tensorflow/tfjs-core']}; ${meta.seconds} s${meta.quick ? ' (--quick)' : ''}`;
  return { header, text: parts.join('\n\n'), targets: t };
}

/** Log-log chart of ns/element by N, one line per implementation. */
export function chart({ meta, sizes }) {
  const W = 760,
    H = 440,
    L = 70,
    R = 210,
    T = 40,
    B = 50;
  const ns = Object.keys(sizes).map(Number);
  const ids = Object.keys(sizes[ns[0]]);
  const all = ns.flatMap((n) => ids.map((id) => sizes[n][id].ns));
  const y0 = Math.floor(Math.log10(Math.min(...all))),
    y1 = Math.ceil(Math.log10(Math.max(...all)));
  const x = (n) =>
    L + ((Math.log2(n) - Math.log2(ns[0])) / Math.max(1, Math.log2(ns.at(-1)) - Math.log2(ns[0]))) * (W - L - R);
  const y = (v) => T + ((y1 - Math.log10(v)) / (y1 - y0)) * (H - T - B);
  const colors = ['#d62728', '#ff7f0e', '#bcbd22', '#7f7f7f', '#1f77b4', '#17becf', '#9467bd', '#e377c2', '#2ca02c'];
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="22" font-size="14" font-weight="bold">ns per element per optimizer step (log scale; lower is faster)</text>`,
  ];
  for (let e = y0; e <= y1; e++) {
    out.push(
      `<line x1="${L}" x2="${W - R}" y1="${y(10 ** e)}" y2="${y(10 ** e)}" stroke="#ddd"/>`,
      `<text x="${L - 6}" y="${y(10 ** e) + 4}" text-anchor="end">${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(-e)}</text>`,
    );
  }
  for (const n of ns) {
    out.push(
      `<line x1="${x(n)}" x2="${x(n)}" y1="${T}" y2="${H - B}" stroke="#eee"/>`,
      `<text x="${x(n)}" y="${H - B + 18}" text-anchor="middle">${n >= 1 << 20 ? `${n / (1 << 20)}M` : `${n / 1024}K`}</text>`,
    );
  }
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">N (elements, one tensor)</text>`);
  ids.forEach((id, k) => {
    const c = colors[k % colors.length];
    const pts = ns.map((n) => `${x(n).toFixed(1)},${y(sizes[n][id].ns).toFixed(1)}`);
    const dash = id === 'roofline' ? ' stroke-dasharray="5,4"' : '';
    out.push(
      `<polyline fill="none" stroke="${c}" stroke-width="${id === 'simd' ? 3 : 1.8}"${dash} points="${pts.join(' ')}"/>`,
    );
    for (const p of pts) {
      const [px, py] = p.split(',');
      out.push(`<circle cx="${px}" cy="${py}" r="3" fill="${c}"/>`);
    }
    out.push(
      `<line x1="${W - R + 15}" x2="${W - R + 40}" y1="${T + 10 + k * 20}" y2="${T + 10 + k * 20}" stroke="${c}" stroke-width="3"${dash}/>`,
      `<text x="${W - R + 46}" y="${T + 14 + k * 20}">${esc(sizes[ns[0]][id].label)}</text>`,
    );
  });
  out.push(
    `<text x="${L}" y="${H - 1}" font-size="10" fill="#666">${esc(`${meta.cpu}, ${meta.cores} cores, ${meta.runtime}, ${meta.date.slice(0, 10)}`)}</text>`,
    '</svg>',
  );
  return out.join('\n');
}

function readmeBlock(results, rendered) {
  const ns = Object.keys(results.sizes);
  const ids = Object.keys(results.sizes[ns[0]]);
  const short = (n) => (n >= 1 << 20 ? `${n / (1 << 20)}M` : `${n / 1024}K`);
  const rows = ids.map(
    (id) =>
      `| ${results.sizes[ns[0]][id].label} | ${ns
        .map((n) => {
          const c = results.sizes[n][id];
          return `${fmt(c.ns)} (${fmt(c.timesSimd)}x)`;
        })
        .join(' | ')} |`,
  );
  const simd = ns.map((n) => results.sizes[n].simd);
  return [
    `Last full run: ${rendered.header}, ${results.meta.date.slice(0, 10)}.`,
    '',
    `ns per element per step, and in parentheses the time relative to radam-wasm simd (lower is faster):`,
    '',
    `| implementation | ${ns.map((n) => `N = ${short(+n)}`).join(' | ')} |`,
    `|---|${ns.map(() => '---').join('|')}|`,
    ...rows,
    `| simd: GB/s of the 28 B/element traffic, % of the roofline | ${simd.map((c) => `${c.gbPerS.toFixed(1)}, ${Math.round(c.ofRoofline * 100)}%`).join(' | ')} |`,
    '',
    ...(results.fit
      ? [
          `\`model.fit\` of an MLP with ${results.fit[0].wasm.radam.params.toLocaleString('en-US')} parameters (512-1024-512-1), ms per epoch:`,
          '',
          '| setting | optimizer | ms/epoch | optimizer ms/epoch | optimizer share |',
          '|---|---|---|---|---|',
          ...fitTable(results.fit).map((r) => `| ${r.join(' | ')} |`),
          '',
        ]
      : []),
    `200 mixed tensors vs one tensor of the same total (simd): ${results.tensors.manyOverOne.toFixed(3)}x. ` +
      `Subnormal v: ${results.subnormals.subnormalOverNormal.toFixed(2)}x the normal-state time, ` +
      `${results.subnormals.flushedOverNormal.toFixed(2)}x with \`flushSubnormals: true\`.` +
      (results.guards
        ? ` Guards at 1M elements, relative to a plain step: skipNonFinite ${results.guards.skipNonFiniteOverPlain.toFixed(3)}x, maxGradNorm ${results.guards.maxGradNormOverPlain.toFixed(3)}x, Lookahead (k=6) ${results.guards.lookaheadOverPlain.toFixed(3)}x` +
          (results.guards.emaOverPlain !== undefined
            ? `, ema ${results.guards.emaOverPlain.toFixed(3)}x, clipValue ${results.guards.clipValueOverPlain.toFixed(3)}x, accumulate 4 ${results.guards.accumulateOverPlain.toFixed(3)}x per call.`
            : '.')
        : ''),
    '',
    '| target | measured | needed | |',
    '|---|---|---|---|',
    ...rendered.targets.map(
      (x) =>
        `| ${x.what} | ${x.need.endsWith('%') ? `${Math.round(x.value * 100)}%` : `${x.value.toFixed(2)}x`} | ${x.need} | ${x.ok ? 'met' : '**short**'} |`,
    ),
  ].join('\n');
}

/** Re-renders docs/performance.md's table from a saved results file: node bench/lib/report.mjs [file]. */
export function updateReadme(results) {
  const rendered = render(results);
  const readme = path.join(ROOT, 'docs/performance.md');
  const text = fs.readFileSync(readme, 'utf8');
  const re = /(<!-- bench:start -->\n)[\s\S]*?(\n<!-- bench:end -->)/;
  if (!re.test(text)) return false;
  fs.writeFileSync(readme, text.replace(re, `$1${readmeBlock(results, rendered)}$2`));
  return true;
}

function threadsBlock(t) {
  return [
    '| N | 1 thread, ns/element | 2 threads | speedup (back to back) | always split | with 2 ms of other work between steps |',
    '|---|---|---|---|---|---|',
    ...Object.entries(t.sizes).map(
      ([n, r]) =>
        `| ${(+n).toLocaleString('en-US')} | ${fmt(r.one.ns)} | ${fmt(r.two.ns)} | ${r.shipped.toFixed(2)}x | ${r.forcedSplit.toFixed(2)}x | ${r.gapped ? `${r.gapped.toFixed(2)}x` : '-'} |`,
    ),
  ].join('\n');
}

/** name: 'latest' (a full run: also the README tables), 'quick', or the sections of an --only run. */
export function writeResults(results, name) {
  const rendered = render(results);
  console.log(`\n${rendered.header}\n\n${rendered.text}`);
  const dir = path.join(ROOT, 'bench/results');
  fs.mkdirSync(dir, { recursive: true });
  const base = path.join(dir, name);
  fs.writeFileSync(`${base}.json`, `${JSON.stringify({ ...results, targets: rendered.targets }, null, 1)}\n`);
  if (Object.keys(results.sizes ?? {}).length) fs.writeFileSync(`${base}.svg`, `${chart(results)}\n`);
  console.error(`\nwrote ${path.relative(ROOT, base)}.json`);
  if (name === 'latest' && updateReadme(results)) console.error('updated the table in docs/performance.md');
  if (results.threads && name !== 'quick') {
    const readme = path.join(ROOT, 'docs/performance.md');
    const text = fs.readFileSync(readme, 'utf8');
    const re = /(<!-- threads:start -->\n)[\s\S]*?(\n<!-- threads:end -->)/;
    if (re.test(text)) fs.writeFileSync(readme, text.replace(re, `$1${threadsBlock(results.threads)}$2`));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2] ?? path.join(ROOT, 'bench/results/latest.json');
  updateReadme(JSON.parse(fs.readFileSync(file, 'utf8')));
  fs.writeFileSync(file.replace(/\.json$/, '.svg'), `${chart(JSON.parse(fs.readFileSync(file, 'utf8')))}\n`);
}
