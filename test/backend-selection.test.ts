// Backend selection (backends/select.ts): what 'auto' resolves to, and each optimizer's own memory.
// Elsewhere: RAdam.ready and createSync in test/ready.test.ts, the backends agreeing bit for bit in
// test/backends.test.ts, the thread count in test/threads.test.ts.
import { describe, expect, it } from 'vitest';
import { RAdam } from '../src/index.js';

describe('backend selection', () => {
  it("'auto' picks simd where the runtime validates it (Node 20 does)", async () => {
    const opt = await RAdam.create();
    expect(opt.backend).toBe('simd');
    opt.dispose();
  });

  it('each optimizer has its own memory', async () => {
    const a = await RAdam.create({ backend: 'simd' }),
      b = await RAdam.create({ backend: 'simd' });
    const pa = a.addParam([1]),
      pb = b.addParam([2]);
    expect(pa.data.buffer).not.toBe(pb.data.buffer);
    a.dispose();
    b.dispose();
  });
});
