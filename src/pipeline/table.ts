// The step table that the kernels walk (layout: src/pipeline/layout.ts), and the tensors' arrays in linear
// memory: allocating slots, writing entries, growing, and cutting sub-tables for the thread split.
// Every write to the table goes through this file.
import { Arena, alignUp } from './arena.js';
import type { Kernel } from '../backends/kernel.js';
import type { EntryScalars } from '../math/entry-scalars.js';
import type { Job } from '../threads/pool.js';
import {
  ENTRY_BYTES,
  E_PARAM,
  E_GRAD,
  E_EXP_AVG,
  E_EXP_AVG_SQ,
  E_MAX_EXP_AVG_SQ,
  E_SIZE,
  E_FLAGS,
  E_GRAD_SCALE,
  E_L2_WEIGHT_DECAY,
  E_DECOUPLED_DECAY_FACTOR,
  E_BETA1,
  E_ONE_MINUS_BETA1,
  E_BETA2,
  E_ONE_MINUS_BETA2,
  E_EPS,
  E_STEP_SIZE,
  E_SLOW,
  E_SUMSQ,
  E_ACCUM,
  E_EMA,
  E_EMA_DECAY,
  E_ONE_MINUS_EMA_DECAY,
  E_CLIP_VALUE,
  E_SR_KEY,
  E_INDEX,
  FLAG_BF16,
  P_EXP_AVG,
  P_EXP_AVG_SQ,
  P_MAX_EXP_AVG_SQ,
  P_SLOW,
  P_COUNT,
} from './layout.js';
import { fromBf16, toBf16 } from '../math/bf16.js';
import type { StateDtype } from '../optimizer/options.js';

/** The entry field of each array index P_* (layout.ts). */
const ENTRY_POINTERS = [E_PARAM, E_GRAD, E_EXP_AVG, E_EXP_AVG_SQ, E_MAX_EXP_AVG_SQ, E_SLOW, E_ACCUM, E_EMA];
/** The arrays that move to a thread's range in a sub-table (the slow weights are not stepped there). */
const RANGE_POINTERS = ENTRY_POINTERS.filter((f) => f !== E_SLOW);
const WORDS = ENTRY_BYTES / 4;
/** The arrays that hold bfloat16 words with stateDtype 'bfloat16'. */
const STATE_ARRAYS: readonly number[] = [P_EXP_AVG, P_EXP_AVG_SQ, P_MAX_EXP_AVG_SQ];
const STATE_POINTERS: readonly number[] = STATE_ARRAYS.map((k) => ENTRY_POINTERS[k]);

/** One tensor: its arrays in linear memory and its entry in the table. */
export interface Slot {
  /** The public object it backs (a Param): what the step's `active` set holds. */
  owner: object;
  readonly size: number;
  /** Byte addresses by P_* (0: absent). */
  readonly ptrs: number[];
  /** Its entry: the order of addition. */
  readonly index: number;
  /** Steps taken (torch's state['step']). */
  steps: number;
  /** Its accumulator holds gradients of the current accumulation window. */
  pending: boolean;
  views: (Float32Array | Uint16Array | null)[];
  generation: number;
  /** The global index of its first element (stochastic rounding's hash input): tensors start at multiples of 16. */
  readonly first: number;
}

export class StepTable {
  readonly arena: Arena;
  /** In table order. */
  readonly slots: Slot[] = [];
  /** Byte address of entry 0. */
  base = 0;
  private capacity = 0;
  private subTables = 0; // per-thread tables for a split step
  private subCapacity = 0;
  private cache = {
    generation: -1,
    base: -1,
    count: -1,
    i32: new Int32Array(0),
    f32: new Float32Array(0),
    f64: new Float64Array(0),
  };

  /** m, v and vmax are bfloat16 words (FLAG_BF16 in every entry). */
  readonly bf16: boolean;

  constructor(
    readonly kernel: Kernel,
    readonly stateDtype: StateDtype = 'float32',
  ) {
    this.bf16 = stateDtype === 'bfloat16';
    this.arena = new Arena(kernel.memory, kernel.heapBase);
    this.grow(16);
  }

  /** Bytes per element of array `k` (P_*). */
  elementBytes(k: number): number {
    return this.bf16 && STATE_ARRAYS.includes(k) ? 2 : 4;
  }

