// Issue 18: every method that takes arrays or bytes (addParam, loadStateDict, loadState, the
// Lookahead's, the betas option), fed with each kind of view, offset and backing buffer: a
// subarray, a view inside a larger buffer, SharedArrayBuffer (growable too), resizable
// ArrayBuffer (fixed-length and length-tracking views), another realm, a Node Buffer, the
// optimizer's own memory, another optimizer's, a threaded optimizer's shared memory. Each is read
// as the plain array would be, and never written; a detached one is refused by name.
import os from 'node:os';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Lookahead, RAdam, type Backend } from '../../src/index.js';
import { BACKENDS, bits, expectNamed, failure, observe, refusedUnchanged, withHole } from './support.js';

/** What a state load restores: everything but the gradients. */
const restored = (opt: RAdam, la: Lookahead) => observe(opt, la).params.map(({ grad: _, ...rest }) => rest);

const VALUES = [1.5, -0, 0, Number.NaN, Number.POSITIVE_INFINITY, -3e38, 1e-45, 0.1, -2, 7];
type FloatArray = Float32Array | Float64Array;
type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;

/** A Node Buffer's memory, aligned for `bpe`-byte elements (Buffers from the pool may start anywhere). */
function inBuffer(C: Ctor, values: number[]): FloatArray {
  const bpe = C.BYTES_PER_ELEMENT;
  const buf = Buffer.allocUnsafe(values.length * bpe + 16);
  const skip = (bpe - (buf.byteOffset % bpe)) % bpe;
  const a = new C(buf.buffer, buf.byteOffset + skip, values.length);
  a.set(values);
  return a;
}

/** Each kind of view of `values` in a float array of class C. */
function views(C: Ctor, values: number[]): [string, FloatArray][] {
  const n = values.length,
    bpe = C.BYTES_PER_ELEMENT;
  const fill = (a: FloatArray) => {
    a.set(values);
    return a;
  };
  const rab = resizable(n * bpe, 4 * n * bpe);
  const rab2 = resizable((n + 2) * bpe, 4 * n * bpe);
  const gsab = growable(n * bpe, 4 * n * bpe);
  return [
    ['plain', C.from(values)],
    ['subarray at an offset', fill(new C(n + 7).subarray(3, 3 + n))],
    ['view inside a larger buffer', fill(new C(new ArrayBuffer((n + 9) * bpe), 5 * bpe, n))],
    ['over a SharedArrayBuffer', fill(new C(new SharedArrayBuffer(n * bpe) as unknown as ArrayBuffer))],
    ['over a growable SharedArrayBuffer', fill(new C(gsab))],
    ['length-tracking, over a resizable ArrayBuffer', fill(new C(rab))],
    ['fixed-length at an offset, over a resizable ArrayBuffer', fill(new C(rab2, bpe, n))],
    ['from another realm', vm.runInNewContext(`${C.name}.from(values)`, { values }) as FloatArray],
    [
      'from another realm, over a SharedArrayBuffer',
      fill(vm.runInNewContext(`new ${C.name}(new SharedArrayBuffer(n))`, { n: n * bpe }) as FloatArray),
    ],
    ['over a Node Buffer', inBuffer(C, values)],
  ];
}

/** A typed array whose buffer has been transferred away (as postMessage with transfer does). */
function detached(C: Ctor, n: number): FloatArray {
  const a = new C(n).fill(1);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
}

/** Node 20 has resizable ArrayBuffers and growable SharedArrayBuffers; the ES2022 types do not. */
const resizable = (n: number, max: number) =>
  new (ArrayBuffer as unknown as new (n: number, o: object) => ArrayBuffer)(n, { maxByteLength: max });
const growable = (n: number, max: number) =>
  new (SharedArrayBuffer as unknown as new (n: number, o: object) => ArrayBuffer)(n, { maxByteLength: max });

const f32 = (values: ArrayLike<number>) => Float32Array.from(values);

