// The roofline: the memory traffic of one optimizer step with no float arithmetic. Reads p, g, m, v
// and writes p, m, v (28 bytes per element), 4 f32x4 vectors per iteration like the kernel. The
// xors only keep every load alive; they cost one cycle and no float unit.
export function stream(p: usize, g: usize, m: usize, v: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    step(p, g, m, v, 0); step(p, g, m, v, 16); step(p, g, m, v, 32); step(p, g, m, v, 48);
    p += 64; g += 64; m += 64; v += 64;
  }
  for (; i + 4 <= n; i += 4) {
    step(p, g, m, v, 0);
    p += 16; g += 16; m += 16; v += 16;
  }
}

// @ts-ignore: decorator
@inline function step(p: usize, g: usize, m: usize, v: usize, o: usize): void {
  const a = v128.load(p + o), b = v128.load(g + o), c = v128.load(m + o), d = v128.load(v + o);
  v128.store(p + o, v128.xor(a, b));
  v128.store(m + o, v128.xor(c, b));
  v128.store(v + o, v128.xor(d, b));
}

export function heapBase(): usize {
  return __heap_base;
}
