// bfloat16 moment state (stateDtype: 'bfloat16'): the conversions against independent references,
// the kernel's roundings on every backend, unbiasedness, the stagnation that round-to-nearest
// suffers and stochastic rounding avoids, bit identity across backends, threads and resumes, and
// state I/O between the modes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Lookahead, RAdam, type Backend, type Param, type RAdamOptions } from '../src/index.js';
import {
  BF16_NAN,
  fmix32,
  fromBf16,
  roundNearest,
  roundStochastic,
  srBits,
  srKey,
  toBf16,
  widen,
} from '../src/math/bf16.js';
import { gradient, rng } from './support/random.js';

const BACKENDS: Backend[] = ['simd', 'scalar', 'js'];
const LENGTHS = [0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 1000, 4099];
const fr = Math.fround;
const bitsOf = (x: number) => new Uint32Array(Float32Array.of(x).buffer)[0];
const floatOf = (b: number) => new Float32Array(Uint32Array.of(b >>> 0).buffer)[0];

const opened: { dispose(): void }[] = [];
afterAll(() => {
  for (const o of opened) o.dispose();
});
async function create(options: RAdamOptions): Promise<RAdam> {
  const opt = await RAdam.create(options);
  opened.push(opt);
  return opt;
}

/**
 * Round to nearest even, the slow way: the two bfloat16 neighbours of a float32 by truncation,
 * compared by distance in float64 (exact for float32 values), ties to the even word.
 */
function nearestReference(x: number): number {
  x = fr(x);
  if (Number.isNaN(x)) return BF16_NAN;
  const b = bitsOf(x);
  const down = b >>> 16;
  if ((b & 0xffff) === 0) return down;
  const lo = floatOf(down << 16);
  const hiWord = down + 1; // the next word away from zero (it may be ±Infinity)
  const hi = (hiWord & 0x7fff) === 0x7f80 ? Math.sign(x) * 2 ** 128 : floatOf(hiWord << 16); // Inf: as the overflow threshold
  const dl = Math.abs(x - lo),
    dh = Math.abs(hi - x);
  if (dl < dh) return down;
  if (dh < dl) return hiWord & 0xffff;
  return down & 1 ? hiWord & 0xffff : down;
}

