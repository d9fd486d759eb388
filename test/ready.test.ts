// RAdam.ready / RAdam.createSync: synchronous creation once the kernel is loaded (what tfjs's
// model loading needs). vitest gives each test file fresh modules, so nothing is loaded yet here.
import { describe, expect, it } from 'vitest';
import { Adam, RAdam } from '../src/index.js';

describe('RAdam.ready and RAdam.createSync', () => {
  it('createSync before ready throws, naming the call to make', () => {
    expect(() => RAdam.createSync({ backend: 'scalar' })).toThrow(
      /backend 'scalar' is not loaded yet: await RAdam.ready\('scalar'\) first/,
    );
  });

  it('the js backend needs no loading', () => {
    const opt = RAdam.createSync({ backend: 'js' });
    expect(opt.backend).toBe('js');
    opt.dispose();
  });

  it('ready resolves the choice; then createSync gives the same optimizer as create', async () => {
    expect(await RAdam.ready()).toBe('simd');
    expect(await RAdam.ready('scalar')).toBe('scalar');
    const a = RAdam.createSync({ lr: 0.1 }),
      b = await RAdam.create({ lr: 0.1 });
    expect(a).toBeInstanceOf(RAdam);
    expect(a.backend).toBe('simd');
    const [pa, pb] = [a.addParam([1, -2, 3]), b.addParam([1, -2, 3])];
    for (let t = 0; t < 8; t++) {
      pa.grad.set([0.5, 1, -1]);
      pb.grad.set([0.5, 1, -1]);
      a.step();
      b.step();
    }
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

describe('Adam', () => {
  it('is RAdam with rectify: false by default, on the same kernel', async () => {
    const adam = await Adam.create({ lr: 0.1 }),
      radam = await RAdam.create({ lr: 0.1, rectify: false });
    expect(adam).toBeInstanceOf(Adam);
    expect(adam.groups[0].rectify).toBe(false);
    expect(adam.backend).toBe('simd');
    const [a, b] = [adam.addParam([1, -2, 3]), radam.addParam([1, -2, 3])];
    for (let t = 0; t < 3; t++) {
      a.grad.set([0.5, 1, -1]);
      b.grad.set([0.5, 1, -1]);
      adam.step();
      radam.step();
    }
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    // Adam's first step moves every element by ~lr whatever the gradient's size; RAdam's is lr*g.
    const first = await Adam.create({ lr: 0.1 }),
      w = first.addParam([0, 0]);
    w.grad.set([1e-3, 10]);
    first.step();
    expect(w.data[0]).toBeCloseTo(-0.1, 4);
    expect(w.data[1]).toBeCloseTo(-0.1, 6);
    expect((await Adam.create({ rectify: true })).groups[0].rectify).toBe(true);
    [adam, radam, first].forEach((o) => o.dispose());
  });
});
