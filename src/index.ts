// radam-wasm: the RAdam optimizer on a fused WebAssembly SIMD kernel, with its kernels embedded in
// the JS (under the `workerd` condition: src/workerd.ts).
import { embeddedKernels } from './backends/embedded.js';
import { optimizersOn } from './entry.js';
import type { RAdam as Core } from './optimizer.js';

const classes = /* @__PURE__ */ optimizersOn(embeddedKernels);

/** RAdam, with its kernels embedded in the JS. */
export const RAdam = classes.RAdam;
export type RAdam = Core;

/**
 * Adam (torch.optim.Adam's update) on the same kernel: RAdam with `rectify: false` by default,
 * for fair comparisons and for users who want both from one library.
 */
export const Adam = classes.Adam;
export type Adam = Core;

export * from './public.js';