describe.each(BACKENDS)('addParam (%s)', (backend: Backend) => {
  it('takes every kind of Float32Array and Float64Array view as the plain array, and never writes to it', async () => {
    for (const C of [Float32Array, Float64Array]) {
      for (const [what, src] of views(C, VALUES)) {
        const opt = await RAdam.create({ backend, lr: 0.1 });
        const copy = Array.from(src);
        const p = opt.addParam(src);
        expect(bits(p.data), `${C.name} ${what}`).toEqual(bits(f32(VALUES)));
        p.grad.fill(1);
        opt.step();
        opt.addParam(100_000); // grows the memory
        expect(Array.from(src), `${C.name} ${what}`).toEqual(copy);
        opt.dispose();
      }
    }
  });

  it('arrays: frozen, from another realm, a subclass, a Proxy, with extra properties', async () => {
    const opt = await RAdam.create({ backend });
    class Numbers extends Array<number> {}
    const extra = Object.assign([...VALUES], { foo: 'bar' });
    const kinds: [string, number[]][] = [
      ['frozen', Object.freeze([...VALUES]) as number[]],
      ['from another realm', vm.runInNewContext('Array.from(v)', { v: VALUES }) as number[]],
      ['a subclass', Numbers.from(VALUES)],
      ['a Proxy', new Proxy([...VALUES], {})],
      ['with extra properties', extra],
    ];
    for (const [what, src] of kinds) expect(bits(opt.addParam(src).data), what).toEqual(bits(f32(VALUES)));
  });

  it("views of the optimizer's own memory, and of another optimizer's, are copied before the memory grows", async () => {
    const opt = await RAdam.create({ backend });
    const other = await RAdam.create({ backend: backend === 'js' ? 'simd' : 'js' });
    const w = opt.addParam(Float32Array.from({ length: 50_000 }, (_, i) => i / 3));
    const o = other.addParam(Float32Array.from({ length: 20_000 }, (_, i) => -i));
    w.grad.set(w.data.subarray(0, 10), 7);
    // Each view made just before its addParam: a view held across growth is detached (the next test).
    const sources = [() => w.data, () => w.grad.subarray(5, 20), () => w.data.subarray(17, 40_017), () => o.data];
    const want = sources.map((a) => bits(a().slice()));
    const added = sources.map((a) => opt.addParam(a()));
    expect(added.map((p) => bits(p.data))).toEqual(want);
  });

  it('a view whose buffer is detached is refused by name (not taken as 0 elements)', async () => {
    const opt = await RAdam.create({ backend });
    const p = opt.addParam([1, 2, 3]);
    const stale = p.data;
    opt.addParam(1 << 20); // grows the memory: `stale` was a view of the old one
    const cases: [string, unknown][] = [
      ['a transferred Float32Array', detached(Float32Array, 4)],
      ['a transferred Float64Array', detached(Float64Array, 4)],
    ];
    // The js backend detaches the old memory as WebAssembly.Memory.grow does.
    if (stale.length === 0) cases.push(['a view of the memory before it grew', stale]);
    for (const [what, src] of cases) {
      const e = await refusedUnchanged(opt, null, () => opt.addParam(src as Float32Array), /detached/);
      expect(e.message, what).toMatch(/^Invalid param init/);
    }
  });

  it('other kinds of array are refused by name', async () => {
    const opt = await RAdam.create({ backend });
    opt.addParam([1, 2]);
    for (const bad of [
      new Int32Array(3),
      new Uint8Array(3),
      new Uint8ClampedArray(3),
      new BigInt64Array(3),
      new DataView(new ArrayBuffer(8)),
      new ArrayBuffer(8),
      { length: 2, 0: 1, 1: 2 },
      new Set([1, 2]),
      '12',
      withHole([1, 2, 3], 1), // [1, , 3]
      [1, '2'],
      [1n],
    ]) {
      await refusedUnchanged(opt, null, () => opt.addParam(bad as never), /^Invalid param (init|length)/);
    }
  });
});

describe.skipIf(os.availableParallelism() < 2)('addParam with threads (shared memory)', () => {
  it('views of its own shared memory, held across growth, are read as they are', async () => {
    const opt = await RAdam.create({ threads: 2 });
    const w = opt.addParam(Float32Array.from({ length: 50_000 }, (_, i) => i / 3));
    const held = w.data; // a view of the SharedArrayBuffer before the growth below
    const want = bits(held.slice());
    opt.addParam(1 << 20);
    expect(bits(opt.addParam(held).data)).toEqual(want);
    expect(bits(opt.addParam(w.data.subarray(3, 30_003)).data)).toEqual(want!.slice(3, 30_003));
    opt.dispose();
  });
});

