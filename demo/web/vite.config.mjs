// The site: the paper page (paper/) and the benchmark page (bench/), built by Vite as most of this
// package's users build their apps.
//   npm run demo:web                                    build dist/ and the site, serve it isolated
//   npx vite build --config demo/web/vite.config.mjs    the static site, in dist-site/
//   npx vite --config demo/web/vite.config.mjs          the dev server (cross-origin isolated)
// `radam-wasm` needs no alias: the pages are inside the package, and Vite resolves a package's
// import of its own name through its package.json "exports" (dist/), as Node does. dist/ must exist
// (npm run build). The build is static and relative (base './'), so it works from any folder of
// any static host; threads need the host to send the two headers below (dist-site/_headers carries
// them for the hosts that read that file; docs/site.md has the rest).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
// SharedArrayBuffer, hence the library's threads and the pages' parallel workers, needs both.
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** dist-site/_headers: Netlify's and Cloudflare Pages' way to send headers from a static folder. */
const headersFile = () => ({
  name: 'radam-wasm-site-headers',
  apply: 'build',
  generateBundle() {
    const lines = Object.entries(ISOLATION).map(([k, v]) => `  ${k}: ${v}`);
    this.emitFile({ type: 'asset', fileName: '_headers', source: ['/*', ...lines, ''].join('\n') });
  },
});

export default defineConfig({
  root: HERE,
  base: './',
  plugins: [headersFile()],
  build: {
    outDir: path.join(REPO, 'dist-site'),
    emptyOutDir: true, // outside the root, so Vite asks
    reportCompressedSize: false,
    chunkSizeWarningLimit: 2000, // tfjs (the benchmark page's comparison) is one large chunk, by design
    rolldownOptions: {
      input: {
        main: path.join(HERE, 'index.html'),
        paper: path.join(HERE, 'paper/index.html'),
        bench: path.join(HERE, 'bench/index.html'),
      },
    },
  },
  worker: { format: 'es' },
  server: { headers: ISOLATION, fs: { allow: [REPO] } },
  preview: { headers: ISOLATION },
});
