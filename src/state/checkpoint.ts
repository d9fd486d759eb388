// The binary checkpoint format of RAdam.saveState / loadState (little-endian):
//   0   "RDAM"                      magic
//   4   u16 version (2)            u16 flags (bit 0: param values included; bit 1: Lookahead state;
//                                  bit 2: EMA; bit 3: accumulated gradients; bit 4: bfloat16 state)
//   8   u32 header length H        then H bytes of UTF-8 JSON:
//                                  { groups, sizes, steps, amsgrad, lookahead?, ema?, accumulate?, bfloat16? }
//   ..  zero padding to a multiple of 4
//   ..  arrays, param by param: expAvg, expAvgSq, [maxExpAvgSq] (float32, or with bit 4 the raw
//       bfloat16 words, each array zero-padded to a multiple of 4 bytes), then float32: [values],
//       [slow weights: not for a param whose header.lookahead.fresh is true, which has none yet],
//       [ema], [accum: only the params whose header.accumulate.pending is true]
//   end u32 CRC-32 of every byte before it
//
// Version 1 (before bfloat16 state) is the same without bit 4: it still loads.
//
// The header's groups are stateDict's (keyed by the option names of src/optimizer/options.ts); a key
// missing from an earlier checkpoint gets its default when the state dict is loaded.
import type { Bytes } from '../optimizer/bytes.js';
import { DEFAULTS } from '../optimizer/options.js';
import { formatValue } from '../util/format-value.js';
import { checkStateDict, stateDict, type GroupState, type RAdamStateDict } from './state-dict.js';
import type { OptimizerParts } from '../pipeline/step.js';
import { P_PARAM } from '../pipeline/layout.js';
import { isDetached, isTypedArray } from '../optimizer/validate.js';
import { fromBf16, toBf16 } from '../math/bf16.js';

const MAGIC = 0x4d414452; // "RDAM" read as a little-endian u32
const CHECKPOINT_VERSION = 2;
const READABLE_VERSIONS = [1, 2];
const FLAG_PARAMS = 1;
const FLAG_LOOKAHEAD = 2;
const FLAG_EMA = 4;
const FLAG_ACCUM = 8;
const FLAG_BF16 = 16;
const KNOWN_FLAGS = FLAG_PARAMS | FLAG_LOOKAHEAD | FLAG_EMA | FLAG_ACCUM | FLAG_BF16;
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Lookahead's part of a checkpoint. */
export interface LookaheadCheckpoint {
  k: number;
  alpha: number;
  counter: number;
  /** null: the param has no slow weights yet (it gets its values at the next Lookahead step). */
  slow: (Float32Array | null)[];
}

