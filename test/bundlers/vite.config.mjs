// Vite config of the bundler test apps (copied next to their index.html by scripts/test-bundlers.mjs):
// only what any app writes. Nothing here is for radam-wasm: no worker, wasm or asset options.
import { defineConfig } from 'vite';

export default defineConfig({
  build: { outDir: 'dist' },
});
