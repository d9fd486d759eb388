// One training run per message, in a Web Worker: the same trainRun as the Node demo's worker
// (demo/worker.mjs), on the library's WebAssembly kernel. Posts each curve point and each
// histogram row as the run makes them, then the result: { id, type: 'curve' | 'hist' | 'done' | 'error' }.
import { trainRun } from '../../lib/paper.mjs';

self.onmessage = async ({ data: job }) => {
  const { id } = job;
  try {
    const result = await trainRun(job, {
      onCurve: (point) => self.postMessage({ id, type: 'curve', point }),
      onDeltas: (t, hist) => self.postMessage({ id, type: 'hist', t, hist }),
    });
    self.postMessage({ id, type: 'done', result });
  } catch (e) {
    self.postMessage({ id, type: 'error', error: String(e?.stack ?? e) });
  }
};
