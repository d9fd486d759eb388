// webpack config of the bundler test app (copied next to main.mjs by scripts/test-bundlers.mjs):
// mode, entry and output, as for any ESM package. Nothing here is for radam-wasm: no worker, wasm or
// asset rules, no experiments.
import path from 'node:path';

export default {
  mode: 'production',
  entry: './main.mjs',
  output: { path: path.join(import.meta.dirname, 'dist'), filename: 'main.js' },
};
