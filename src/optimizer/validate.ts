// The checks every option is built from: a finite number, a bound, a boolean, and what the float32
// kernel will make of a number (Math.fround), each throwing a message that names the option and
// the value (src/optimizer/options.ts composes them into the options' declarations); which typed arrays and
// buffers are taken, from any realm; and a param's initial values.
import { formatValue } from '../util/format-value.js';

export function finiteNumber(name: string, x: unknown): number {
  if (typeof x !== 'number' || !Number.isFinite(x))
    throw new RangeError(`Invalid ${name}: ${formatValue(x)} (expected a finite number)`);
  return x;
}

export function atLeast(name: string, x: unknown, min: number): number {
  const v = finiteNumber(name, x);
  if (!(v >= min)) throw new RangeError(`Invalid ${name}: ${formatValue(x)} (expected >= ${min})`);
  return v;
}

// The kernel computes in float32: a value is checked as the kernel will use it, Math.fround(x).
const FLT_MAX = 3.4028234663852886e38;

export function float32Finite(name: string, x: number): number {
  if (!Number.isFinite(Math.fround(x)))
    throw new RangeError(
      `Invalid ${name}: ${formatValue(x)} (overflows float32, which the kernel computes in: at most ${FLT_MAX})`,
    );
  return x;
}

export function float32Nonzero(name: string, x: number): number {
  if (Math.fround(x) === 0)
    throw new RangeError(
      `Invalid ${name}: ${formatValue(x)} (is 0 in float32, which the kernel computes in: at least 2^-149)`,
    );
  return x;
}

// A decay factor that is 1 in float32 would make its average grow instead of decay (x·1 + (1-d)·g).
export function belowOneInFloat32(name: string, x: number): number {
  if (Math.fround(x) === 1)
    throw new RangeError(
      `Invalid ${name}: ${formatValue(x)} (is 1 in float32, which the kernel computes in, so the average would never decay: at most 0.99999994)`,
    );
  return x;
}

export function boolean(name: string, x: unknown): boolean {
  if (typeof x !== 'boolean') throw new TypeError(`Invalid ${name}: ${formatValue(x)} (expected true or false)`);
  return x;
}

/**
 * Whether x is a typed array of that kind, from this realm or another (a vm context, an iframe),
 * where `instanceof` says no.
 */
export function isTypedArray(
  x: unknown,
  kind: 'Float32Array' | 'Float64Array' | 'Uint8Array',
): x is ArrayLike<number> & ArrayBufferView {
  return ArrayBuffer.isView(x) && Object.prototype.toString.call(x) === `[object ${kind}]`;
}

/**
 * Whether a typed array's buffer is detached: transferred (postMessage), or a view of linear memory
 * that has grown since. Such a view reads as 0 elements.
 */
export function isDetached(x: ArrayBufferView): boolean {
  const buffer = x.buffer as ArrayBuffer & { detached?: boolean };
  if (typeof buffer.detached === 'boolean') return buffer.detached;
  if (x.byteLength !== 0) return false;
  try {
    new Uint8Array(buffer); // throws only on a detached buffer (Node 20 has no .detached)
    return false;
  } catch {
    return true;
  }
}

/** A parameter's initial values (copied into linear memory) or its length (zeros), checked. */
export function validateParamInit(init: unknown): { size: number; values: ArrayLike<number> | null } {
  if (typeof init === 'number') {
    if (!Number.isSafeInteger(init) || init < 0) {
      throw new RangeError(`Invalid param length: ${formatValue(init)} (expected a non-negative integer)`);
    }
    return { size: init, values: null };
  }
  if (isTypedArray(init, 'Float32Array') || isTypedArray(init, 'Float64Array')) {
    if (isDetached(init))
      throw new TypeError(
        `Invalid param init: ${formatValue(init)} whose buffer is detached (transferred, or a view of an optimizer's memory from before it grew: read param.data again)`,
      );
    return { size: init.length, values: init };
  }
  if (Array.isArray(init)) {
    for (let i = 0; i < init.length; i++) {
      if (typeof init[i] !== 'number') {
        throw new TypeError(`Invalid param init: element ${i} is ${formatValue(init[i])} (expected a number)`);
      }
    }
    return { size: init.length, values: init };
  }
  throw new TypeError(
    `Invalid param init: ${formatValue(init)} (expected a Float32Array, a Float64Array, an array of numbers or a length)`,
  );
}
