// node scripts/serve-site.mjs [--not-isolated] [--port N] [--base /path/] [--dir folder]
// Serves the built site (dist-site/, from `vite build --config demo/web/vite.config.mjs`; npm run
// demo:web builds it, then runs this) on 127.0.0.1 as a static host would: with the COOP/COEP
// headers that make the pages cross-origin isolated (threads), or without them (--not-isolated),
// at the root or under a sub-path (--base /radam-wasm/, as GitHub Pages serves a project's site).
// scripts/test-site.mjs and scripts/screenshots.mjs import serveSite and buildSite from here.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SITE = path.join(ROOT, 'dist-site');
export const VITE_CONFIG = path.join(ROOT, 'demo/web/vite.config.mjs');
const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Serves `dir` on 127.0.0.1:`port` (0: any free port) under `base`; resolves to the listening server
 * once it listens, rejects if it cannot (a port in use). A folder is its index.html; a folder asked
 * for without its trailing slash is redirected to it, as static hosts do (the site's links are relative).
 */
export function serveSite({ dir = SITE, port = 4173, isolated = true, base = '/' } = {}) {
  if (!/^\/(.*\/)?$/.test(base)) throw new Error(`serveSite: base must start and end with '/', got '${base}'`);
  const inside = (file) => file === dir || file.startsWith(dir + path.sep);
  const server = http.createServer((req, res) => {
    const headers = { 'cache-control': 'no-cache', ...(isolated ? ISOLATION : {}) };
    const fail = (code, text) => res.writeHead(code, { ...headers, 'content-type': 'text/plain' }).end(text);
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(405, 'method not allowed');
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      return fail(400, 'bad request');
    }
    if (`${pathname}/` === base) return res.writeHead(301, { ...headers, location: base }).end();
    if (!pathname.startsWith(base)) return fail(404, 'not found');
    let file = path.join(dir, pathname.slice(base.length));
    if (!inside(file) || !fs.existsSync(file)) return fail(404, 'not found');
    if (fs.statSync(file).isDirectory()) {
      if (!pathname.endsWith('/')) {
        const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
        return res.writeHead(301, { ...headers, location: `${encodeURI(pathname)}/${query}` }).end();
      }
      file = path.join(file, 'index.html');
      if (!fs.existsSync(file)) return fail(404, 'not found');
    }
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, { ...headers, 'content-type': type, 'content-length': fs.statSync(file).size });
    if (req.method === 'HEAD') res.end();
    else fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** The site's URL on `server` (its base included). */
export const siteUrl = (server, base = '/') => `http://127.0.0.1:${server.address().port}${base}`;

/**
 * Builds the site into dist-site/ (vite build with demo/web/vite.config.mjs); expects dist/ (npm run
 * build). Resolves to Vite's output; rejects with its end. The output goes to `log` when given.
 */
export function buildSite({ log } = {}) {
  if (!fs.existsSync(path.join(ROOT, 'dist/index.js')))
    return Promise.reject(new Error('buildSite: dist/index.js is missing: run npm run build first'));
  return new Promise((resolve, reject) => {
    const vite = path.join(ROOT, 'node_modules/.bin/vite');
    const args = ['build', '--config', VITE_CONFIG];
    const child = spawn(vite, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (log) fs.writeFileSync(log, `$ vite ${args.join(' ')}\n${out}`);
      if (code === 0) resolve(out);
      else reject(new Error(`vite ${args.join(' ')} exited with ${code}:\n${out.trim().slice(-2000)}`));
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const value = (flag, fallback) => {
    const i = args.indexOf(flag);
    return i < 0 ? fallback : args[i + 1];
  };
  const known = new Set(['--not-isolated', '--port', '--base', '--dir']);
  const unknown = args.filter((a, i) => a.startsWith('--') && !known.has(a) && !known.has(args[i - 1]));
  if (unknown.length) {
    console.error(`serve-site: unknown option ${unknown[0]} (known: ${[...known].join(', ')})`);
    process.exit(2);
  }
  const isolated = !args.includes('--not-isolated');
  const dir = path.resolve(value('--dir', SITE));
  const base = value('--base', '/');
  if (!/^\/(.*\/)?$/.test(base)) {
    console.error(`serve-site: --base must start and end with '/', got ${base}`);
    process.exit(2);
  }
  const port = Number(value('--port', 4173));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve-site: --port must be an integer from 0 to 65535, got ${value('--port')}`);
    process.exit(2);
  }
  if (!fs.existsSync(path.join(dir, 'index.html'))) {
    console.error(
      `serve-site: ${path.relative(ROOT, dir) || dir}/index.html is missing: npm run demo:web builds the site`,
    );
    process.exit(1);
  }
  let server;
  try {
    server = await serveSite({ dir, port, isolated, base });
  } catch (e) {
    console.error(
      `serve-site: cannot listen on 127.0.0.1:${port} (${e.code ?? e.message}): try --port 0 for any free port`,
    );
    process.exit(1);
  }
  console.log(
    `serving ${path.relative(ROOT, dir) || dir}/ ${isolated ? 'cross-origin isolated (COOP/COEP headers: threads on)' : 'without the COOP/COEP headers (no threads)'}:\n` +
      `  ${siteUrl(server, base)}\n  ${siteUrl(server, base)}paper/\n  ${siteUrl(server, base)}bench/\n(Ctrl+C stops)`,
  );
}
