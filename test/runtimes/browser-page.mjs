// Chromium: the built package loaded straight from dist/ as ES modules (no bundler).
import { RAdam } from '/dist/index.js';
import { smoke } from '/test/runtimes/smoke.mjs';

const cases = await (await fetch(new URLSearchParams(location.search).get('cases'))).json();
window.smokeResult = await smoke(RAdam, cases);