/** An optimizer with an amsgrad group, the EMA and a Lookahead, trained a few steps. */
async function trained(backend: Backend, steps: number) {
  const opt = await RAdam.create({ backend, amsgrad: true, ema: { decay: 0.5 } });
  const ps = [opt.addParam([1, 2, 3, 4, 5, 6, 7]), opt.addParam([0.5, -0.5, 0.25])];
  const la = new Lookahead(opt, { k: 2 });
  for (let t = 0; t < steps; t++) {
    ps.forEach((p, i) => p.grad.set(p.data.map((x) => Math.cos(x + t + i))));
    la.step();
  }
  return { opt, ps, la };
}

describe.each(BACKENDS)('loadStateDict and Lookahead.loadStateDict (%s)', (backend: Backend) => {
  it('take every kind of view for every array, as the plain array, and never write to it', async () => {
    const a = await trained(backend, 3);
    const sd = a.la.stateDict();
    const want = restored(a.opt, a.la);
    for (const C of [Float32Array, Float64Array]) {
      for (let k = 0; k < views(C, [0]).length; k++) {
        const as = (x: Float32Array) => views(C, Array.from(x))[k][1];
        const what = `${C.name} ${views(C, [0])[k][0]}`;
        const crafted = {
          ...sd,
          state: sd.state.map((s) =>
            Object.fromEntries(Object.entries(s).map(([n, x]) => [n, n === 'step' ? x : as(x)])),
          ),
          lookahead: { ...sd.lookahead, slow: sd.lookahead.slow.map(as) },
        } as typeof sd;
        const before = JSON.stringify(crafted.state.map((s) => Object.values(s).map((x) => Array.from(x as never))));
        const b = await trained(backend, 0);
        b.ps.forEach((p, i) => p.data.set(a.ps[i].data)); // a state dict holds no values
        b.la.loadStateDict(crafted);
        expect(restored(b.opt, b.la), what).toEqual(want);
        expect(JSON.stringify(crafted.state.map((s) => Object.values(s).map((x) => Array.from(x as never))))).toBe(
          before,
        );
        b.opt.dispose();
      }
    }
  });

  it('live views of its own memory load as their values', async () => {
    const a = await trained(backend, 3);
    const sd = a.opt.stateDict();
    const [p, q] = a.ps;
    // Each param's moments given as views of the other moments of the same optimizer.
    sd.state[0] = { ...sd.state[0], expAvg: p.expAvgSq, expAvgSq: p.expAvg, maxExpAvgSq: p.expAvg };
    sd.state[1] = { ...sd.state[1], expAvg: q.data, ema: q.grad };
    const want = [p.expAvgSq, p.expAvg, p.expAvg, q.data, q.grad].map((x) => bits(x.slice()));
    a.opt.loadStateDict(sd);
    expect([p.expAvg, p.expAvgSq, p.maxExpAvgSq!, q.expAvg, q.ema!].map(bits)).toEqual(want);
  });

  it('a detached array is refused by name and changes nothing', async () => {
    const a = await trained(backend, 2);
    const sd = a.opt.stateDict();
    sd.state[1].expAvgSq = detached(Float32Array, 3) as Float32Array;
    await refusedUnchanged(a.opt, a.la, () => a.opt.loadStateDict(sd), /"expAvgSq" has 0 elements/);
  });
});