  /**
   * Allocates a tensor of `size` elements with the arrays `arrays` (P_* indices) and its entry, and
   * runs `fill` on it; all or nothing: if anything throws, fill included, the slot is gone again.
   */
  add(size: number, arrays: readonly number[], fill: (slot: Slot) => void = () => {}): Slot {
    const bytes = arrays.map((k) => alignUp(size * this.elementBytes(k)));
    const mark = this.arena.used,
      base = this.base,
      capacity = this.capacity;
    let start: number;
    try {
      if (this.slots.length === this.capacity) this.grow(this.capacity * 2);
      start = this.arena.alloc(bytes.reduce((a, b) => a + b, 0));
    } catch (e) {
      // Out of memory: undo a table growth (the old table is intact: grow copies).
      this.arena.release(mark);
      this.base = base;
      this.capacity = capacity;
      throw e;
    }
    const offsets = bytes.map((_, j) => bytes.slice(0, j).reduce((a, b) => a + b, 0));
    const ptrs = Array.from({ length: P_COUNT }, (_, k) =>
      arrays.includes(k) ? start + offsets[arrays.indexOf(k)] : 0,
    );
    const slot: Slot = {
      owner: {},
      size,
      ptrs,
      index: this.slots.length,
      steps: 0,
      pending: false,
      views: [],
      generation: -1,
      first: this.nextIndex(),
    };
    this.slots.push(slot);
    try {
      ptrs.forEach((_, k) => this.writePointer(slot, k));
      const { i32 } = this.entries();
      i32[slot.index * WORDS + E_SIZE / 4] = size;
      i32[slot.index * WORDS + E_INDEX / 4] = slot.first;
      fill(slot);
    } catch (e) {
      this.slots.pop();
      this.arena.release(mark);
      this.base = base;
      this.capacity = capacity;
      throw e;
    }
    return slot;
  }

  /** Gives the slots slow weights that lack them, all or nothing; returns those that got them. */
  addSlow(slots: readonly Slot[]): Slot[] {
    const missing = slots.filter((s) => !s.ptrs[P_SLOW]);
    const mark = this.arena.used;
    let ptrs: number[];
    try {
      ptrs = missing.map((s) => this.arena.alloc(alignUp(s.size * 4)));
    } catch (e) {
      this.arena.release(mark);
      throw e;
    }
    missing.forEach((s, i) => {
      s.ptrs[P_SLOW] = ptrs[i];
      s.generation = -1;
      this.writePointer(s, P_SLOW);
    });
    return missing;
  }

  /**
   * A live view of one of a slot's float32 arrays (P_*), or null; re-created after the memory grew.
   * The state arrays of a bfloat16 table are not float32: `words`, `readState` and `writeState` serve them.
   */
  view(slot: Slot, k: number): Float32Array | null {
    if (this.bf16 && STATE_ARRAYS.includes(k)) throw new Error(`internal: array ${k} holds bfloat16 words`);
    return this.views(slot)[k] as Float32Array | null;
  }

  /** A live view of a bfloat16 state array's words (P_EXP_AVG, P_EXP_AVG_SQ, P_MAX_EXP_AVG_SQ), or null (absent, or float32 state). */
  words(slot: Slot, k: number): Uint16Array | null {
    return this.bf16 && STATE_ARRAYS.includes(k) ? (this.views(slot)[k] as Uint16Array | null) : null;
  }

  /** A copy of array k as float32 values (bfloat16 words widened: exact), or null when absent. */
  readState(slot: Slot, k: number): Float32Array | null {
    const a = this.views(slot)[k];
    return a instanceof Uint16Array ? fromBf16(a) : (a?.slice() ?? null);
  }

  /** Sets array k from float32 values (to a bfloat16 array: rounded to nearest even). */
  writeState(slot: Slot, k: number, a: Float32Array): void {
    const w = this.words(slot, k);
    if (w) toBf16(a, w);
    else this.view(slot, k)!.set(a);
  }

  private views(slot: Slot): (Float32Array | Uint16Array | null)[] {
    if (slot.generation !== this.arena.generation) {
      const buffer = this.kernel.memory.buffer;
      const viewType = (k: number) => (this.elementBytes(k) === 2 ? Uint16Array : Float32Array);
      slot.views = slot.ptrs.map((ptr, k) => (ptr ? new (viewType(k))(buffer, ptr, slot.size) : null));
      slot.generation = this.arena.generation;
    }
    return slot.views;
  }

  /** Writes an entry's scalars and flags (with `flags` added), and its size (0: the kernels skip it). */
  write(slot: Slot, s: EntryScalars, size: number, flags = 0): void {
    const { i32, f32 } = this.entries();
    const e = slot.index * WORDS;
    i32[e + E_SIZE / 4] = size;
    i32[e + E_FLAGS / 4] = s.flags | flags | (this.bf16 ? FLAG_BF16 : 0);
    i32[e + E_SR_KEY / 4] = s.srKey;
    f32[e + E_GRAD_SCALE / 4] = s.gradScale;
    f32[e + E_L2_WEIGHT_DECAY / 4] = s.weightDecay;
    f32[e + E_DECOUPLED_DECAY_FACTOR / 4] = s.paramDecay;
    f32[e + E_BETA1 / 4] = s.beta1;
    f32[e + E_ONE_MINUS_BETA1 / 4] = s.oneMinusBeta1;
    f32[e + E_BETA2 / 4] = s.beta2;
    f32[e + E_ONE_MINUS_BETA2 / 4] = s.oneMinusBeta2;
    f32[e + E_EPS / 4] = s.eps;
    f32[e + E_STEP_SIZE / 4] = s.stepSize;
    f32[e + E_EMA_DECAY / 4] = s.emaDecay;
    f32[e + E_ONE_MINUS_EMA_DECAY / 4] = s.oneMinusEmaDecay;
    f32[e + E_CLIP_VALUE / 4] = s.clipValue;
  }

