// The bundler check: a tiny app importing 'radam-wasm' as a user would, bundled by esbuild with no
// plugin and no configuration for WebAssembly, then loaded in Chromium.
import { RAdam } from 'radam-wasm';
import { smoke } from './smoke.mjs';

const cases = await (await fetch(new URLSearchParams(location.search).get('cases'))).json();
window.smokeResult = await smoke(RAdam, cases);
