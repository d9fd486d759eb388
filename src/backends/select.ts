// Backend selection: which kernel a choice resolves to in this runtime, loading it once per
// process (ready), creating kernels from it, and how many threads a step may use.
import { createJsKernel } from './js.js';
import type { Kernel } from './kernel.js';
import {
  compileWasm,
  createSharedKernel,
  createWasmKernel,
  hasWebAssembly,
  wasmSupported,
  type KernelSource,
} from './wasm.js';
import { validateBackend, type Backend, type BackendChoice } from '../optimizer/options.js';
import type { ThreadPool } from '../threads/pool.js';

interface Loading {
  ready: Partial<Record<BackendChoice, Promise<Backend>>>;
  settled: Partial<Record<BackendChoice, Backend>>;
}
const NO_KERNELS = {} as KernelSource;
const loadings = new WeakMap<KernelSource, Loading>();
function loading(source: KernelSource | null): Loading {
  const key = source ?? NO_KERNELS;
  let l = loadings.get(key);
  if (!l) loadings.set(key, (l = { ready: {}, settled: {} }));
  return l;
}

/** RAdam.ready: loads and compiles the kernel a choice resolves to, once per process and source. */
export function ready(source: KernelSource | null, backend: BackendChoice): Promise<Backend> {
  let choice: BackendChoice;
  try {
    choice = validateBackend(backend);
  } catch (e) {
    return Promise.reject(e);
  }
  const r = loading(source);
  return (r.ready[choice] ??= resolveBackend(source, choice).then(
    (b) => (r.settled[choice] = b),
    (e) => {
      delete r.ready[choice];
      throw e;
    },
  ));
}

/** A kernel for a choice that `ready` has loaded. */
export function createKernelSync(source: KernelSource | null, choice: BackendChoice): Kernel {
  const backend = choice === 'js' ? 'js' : loading(source).settled[choice];
  if (!backend)
    throw new Error(`RAdam.createSync: backend '${choice}' is not loaded yet: await RAdam.ready('${choice}') first`);
  return backend === 'js' ? createJsKernel() : createWasmKernel(source!, backend);
}

/**
 * With more than one thread: the shared-memory kernel and its worker pool; null for one thread
 * (then `ready(choice)` has been awaited). threads 'auto' falls back to one thread where workers
 * cannot start.
 */
export async function createThreaded(
  source: KernelSource | null,
  choice: BackendChoice,
  asked: number | 'auto',
): Promise<{ kernel: Kernel; pool: ThreadPool } | null> {
  const threads = await resolveThreads(asked, choice, source);
  if (threads > 1) {
    try {
      const { kernel, module } = await createSharedKernel(source!);
      const { ThreadPool } = await import('../threads/pool.js');
      const pool = await ThreadPool.create(threads - 1, module, kernel.memory as WebAssembly.Memory);
      return { kernel, pool };
    } catch (e) {
      if (asked !== 'auto') throw e; // 'auto': where workers cannot start (e.g. their script is missing), one thread
    }
  }
  await ready(source, choice);
  return null;
}

/** The number of threads to use, checking what the runtime offers; starts nothing. */
async function resolveThreads(
  threads: number | 'auto',
  backend: BackendChoice,
  source: KernelSource | null,
): Promise<number> {
  if (threads === 1) return 1;
  const { hardwareThreads, sharedMemoryAvailable } = await import('../threads/pool.js');
  const usable =
    sharedMemoryAvailable() &&
    source?.shared !== undefined &&
    (backend === 'auto' || backend === 'simd') &&
    hasWebAssembly() &&
    source !== null &&
    (await wasmSupported(source, 'simd'));
  const cores = await hardwareThreads();
  if (threads === 'auto') return usable ? Math.max(1, Math.min(4, cores ?? 1)) : 1;
  if (!usable) {
    throw new Error(
      `threads: ${threads} needs shared memory (in browsers: a cross-origin isolated page), WebAssembly SIMD and backend 'simd' or 'auto'`,
    );
  }
  // More threads than cores make every step far slower (64 on 2 cores: ~200x), never faster. A
  // runtime that does not report its count gets what was asked for.
  if (cores !== null && threads > cores) {
    throw new RangeError(
      `Invalid threads: ${threads} (this machine has ${cores} hardware threads: use at most ${cores}, or 'auto')`,
    );
  }
  return threads;
}

async function resolveBackend(source: KernelSource | null, choice: BackendChoice): Promise<Backend> {
  if (choice === 'js') return 'js';
  const usable = source !== null && hasWebAssembly();
  if (choice === 'auto') {
    for (const b of ['simd', 'scalar'] as const) {
      if (!usable || !(await wasmSupported(source, b))) continue;
      try {
        await compileWasm(source, b);
        return b;
      } catch {
        /* e.g. a content security policy that forbids compiling WebAssembly: try the next */
      }
    }
    return 'js';
  }
  if (!usable)
    throw new Error(`backend '${choice}' needs WebAssembly, which this runtime does not provide (use 'js' or 'auto')`);
  if (!(await wasmSupported(source, choice)))
    throw new Error(`backend '${choice}': this runtime rejects the ${choice} build (use 'auto' to fall back)`);
  await compileWasm(source, choice);
  return choice;
}
