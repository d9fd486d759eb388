// node scripts/screenshots.mjs [--paper 'query'] [--bench 'query']: the README's pictures of the site,
// docs/img/paper.png and docs/img/bench.png, taken on demand only (npm test never writes them).
// Builds the site (demo/web/vite.config.mjs → dist-site/; expects dist/, npm run build), serves it
// cross-origin isolated, runs each page in headless Chromium to the end and saves the whole page.
// The paper page runs its default configuration (the Node demo's, so the picture shows the numbers of
// demo/README.md; minutes on a laptop); the benchmark page 4K to 1M elements. --paper / --bench
// replace the query strings (e.g. --paper 'steps=60&seeds=1&auto=1' for a quick look).
import fs from 'node:fs';
import path from 'node:path';
import { launchChromium } from './lib/chromium.mjs';
import { buildSite, ROOT, serveSite, siteUrl } from './serve-site.mjs';

const arg = (flag, fallback) => {
  const i = process.argv.indexOf(flag);
  return i < 0 ? fallback : process.argv[i + 1];
};
const PAPER = arg('--paper', 'auto=1');
const BENCH = arg('--bench', 'sizes=4096,65536,1048576&auto=1');
const IMG = path.join(ROOT, 'docs/img');
const VIEWPORT = { width: 1200, height: 900 };
const seconds = (ms) => `${(ms / 1000).toFixed(0)} s`;

console.log('building the site (vite build)…');
await buildSite();
const server = await serveSite({ port: 0, isolated: true });
const browser = await launchChromium();
fs.mkdirSync(IMG, { recursive: true });
try {
  for (const [page, query, result, state] of [
    ['paper', PAPER, 'paperResult', 'paperState'],
    ['bench', BENCH, 'benchResult', 'benchState'],
  ]) {
    const t = performance.now();
    const tab = await browser.newPage({ viewport: VIEWPORT, deviceScaleFactor: 1, colorScheme: 'light' });
    const problems = [];
    tab.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    tab.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
    await tab.goto(`${siteUrl(server)}${page}/?${query}`);
    process.stdout.write(`${page}/?${query} `);
    const progress = setInterval(async () => {
      const s = await tab.evaluate((n) => window[n], state).catch(() => undefined);
      if (s?.total) process.stdout.write(`${s.done}/${s.total} `);
    }, 10_000);
    try {
      await tab.waitForFunction((n) => window[n]?.done === true, result, { timeout: 20 * 60_000, polling: 500 });
    } finally {
      clearInterval(progress);
    }
    if (problems.length) throw new Error(`${page}: ${problems.join('; ')}`);
    await tab.waitForTimeout(500); // the last chart redraw
    const file = path.join(IMG, `${page}.png`);
    await tab.screenshot({ path: file, fullPage: true });
    await tab.close();
    const kib = (fs.statSync(file).size / 1024).toFixed(0);
    console.log(`\n  wrote ${path.relative(ROOT, file)} (${kib} KiB) in ${seconds(performance.now() - t)}`);
  }
} finally {
  await browser.close();
  server.close();
}
