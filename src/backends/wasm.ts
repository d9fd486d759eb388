// Loads the kernels with the standard WebAssembly API. Where the module comes from is the entry
// point's business (a KernelSource): bytes embedded in the JS (src/backends/embedded.ts) or, on
// Cloudflare workerd, which forbids compiling bytes at run time, .wasm modules (src/workerd.ts).
// (@assemblyscript/loader is deprecated upstream and would only add glue: the kernels take plain
// integer addresses and export their memory, so nothing needs marshalling.)
import type { Bytes } from '../optimizer/bytes.js';
import { EXPORTS, type Kernel } from './kernel.js';

type WasmBackend = 'simd' | 'scalar';

type ModuleLoader = () => Promise<Bytes | WebAssembly.Module>;
/** Per build: its bytes, or the module already compiled; `shared`: the simd build over an imported shared memory (threads). */
export type KernelSource = Record<WasmBackend, ModuleLoader> & { shared?: ModuleLoader };

interface Loaded {
  supported?: Promise<boolean>;
  compiled?: Promise<WebAssembly.Module>;
  module?: WebAssembly.Module; // settled, for synchronous use
  // One instance made ahead, asynchronously: Chrome refuses a synchronous
  // `new WebAssembly.Instance` of a module over 4 KB on the main thread.
  spare?: WebAssembly.Instance;
}
const loaded = new WeakMap<KernelSource, Record<WasmBackend, Loaded>>();
const state = (source: KernelSource, backend: WasmBackend): Loaded => {
  let s = loaded.get(source);
  if (!s) loaded.set(source, (s = { simd: {}, scalar: {} }));
  return s[backend];
};

export function hasWebAssembly(): boolean {
  return typeof WebAssembly === 'object' && typeof WebAssembly.validate === 'function';
}

/** Whether this runtime accepts the build: the SIMD build fails validation where 128-bit SIMD is missing. */
export function wasmSupported(source: KernelSource, backend: WasmBackend): Promise<boolean> {
  const s = state(source, backend);
  return (s.supported ??= (async () => {
    try {
      if (!hasWebAssembly()) return false;
      const m = await source[backend]();
      return m instanceof WebAssembly.Module || WebAssembly.validate(m);
    } catch {
      return false;
    }
  })());
}

/** Compiles the build once per process; throws where compiling is forbidden (e.g. by a CSP). */
export function compileWasm(source: KernelSource, backend: WasmBackend): Promise<WebAssembly.Module> {
  const s = state(source, backend);
  if (!s.compiled) {
    s.compiled = source[backend]()
      .then((m) => (m instanceof WebAssembly.Module ? m : WebAssembly.compile(m)))
      .then(async (module) => {
        s.spare = await WebAssembly.instantiate(module, {});
        s.module = module;
        return module;
      });
    s.compiled.catch(() => {
      delete s.compiled;
    }); // a failure may be retried
  }
  return s.compiled;
}

function kernelOf(backend: WasmBackend, exports: Record<string, unknown>, memory: WebAssembly.Memory): Kernel {
  return {
    backend,
    memory,
    heapBase: (exports[EXPORTS.heapBase] as () => number)(),
    step: exports[EXPORTS.step] as (table: number, count: number) => void,
    firstNonFinite: exports[EXPORTS.firstNonFinite] as (table: number, count: number) => number,
    gradSumSq: exports[EXPORTS.gradSumSq] as (table: number, count: number) => void,
    lookaheadSync: exports[EXPORTS.lookaheadSync] as (table: number, count: number, alpha: number) => void,
    accumulate: exports[EXPORTS.accumulate] as (table: number, count: number) => void,
  };
}

const sharedModules = new WeakMap<KernelSource, Promise<WebAssembly.Module>>();

/** The simd kernel over a new shared memory (up to 4 GiB), and its module for the worker threads. */
export async function createSharedKernel(
  source: KernelSource,
): Promise<{ kernel: Kernel; module: WebAssembly.Module }> {
  const load = source.shared;
  if (!load) throw new Error('this entry point has no shared-memory build (threads)');
  let compiled = sharedModules.get(source);
  if (!compiled) {
    compiled = load().then((m) => (m instanceof WebAssembly.Module ? m : WebAssembly.compile(m)));
    sharedModules.set(source, compiled);
    compiled.catch(() => sharedModules.delete(source));
  }
  const module = await compiled;
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  return { kernel: kernelOf('simd', instance.exports as Record<string, unknown>, memory), module };
}

/** A fresh instance (with its own memory) of a build that compileWasm has compiled. */
export function createWasmKernel(source: KernelSource, backend: WasmBackend): Kernel {
  const s = state(source, backend);
  if (!s.module) throw new Error(`the ${backend} build is not compiled yet`);
  let instance = s.spare;
  if (instance) {
    s.spare = undefined;
    WebAssembly.instantiate(s.module, {}).then(
      (i) => {
        s.spare ??= i;
      },
      () => {},
    );
  } else {
    instance = new WebAssembly.Instance(s.module, {});
  }
  const exports = instance.exports as Record<string, unknown>;
  return kernelOf(backend, exports, exports.memory as WebAssembly.Memory);
}
