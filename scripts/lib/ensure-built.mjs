// The check scripts that test the built package (bundlers, the site) build dist/ when it is
// missing, and say loudly when it is older than src/ (a run against a stale build proves little).
import fs from 'node:fs';
import path from 'node:path';

/** Builds with `run('npm', ['run', 'build'], options)` when dist/ is missing; warns when it is stale. */
export async function ensureBuilt(root, run, options = {}) {
  const index = path.join(root, 'dist/index.js');
  if (!fs.existsSync(index)) {
    console.log('dist/ is missing: npm run build');
    await run('npm', ['run', 'build'], options);
    return;
  }
  const built = fs.statSync(index).mtimeMs;
  const newer = fs
    .readdirSync(path.join(root, 'src'), { recursive: true })
    .filter((f) => /\.ts$/.test(f) && fs.statSync(path.join(root, 'src', f)).mtimeMs > built);
  if (newer.length)
    console.log(`\n!!! dist/ is older than src/ (${newer.slice(0, 3).join(', ')}…): run npm run build first !!!\n`);
}
