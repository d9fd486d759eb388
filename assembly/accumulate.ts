// Gradient accumulation's pass over the step table (src/pipeline/layout.ts), in both builds;
// src/backends/js.ts mirrors it.
import { ENTRY_BYTES, E_ACCUM, E_GRAD, E_SIZE } from '../src/pipeline/layout';
import { pending } from './guards';

/**
 * Gradient accumulation, for every entry with an accumulator whose gradient is not the accumulator
 * itself: acc += g with FLAG_PENDING, else acc = g (the first gradient of a window).
 */
export function accumulate(table: usize, count: i32): void {
  for (let k = 0; k < count; k++) {
    const e = table + <usize>k * ENTRY_BYTES;
    const n = load<i32>(e, E_SIZE);
    let acc = <usize>load<u32>(e, E_ACCUM);
    let g = <usize>load<u32>(e, E_GRAD);
    if (acc == 0 || acc == g || n <= 0) continue;
    if (!pending(e)) { memory.copy(acc, g, <usize>n << 2); continue; }
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      for (; i + 16 <= n; i += 16) {
        v128.store(acc, f32x4.add(v128.load(acc), v128.load(g)));
        v128.store(acc, f32x4.add(v128.load(acc, 16), v128.load(g, 16)), 16);
        v128.store(acc, f32x4.add(v128.load(acc, 32), v128.load(g, 32)), 32);
        v128.store(acc, f32x4.add(v128.load(acc, 48), v128.load(g, 48)), 48);
        acc += 64; g += 64;
      }
      for (; i + 4 <= n; i += 4) {
        v128.store(acc, f32x4.add(v128.load(acc), v128.load(g)));
        acc += 16; g += 16;
      }
    }
    for (; i < n; i++) {
      store<f32>(acc, load<f32>(acc) + load<f32>(g));
      acc += 4; g += 4;
    }
  }
}
