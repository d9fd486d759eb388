// A pool of worker threads for the demo's training runs: each worker script answers a job message
// with { id, result } or { id, error }. Results come back in job order, whatever order the
// workers finish in, so what is computed from them does not depend on the scheduling.
import { Worker } from 'node:worker_threads';

/** Runs `jobs` on `threads` workers of `script` (a path or file URL); onResult(result, job) after each. */
export function runJobs(script, jobs, { threads = 2, onResult } = {}) {
  const results = new Array(jobs.length);
  const queue = jobs.map((job, id) => ({ ...job, id }));
  return new Promise((resolve, reject) => {
    let live = 0;
    for (let i = 0; i < Math.min(threads, queue.length); i++) {
      const w = new Worker(script);
      let finished = false;
      live++;
      const next = () => {
        const job = queue.shift();
        if (!job) {
          finished = true;
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
      w.on('exit', (code) => {
        if (!finished) reject(new Error(`a training worker stopped (exit code ${code}) before the runs were done`));
      });
      next();
    }
    if (!queue.length && !live) resolve(results);
  });
}

/** A progress bar with an ETA on stdout; returns what to call after each finished job. */
export function progressBar(total) {
  const t0 = Date.now();
  let done = 0;
  const draw = () => {
    const width = 40,
      filled = Math.round((done / total) * width);
    const eta = done ? (((Date.now() - t0) / done) * (total - done)) / 1000 : 0;
    process.stdout.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}  ${((Date.now() - t0) / 1000).toFixed(0)} s${done ? `, ~${eta.toFixed(0)} s left` : ''}   `,
    );
  };
  draw();
  return () => {
    done++;
    draw();
  };
}
