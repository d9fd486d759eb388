// Runs training jobs sent by demo/index.mjs on its own thread (a 2-core machine runs two at once);
// the paper page's Web Worker (web/paper/train.worker.mjs) runs the same trainRun.
import { parentPort } from 'node:worker_threads';
import { trainRun } from './lib/paper.mjs';

parentPort.on('message', async (job) => {
  try {
    parentPort.postMessage({ id: job.id, result: await trainRun(job) });
  } catch (e) {
    parentPort.postMessage({ id: job.id, error: String(e?.stack ?? e) });
  }
});
