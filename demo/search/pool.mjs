// A pool of worker threads (default 2) running train-run jobs; results in job order.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export function runJobs(jobs, { threads = 2, onResult } = {}) {
  const results = new Array(jobs.length);
  const queue = jobs.map((j, id) => ({ ...j, id }));
  return new Promise((resolve, reject) => {
    let live = 0;
    for (let i = 0; i < Math.min(threads, queue.length); i++) {
      const w = new Worker(path.join(HERE, 'worker.mjs'));
      live++;
      const next = () => {
        const job = queue.shift();
        if (!job) {
          w.terminate();
          if (--live === 0) resolve(results);
          return;
        }
        w.postMessage(job);
      };
      w.on('message', (m) => {
        if (m.error) {
          reject(new Error(m.error));
          return;
        }
        results[m.id] = m.result;
        onResult?.(m.result, jobs[m.id]);
        next();
      });
      w.on('error', reject);
      next();
    }
  });
}
