// The bfloat16 step's memory traffic with no float arithmetic, next to the float32 step's (the
// bench's roofline loop, re-exported). Compiled by stream.mjs over a shared memory, so that one
// module serves the calling thread and a worker (the 2-thread ceiling). No decorators: biome lints
// this file, and Binaryen inlines `block` anyway.
export { stream as stream28, heapBase } from '../roofline/stream';

// Reads p, g (f32) and m, v (bfloat16 words), writes p, m, v: 4 + 4 + 2 + 2 + 4 + 2 + 2 = 20 bytes per
// element, 16 elements per iteration (4 f32x4 vectors of p, like the float32 loop). The xors only
// keep every load alive.
export function stream20(p: usize, g: usize, m: usize, v: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    block(p, g, m, v, 0);
    block(p, g, m, v, 32);
    p += 64;
    g += 64;
    m += 32;
    v += 32;
  }
  for (; i + 8 <= n; i += 8) {
    block(p, g, m, v, 0);
    p += 32;
    g += 32;
    m += 16;
    v += 16;
  }
}

// 8 elements: two f32x4 vectors of p and g, one i16x8 vector of m and v. o is the f32 byte offset.
function block(p: usize, g: usize, m: usize, v: usize, o: usize): void {
  const h = o >> 1;
  const a0 = v128.load(p + o),
    a1 = v128.load(p + o + 16),
    b0 = v128.load(g + o),
    b1 = v128.load(g + o + 16);
  const c = v128.load(m + h),
    d = v128.load(v + h);
  v128.store(p + o, v128.xor(a0, b0));
  v128.store(p + o + 16, v128.xor(a1, b1));
  v128.store(m + h, v128.xor(c, b0));
  v128.store(v + h, v128.xor(d, b1));
}
