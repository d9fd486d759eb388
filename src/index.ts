// radam-wasm: the RAdam optimizer on a fused WebAssembly SIMD kernel.
import { RAdam as Core } from './optimizer.js';
import { embeddedKernels } from './backends/embedded.js';
import type { KernelSource } from './backends/wasm.js';

// Each entry point names where its kernels come from as a static field of its own RAdam class:
// plain data flow, so a bundler cannot drop it as a side effect (the workerd entry does the same
// with .wasm modules).
/** RAdam, with its kernels embedded in the JS. */
export class RAdam extends Core {
  static override kernels: KernelSource | null = embeddedKernels;
}

/**
 * Adam (torch.optim.Adam's update) on the same kernel: RAdam with `rectify: false` by default,
 * for fair comparisons and for users who want both from one library.
 */
export class Adam extends RAdam {
  static override defaults = { rectify: false };
}

export * from './public.js';
