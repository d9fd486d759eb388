// Runs demo/search training jobs on its own thread.
import { parentPort } from 'node:worker_threads';
import { trainRun } from './train-run.mjs';

parentPort.on('message', async (job) => {
  try {
    parentPort.postMessage({ id: job.id, result: await trainRun(job) });
  } catch (e) {
    parentPort.postMessage({ id: job.id, error: String(e?.stack ?? e) });
  }
});
