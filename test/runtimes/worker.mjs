// Cloudflare workerd: bundled by esbuild with the 'workerd' condition, so 'radam-wasm' resolves to
// the entry that imports the kernels as .wasm modules (workerd forbids compiling bytes at run time).
import { RAdam } from 'radam-wasm';
import cases from '../../build/runtimes/cases.json'; // written by scripts/test-runtimes.mjs
import { smoke } from './smoke.mjs';

export default {
  async fetch() {
    return Response.json(await smoke(RAdam, cases));
  },
};
