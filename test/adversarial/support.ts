// Shared by the adversarial suite (issue 18): what an optimizer looks like from outside, bit for
// bit; the check that a failure is a named error that changed nothing; and checkpoint bytes
// rebuilt around a crafted header with a valid CRC (its own CRC-32, not src's).
import { expect } from 'vitest';
import type { Lookahead, Param, RAdam } from '../../src/index.js';
import { P_SLOW } from '../../src/pipeline/layout.js';
import { hooksOf } from '../../src/optimizer/internals.js';
import { OPTION_KEYS } from '../../src/optimizer/options.js';

export const BACKENDS = ['simd', 'scalar', 'js'] as const;

/**
 * The bits of a float32 array, as plain numbers; every NaN as 0x7fc00000 (WebAssembly leaves a
 * NaN's sign and payload to the engine, so backends may differ there and only there).
 */
export const bits = (a: Float32Array | null): number[] | null =>
  a ? Array.from(new Uint32Array(a.slice().buffer), (u, i) => (Number.isNaN(a[i]) ? 0x7fc00000 : u)) : null;

/** The bits of a float32 array as plain data: all of them when short, else its first ones and a hash (fast to compare). */
export function digest(a: Float32Array | null): unknown {
  if (!a || a.length <= 64) return bits(a);
  const u = new Uint32Array(a.buffer, a.byteOffset, a.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < u.length; i++) h = Math.imul(h ^ (Number.isNaN(a[i]) ? 0x7fc00000 : u[i]), 0x01000193);
  return { length: u.length, first: bits(a.subarray(0, 8)), hash: h >>> 0 };
}

/** A param's slow weights, read without giving it any (Lookahead.slowWeights would allocate them). */
function slowOf(opt: RAdam, p: Param): unknown {
  const { table } = hooksOf(opt);
  return digest(table.view((p as unknown as { _slot: Parameters<typeof table.view>[0] })._slot, P_SLOW));
}

/** Everything observable about an optimizer (and its Lookahead), as plain data, arrays as bits. */
export function observe(opt: RAdam, la: Lookahead | null = null) {
  return {
    groups: opt.groups.map((g) => Object.fromEntries(OPTION_KEYS.map((k) => [k, g[k]]))),
    params: opt.params.map((p) => ({
      size: p.size,
      step: p.step,
      data: digest(p.data),
      grad: digest(p.grad),
      expAvg: digest(p.expAvg),
      expAvgSq: digest(p.expAvgSq),
      maxExpAvgSq: digest(p.maxExpAvgSq),
      ema: digest(p.ema),
      slow: slowOf(opt, p),
    })),
    accumulated: opt.accumulated,
    ema: opt.ema && { ...opt.ema },
    guards: [opt.skipNonFinite, opt.maxGradNorm],
    memoryBytes: opt.memoryBytes,
    lookahead: la ? la.stepsSinceSync : null,
  };
}

// A message that names the API (or the option) it comes from. Errors the engine throws on its own
// (undefined.memory, x is not a function, ...) name nothing and fail this.
const NAMED =
  /^(RAdam|Adam|RAdamOptimizer|Lookahead|ParamGroup|Param|addParam|addGroup|step|stepAsync|zeroGrad|swapEma|withEma|stateDict|loadStateDict|saveState|loadState|Invalid|Unknown|Out of memory|radam-wasm)\b/;
const ENGINE =
  /Cannot read|Cannot set|is not a function|is not iterable|is not a constructor|Cannot convert|undefined is|null is/;

// Writing a read-only property (ParamGroup.amsgrad, fixed at creation) is JavaScript's own TypeError,
// which names the property and the class.
const READ_ONLY = /^Cannot set property \w+ of #<(ParamGroup|Param|RAdam|Lookahead)> which has only a getter$/;

/** Asserts that `e` is a named error: an Error, TypeError or RangeError whose message names the API. */
export function expectNamed(e: unknown, pattern?: RegExp): Error {
  expect(e, 'expected an error').toBeInstanceOf(Error);
  const err = e as Error;
  expect([Error, TypeError, RangeError], `${err.constructor.name}: ${err.message}`).toContain(err.constructor);
  if (err instanceof TypeError && READ_ONLY.test(err.message) && !pattern) return err;
  expect(err.message, err.stack).toMatch(NAMED);
  expect(err.message).not.toMatch(ENGINE);
  if (pattern) expect(err.message).toMatch(pattern);
  return err;
}

