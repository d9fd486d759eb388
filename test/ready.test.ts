// RAdam.ready / RAdam.createSync: synchronous creation once the kernel is loaded (what tfjs's
// model loading needs). vitest gives each test file fresh modules, so nothing is loaded yet here.
import { describe, expect, it } from 'vitest';
import { RAdam } from '../src/index.js';

describe('RAdam.ready and RAdam.createSync', () => {
  it('createSync before ready throws, naming the call to make', () => {
    expect(() => RAdam.createSync({ backend: 'scalar' })).toThrow(/backend 'scalar' is not loaded yet: await RAdam.ready\('scalar'\) first/);
  });

  it("the js backend needs no loading", () => {
    const opt = RAdam.createSync({ backend: 'js' });
    expect(opt.backend).toBe('js');
    opt.dispose();
  });

  it('ready resolves the choice; then createSync gives the same optimizer as create', async () => {
    expect(await RAdam.ready()).toBe('simd');
    expect(await RAdam.ready('scalar')).toBe('scalar');
    const a = RAdam.createSync({ lr: 0.1 }), b = await RAdam.create({ lr: 0.1 });
    expect(a).toBeInstanceOf(RAdam);
    expect(a.backend).toBe('simd');
    const [pa, pb] = [a.addParam([1, -2, 3]), b.addParam([1, -2, 3])];
    for (let t = 0; t < 8; t++) { pa.grad.set([0.5, 1, -1]); pb.grad.set([0.5, 1, -1]); a.step(); b.step(); }
    expect(Array.from(pa.data)).toEqual(Array.from(pb.data));
    // Many synchronous creations in a row: the pre-made instance is used once, then the sync path.
    const many = Array.from({ length: 5 }, () => RAdam.createSync({ backend: 'scalar' }));
    expect(new Set(many.map((o) => o.addParam(1).data.buffer)).size).toBe(5);
    [a, b, ...many].forEach((o) => o.dispose());
  });

  it('ready rejects an unknown backend by name', async () => {
    await expect(RAdam.ready('gpu' as 'js')).rejects.toThrow(/Invalid backend: "gpu"/);
  });
});