  /** Points a slot's entry's gradient at its array `k` (P_GRAD, or P_ACCUM to step on the accumulated gradient). */
  pointGradient(slot: Slot, k: number): void {
    this.entries().i32[slot.index * WORDS + E_GRAD / 4] = slot.ptrs[k];
  }

  /** Every entry's size back to its tensor's (after a step that skipped some). */
  restoreSizes(): void {
    const { i32 } = this.entries();
    for (const s of this.slots) i32[s.index * WORDS + E_SIZE / 4] = s.size;
  }

  /** Multiplies the first `count` entries' gradient scale by `coef` (clipping). */
  scaleGradients(count: number, coef: number): void {
    const { f32 } = this.entries();
    for (let k = 0; k < count; k++) f32[k * WORDS + E_GRAD_SCALE / 4] *= coef;
  }

  /** The sum of squares that the kernel's gradSumSq wrote into entry k. */
  sumSq(k: number): number {
    return this.entries().f64[(k * ENTRY_BYTES + E_SUMSQ) / 8];
  }

  /** The elements the kernel will step: the sum of the first `count` entries' sizes. */
  elements(count: number): number {
    const { i32 } = this.entries();
    let total = 0;
    for (let k = 0; k < count; k++) total += i32[k * WORDS + E_SIZE / 4];
    return total;
  }

  /**
   * The first `count` entries' elements cut into one contiguous range per thread, balanced across
   * all tensors (cut at multiples of 16 elements counted across them), as sub-tables: copies of the
   * entries with their pointers moved to the range.
   */
  split(count: number, threads: number, total: number): Job[] {
    if (this.subCapacity < count + 1) {
      this.subTables = this.arena.alloc(threads * (count + 1) * ENTRY_BYTES * 2);
      this.subCapacity = (count + 1) * 2;
    }
    const { i32 } = this.entries(); // after the allocation, which may grow the memory
    const share = Math.ceil(total / threads / 16) * 16;
    const buffer = this.kernel.memory.buffer;
    const bytes = new Uint8Array(buffer),
      words = new Int32Array(buffer);
    const jobs: Job[] = Array.from({ length: threads }, (_, t) => ({
      table: this.subTables + t * this.subCapacity * ENTRY_BYTES,
      count: 0,
    }));
    let offset = 0;
    for (let k = 0; k < count; k++) {
      const src = this.base + k * ENTRY_BYTES;
      const n = i32[k * WORDS + E_SIZE / 4];
      for (let start = 0; start < n; ) {
        const t = Math.min(threads - 1, Math.floor((offset + start) / share));
        const end = Math.min(n, (t + 1) * share - offset);
        const job = jobs[t];
        const dst = job.table + job.count * ENTRY_BYTES;
        bytes.copyWithin(dst, src, src + ENTRY_BYTES);
        const e = dst >>> 2;
        for (const f of RANGE_POINTERS) {
          const size = this.bf16 && STATE_POINTERS.includes(f) ? 2 : 4;
          if (words[e + f / 4] !== 0) words[e + f / 4] = ((words[e + f / 4] >>> 0) + start * size) | 0;
        }
        words[e + E_INDEX / 4] = ((words[e + E_INDEX / 4] >>> 0) + start) | 0;
        words[e + E_SIZE / 4] = end - start;
        words[e + E_SLOW / 4] = 0;
        job.count++;
        start = end;
      }
      offset += n;
    }
    return jobs;
  }

  // The global index of the next tensor's first element: after the last one's, at a multiple of 16.
  private nextIndex(): number {
    const last = this.slots.at(-1);
    return last ? last.first + alignUp(last.size, 16) : 0;
  }

  private writePointer(slot: Slot, k: number): void {
    this.entries().i32[slot.index * WORDS + ENTRY_POINTERS[k] / 4] = slot.ptrs[k];
  }

  private grow(capacity: number): void {
    const base = this.arena.alloc(capacity * ENTRY_BYTES);
    const bytes = new Uint8Array(this.kernel.memory.buffer);
    bytes.copyWithin(base, this.base, this.base + this.slots.length * ENTRY_BYTES);
    this.base = base;
    this.capacity = capacity;
  }

  // Views of the entries, cached: rebuilt when the memory grew, the table moved or gained entries.
  private entries(): { i32: Int32Array; f32: Float32Array; f64: Float64Array } {
    const c = this.cache;
    if (c.generation !== this.arena.generation || c.base !== this.base || c.count !== this.slots.length) {
      const buffer = this.kernel.memory.buffer;
      const words = this.slots.length * WORDS;
      this.cache = {
        generation: this.arena.generation,
        base: this.base,
        count: this.slots.length,
        i32: new Int32Array(buffer, this.base, words),
        f32: new Float32Array(buffer, this.base, words),
        f64: new Float64Array(buffer, this.base, words / 2),
      };
    }
    return this.cache;
  }
}
