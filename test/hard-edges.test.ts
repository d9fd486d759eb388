// Regression tests for the hard edges a user met: each was a silent wrong result or an error that
// pointed the wrong way. Every refusal is checked to change nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { Lookahead, RAdam, type Backend } from '../src/index.js';
import { gradient, rng } from './support/random.js';

const BACKENDS: Backend[] = ['simd', 'scalar', 'js'];
const fr = Math.fround;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'radam-edges-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Everything observable about an optimizer's state and values, as plain data (arrays as base64 of their bits: fast to compare at 1M elements). */
function snapshot(opt: RAdam) {
  const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
  const sd = opt.stateDict();
  return {
    groups: sd.groups,
    state: sd.state.map((s) =>
      Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v instanceof Float32Array ? bits(v) : v])),
    ),
    values: opt.params.map((p) => bits(p.data)),
    memory: opt.memoryBytes,
    params: opt.params.length,
  };
}

async function trained(backend: Backend, sizes: number[], steps = 3) {
  const opt = await RAdam.create({ backend, lr: 0.01 });
  const r = rng(7);
  const params = sizes.map((n) => opt.addParam(gradient(r, n)));
  for (let t = 0; t < steps; t++) {
    for (const p of params) p.grad.set(gradient(r, p.size));
    opt.step();
  }
  return { opt, params };
}

describe.each(BACKENDS)('checkpoint bytes from files and views (%s)', (backend) => {
  // 1M elements: far over Node's 4 KiB Buffer pool and its 8 KiB pool slab.
  it.each([
    ['small', [3, 17]],
    ['large', [1 << 20, 5]],
  ])('loadState(fs.readFileSync(file)) restores a %s checkpoint exactly', async (_, sizes) => {
    const a = await trained(backend, sizes as number[]);
    const file = path.join(dir, `${backend}-${sizes.join('-')}.ckpt`);
    fs.writeFileSync(file, a.opt.saveState({ includeParams: true }));
    for (const bytes of [fs.readFileSync(file), await fs.promises.readFile(file)]) {
      const b = await trained(backend, sizes as number[], 0);
      b.opt.loadState(bytes);
      expect(snapshot(b.opt)).toEqual(snapshot(a.opt));
    }
  });

  it('accepts any Uint8Array view: pooled Buffer, subarray at an offset, SharedArrayBuffer, ArrayBuffer, another realm', async () => {
    const a = await trained(backend, [5, 16]);
    const saved = a.opt.saveState({ includeParams: true });
    // A small Buffer from Buffer.from(string) lives in Node's shared pool, at a non-zero offset.
    const pooled = Buffer.from(Buffer.from(saved).toString('latin1'), 'latin1');
    const padded = new Uint8Array(saved.length + 13);
    padded.set(saved, 7);
    const shared = new Uint8Array(new SharedArrayBuffer(saved.length));
    shared.set(saved);
    const foreign = vm.runInNewContext('new Uint8Array(n)', { n: saved.length }) as Uint8Array;
    foreign.set(saved);
    const views: [string, Uint8Array | ArrayBuffer][] = [
      ['pooled Buffer', pooled],
      ['Buffer.subarray', Buffer.concat([Buffer.alloc(9), Buffer.from(saved)]).subarray(9)],
      ['subarray at offset 7', padded.subarray(7, 7 + saved.length)],
      ['SharedArrayBuffer', shared],
      ['ArrayBuffer', saved.slice().buffer],
      ['another realm', foreign],
    ];
    for (const [what, bytes] of views) {
      const b = await trained(backend, [5, 16], 0);
      b.opt.loadState(bytes);
      expect(snapshot(b.opt), what).toEqual(snapshot(a.opt));
    }
  });

  it('refuses other views with a named error and changes nothing', async () => {
    const a = await trained(backend, [5]);
    const saved = a.opt.saveState();
    const before = snapshot(a.opt);
    for (const bad of [new Int8Array(saved.buffer), new DataView(saved.buffer), Array.from(saved), null]) {
      expect(() => a.opt.loadState(bad as never)).toThrow(/loadState: expected the Uint8Array from saveState/);
    }
    expect(snapshot(a.opt)).toEqual(before);
  });
});

