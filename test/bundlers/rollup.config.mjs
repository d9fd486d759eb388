// Rollup config of the bundler test app (copied next to main.mjs by scripts/test-bundlers.mjs): the
// entry, an ES module output directory, and node-resolve to find packages in node_modules, as for any
// ESM package. Nothing here is for radam-wasm: no worker, wasm or asset plugins.
import { nodeResolve } from '@rollup/plugin-node-resolve';

export default {
  input: 'main.mjs',
  output: { dir: 'dist', format: 'es' },
  plugins: [nodeResolve()],
};