/** The error `fn` throws (or its promise rejects with); fails if it succeeds. */
export async function failure(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure, got a success');
}

/** The error `fn` throws synchronously, or undefined (no await: an in-flight step stays in flight). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** Runs `fn`, which must fail with a named error, and asserts the optimizer did not change. */
export async function refusedUnchanged(
  opt: RAdam,
  la: Lookahead | null,
  fn: () => unknown,
  pattern?: RegExp,
): Promise<Error> {
  const before = observe(opt, la);
  const e = expectNamed(await failure(fn), pattern);
  expect(observe(opt, la), e.message).toEqual(before);
  return e;
}

/** Every own or inherited property of a prototype chain up to (not including) `stop`, with its descriptor. */
export function members(proto: object, stop: object | null = Object.prototype): [string, PropertyDescriptor][] {
  const out: [string, PropertyDescriptor][] = [];
  const seen = new Set<string>();
  for (let p: object | null = proto; p && p !== stop; p = Object.getPrototypeOf(p)) {
    for (const k of Object.getOwnPropertyNames(p)) {
      if (k === 'constructor' || seen.has(k)) continue;
      seen.add(k);
      out.push([k, Object.getOwnPropertyDescriptor(p, k)!]);
    }
  }
  return out;
}

let crcTable: Uint32Array | undefined;
/** CRC-32 (IEEE 802.3, reflected, as zlib), written here so that a bug in src's cannot hide. */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A checkpoint taken apart: its version, flags, header (parsed JSON) and the float32 body. */
export interface Parts {
  version: number;
  flags: number;
  header: unknown;
  body: Uint8Array;
}

export function parse(bytes: Uint8Array): Parts {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(8, true);
  const start = Math.ceil((12 + n) / 4) * 4;
  expect(view.getUint32(bytes.length - 4, true)).toBe(crc32(bytes.subarray(0, bytes.length - 4)));
  return {
    version: view.getUint16(4, true),
    flags: view.getUint16(6, true),
    header: JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + n))),
    body: bytes.slice(start, bytes.length - 4),
  };
}

/** Checkpoint bytes from parts (a header given as a string is written as is), with a valid CRC. */
export function build({ version, flags, header, body }: Parts): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const start = Math.ceil((12 + json.length) / 4) * 4;
  const out = new Uint8Array(start + body.length + 4);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x4d414452, true); // "RDAM"
  view.setUint16(4, version, true);
  view.setUint16(6, flags, true);
  view.setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(body, start);
  view.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

/** Every path to a value inside plain JSON data (objects and arrays included as values themselves). */
export function paths(x: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = at.length ? [at] : [];
  if (Array.isArray(x)) x.forEach((v, i) => out.push(...paths(v, [...at, i])));
  else if (x !== null && typeof x === 'object')
    for (const [k, v] of Object.entries(x)) out.push(...paths(v, [...at, k]));
  return out;
}

export const MISSING = Symbol('missing');

/** A deep copy of JSON data with the value at `path` replaced (or deleted, for MISSING). */
export function withValue<T>(data: T, path: (string | number)[], value: unknown): T {
  const copy = JSON.parse(JSON.stringify(data));
  let at = copy;
  for (const k of path.slice(0, -1)) at = at[k];
  const last = path[path.length - 1];
  if (value !== MISSING) at[last] = value;
  else if (Array.isArray(at)) at.splice(last as number, 1);
  else delete at[last];
  return copy;
}

/** The value at `path` in JSON data. */
export function valueAt(data: unknown, path: (string | number)[]): unknown {
  return path.reduce<unknown>((x, k) => (x as Record<string | number, unknown>)[k], data);
}

/** Crafted field values: a wrong type, null, a NaN-ish string, negative, huge, and missing. */
export const CRAFTED: readonly unknown[] = ['x', null, 'NaN', -1, 2 ** 53, 1e308, MISSING, true, {}, []];

/** A copy of `values` with a hole (an empty slot, as [1, , 3] writes) at index i. */
export function withHole(values: unknown[], i: number): unknown[] {
  const a = [...values];
  delete a[i];
  return a;
}

export const label = (v: unknown): string =>
  v === MISSING ? 'missing' : typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
