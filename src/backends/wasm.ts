// Loads the kernels with the standard WebAssembly API from bytes embedded in the JS.
// (@assemblyscript/loader is deprecated upstream and would only add glue: the kernels take
// plain integer addresses and export their memory, so nothing needs marshalling.)
import type { Kernel } from './kernel.js';

export type WasmBackend = 'simd' | 'scalar';

const EXPORT: Record<WasmBackend, string> = { simd: 'radam_f32_simd_u4', scalar: 'radam_f32_scalar' };
// Each build's bytes are a module of their own, loaded only when that backend is asked for.
const BYTES: Record<WasmBackend, () => Promise<{ WASM_BASE64: string }>> = {
  simd: () => import('./simd-bytes.js'),
  scalar: () => import('./scalar-bytes.js'),
};
const compiled: Partial<Record<WasmBackend, Promise<WebAssembly.Module>>> = {};
const modules: Partial<Record<WasmBackend, WebAssembly.Module>> = {}; // the settled ones, for sync use
// One instance made ahead, asynchronously, per build: Chrome refuses a synchronous
// `new WebAssembly.Instance` of a module over 4 KB on the main thread.
const spares: Partial<Record<WasmBackend, WebAssembly.Instance>> = {};

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const s = atob(base64);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}

export function hasWebAssembly(): boolean {
  return typeof WebAssembly === 'object' && typeof WebAssembly.validate === 'function';
}

const bytes = async (backend: WasmBackend) => decode((await BYTES[backend]()).WASM_BASE64);

const supported: Partial<Record<WasmBackend, Promise<boolean>>> = {};

/** Whether this runtime accepts the build: the SIMD build fails validation where 128-bit SIMD is missing. */
export function wasmSupported(backend: WasmBackend): Promise<boolean> {
  return (supported[backend] ??= (async () => {
    try {
      return hasWebAssembly() && WebAssembly.validate(await bytes(backend));
    } catch {
      return false;
    }
  })());
}

/** Compiles the build once per process; throws where compiling is forbidden (e.g. by a CSP). */
export function compileWasm(backend: WasmBackend): Promise<WebAssembly.Module> {
  let m = compiled[backend];
  if (!m) {
    m = bytes(backend).then((b) => WebAssembly.compile(b)).then(async (module) => {
      spares[backend] = await WebAssembly.instantiate(module, {});
      modules[backend] = module;
      return module;
    });
    compiled[backend] = m;
    m.catch(() => { delete compiled[backend]; }); // a failure may be retried
  }
  return m;
}

function refill(backend: WasmBackend): void {
  WebAssembly.instantiate(modules[backend]!, {}).then((instance) => { spares[backend] ??= instance; }, () => {});
}

/** A fresh instance (with its own memory) of a build that compileWasm has compiled. */
export function createWasmKernel(backend: WasmBackend): Kernel {
  const module = modules[backend];
  if (!module) throw new Error(`the ${backend} build is not compiled yet`);
  let instance = spares[backend];
  if (instance) {
    delete spares[backend];
    refill(backend);
  } else {
    instance = new WebAssembly.Instance(module, {});
  }
  const exports = instance.exports as Record<string, unknown>;
  const step = exports[EXPORT[backend]] as (table: number, count: number) => void;
  return {
    backend,
    memory: exports.memory as WebAssembly.Memory,
    heapBase: (exports.heapBase as () => number)(),
    step,
  };
}
