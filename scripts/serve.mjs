// A static file server for the repository (the browser example and the Chromium tests):
//   npm run example:browser   → http://127.0.0.1:8080/examples/browser/
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.html': 'text/html',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/**
 * Serves `root` on 127.0.0.1:`port` (0: any free port); resolves to the listening server. Paths
 * under /isolated/ serve the same files cross-origin isolated (COOP/COEP headers), as a page that
 * wants SharedArrayBuffer (threads) must be.
 */
export function serve(root, port = 8080) {
  const inside = (file) => file === root || file.startsWith(root + path.sep);
  const server = http.createServer((req, res) => {
    let file, pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      file = path.join(root, pathname.replace(/^\/isolated\//, '/'));
    } catch {
      res.writeHead(400).end('bad request');
      return;
    }
    if (inside(file) && fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!inside(file) || !fs.existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    const isolation = pathname.startsWith('/isolated/')
      ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }
      : {};
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', ...isolation });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const server = await serve(root, Number(process.argv[2] ?? 8080));
  console.log(`serving ${root} at http://127.0.0.1:${server.address().port}/examples/browser/`);
}
