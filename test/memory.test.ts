// Linear memory: views stay usable across growth, alignment, sizes, and disposal.
import { describe, expect, it } from 'vitest';
import { RAdam, type Backend } from '../src/index.js';

describe.each(['simd', 'scalar', 'js'] as Backend[])('memory (%s)', (backend) => {
  it('param views stay valid when later addParam calls grow the memory', async () => {
    const opt = await RAdam.create({ backend, lr: 0.1 });
    const w = opt.addParam([1, 2, 3]);
    const before = w.data;
    const bytes0 = opt.memoryBytes;
    const big = opt.addParam(3_000_000); // 4 arrays x 12 MB: forces growth
    expect(opt.memoryBytes).toBeGreaterThan(bytes0 + 4 * 12_000_000 - 1);
    // A view taken before the growth is detached (as with any wasm memory)...
    expect(before.length).toBe(0);
    // ...but the getters hand out live views with the values intact.
    expect(Array.from(w.data)).toEqual([1, 2, 3]);
    w.grad.set([1, 1, 1]);
    big.grad.fill(1);
    opt.step();
    expect(w.data[0]).toBeLessThan(1);
    expect(w.expAvg[0]).toBeCloseTo(0.1, 6);
    expect(big.data[2_999_999]).toBeCloseTo(-0.1, 6); // step 1: p -= lr * m / (1 - b1)
    opt.dispose();
  });

  it('many small params: every view aligned, distinct and zero-initialised', async () => {
    const opt = await RAdam.create({ backend, amsgrad: true });
    const ps = Array.from({ length: 300 }, (_, i) => opt.addParam(i % 7));
    const seen = new Set<number>();
    for (const p of ps) {
      for (const a of [p.data, p.grad, p.expAvg, p.expAvgSq, p.maxExpAvgSq!]) {
        expect(a.byteOffset % 64).toBe(0);
        expect(a.every((x) => x === 0)).toBe(true);
        if (a.length) {
          expect(seen.has(a.byteOffset)).toBe(false);
          seen.add(a.byteOffset);
        }
      }
    }
    ps.forEach((p, i) => p.grad.fill(i));
    opt.step();
    // Step 1 is a momentum step: p = -lr * g, so each param must have seen its own gradient.
    ps.forEach((p, i) => {
      expect(p.step).toBe(1);
      p.data.forEach((x) => expect(x).toBeCloseTo(-1e-3 * i, 7));
    });
    opt.dispose();
  });

  it('accepts number[], Float32Array, Float64Array and a length', async () => {
    const opt = await RAdam.create({ backend });
    expect(Array.from(opt.addParam([1.5, -2]).data)).toEqual([1.5, -2]);
    expect(Array.from(opt.addParam(new Float32Array([3])).data)).toEqual([3]);
    expect(Array.from(opt.addParam(new Float64Array([0.1])).data)).toEqual([Math.fround(0.1)]);
    const z = opt.addParam(4);
    expect(z.size).toBe(4);
    expect(Array.from(z.data)).toEqual([0, 0, 0, 0]);
    expect(opt.addParam(0).data.length).toBe(0);
    opt.dispose();
  });

  it('copies the initial values: later changes to the source do not reach the param', async () => {
    const opt = await RAdam.create({ backend });
    const src = new Float32Array([1, 2]);
    const p = opt.addParam(src);
    src[0] = 9;
    expect(p.data[0]).toBe(1);
    opt.dispose();
  });

  it('zeroGrad zeroes every gradient', async () => {
    const opt = await RAdam.create({ backend });
    const a = opt.addParam(5),
      b = opt.addGroup({ lr: 1 }).addParam(17);
    a.grad.fill(3);
    b.grad.fill(-2);
    opt.zeroGrad();
    expect([...a.grad, ...b.grad].every((x) => x === 0)).toBe(true);
    opt.dispose();
  });

  it('a disposed optimizer, its groups and params throw on use', async () => {
    const opt = await RAdam.create({ backend });
    const g = opt.groups[0];
    const p = opt.addParam(3);
    opt.dispose();
    opt.dispose(); // idempotent
    const msg = /RAdam: this optimizer has been disposed/;
    for (const use of [
      () => opt.step(),
      () => opt.addParam(1),
      () => opt.stateDict(),
      () => opt.backend,
      () => opt.groups,
      () => opt.params,
      () => opt.memoryBytes,
      () => p.data,
      () => p.grad,
      () => p.step,
      () => g.addParam(2),
      () => {
        g.lr = 5;
      },
    ])
      expect(use).toThrow(msg);
  });

  it.each([1, 16])(
    'asking for more than wasm32 can address throws a clear error and changes nothing (%i params before)',
    async (count) => {
      const opt = await RAdam.create({ backend });
      const ws = Array.from({ length: count }, () => opt.addParam([1, 2]));
      const used = opt.memoryBytes;
      // With 16 params the step table is full: the failed call must also undo its growth.
      expect(() => opt.addParam(300_000_000)).toThrow(/Out of memory.*4096 MiB/);
      expect(opt.memoryBytes).toBe(used);
      expect(opt.params.length).toBe(count);
      ws.forEach((w) => w.grad.set([1, 1]));
      opt.step();
      ws.forEach((w) => {
        expect(w.step).toBe(1);
        expect(w.data[0]).toBeCloseTo(1 - 1e-3, 6);
      });
      const next = opt.addParam([5]); // and the table still grows correctly afterwards
      next.grad.set([1]);
      opt.step();
      expect(next.data[0]).toBeCloseTo(5 - 1e-3, 6);
      expect(ws[0].step).toBe(2);
      opt.dispose();
    },
  );
});
