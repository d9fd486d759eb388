// The whole vitest suite again, on the newest LTS Node (26, pinned in scripts/lts-nodes.mjs), so
// that the unit tests run on what most users run and not only on the machine's Node. The JSON
// report goes to test-results/vitest-node26.json, beside (not over) the machine Node's
// test-results/vitest.json. Expects dist/ built (npm test builds it first). Exit code: vitest's;
// where Node 26 cannot be had it is skipped with a banner (exit 0), and with CI=true it fails.
//
//   node scripts/test-vitest-lts.mjs [more vitest arguments]
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LTS_NODES, NEWEST_LTS, ltsNode } from './lts-nodes.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPORT = `test-results/vitest-node${NEWEST_LTS}.json`;

let bin;
try {
  bin = await ltsNode(NEWEST_LTS);
} catch (e) {
  console.log(`FAIL ${e.message}`);
  process.exit(1);
}
if (!bin) process.exit(0); // skipped; ltsNode printed why

const line = '='.repeat(100);
console.log(
  `\n${line}\n=== vitest on Node ${LTS_NODES[NEWEST_LTS]} (newest LTS), ${bin}\n=== report: ${REPORT}\n${line}\n`,
);
const t0 = Date.now();
const child = spawn(
  bin,
  ['node_modules/vitest/vitest.mjs', 'run', `--outputFile.json=${REPORT}`, ...process.argv.slice(2)],
  { cwd: ROOT, stdio: 'inherit' },
);
const code = await new Promise((resolve) => {
  child.on('error', (e) => {
    console.log(`FAIL could not start ${bin}: ${e.message}`);
    resolve(1);
  });
  child.on('close', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
});
console.log(
  `\n=== vitest on Node ${LTS_NODES[NEWEST_LTS]}: exit ${code} after ${((Date.now() - t0) / 1000).toFixed(0)} s\n`,
);
process.exitCode = code;
