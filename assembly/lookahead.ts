// Lookahead's slow-weight update over the step table (src/pipeline/layout.ts), in both builds;
// src/backends/js.ts mirrors it.
import { ENTRY_BYTES, E_PARAM, E_SIZE, E_SLOW } from '../src/pipeline/layout';

/** Lookahead's slow update for every tensor with slow weights: s += alpha * (p - s); p = s. */
export function lookaheadSync(table: usize, count: i32, alpha: f32): void {
  for (let k = 0; k < count; k++) {
    const e = table + <usize>k * ENTRY_BYTES;
    const n = load<i32>(e, E_SIZE);
    let s = <usize>load<u32>(e, E_SLOW);
    if (s == 0) continue;
    let p = <usize>load<u32>(e, E_PARAM);
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      const a = f32x4.splat(alpha);
      for (; i + 4 <= n; i += 4) {
        const sv = v128.load(s);
        const next = f32x4.add(sv, f32x4.mul(a, f32x4.sub(v128.load(p), sv)));
        v128.store(s, next);
        v128.store(p, next);
        s += 16; p += 16;
      }
    }
    for (; i < n; i++) {
      const sv = load<f32>(s);
      const next = sv + alpha * (load<f32>(p) - sv);
      store<f32>(s, next);
      store<f32>(p, next);
      s += 4; p += 4;
    }
  }
}
