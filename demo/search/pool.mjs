// The search's pool: demo/lib/pool.mjs over search/worker.mjs (train-run jobs), 2 threads by default.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runJobs as run } from '../lib/pool.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export const runJobs = (jobs, { threads = 2, onResult } = {}) =>
  run(path.join(HERE, 'worker.mjs'), jobs, { threads, onResult });