describe.each(BACKENDS)('torch operation order (%s)', (backend) => {
  it("a gradient of 3e19 keeps v finite, as torch's addcmul_ ((1-b2)*g)*g does, and training goes on", async () => {
    const opt = await RAdam.create({ backend, lr: 0.01 });
    const p = opt.addParam([1, 1, 1, 1, 1]);
    p.grad.set([3e19, 1, -3e19, 0.5, 3e19]);
    opt.step();
    // v = 0*b2 + (fround(1-b2)*g)*g, rounded at each operation; (g*g) would be 9e38 > FLT_MAX.
    const c2 = fr(1 - 0.999);
    const v = (g: number) => fr(fr(c2 * fr(g)) * fr(g));
    expect(Array.from(p.expAvgSq)).toEqual([3e19, 1, -3e19, 0.5, 3e19].map(v));
    expect(p.expAvgSq[0]).toBeCloseTo(9e35, -33);
    expect(Number.isFinite(p.expAvgSq[0])).toBe(true);
    // The weight keeps moving on later steps (torch: the same; with v = Infinity it froze).
    const w0 = p.data[0];
    for (let t = 0; t < 8; t++) {
      p.grad.set([1, 1, 1, 1, 1]);
      opt.step();
    }
    expect(p.data[0]).not.toBe(w0);
    expect(Array.from(p.data).every(Number.isFinite)).toBe(true);
  });
});

describe.each(BACKENDS)('Lookahead checkpoints and RAdam.loadState (%s)', (backend) => {
  it("refuses a Lookahead checkpoint, pointing to the Lookahead's loadState, and changes nothing", async () => {
    const a = await trained(backend, [5, 3]);
    const la = new Lookahead(a.opt, { k: 3, alpha: 0.5 });
    la.step();
    const bytes = la.saveState({ includeParams: true });
    const b = await trained(backend, [5, 3], 1);
    const before = snapshot(b.opt);
    expect(() => b.opt.loadState(bytes)).toThrow(
      /loadState: this checkpoint was saved by a Lookahead .* load it with that Lookahead's loadState/,
    );
    expect(snapshot(b.opt)).toEqual(before);
    // The Lookahead's own loadState still takes it.
    const lb = new Lookahead(b.opt, { k: 3, alpha: 0.5 });
    lb.loadState(bytes);
    expect(snapshot(b.opt)).toEqual(snapshot(a.opt));
  });
});

describe.each(BACKENDS)('Lookahead state dicts (%s)', (backend) => {
  it("RAdam.loadStateDict refuses a Lookahead's dict; the Lookahead's own survives JSON bit for bit", async () => {
    const a = await trained(backend, [5, 3]);
    const la = new Lookahead(a.opt, { k: 3, alpha: 0.5 });
    la.step();
    a.opt.addParam([7, 8]); // no slow weights until the next Lookahead step
    const sd = la.stateDict();
    expect(sd.lookahead.slow[2]).toBeNull();
    const b = await trained(backend, [5, 3], 1);
    b.opt.addParam([7, 8]);
    const before = snapshot(b.opt);
    expect(() => b.opt.loadStateDict(sd)).toThrow(
      /loadStateDict: this state dict was saved by a Lookahead .* load it with that Lookahead's loadStateDict/,
    );
    expect(snapshot(b.opt)).toEqual(before);
    const lb = new Lookahead(b.opt, { k: 3, alpha: 0.5 });
    lb.loadStateDict(JSON.parse(JSON.stringify(sd)));
    b.opt.params.forEach((p, i) => p.data.set(a.opt.params[i].data));
    // Both take the new param's slow weights from its values at the next step: they stay equal.
    for (const [o, l] of [
      [a.opt, la],
      [b.opt, lb],
    ] as const) {
      o.params[2].data.set([70, 80]);
      for (const p of o.params) p.grad.fill(0.5);
      for (let t = 0; t < 3; t++) l.step();
    }
    expect(snapshot(b.opt)).toEqual(snapshot(a.opt));
    expect(Array.from(lb.slowWeights(b.opt.params[2]))).toEqual(Array.from(la.slowWeights(a.opt.params[2])));
  });
});

