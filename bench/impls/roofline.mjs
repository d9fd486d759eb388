// The bandwidth ceiling: bench/roofline/stream.ts moves the step's 28 bytes per element with no
// float arithmetic.
import { allocator, ascModule } from '../lib/asc.mjs';
import { normals } from './inputs.mjs';

export async function roofline(n, log) {
  const exports = await ascModule('bench/roofline/stream.ts', log); // a fresh instance and memory
  const b = allocator(exports)(n);
  for (const ptr of [b.p, b.g, b.m, b.v]) new Float32Array(exports.memory.buffer, ptr, n).set(normals(n, ptr));
  const step = () => exports.stream(b.p, b.g, b.m, b.v, n);
  step();
  return { step, dispose() {} };
}
