// The `workerd` export condition: Cloudflare Workers forbid compiling WebAssembly from bytes at
// run time, so this entry imports the kernels as .wasm modules (compiled when the worker is
// deployed, as xxhash-wasm does). Everything else is shared with the default entry.
import type { KernelSource } from './backends/wasm.js';
import { optimizersOn } from './optimizer/classes.js';
import type { RAdam as RAdamClass } from './optimizer/radam.js';
import scalar from './radam.scalar.wasm';
import simd from './radam.simd.wasm';

const workerdKernels: KernelSource = { simd: async () => simd, scalar: async () => scalar };
const classes = /* @__PURE__ */ optimizersOn(workerdKernels);

/** RAdam, with its kernels imported as WebAssembly modules. */
export const RAdam = classes.RAdam;
export type RAdam = RAdamClass;

/** Adam (torch.optim.Adam's update) on the same kernel: RAdam with `rectify: false` by default. */
export const Adam = classes.Adam;
export type Adam = RAdamClass;

export * from './optimizer/public.js';
