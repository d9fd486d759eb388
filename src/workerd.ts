// The `workerd` export condition: Cloudflare Workers forbid compiling WebAssembly from bytes at
// run time, so this entry imports the kernels as .wasm modules (compiled when the worker is
// deployed, as xxhash-wasm does). Everything else is shared with the default entry.
import { RAdam as Core } from './optimizer.js';
import type { KernelSource } from './backends/wasm.js';
import scalar from './radam.scalar.wasm';
import simd from './radam.simd.wasm';

const workerdKernels: KernelSource = { simd: async () => simd, scalar: async () => scalar };

/** RAdam, with its kernels imported as WebAssembly modules. */
export class RAdam extends Core {
  static override kernels: KernelSource | null = workerdKernels;
}

/**
 * Adam (torch.optim.Adam's update) on the same kernel: RAdam with `rectify: false` by default,
 * for fair comparisons and for users who want both from one library.
 */
export class Adam extends RAdam {
  static override defaults = { rectify: false };
}

export * from './public.js';