describe.each(BACKENDS)('loadState and Lookahead.loadState bytes (%s)', (backend: Backend) => {
  it('take every kind of Uint8Array view and ArrayBuffer', async () => {
    const a = await trained(backend, 3);
    const saved = a.la.saveState({ includeParams: true });
    const want = restored(a.opt, a.la);
    const n = saved.length;
    const rab = resizable(n, 2 * n);
    new Uint8Array(rab).set(saved);
    const rab2 = resizable(n + 8, 2 * n + 8);
    new Uint8Array(rab2).set(saved, 5);
    const gsab = growable(n, 2 * n);
    new Uint8Array(gsab).set(saved);
    const foreignBuffer = vm.runInNewContext('new ArrayBuffer(n)', { n }) as ArrayBuffer;
    new Uint8Array(foreignBuffer).set(saved);
    class Bytes extends Uint8Array {}
    const kinds: [string, Uint8Array | ArrayBuffer][] = [
      ['length-tracking, over a resizable ArrayBuffer', new Uint8Array(rab)],
      ['fixed-length at an offset, over a resizable ArrayBuffer', new Uint8Array(rab2, 5, n)],
      ['a resizable ArrayBuffer', rab],
      ['over a growable SharedArrayBuffer', new Uint8Array(gsab)],
      ['an ArrayBuffer from another realm', foreignBuffer],
      ['a Uint8Array subclass', Bytes.from(saved)],
      ['an odd offset in a larger buffer', oddOffset(saved)],
    ];
    for (const [what, bytes] of kinds) {
      const b = await trained(backend, 0);
      b.la.loadState(bytes as Uint8Array);
      expect(restored(b.opt, b.la), what).toEqual(want);
      expect(b.la.stepsSinceSync).toBe(a.la.stepsSinceSync);
      // The inner optimizer refuses it (a Lookahead checkpoint), by name, whatever the view.
      await refusedUnchanged(b.opt, b.la, () => b.opt.loadState(bytes), /saved by a Lookahead/);
      b.opt.dispose();
    }
  });

  it('refuses detached bytes, other views and a bare SharedArrayBuffer by name', async () => {
    const a = await trained(backend, 2);
    const saved = a.opt.saveState();
    const gone = saved.slice();
    structuredClone(gone.buffer, { transfer: [gone.buffer] });
    await refusedUnchanged(a.opt, a.la, () => a.opt.loadState(gone), /^loadState: the bytes' buffer is detached/);
    for (const bad of [
      new Uint8ClampedArray(saved),
      new Int8Array(saved.buffer),
      new DataView(saved.buffer),
      new Float32Array(saved.buffer.slice(0, 16)),
      new SharedArrayBuffer(16),
      Buffer.from(saved).toString('base64'),
    ]) {
      await refusedUnchanged(a.opt, a.la, () => a.opt.loadState(bad as never), /^loadState: expected the Uint8Array/);
      expectNamed(await failure(() => a.la.loadState(bad as never)), /^loadState: expected the Uint8Array/);
    }
  });
});

describe('the betas option, as an array of each kind', () => {
  it('arrays of any realm or kind; typed arrays and array-likes refused by name', async () => {
    const opt = await RAdam.create({ backend: 'js' });
    const g = opt.groups[0];
    for (const betas of [Object.freeze([0.5, 0.75]), vm.runInNewContext('[0.5, 0.75]'), new Proxy([0.5, 0.75], {})]) {
      g.betas = [0.9, 0.999];
      g.betas = betas as [number, number];
      expect(g.betas).toEqual([0.5, 0.75]);
      expect(Object.isFrozen(g.betas)).toBe(true);
      expect(g.betas).not.toBe(betas); // a copy: changing the given array changes nothing
    }
    const before = observe(opt);
    for (const bad of [
      Float64Array.of(0.5, 0.75),
      { 0: 0.5, 1: 0.75, length: 2 },
      [0.5],
      withHole([0.5, 0.75], 1),
      [0.5, 0.75, 0.9],
    ]) {
      expectNamed(await failure(() => (g.betas = bad as never)), /^Invalid (betas|beta2)/);
      expectNamed(await failure(() => opt.addGroup({ betas: bad as never })), /^Invalid (betas|beta2)/);
    }
    expect(observe(opt)).toEqual(before);
  });
});

/** `saved` at byte offset 3 of a larger plain Uint8Array (a Buffer's own offset in Node's pool taken into account). */
function oddOffset(saved: Uint8Array): Uint8Array {
  const buf = Buffer.concat([Buffer.alloc(3), saved, Buffer.alloc(5)]);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length).subarray(3, 3 + saved.length);
}
