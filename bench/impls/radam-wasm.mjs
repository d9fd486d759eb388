// This library, one backend per case.
import { RAdam } from '../../dist/index.js';
import { normals, WARM_STEPS, LR } from './inputs.mjs';

/** One optimizer over tensors of the given sizes, past its warm-up steps. */
export async function radamWasm(backend, sizes, options = {}) {
  const { minSplit, ...rest } = options;
  const opt = await RAdam.create({ backend, lr: LR, ...rest });
  if (minSplit !== undefined) opt._minSplit = minSplit; // threads: measure below the break-even
  const params = sizes.map((n, k) => {
    const p = opt.addParam(normals(n, 1 + k));
    return p;
  });
  params.forEach((p, k) => p.grad.set(normals(p.size, 100 + k, 0.1)));
  for (let t = 0; t < WARM_STEPS; t++) opt.step();
  return { opt, params, step: () => opt.step(), dispose: () => opt.dispose() };
}