describe('the conversions (src/math/bf16.ts)', () => {
  it('every one of the 65,536 bfloat16 words survives widening and coming back (state I/O)', () => {
    const words = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const wide = fromBf16(words);
    expect(Array.from(toBf16(wide))).toEqual(Array.from(words));
    const wideBits = new Uint32Array(wide.buffer);
    const wrong: number[] = [];
    for (let w = 0; w < 65536; w++) {
      if (wideBits[w] !== (w << 16) >>> 0) wrong.push(w);
      // The step's roundings keep every non-NaN word: its low 16 bits are zero.
      const x = wide[w];
      if (
        !Number.isNaN(x) &&
        (roundNearest(x) !== w || roundStochastic(x, 0xffff) !== w || roundStochastic(x, 0) !== w)
      )
        wrong.push(w);
    }
    expect(wrong).toEqual([]);
  });

  it('round-to-nearest-even matches the reference on ties, subnormals, ±Infinity, NaN and max finite', () => {
    const edges = [
      0x3f808000, // a tie, even below: down
      0x3f818000, // a tie, odd below: up
      0x3f807fff,
      0x3f808001, // just around a tie
      0x00008000,
      0x00018000,
      0x0000ffff,
      0x00000001,
      0x807fffff, // subnormals (ties, largest, smallest)
      0x007f8000, // the largest subnormal tie: rounds up into the normals
      0x7f7f0000, // the largest finite bfloat16
      0x7f7f7fff, // just below the tie above it: stays finite
      0x7f7f8000, // the tie above it, odd: to Infinity, as IEEE
      0x7f7fffff,
      0xff7fffff, // the largest float32s: ±Infinity
      0x7f800000,
      0xff800000,
      0x00000000,
      0x80000000, // ±Infinity, ±0
      0x7fc00000,
      0xffc00000,
      0x7f800001,
      0x7fffffff, // NaNs
    ];
    for (const b of edges) expect([b, roundNearest(floatOf(b))]).toEqual([b, nearestReference(floatOf(b))]);
    expect(roundNearest(floatOf(0x7f7f8000))).toBe(0x7f80);
    expect(roundNearest(floatOf(0x3f808000))).toBe(0x3f80);
    expect(roundNearest(floatOf(0x3f818000))).toBe(0x3f82);
    expect(roundNearest(Number.NaN)).toBe(0xffff);
    // And on random bit patterns.
    const r = rng(3);
    const wrong: number[] = [];
    for (let i = 0; i < 200_000; i++) {
      const b = Math.floor(r() * 2 ** 32);
      if (roundNearest(floatOf(b)) !== nearestReference(floatOf(b))) wrong.push(b);
    }
    expect(wrong).toEqual([]);
  });

  it('stochastic rounding is unbiased: exactly over all 2^16 bit values, and with the hash over many elements', () => {
    const r = rng(5);
    for (let k = 0; k < 20; k++) {
      const x = fr((r() + 0.01) * 10 ** (8 * r() - 4));
      let sum = 0;
      for (let bits = 0; bits < 65536; bits++) sum += widen(roundStochastic(x, bits));
      expect(sum / 65536).toBe(x); // exact: the mean of the 2^16 outcomes is x
      // Only the two neighbours, each with the probability of its distance to the other.
      const down = widen(bitsOf(x) >>> 16),
        up = widen((bitsOf(x) >>> 16) + 1);
      const key = srKey(12345, k + 1);
      let ups = 0,
        others = 0;
      const n = 40_000;
      for (let i = 0; i < n; i++) {
        const y = widen(roundStochastic(x, srBits(key, i)));
        if (y === up) ups++;
        else if (y !== down) others++;
      }
      expect(others).toBe(0);
      const p = (x - down) / (up - down);
      expect(Math.abs(ups / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n) + 1e-9);
    }
  });

  it('the random bits: one hash per pair of indices (i, i ^ 4), halves told apart; keys differ per step and seed', () => {
    const key = srKey(0, 1);
    for (const i of [0, 1, 2, 3, 8, 1000, 2 ** 32 - 5]) {
      const h = fmix32((key + (i & ~4)) >>> 0);
      expect(srBits(key, i)).toBe(h & 0xffff);
      expect(srBits(key, (i ^ 4) >>> 0)).toBe(h >>> 16);
    }
    const keys = new Set<number>();
    for (let seed = 0; seed < 8; seed++) for (let t = 1; t <= 1000; t++) keys.add(srKey(seed, t));
    expect(keys.size).toBe(8000);
    expect(srKey(0, 2 ** 40)).not.toBe(srKey(0, 2 ** 40 + 2 ** 32)); // steps past 2^32 too
    // fmix32 is murmur3's: its known value for 1.
    expect(fmix32(1)).toBe(0x514e28b7);
  });
});

describe('the kernels round as the reference on every backend', () => {
  for (const backend of BACKENDS) {
    it(`${backend}: m to nearest even and v stochastically with the hash's bits (first step, beta1 = beta2 = 0)`, async () => {
      // With betas (0, 0) the first step's moments are m = g and v = g*g exactly (float32): the
      // stored words are then the roundings of known values.
      const r = rng(11);
      const values = [
        ...Array.from({ length: 5000 }, () => floatOf(Math.floor(r() * 2 ** 32))),
        floatOf(0x3f808000),
        floatOf(0x3f818000),
        floatOf(0x7f7f8000),
        floatOf(0x00008000),
        Infinity,
        -Infinity,
        Number.NaN,
        -0,
        0,
      ];
      const opt = await create({ backend, stateDtype: 'bfloat16', betas: [0, 0], stateSeed: 99, lr: 1e-3 });
      const first = opt.addParam(13); // the second param's global index starts at 16
      const p = opt.addParam(values.length);
      p.grad.set(values);
      first.grad.fill(1);
      opt.step();
      const m = p.stateWords('expAvg')!,
        v = p.stateWords('expAvgSq')!;
      const key = srKey(99, 1);
      for (let i = 0; i < values.length; i++) {
        const g = fr(values[i]);
        const mExpected = roundNearest(fr(fr(0 * 0) + fr(g * 1)));
        const vExpected = roundStochastic(fr(fr(0 * 0) + fr(fr(1 * g) * g)), srBits(key, 16 + i));
        if (m[i] !== mExpected || v[i] !== vExpected) expect([i, g, m[i], v[i]]).toEqual([i, g, mExpected, vExpected]);
      }
    });
  }
});

