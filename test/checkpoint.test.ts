// The binary checkpoint (state/checkpoint.ts): saveState / loadState resume bit-identically across
// backends, and bad bytes are refused changing nothing. Elsewhere: bytes from files and views in
// test/hard-edges.test.ts, saves of earlier versions in test/compat.test.ts, random cut points in
// test/properties.test.ts, crafted headers in test/adversarial/crafted-state.test.ts, the EMA's and
// the accumulator's parts in test/ema.test.ts and test/accumulate.test.ts, Lookahead's in
// test/lookahead.test.ts.
import { describe, expect, it } from 'vitest';
import { RAdam } from '../src/index.js';
import { BACKENDS, build, expectSameBits, fill, snapshot } from './support/training.js';

describe.each(BACKENDS)('saveState / loadState (%s)', (backend) => {
  it.each([false, true])(
    'a checkpoint (includeParams %s) resumes bit-identically, on any backend',
    async (includeParams) => {
      const whole = await build(backend);
      for (let t = 1; t <= 20; t++) {
        fill(whole.params, t);
        whole.opt.step();
      }
      const first = await build(backend);
      for (let t = 1; t <= 9; t++) {
        fill(first.params, t);
        first.opt.step();
      }
      const bytes = first.opt.saveState({ includeParams });
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe('RDAM');
      const second = await build(backend === 'js' ? 'simd' : 'js', { lr: 3, betas: [0.5, 0.5] });
      if (!includeParams) second.params.forEach((p, i) => p.data.set(first.params[i].data));
      second.opt.loadState(bytes);
      expect(second.opt.groups[0].lr).toBe(0.05);
      for (let t = 10; t <= 20; t++) {
        fill(second.params, t);
        second.opt.step();
      }
      expectSameBits(snapshot(second.params), snapshot(whole.params));
      [whole, first, second].forEach((r) => r.opt.dispose());
    },
  );

  it('truncated, corrupt, wrong-version or mismatched bytes throw clearly and change nothing', async () => {
    const src = await build(backend);
    for (let t = 1; t <= 3; t++) {
      fill(src.params, t);
      src.opt.step();
    }
    const good = src.opt.saveState({ includeParams: true });
    const target = await build(backend);
    fill(target.params, 1);
    target.opt.step();
    const before = [target.opt.stateDict(), snapshot(target.params)];
    const flip = (i: number) => {
      const b = good.slice();
      b[i] ^= 0x40;
      return b;
    };
    const version3 = good.slice();
    new DataView(version3.buffer).setUint16(4, 3, true);
    const other = await RAdam.create({ backend, amsgrad: true });
    other.addParam(5);
    const cases: [Uint8Array, RegExp][] = [
      [good.subarray(0, 10), /10 bytes is too short for a checkpoint/],
      [good.subarray(0, 200), /truncated \(200 bytes, the header alone needs \d+\)/],
      [good.subarray(0, 2000), /truncated \(2000 bytes, expected \d+\)/],
      [good.subarray(0, good.length - 1), /truncated/],
      [flip(0), /not a radam-wasm checkpoint/],
      [version3, /checkpoint version 3, this radam-wasm reads versions 1 and 2/],
      [flip(good.length - 100), /corrupt checkpoint \(checksum mismatch\)/],
      [flip(20), /corrupt checkpoint/],
      [other.saveState(), /state dict has state for 1 params, this optimizer has 8/],
      [new Uint8Array([...good, 0, 0, 0, 0]), /4 unexpected bytes after the checkpoint/],
    ];
    for (const [bytes, message] of cases) {
      expect(() => target.opt.loadState(bytes)).toThrow(message);
      expect([target.opt.stateDict(), snapshot(target.params)]).toEqual(before);
    }
    expect(() => target.opt.loadState('RDAM' as never)).toThrow(
      /loadState: expected the Uint8Array from saveState \(or a Buffer or ArrayBuffer of it\), got "RDAM"/,
    );
    [src, target].forEach((r) => r.opt.dispose());
    other.dispose();
  });
});

describe('saveState / loadState, details', () => {
  it('loadState with param values that fails its checks after decoding writes no value', async () => {
    const src = await build('simd', { amsgrad: false }); // same sizes, other amsgrad: only loadStateDict can tell
    fill(src.params, 1);
    src.opt.step();
    const target = await build('simd');
    const before = snapshot(target.params);
    expect(() => target.opt.loadState(src.opt.saveState({ includeParams: true }))).toThrow(
      /amsgrad false in the state dict, true in this optimizer/,
    );
    expectSameBits(snapshot(target.params), before);
    src.opt.dispose();
    target.opt.dispose();
  });
});