let table: Uint32Array | undefined;
function crc32(bytes: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

interface Header {
  groups: GroupState[];
  sizes: number[];
  steps: number[];
  amsgrad: boolean[];
  lookahead?: { k: number; alpha: number; counter: number; fresh?: boolean[] };
  ema?: { decay: number; warmup: boolean };
  accumulate?: { k: number; accumulated: number; pending: boolean[] };
  bfloat16?: { seed: number };
}

/** Bytes of a bfloat16 array of n elements in the body: padded to keep the next array 4-byte aligned. */
const wordBytes = (n: number) => Math.ceil(n / 2) * 4;

function encodeCheckpoint(
  sd: RAdamStateDict,
  values: Float32Array[] | null,
  la: LookaheadCheckpoint | null = null,
): Bytes {
  const sizes = sd.state.map((s) => s.expAvg.length);
  const header: Header = {
    groups: sd.groups,
    sizes,
    steps: sd.state.map((s) => s.step),
    amsgrad: sd.state.map((s) => s.maxExpAvgSq !== undefined),
  };
  if (la) {
    header.lookahead = { k: la.k, alpha: la.alpha, counter: la.counter };
    // Only when needed: a checkpoint without fresh params stays readable by earlier versions.
    if (la.slow.includes(null)) header.lookahead.fresh = la.slow.map((s) => s === null);
  }
  if (sd.ema) header.ema = sd.ema;
  const withAccum = sd.state.some((s) => s.accum);
  if (sd.accumulate) header.accumulate = { ...sd.accumulate, pending: sd.state.map((s) => s.accum !== undefined) };
  // bfloat16 state: its words, as the optimizer holds them (the dict's float32 values round back exactly).
  const bf16 = sd.bfloat16 !== undefined;
  if (sd.bfloat16) header.bfloat16 = { seed: sd.bfloat16.seed };
  const moment = (a: Float32Array) => (bf16 ? toBf16(a) : a);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = Math.ceil((12 + json.length) / 4) * 4;
  const arrays = sd.state.flatMap((s, i) => [
    moment(s.expAvg),
    moment(s.expAvgSq),
    ...(s.maxExpAvgSq ? [moment(s.maxExpAvgSq)] : []),
    ...(values ? [values[i]] : []),
    ...(la?.slow[i] ? [la.slow[i]] : []),
    ...(s.ema ? [s.ema] : []),
    ...(s.accum ? [s.accum] : []),
  ]);
  const bodyBytes = (a: Float32Array | Uint16Array) => (a instanceof Uint16Array ? wordBytes(a.length) : a.byteLength);
  const total = start + arrays.reduce((n, a) => n + bodyBytes(a), 0) + 4;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint16(4, CHECKPOINT_VERSION, true);
  const flags =
    (values ? FLAG_PARAMS : 0) |
    (la ? FLAG_LOOKAHEAD : 0) |
    (sd.ema ? FLAG_EMA : 0) |
    (withAccum ? FLAG_ACCUM : 0) |
    (bf16 ? FLAG_BF16 : 0);
  view.setUint16(6, flags, true);
  view.setUint32(8, json.length, true);
  bytes.set(json, 12);
  let at = start;
  for (const a of arrays) {
    const end = at + bodyBytes(a);
    if (LITTLE_ENDIAN) bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    else if (a instanceof Uint16Array) for (let i = 0; i < a.length; i++) view.setUint16(at + 2 * i, a[i], true);
    else for (let i = 0; i < a.length; i++) view.setFloat32(at + 4 * i, a[i], true);
    at = end; // the padding after an odd-length bfloat16 array stays zero
  }
  view.setUint32(at, crc32(bytes.subarray(0, at)), true);
  return bytes;
}

/** Parses and checks a checkpoint completely; throws a clear error for anything wrong with it. */
/**
 * The checkpoint's bytes as a plain Uint8Array over exactly them: any Uint8Array (a Node Buffer,
 * often a slice of a shared pool; a subarray; one from another realm) or an ArrayBuffer. A Buffer's
 * own `slice` is a view, and its `.buffer` is the whole pool: only byteOffset/byteLength say where
 * the checkpoint is.
 */
function checkpointBytes(bytes: unknown, where: string): Uint8Array {
  if (Object.prototype.toString.call(bytes) === '[object ArrayBuffer]') return new Uint8Array(bytes as ArrayBuffer);
  if (isTypedArray(bytes, 'Uint8Array')) {
    if (isDetached(bytes)) throw new TypeError(`${where}: the bytes' buffer is detached (transferred to a worker?)`);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  throw new TypeError(
    `${where}: expected the Uint8Array from saveState (or a Buffer or ArrayBuffer of it), got ${formatValue(bytes)}`,
  );
}

function decodeCheckpoint(input: unknown): {
  sd: RAdamStateDict;
  values: Float32Array[] | null;
  lookahead: LookaheadCheckpoint | null;
} {
  const where = 'loadState';
  const bytes = checkpointBytes(input, where);
  if (bytes.length < 16)
    throw new RangeError(`${where}: ${bytes.length} bytes is too short for a checkpoint (truncated?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new TypeError(`${where}: not a radam-wasm checkpoint (no "RDAM" magic)`);
  const version = view.getUint16(4, true);
  if (!READABLE_VERSIONS.includes(version))
    throw new RangeError(
      `${where}: checkpoint version ${version}, this radam-wasm reads versions ${READABLE_VERSIONS.join(' and ')}`,
    );
  const flags = view.getUint16(6, true);
  if (flags & ~(version === 1 ? KNOWN_FLAGS & ~FLAG_BF16 : KNOWN_FLAGS))
    throw new TypeError(`${where}: corrupt checkpoint (unknown flags ${flags})`);
  const jsonLength = view.getUint32(8, true);
  const start = Math.ceil((12 + jsonLength) / 4) * 4;
  if (start + 4 > bytes.length)
    throw new RangeError(`${where}: truncated (${bytes.length} bytes, the header alone needs ${start + 4})`);
  let header: Header;
  try {
    // A copy: TextDecoder refuses views of a SharedArrayBuffer.
    header = JSON.parse(new TextDecoder().decode(new Uint8Array(bytes.subarray(12, 12 + jsonLength))));
  } catch {
    throw new TypeError(`${where}: corrupt checkpoint (its header is not readable)`);
  }
  const ok =
    header &&
    Array.isArray(header.sizes) &&
    Array.isArray(header.steps) &&
    Array.isArray(header.amsgrad) &&
    Array.isArray(header.groups) &&
    header.sizes.every((n) => Number.isSafeInteger(n) && n >= 0) &&
    header.steps.length === header.sizes.length &&
    header.amsgrad.length === header.sizes.length &&
    header.amsgrad.every((b) => typeof b === 'boolean') &&
    header.groups.every((g) => g && Array.isArray(g.params)) &&
    // A flagged part's entry is an object (null is not "absent": its arrays are in the body).
    ((flags & FLAG_LOOKAHEAD) === 0 ? header.lookahead === undefined : isObject(header.lookahead)) &&
    (header.lookahead?.fresh === undefined ||
      (Array.isArray(header.lookahead.fresh) &&
        header.lookahead.fresh.length === header.sizes.length &&
        header.lookahead.fresh.every((b) => typeof b === 'boolean'))) &&
    ((flags & FLAG_EMA) === 0 ? header.ema === undefined : isObject(header.ema)) &&
    (header.accumulate === undefined ||
      (isObject(header.accumulate) &&
        Array.isArray(header.accumulate.pending) &&
        header.accumulate.pending.length === header.sizes.length &&
        header.accumulate.pending.every((b) => typeof b === 'boolean'))) &&
    ((flags & FLAG_ACCUM) === 0) === !header.accumulate?.pending.some((p) => p === true) &&
    ((flags & FLAG_BF16) === 0 ? header.bfloat16 === undefined : isObject(header.bfloat16));
  if (!ok) throw new TypeError(`${where}: corrupt checkpoint (its header is malformed)`);
  // Each param's amsgrad flag must be its group's (it decides the layout of the arrays).
  header.groups.forEach((g) =>
    g.params.forEach((i) => {
      if (header.amsgrad[i] !== (g.amsgrad ?? DEFAULTS.amsgrad))
        throw new TypeError(`${where}: corrupt checkpoint (param ${formatIndex(i)}'s amsgrad flag is not its group's)`);
    }),
  );
  const withParams = (flags & FLAG_PARAMS) !== 0,
    withLookahead = (flags & FLAG_LOOKAHEAD) !== 0,
    withEma = (flags & FLAG_EMA) !== 0,
    bf16 = (flags & FLAG_BF16) !== 0;
  const pending = (i: number) => header.accumulate?.pending[i] === true;
  const slowSaved = (i: number) => withLookahead && header.lookahead?.fresh?.[i] !== true;
  const perParam = header.sizes.map(
    (n, i) =>
      (2 + (header.amsgrad[i] ? 1 : 0)) * (bf16 ? wordBytes(n) : n * 4) +
      n * 4 * ((withParams ? 1 : 0) + (slowSaved(i) ? 1 : 0) + (withEma ? 1 : 0) + (pending(i) ? 1 : 0)),
  );
  const expected = start + perParam.reduce((a, b) => a + b, 0) + 4;
  if (bytes.length < expected)
    throw new RangeError(`${where}: truncated (${bytes.length} bytes, expected ${expected})`);
  if (bytes.length > expected)
    throw new RangeError(`${where}: ${bytes.length - expected} unexpected bytes after the checkpoint`);
  if (view.getUint32(expected - 4, true) !== crc32(bytes.subarray(0, expected - 4))) {
    throw new TypeError(`${where}: corrupt checkpoint (checksum mismatch)`);
  }
  let at = start;
  const next = (n: number) => {
    let a: Float32Array;
    if (LITTLE_ENDIAN) {
      a = new Float32Array(n);
      new Uint8Array(a.buffer).set(bytes.subarray(at, at + n * 4));
      at += n * 4;
    } else {
      a = new Float32Array(n);
      for (let i = 0; i < n; i++, at += 4) a[i] = view.getFloat32(at, true);
    }
    return a;
  };
  // bfloat16 words, widened (exactly) to the float32 values the state dict carries.
  const nextMoment = (n: number) => {
    if (!bf16) return next(n);
    const w = new Uint16Array(n);
    if (LITTLE_ENDIAN) new Uint8Array(w.buffer).set(bytes.subarray(at, at + n * 2));
    else for (let i = 0; i < n; i++) w[i] = view.getUint16(at + 2 * i, true);
    at += wordBytes(n);
    return fromBf16(w);
  };
  const values: Float32Array[] = [],
    slow: (Float32Array | null)[] = [];
  const state = header.sizes.map((n, i) => {
    const s: RAdamStateDict['state'][number] = {
      step: header.steps[i],
      expAvg: nextMoment(n),
      expAvgSq: nextMoment(n),
    };
    if (header.amsgrad[i]) s.maxExpAvgSq = nextMoment(n);
    if (withParams) values.push(next(n));
    if (withLookahead) slow.push(slowSaved(i) ? next(n) : null);
    if (withEma) s.ema = next(n);
    if (pending(i)) s.accum = next(n);
    return s;
  });
  const lookahead = header.lookahead
    ? { k: header.lookahead.k, alpha: header.lookahead.alpha, counter: header.lookahead.counter, slow }
    : null;
  const sd: RAdamStateDict = { format: 'radam-wasm', version: 1, groups: header.groups, state };
  if (header.ema) sd.ema = header.ema;
  if (header.accumulate) sd.accumulate = { k: header.accumulate.k, accumulated: header.accumulate.accumulated };
  if (header.bfloat16) sd.bfloat16 = { seed: header.bfloat16.seed };
  return {
    sd,
    values: withParams ? values : null,
    lookahead,
  };
}

const isObject = (x: unknown): x is object => x !== null && typeof x === 'object' && !Array.isArray(x);

const formatIndex = (i: unknown) => (typeof i === 'number' ? String(i) : JSON.stringify(i));

export type DecodedCheckpoint = ReturnType<typeof decodeCheckpoint>;

/** saveState: the optimizer's state dict, its param values with includeParams, and Lookahead's part. */
export function saveCheckpoint(
  parts: OptimizerParts,
  options: { includeParams?: boolean },
  lookahead: LookaheadCheckpoint | null,
): Bytes {
  const includeParams = options?.includeParams ?? false;
  if (typeof includeParams !== 'boolean')
    throw new TypeError(`saveState: Invalid includeParams: ${formatValue(includeParams)} (expected true or false)`);
  const { groups, table } = parts;
  const values = includeParams ? groups.flatMap((g) => g.slots.map((s) => table.view(s, P_PARAM)!.slice())) : null;
  return encodeCheckpoint(stateDict(parts), values, lookahead);
}

/**
 * loadState: decodes and checks everything (the state dict, the values, then `check`, which sees
 * the decoded checkpoint and returns what applies its own part) before anything changes.
 */
export function loadCheckpoint(
  bytes: Uint8Array | ArrayBuffer,
  parts: OptimizerParts,
  check: (decoded: DecodedCheckpoint) => (() => void) | undefined,
): void {
  const { groups, table } = parts;
  const decoded = decodeCheckpoint(bytes);
  const { sd, values } = decoded;
  const slots = groups.flatMap((g) => g.slots);
  if (values) {
    if (values.length !== slots.length)
      throw new RangeError(
        `loadState: the checkpoint holds values for ${values.length} params, this optimizer has ${slots.length}`,
      );
    values.forEach((v, i) => {
      if (v.length !== slots[i].size)
        throw new RangeError(
          `loadState: the checkpoint's values of param ${i} have ${v.length} elements, the param has ${slots[i].size}`,
        );
    });
  }
  const applyState = checkStateDict(sd, parts, 'loadState');
  const after = check(decoded);
  // Everything is checked: what applies the caller's part may still allocate (Lookahead's slow
  // weights), so it runs first; an out-of-memory error there leaves the rest untouched.
  after?.();
  applyState();
  values?.forEach((v, i) => table.view(slots[i], P_PARAM)!.set(v));
}