/** A short training run: its params' values and raw state words after `steps` steps. */
async function run(options: RAdamOptions, sizes: number[], steps: number, seed = 1) {
  const opt = await create({ stateDtype: 'bfloat16', lr: 3e-3, stateSeed: 42, ...options });
  if (opt.threads > 1) opt._minSplit = 0;
  const r = rng(seed);
  const params = sizes.map((n) => opt.addParam(gradient(r, n)));
  for (let t = 0; t < steps; t++) {
    for (const p of params) p.grad.set(gradient(r, p.size));
    opt.step();
  }
  return { opt, params, snapshot: snapshot(params) };
}

const bits = (a: Float32Array | null) => (a ? Array.from(new Uint32Array(a.slice().buffer)) : []);

/** Values and state as bits (bfloat16 words, or float32 bits with float32 state). */
function snapshot(params: readonly Param[]) {
  const state = (p: Param, name: 'expAvg' | 'expAvgSq' | 'maxExpAvgSq') => {
    const w = p.stateWords(name);
    return w ? Array.from(w) : bits(p[name]);
  };
  return params.map((p) => ({
    data: bits(p.data),
    m: state(p, 'expAvg'),
    v: state(p, 'expAvgSq'),
    vmax: state(p, 'maxExpAvgSq'),
    ema: bits(p.ema),
  }));
}

describe('bit identity', () => {
  const variants: [string, RAdamOptions][] = [
    ['defaults', {}],
    ['amsgrad, coupled decay', { amsgrad: true, weightDecay: 0.05 }],
    [
      'decoupled decay, maximize, flush',
      { weightDecay: 0.1, decoupledWeightDecay: true, maximize: true, flushSubnormals: true },
    ],
    ['ema, clipValue', { ema: { decay: 0.9 }, clipValue: 0.5 }],
    ['Adam (no rectification)', { rectify: false }],
    ['no momentum steps (degenerateToSgd false)', { degenerateToSgd: false, amsgrad: true, ema: { decay: 0.5 } }],
    ['secondMomentOnly (Adam-2k), amsgrad', { secondMomentOnly: true, amsgrad: true }],
    ['guards: maxGradNorm, skipNonFinite; accumulate', { maxGradNorm: 5, skipNonFinite: true, accumulate: 2 }],
  ];
  for (const [name, options] of variants) {
    it(`simd, scalar and js agree (${name}), lengths around the vector widths`, async () => {
      const [simd, scalar, js] = await Promise.all(BACKENDS.map((backend) => run({ ...options, backend }, LENGTHS, 9)));
      expect(scalar.snapshot).toEqual(simd.snapshot);
      expect(js.snapshot).toEqual(simd.snapshot);
      // The state is really bfloat16 and really changes.
      expect(simd.params[13].stateWords('expAvgSq')!.some((w) => w !== 0)).toBe(true);
    });
  }

  it("threads give one thread's bits, for ranges cut anywhere (not at multiples of 8)", async () => {
    for (const options of [{}, { amsgrad: true, ema: { decay: 0.9 } }] as RAdamOptions[]) {
      const one = await run({ ...options, backend: 'simd' }, [5, 1003, 17, 2049], 8);
      const two = await run({ ...options, threads: 2 }, [5, 1003, 17, 2049], 8);
      expect(two.opt._splits).toBe(8);
      expect(two.snapshot).toEqual(one.snapshot);
    }
  });

  it('the seed changes the rounding of v, not of m; stateSeed is a create option, validated', async () => {
    const a = await run({ backend: 'simd' }, [4096], 1);
    const b = await run({ backend: 'simd', stateSeed: 43 }, [4096], 1);
    expect(b.snapshot[0].m).toEqual(a.snapshot[0].m);
    expect(b.snapshot[0].v).not.toEqual(a.snapshot[0].v);
    expect(a.opt.stateSeed).toBe(42);
    expect(a.opt.stateDtype).toBe('bfloat16');
    await expect(RAdam.create({ stateDtype: 'float16' as never })).rejects.toThrow(
      `Invalid stateDtype: "float16" (expected 'float32' or 'bfloat16')`,
    );
    for (const bad of [-1, 2 ** 32, 1.5, '1', Number.NaN])
      await expect(RAdam.create({ stateSeed: bad as number })).rejects.toThrow(
        /^Invalid stateSeed: .* \(expected an integer from 0 to 4294967295\)$/,
      );
  });
});