describe('options outside what float32 holds are refused where the kernel would use them', () => {
  it.each([
    [{ weightDecay: 1e39 }, /Invalid weightDecay: 1e\+39 \(overflows float32/],
    [{ lr: 1e39 }, /Invalid lr: 1e\+39 \(overflows float32/],
    [{ eps: 4e38 }, /Invalid eps: 4e\+38 \(overflows float32/],
    [{ clipValue: 1e-46 }, /Invalid clipValue: 1e-46 \(is 0 in float32/],
    [{ clipValue: 1e39 }, /Invalid clipValue: 1e\+39 \(overflows float32/],
    [{ maxGradNorm: 1e-46 }, /Invalid maxGradNorm: 1e-46 \(is 0 in float32/],
    [{ betas: [0.9, 0.99999999] }, /Invalid beta2 \(betas\[1\]\): 0.99999999 \(is 1 in float32/],
    [{ betas: [0.999999999, 0.999] }, /Invalid beta1 \(betas\[0\]\): 0.999999999 \(is 1 in float32/],
    [{ ema: { decay: 0.999999999 } }, /Invalid ema decay: 0.999999999 \(is 1 in float32/],
  ])('RAdam.create(%o) throws', async (options, message) => {
    await expect(RAdam.create({ backend: 'js', ...(options as object) })).rejects.toThrow(message);
  });

  it('the limits themselves are accepted, and a group setter refuses without changing the group', async () => {
    const opt = await RAdam.create({
      backend: 'js',
      weightDecay: 3.4028234663852886e38,
      clipValue: 2 ** -149,
      betas: [0.99999994, 0.99999994],
      ema: { decay: 0.99999994 },
    });
    const g = opt.groups[0];
    expect(() => {
      g.weightDecay = 1e39;
    }).toThrow(/Invalid weightDecay/);
    expect(g.weightDecay).toBe(3.4028234663852886e38);
    expect(() => {
      g.clipValue = 1e-46;
    }).toThrow(/Invalid clipValue/);
    expect(g.clipValue).toBe(2 ** -149);
  });

  it('a tiny lr (a long ExponentialLR decay) is still accepted: the step is 0, as in torch', async () => {
    const opt = await RAdam.create({ backend: 'js', lr: 1e-60 });
    const p = opt.addParam([1, 2]);
    p.grad.set([1, 1]);
    opt.step();
    expect(Array.from(p.data)).toEqual([1, 2]);
  });
});

describe.each(BACKENDS)('adding a param from the optimizer’s own memory (%s)', (backend) => {
  it('addParam(w.data) copies the values before the memory grows', async () => {
    const opt = await RAdam.create({ backend });
    const w = opt.addParam(Float32Array.from({ length: 80_000 }, (_, i) => i / 7));
    const copy = opt.addParam(w.data); // grows the memory by far more than 320 KB
    expect(copy.data).toEqual(w.data);
    const again = opt.addParam(w.data.subarray(5, 9));
    expect(Array.from(again.data)).toEqual(Array.from(w.data.subarray(5, 9)));
    expect(opt.params).toHaveLength(3);
  });

  it("typed arrays from another realm (a vm context, an iframe) are taken like this realm's", async () => {
    const opt = await RAdam.create({ backend });
    const f32 = vm.runInNewContext('Float32Array.of(1.5, -2, 3)') as Float32Array;
    const f64 = vm.runInNewContext('Float64Array.of(0.1, 0.2)') as Float64Array;
    expect(f32 instanceof Float32Array).toBe(false);
    expect(Array.from(opt.addParam(f32).data)).toEqual([1.5, -2, 3]);
    expect(Array.from(opt.addParam(f64).data)).toEqual([fr(0.1), fr(0.2)]);
    const sd = opt.stateDict();
    sd.state[0].expAvg = vm.runInNewContext('Float32Array.of(7, 8, 9)') as Float32Array;
    opt.loadStateDict(sd);
    expect(Array.from(opt.params[0].expAvg)).toEqual([7, 8, 9]);
  });

  it('a failure while filling the new slot leaves no orphan slot in the step table', async () => {
    const opt = await RAdam.create({ backend, ema: { decay: 0.5 } });
    const a = opt.addParam([1, 2, 3]);
    const before = snapshot(opt);
    // An array whose element 1 throws on its second read: validation passes, the copy into
    // linear memory (after the memory grew for 100K elements) fails.
    const init = new Array<number>(100_000).fill(0.5);
    let reads = 0;
    Object.defineProperty(init, 1, {
      get() {
        if (++reads > 1) throw new Error('boom while copying');
        return 2;
      },
    });
    expect(() => opt.addParam(init)).toThrow('boom while copying');
    expect(snapshot(opt)).toEqual(before);
    // The table holds only the params the user sees: a step steps a alone, as a fresh optimizer would.
    const ref = await RAdam.create({ backend, ema: { decay: 0.5 } });
    const r = ref.addParam([1, 2, 3]);
    for (const [o, p] of [
      [opt, a],
      [ref, r],
    ] as const) {
      p.grad.set([1, -2, 3]);
      o.step();
    }
    expect(snapshot(opt).state).toEqual(snapshot(ref).state);
    expect(Array.from(a.data)).toEqual(Array.from(r.data));
    // And the next param gets a working slot.
    const next = opt.addParam([4, 5]);
    expect(Array.from(next.data)).toEqual([4, 5]);
    expect(opt.params).toHaveLength(2);
  });
});

describe('stepAsync always rejects, never throws', () => {
  it('while another stepAsync is in flight, after dispose, and with bad options', async () => {
    const opt = await RAdam.create({ backend: 'js' });
    opt.addParam([1, 2]).grad.set([1, 1]);
    const bad = opt.stepAsync({ nope: 1 } as never);
    expect(bad).toBeInstanceOf(Promise);
    await expect(bad).rejects.toThrow(/Unknown step option: "nope"/);
    const first = opt.stepAsync();
    let second: Promise<unknown> | undefined;
    expect(() => {
      second = opt.stepAsync();
    }).not.toThrow();
    await first;
    await second?.catch(() => undefined);
    opt.dispose();
    let third: Promise<unknown> | undefined;
    expect(() => {
      third = opt.stepAsync();
    }).not.toThrow();
    await expect(third).rejects.toThrow(/disposed/);
  });
});

describe('new RAdam()', () => {
  it('says to use RAdam.create', () => {
    const Ctor = RAdam as unknown as new () => unknown;
    expect(() => new Ctor()).toThrow(/RAdam: create an optimizer with `await RAdam.create\(options\)`/);
  });
});

describe.each(BACKENDS)('state dicts through JSON (%s)', (backend) => {
  it('loadStateDict(JSON.parse(JSON.stringify(stateDict()))) resumes bit for bit, NaN, ±Infinity and -0 included', async () => {
    const make = async () => {
      const opt = await RAdam.create({ backend, amsgrad: true, ema: { decay: 0.9 }, accumulate: 2 });
      const r = rng(3);
      const ps = [opt.addParam(gradient(r, 17)), opt.addParam(gradient(r, 4))];
      return { opt, ps };
    };
    const a = await make();
    for (let t = 0; t < 7; t++) {
      a.ps.forEach((p, i) => p.grad.set(gradient(rng(t * 10 + i), p.size)));
      a.opt.step();
    }
    // Values JSON numbers cannot hold, written straight into the state.
    a.ps[1].expAvg.set([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0]);
    const json = JSON.stringify(a.opt.stateDict());
    const b = await make();
    b.opt.loadStateDict(JSON.parse(json));
    const bits = (o: RAdam) =>
      o.params.flatMap((p) =>
        [p.expAvg, p.expAvgSq, p.maxExpAvgSq!, p.ema!].map((x) => Array.from(new Uint32Array(x.slice().buffer))),
      );
    expect(bits(b.opt)).toEqual(bits(a.opt));
    expect(b.opt.accumulated).toBe(a.opt.accumulated);
    // A state dict holds no param values (as in torch): take them over to continue.
    b.ps.forEach((p, i) => p.data.set(a.ps[i].data));
    // And the runs go on identically.
    for (const o of [a, b]) {
      o.ps[1].expAvg.fill(0);
      for (let t = 0; t < 3; t++) {
        o.ps.forEach((p, i) => p.grad.set(gradient(rng(900 + t * 10 + i), p.size)));
        o.opt.step();
      }
    }
    expect(bits(b.opt)).toEqual(bits(a.opt));
  });

  it('a plain Float32Array written by JSON ({"0": ...}) loads too; its nulls (lost NaNs) are refused by name', async () => {
    const a = await trained(backend, [3]);
    const sd = structuredClone(a.opt.stateDict()); // plain Float32Arrays, no toJSON
    const parsed = JSON.parse(JSON.stringify(sd));
    expect(parsed.state[0].expAvg).toEqual({ 0: expect.any(Number), 1: expect.any(Number), 2: expect.any(Number) });
    const b = await trained(backend, [3], 0);
    b.opt.loadStateDict(parsed);
    expect(snapshot(b.opt).state).toEqual(snapshot(a.opt).state);
    parsed.state[0].expAvgSq[1] = null;
    const before = snapshot(b.opt);
    expect(() => b.opt.loadStateDict(parsed)).toThrow(
      /"expAvgSq" element 1 is null \(expected a number; JSON writes NaN and Infinity as null/,
    );
    expect(snapshot(b.opt)).toEqual(before);
  });
});
