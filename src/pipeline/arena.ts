// Linear memory for the optimizer: a bump allocator over a WebAssembly.Memory (or, for the js
// backend, an ArrayBuffer that grows the same way), and a generation counter that tells cached
// Float32Array views when growth has detached them.

/** The part of WebAssembly.Memory the arena uses. */
export interface LinearMemory {
  readonly buffer: ArrayBuffer;
  grow(deltaPages: number): number;
}

const PAGE_BYTES = 65536;
/** wasm32 addresses 4 GiB: 65536 pages. */
const MAX_PAGES = 65536;
/** Every allocation starts on a cache line, which also keeps f32x4 accesses 16-byte aligned. */
const ALIGN = 64;

export const alignUp = (n: number, a = ALIGN): number => Math.ceil(n / a) * a;

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

export class Arena {
  private top: number;
  /** Incremented whenever the memory grows (every view into the old buffer is then detached). */
  generation = 0;

  constructor(
    readonly memory: LinearMemory,
    base: number,
  ) {
    this.top = alignUp(base);
  }

  /** Bytes handed out so far, including the module's static data. */
  get used(): number {
    return this.top;
  }

  /** Gives back everything allocated since `used` was `mark` (zeroing it, so it is fresh again). */
  release(mark: number): void {
    if (mark < this.top) new Uint8Array(this.memory.buffer, mark, this.top - mark).fill(0);
    this.top = mark;
  }

  /**
   * Reserves `bytes` zeroed bytes at a 64-byte aligned address, growing the memory when needed.
   * Throws a RangeError, changing nothing, when the memory cannot hold them.
   */
  alloc(bytes: number): number {
    const ptr = alignUp(this.top);
    const end = ptr + bytes;
    if (end > MAX_PAGES * PAGE_BYTES) {
      throw new RangeError(
        `Out of memory: ${mib(bytes)} more would need ${mib(end)} of linear memory; wasm32 addresses at most 4096 MiB`,
      );
    }
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const havePages = have / PAGE_BYTES;
      const need = Math.ceil((end - have) / PAGE_BYTES);
      // Grow by at least half again, so that many small additions do not grow (and detach) each time.
      const generous = Math.min(Math.max(need, Math.ceil(havePages / 2)), MAX_PAGES - havePages);
      try {
        this.memory.grow(generous);
      } catch {
        try {
          this.memory.grow(need);
        } catch (e) {
          throw new RangeError(
            `Out of memory: could not grow linear memory from ${mib(have)} to ${mib(end)} (${String((e as Error)?.message ?? e)})`,
          );
        }
      }
      this.generation++;
    }
    this.top = end;
    return ptr;
  }
}

/**
 * An ArrayBuffer that grows like a WebAssembly.Memory (copy, then detach the old buffer where the
 * runtime can), for the js backend in runtimes without WebAssembly.
 */
export class ArrayBufferMemory implements LinearMemory {
  buffer: ArrayBuffer;

  constructor(initialPages: number) {
    this.buffer = new ArrayBuffer(initialPages * PAGE_BYTES);
  }

  grow(deltaPages: number): number {
    const old = this.buffer;
    const oldPages = old.byteLength / PAGE_BYTES;
    if (oldPages + deltaPages > MAX_PAGES) throw new RangeError('Maximum memory size exceeded');
    const next = new ArrayBuffer((oldPages + deltaPages) * PAGE_BYTES);
    new Uint8Array(next).set(new Uint8Array(old));
    this.buffer = next;
    // Detach the old buffer as WebAssembly.Memory.grow does, so a stale view fails the same way
    // on every backend instead of silently writing to memory nobody reads.
    try {
      structuredClone(old, { transfer: [old] });
    } catch {
      /* no transfer support: the old buffer stays attached */
    }
    return oldPages;
  }
}