describe('resume', () => {
  it('saveState / loadState and stateDict / loadStateDict resume bit for bit, mid-accumulation too', async () => {
    for (const extra of [{}, { accumulate: 3, amsgrad: true, ema: { decay: 0.8 } }] as RAdamOptions[]) {
      const options = { backend: 'simd' as const, stateSeed: 7, ...extra };
      const sizes = [33, 500];
      // Straight through: 10 calls.
      const straight = await run(options, sizes, 10, 2);
      // 5 calls (mid-window with accumulate 3), saved, restored into fresh optimizers, 5 more.
      for (const via of ['checkpoint', 'dict'] as const) {
        const r = rng(2);
        const a = await create({ stateDtype: 'bfloat16', lr: 3e-3, ...options });
        const pa = sizes.map((n) => a.addParam(gradient(r, n)));
        for (let t = 0; t < 5; t++) {
          for (const p of pa) p.grad.set(gradient(r, p.size));
          a.step();
        }
        // The seed travels with the state: the fresh optimizer is created with another one.
        const b = await create({ ...options, stateDtype: 'bfloat16', lr: 3e-3, stateSeed: 1 });
        const pb = pa.map((p) => b.addParam(p.data));
        if (via === 'checkpoint') b.loadState(a.saveState({ includeParams: true }));
        else b.loadStateDict(structuredClone(a.stateDict()));
        expect(b.stateSeed).toBe(7);
        for (let t = 0; t < 5; t++) {
          for (const p of pb) p.grad.set(gradient(r, p.size));
          b.step();
        }
        expect(snapshot(pb)).toEqual(straight.snapshot);
      }
    }
  });

  it('a bfloat16 checkpoint written to a file and read back with fs.readFileSync resumes bit for bit', async () => {
    const a = await run({ backend: 'simd', amsgrad: true, ema: { decay: 0.9 } }, [7, 1001], 5);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'radam-bf16-')), 'state.bin');
    fs.writeFileSync(file, a.opt.saveState({ includeParams: true }));
    const bytes = fs.readFileSync(file);
    // And at an odd byte offset: the 16-bit words are copied out, never viewed in place.
    const odd = Buffer.concat([Buffer.from([1]), bytes]).subarray(1);
    for (const input of [bytes, odd]) {
      const b = await create({ backend: 'js', stateDtype: 'bfloat16', amsgrad: true, ema: { decay: 0.9 } });
      const pb = [b.addParam(7), b.addParam(1001)];
      b.loadState(input);
      expect(snapshot(pb)).toEqual(a.snapshot);
    }
    fs.rmSync(path.dirname(file), { recursive: true });
  });

  it('a checkpoint stores the raw words: smaller than float32 state, and it says so', async () => {
    const f = await run({ stateDtype: 'float32', backend: 'js' }, [1000], 3);
    const h = await run({ backend: 'js' }, [1000], 3);
    const fb = f.opt.saveState(),
      hb = h.opt.saveState();
    expect(new DataView(hb.buffer).getUint16(4, true)).toBe(2); // the format version
    expect(fb.length - hb.length).toBeGreaterThanOrEqual(2 * 1000 * 2 - 64); // m and v: 2 bytes less each
    const again = await create({ stateDtype: 'bfloat16', backend: 'js' });
    again.addParam(1000);
    again.loadState(hb);
    expect(snapshot(again.params).map((s) => [s.m, s.v])).toEqual(h.snapshot.map((s) => [s.m, s.v]));
  });

  it('state moves between the modes: bfloat16 to float32 exactly, float32 to bfloat16 rounded to nearest even', async () => {
    const h = await run({ backend: 'simd', amsgrad: true }, [257], 7);
    const sd = h.opt.stateDict();
    expect(sd.bfloat16).toEqual({ seed: 42 });
    expect(Array.from(toBf16(sd.state[0].expAvg))).toEqual(Array.from(h.params[0].stateWords('expAvg')!));
    // Into float32 state: the widened values, exactly; saved again, they come back.
    const f = await create({ backend: 'simd', amsgrad: true });
    f.addParam(257);
    f.loadStateDict(sd);
    expect(Array.from(f.params[0].expAvgSq)).toEqual(Array.from(fromBf16(h.params[0].stateWords('expAvgSq')!)));
    expect(f.stateDict().bfloat16).toBeUndefined();
    // Float32 values into bfloat16 state: rounded to nearest even; the seed stays the optimizer's.
    const trained = await run({ stateDtype: 'float32', backend: 'simd', amsgrad: true }, [257], 7);
    const g = await create({ stateDtype: 'bfloat16', backend: 'simd', amsgrad: true, stateSeed: 5 });
    g.addParam(257);
    g.loadState(trained.opt.saveState());
    expect(g.stateSeed).toBe(5);
    for (const name of ['expAvg', 'expAvgSq', 'maxExpAvgSq'] as const) {
      const want = Array.from(trained.params[0][name]!, (x) => roundNearest(x));
      expect(Array.from(g.params[0].stateWords(name)!)).toEqual(want);
    }
  });

  it('every one of the 65,536 words survives stateDict / loadStateDict (structuredClone) and saveState / loadState, on every backend', async () => {
    for (const backend of BACKENDS) {
      const a = await create({ backend, stateDtype: 'bfloat16' });
      const p = a.addParam(65536);
      p.stateWords('expAvg')!.set(Uint16Array.from({ length: 65536 }, (_, i) => i));
      p.stateWords('expAvgSq')!.set(Uint16Array.from({ length: 65536 }, (_, i) => 65535 - i));
      const b = await create({ backend, stateDtype: 'bfloat16' });
      const q = b.addParam(65536);
      b.loadStateDict(structuredClone(a.stateDict()));
      expect(Array.from(q.stateWords('expAvg')!)).toEqual(Array.from(p.stateWords('expAvg')!));
      // Through JSON every word but the NaNs' payloads (JSON writes "NaN"): those load as 0x7fc0 / 0xffc0.
      q.stateWords('expAvg')!.fill(0);
      b.loadStateDict(JSON.parse(JSON.stringify(a.stateDict())));
      const nan = (w: number) => (w & 0x7fff) > 0x7f80;
      expect(Array.from(q.stateWords('expAvg')!)).toEqual(
        Array.from(p.stateWords('expAvg')!, (w) => (nan(w) ? 0x7fc0 : w)),
      );
      q.stateWords('expAvgSq')!.fill(0);
      b.loadState(a.saveState());
      expect(Array.from(q.stateWords('expAvgSq')!)).toEqual(Array.from(p.stateWords('expAvgSq')!));
    }
  });

  it('Lookahead over bfloat16 state saves and resumes bit for bit', async () => {
    const make = async () => {
      const opt = await create({ backend: 'scalar', stateDtype: 'bfloat16', lr: 0.01 });
      return { opt, la: new Lookahead(opt, { k: 3, alpha: 0.5 }) };
    };
    const r = rng(9);
    const a = await make();
    const pa = a.opt.addParam(gradient(r, 40));
    const grads = Array.from({ length: 8 }, () => gradient(r, 40));
    for (let t = 0; t < 4; t++) {
      pa.grad.set(grads[t]);
      a.la.step();
    }
    const saved = a.la.saveState({ includeParams: true });
    const b = await make();
    const pb = b.opt.addParam(40);
    b.la.loadState(saved);
    for (let t = 4; t < 8; t++) {
      pa.grad.set(grads[t]);
      a.la.step();
      pb.grad.set(grads[t]);
      b.la.step();
    }
    expect(snapshot([pb])).toEqual(snapshot([pa]));
  });
});

