// What every bundler app's page does once it has loaded radam-wasm (the apps pass in the RAdam they
// imported, so this file imports nothing from the package): the app's own training loop, then the
// shared smoke test (test/runtimes/smoke.mjs: backend detection, torch golden cases on simd, scalar
// and js, threads: 'auto' against one thread), published as window.smokeResult for
// scripts/test-bundlers.mjs. The apps import it as ../../../test/bundlers/page.mjs, which resolves to
// this file both from test/bundlers/<app>/ and from build/bundlers/<app>/ (both three levels deep).
import { smoke } from '../runtimes/smoke.mjs';

export async function runPage(RAdam, train) {
  try {
    const cases = await (await fetch(new URLSearchParams(location.search).get('cases'))).json();
    const training = await train();
    const result = await smoke(RAdam, cases);
    window.smokeResult = { ...result, training, isolated: globalThis.crossOriginIsolated === true };
  } catch (e) {
    window.smokeResult = { error: String(e?.stack ?? e) };
  }
}
