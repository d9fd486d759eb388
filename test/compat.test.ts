// Saves written by earlier versions must keep loading: test/fixtures/v1-* were written by the code
// of commit 89b5c0a (test/fixtures/make-v1.mjs), before any later option existed. A group that
// lacks an option key gets that option's default, as torch's __setstate__ does with setdefault.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, Lookahead, RAdam, type Backend, type LookaheadStateDict } from '../src/index.js';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
const SD: LookaheadStateDict = JSON.parse(fs.readFileSync(fixture('v1-statedict.json'), 'utf8'));
// The fixture is a Lookahead's dict; the optimizer's own part is the rest (RAdam.loadStateDict refuses
// a dict with Lookahead state in it, which it would otherwise drop).
const { lookahead: _, ...PLAIN } = SD;
const VALUES: number[][] = JSON.parse(fs.readFileSync(fixture('v1-values.json'), 'utf8'));
const CHECKPOINT = new Uint8Array(fs.readFileSync(fixture('v1-checkpoint.bin')));
const LOOKAHEAD = new Uint8Array(fs.readFileSync(fixture('v1-lookahead.bin')));
// The groups as they load: with the defaults of the options added after the fixtures were written.
const GROUPS = SD.groups.map((g) => ({ ...DEFAULTS, ...g }));

// The structure of the optimizer that wrote them, with every hyperparameter left at its default.
async function build(backend: Backend) {
  const opt = await RAdam.create({ backend });
  const g1 = opt.addGroup({ amsgrad: true });
  const params = [opt.addParam(3), opt.addParam(5), g1.addParam(4), g1.addParam(1)];
  return { opt, params };
}

const f32 = (a: ArrayLike<number>) => Array.from(Float32Array.from(a));
const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

function expectState(opt: RAdam) {
  const sd = opt.stateDict();
  expect(sd.groups).toEqual(GROUPS);
  sd.state.forEach((s, i) => {
    const want = SD.state[i];
    expect(s.step).toBe(want.step);
    expect(bits(s.expAvg)).toEqual(bits(want.expAvg));
    expect(bits(s.expAvgSq)).toEqual(bits(want.expAvgSq));
    expect(s.maxExpAvgSq && bits(s.maxExpAvgSq)).toEqual(want.maxExpAvgSq && bits(want.maxExpAvgSq));
  });
}

describe.each(['simd', 'js'] as Backend[])('v1 fixtures load on %s', (backend) => {
  it('the stateDict (JSON) restores every hyperparameter and every state value exactly', async () => {
    const { opt } = await build(backend);
    opt.loadStateDict(structuredClone(PLAIN));
    expectState(opt);
    expect(SD.groups[1]).toMatchObject({ lr: 0.05, amsgrad: true, maximize: true, flushSubnormals: true });
    expect(SD.state[0].step).toBe(7);
  });

  it('the saveState checkpoint with param values', async () => {
    const { opt, params } = await build(backend);
    opt.loadState(CHECKPOINT);
    expectState(opt);
    params.forEach((p, i) => expect(bits(p.data)).toEqual(bits(VALUES[i])));
  });

  it("Lookahead's stateDict and checkpoint", async () => {
    for (const load of [
      (la: Lookahead) => la.loadStateDict(structuredClone(SD)),
      (la: Lookahead) => la.loadState(LOOKAHEAD),
    ]) {
      const { opt, params } = await build(backend);
      const la = new Lookahead(opt, { k: 3, alpha: 0.4 });
      load(la);
      expectState(opt);
      expect(la.stepsSinceSync).toBe(SD.lookahead.counter);
      params.forEach((p, i) => expect(bits(la.slowWeights(p))).toEqual(bits(SD.lookahead.slow[i])));
      expect(f32(SD.lookahead.slow[0])).toHaveLength(3);
    }
  });
});

// The checkpoint format: magic, version, flags, header length, JSON header, arrays, CRC-32.
function withHeader(bytes: Uint8Array, edit: (header: { groups: Record<string, unknown>[] }) => void): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(8, true);
  const start = Math.ceil((12 + length) / 4) * 4;
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + length)));
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const begin = Math.ceil((12 + json.length) / 4) * 4;
  const body = bytes.subarray(start, bytes.length - 4);
  const out = new Uint8Array(begin + body.length + 4);
  out.set(bytes.subarray(0, 8));
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(body, begin);
  let c = 0xffffffff;
  for (let i = 0; i < out.length - 4; i++) {
    c ^= out[i];
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  new DataView(out.buffer).setUint32(out.length - 4, (c ^ 0xffffffff) >>> 0, true);
  return out;
}

describe('a save that lacks an option (written before it existed) loads with its default', () => {
  for (const key of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) {
    // amsgrad decides the layout: a group without it is read as amsgrad false, which group 1 is not.
    const groups = key === 'amsgrad' ? [0] : [0, 1];
    it(`${key}: stateDict and checkpoint`, async () => {
      const want = GROUPS.map((g, k) => ({ ...g, [key]: groups.includes(k) ? DEFAULTS[key] : g[key] }));
      const sd = structuredClone(PLAIN);
      for (const k of groups) delete (sd.groups[k] as unknown as Record<string, unknown>)[key];
      const a = await build('js');
      a.opt.loadStateDict(sd);
      expect(a.opt.stateDict().groups).toEqual(want);

      const b = await build('js');
      b.opt.loadState(withHeader(CHECKPOINT, (h) => groups.forEach((k) => delete h.groups[k][key])));
      expect(b.opt.stateDict().groups).toEqual(want);
      b.params.forEach((p, i) => expect(bits(p.data)).toEqual(bits(VALUES[i])));
    });
  }

  it('amsgrad missing from a group that has amsgrad is still refused (the layout differs)', async () => {
    const sd = structuredClone(PLAIN);
    delete (sd.groups[1] as unknown as Record<string, unknown>).amsgrad;
    const { opt } = await build('js');
    expect(() => opt.loadStateDict(sd)).toThrow(/group 1 has amsgrad false in the state dict, true in this optimizer/);
    const bytes = withHeader(CHECKPOINT, (h) => delete h.groups[1].amsgrad);
    expect(() => opt.loadState(bytes)).toThrow(/amsgrad/);
  });
});