describe('the views and the memory', () => {
  it('expAvg is a float32 copy; stateWords are live; memoryBytes shows 12 bytes per element instead of 16', async () => {
    const h = await create({ backend: 'simd', stateDtype: 'bfloat16' });
    const p = h.addParam(1 << 16);
    p.grad.fill(0.5);
    h.step();
    const copy = p.expAvg;
    expect(copy[0]).toBe(widen(p.stateWords('expAvg')![0]));
    copy[0] = 123;
    expect(p.expAvg[0]).not.toBe(123); // a copy: writing it changes nothing
    const words = p.stateWords('expAvg')!;
    words[1] = roundNearest(2);
    expect(p.expAvg[1]).toBe(2); // live: the state itself
    expect(p.stateWords('maxExpAvgSq')).toBeNull();
    expect(() => p.stateWords('m' as never)).toThrow('stateWords: unknown state "m"');
    const f = await create({ backend: 'simd' });
    const q = f.addParam(1 << 16);
    expect(q.stateWords('expAvg')).toBeNull();
    expect(q.expAvg.buffer).toBe(q.data.buffer); // float32: a live view
    // Per element: p, g and two bfloat16 moments (12 bytes) against p, g, m, v (16).
    const big = 1 << 20;
    const fb = await create({ backend: 'js' }),
      hb = await create({ backend: 'js', stateDtype: 'bfloat16' });
    const f0 = fb.memoryBytes,
      h0 = hb.memoryBytes;
    fb.addParam(big);
    hb.addParam(big);
    expect((fb.memoryBytes - f0) / big).toBeCloseTo(16, 2);
    expect((hb.memoryBytes - h0) / big).toBeCloseTo(12, 2);
  });

  it('views are re-made after the memory grew', async () => {
    const h = await create({ backend: 'simd', stateDtype: 'bfloat16' });
    const p = h.addParam(100);
    p.grad.fill(1);
    h.step();
    const before = Array.from(p.stateWords('expAvgSq')!);
    h.addParam(4 << 20); // grows the memory: earlier views are detached
    expect(Array.from(p.stateWords('expAvgSq')!)).toEqual(before);
    h.step();
    expect(p.stateWords('expAvgSq')!.length).toBe(100);
  });
});

