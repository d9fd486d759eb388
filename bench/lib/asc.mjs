// Bench-only AssemblyScript modules (unroll variants, the roofline): compiled on demand from the
// repository root with the package's kernel options, and a bump allocator over their memory.
import asc from 'assemblyscript/asc';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Compiles `source` (relative to the root) with SIMD unless its .wasm is newer than it and than
 * `deps` (files it imports); returns the exports.
 */
export async function ascModule(source, log = () => {}, deps = []) {
  const wasm = source.replace(/\.ts$/, '.wasm');
  const out = path.join(ROOT, wasm);
  const newest = Math.max(...[source, ...deps].map((f) => fs.statSync(path.join(ROOT, f)).mtimeMs));
  if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < newest) {
    log(`compiling ${source}`);
    const { error, stderr } = await asc.main([
      source,
      '--baseDir',
      ROOT,
      '--enable',
      'simd',
      '--runtime',
      'stub',
      '--noAssert',
      '--use',
      'abort=',
      '-O3',
      '--outFile',
      wasm,
    ]);
    if (error) throw new Error(`asc failed: ${error.message}\n${stderr.toString()}`);
  }
  const { instance } = await WebAssembly.instantiate(fs.readFileSync(out), {});
  return instance.exports;
}

/** Bump allocator over a module's memory: four 64-byte aligned arrays of n floats (p, g, m, v). */
export function allocator(exports) {
  const mem = exports.memory;
  let top = Math.ceil(exports.heapBase() / 64) * 64;
  return (n) => {
    const stride = Math.ceil((n * 4) / 64) * 64;
    const base = top;
    top += 4 * stride;
    const need = Math.ceil(top / 65536) - mem.buffer.byteLength / 65536;
    if (need > 0) mem.grow(need);
    return { n, p: base, g: base + stride, m: base + 2 * stride, v: base + 3 * stride };
  };
}
