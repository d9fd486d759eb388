// node demo/search/chosen.mjs [seeds, e.g. 1,2,3]: re-runs the configuration chosen by the search
// (demo/SEARCH-NOTES.md, round 5) on the demo's 5-lr grid, through search.mjs.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHOSEN = {
  task: 'reverse',
  vocab: 16,
  noise: 0.05,
  model: { layers: 3, dModel: 32, heads: 4, dFF: 64, seqLen: 10, batch: 8 },
  steps: 400,
  warmup: 80,
  lrs: [2e-3, 8e-3, 1.6e-2, 3.2e-2, 6.4e-2],
  defaultLr: 1.6e-2,
  arms: ['adam', 'adam-warmup', 'radam', 'adam-eps', 'sgdm'],
  eps: 5e-3,
  sgdScale: 10,
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const seeds = (process.argv[2] ?? '1,2,3').split(',').map(Number);
  const here = path.dirname(fileURLToPath(import.meta.url));
  execFileSync(
    process.execPath,
    [path.join(here, 'search.mjs'), JSON.stringify({ ...CHOSEN, seeds }), `chosen seeds ${seeds}`],
    {
      stdio: 'inherit',
    },
  );
}