describe('stagnation: beta2 = 0.999, g = 1 for 3,000 steps, then 0.1', () => {
  it('bfloat16 v (stochastic rounding) stays within 2% of float32 v at every phase; round-to-nearest freezes', async () => {
    const n = 256;
    const f = await create({ backend: 'simd' });
    const h = await create({ backend: 'simd', stateDtype: 'bfloat16' });
    const pf = f.addParam(n),
      ph = h.addParam(n);
    let rne = 0; // the float32 recurrence with v rounded to nearest even after each step
    const checks: [number, number, number, number][] = [];
    for (let t = 1; t <= 10_000; t++) {
      const g = t <= 3000 ? 1 : 0.1;
      pf.grad.fill(g);
      ph.grad.fill(g);
      f.step();
      h.step();
      rne = widen(roundNearest(fr(fr(rne * fr(0.999)) + fr(fr(fr(1 - 0.999) * g) * g))));
      if (t % 250 === 0) {
        const vf = pf.expAvgSq[0];
        const vh = ph.expAvgSq.reduce((a, b) => a + b) / n;
        checks.push([t, vf, vh, rne]);
      }
    }
    for (const [t, vf, vh] of checks) expect([t, Math.abs(vh / vf - 1) < 0.02]).toEqual([t, true]);
    const at = (t: number) => checks.find((c) => c[0] === t)!;
    expect(at(3000)[1]).toBeCloseTo(0.9503, 3);
    expect(at(10_000)[1]).toBeCloseTo(0.01085, 4);
    // Round to nearest cannot decrease v once g drops: it is stuck far above.
    expect(at(10_000)[3]).toBeGreaterThan(0.2);
    expect(at(10_000)[3] / at(10_000)[1]).toBeGreaterThan(10);
  });
});

describe('refusals leave everything as it was', () => {
  it('a crafted seed, a missing or malformed bfloat16 part, a body of the wrong size: named, nothing changes', async () => {
    const { opt, params } = await run({ backend: 'js' }, [20], 3);
    const before = snapshot(params);
    const sd = opt.stateDict();
    for (const [seed, message] of [
      [-1, /loadStateDict: "bfloat16": Invalid stateSeed: -1 \(expected an integer from 0 to 4294967295\)/],
      ['7', /Invalid stateSeed: "7"/],
      [2 ** 32, /Invalid stateSeed: 4294967296/],
    ] as const)
      expect(() => opt.loadStateDict({ ...sd, bfloat16: { seed: seed as number } })).toThrow(message);
    expect(() => opt.loadStateDict({ ...sd, bfloat16: null as never })).toThrow(/invalid "bfloat16" null/);
    expect(opt.stateSeed).toBe(42);
    // The checkpoint: bit 4 without its header part, and the header part without bit 4.
    const bytes = opt.saveState();
    const view = new DataView(bytes.buffer);
    const flags = view.getUint16(6, true);
    expect(flags & 16).toBe(16);
    const crc = (b: Uint8Array) => {
      // Re-sign the crafted bytes, so that only the crafted field is wrong.
      const table = Array.from({ length: 256 }, (_, n) => {
        let c = n;
        for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
        return c >>> 0;
      });
      let c = 0xffffffff;
      for (let i = 0; i < b.length - 4; i++) c = table[(c ^ b[i]) & 0xff] ^ (c >>> 8);
      new DataView(b.buffer).setUint32(b.length - 4, (c ^ 0xffffffff) >>> 0, true);
      return b;
    };
    const without = bytes.slice();
    new DataView(without.buffer).setUint16(6, flags & ~16, true);
    expect(() => opt.loadState(crc(without))).toThrow(
      /corrupt checkpoint \(its header is malformed\)|truncated|unexpected bytes/,
    );
    // A crafted seed in a checkpoint: the error names loadState, the call made.
    const seeded = bytes.slice();
    const at = Buffer.from(seeded).indexOf('"seed":42');
    seeded.set(new TextEncoder().encode('"seed":-1'), at);
    expect(() => opt.loadState(crc(seeded))).toThrow(/^loadState: "bfloat16": Invalid stateSeed: -1/);
    const version1 = bytes.slice();
    new DataView(version1.buffer).setUint16(4, 1, true);
    expect(() => opt.loadState(crc(version1))).toThrow('loadState: corrupt checkpoint (unknown flags 16)');
    expect(snapshot(params)).toEqual(before);
    // A float32 checkpoint loads into bfloat16 state; a bfloat16 one into float32 state.
    const f = await run({ stateDtype: 'float32', backend: 'js' }, [20], 3);
    opt.loadState(f.opt.saveState());
    f.opt.loadState(bytes);
    expect(Array.from(f.params[0].expAvg)).toEqual(Array.from(fromBf16(Uint16Array.from(before[0].m))));
  });
});
