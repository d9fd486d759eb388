// radam-wasm: the RAdam optimizer on a fused WebAssembly SIMD kernel, with its kernels embedded in
// the JS (under the `workerd` condition: src/workerd.ts, the same API).
/**
 * RAdam (torch.optim.RAdam's update) and Adam on `Float32Array`s, in one fused WebAssembly SIMD
 * kernel; Lookahead, state dicts and binary checkpoints, and the step's scalars. The tfjs optimizer
 * is in `radam-wasm/tfjs`, the learning-rate schedules in `radam-wasm/schedules`.
 *
 * @module radam-wasm
 */
import { embeddedKernels } from './backends/embedded.js';
import { optimizersOn } from './optimizer/classes.js';
import type { RAdam as RAdamClass } from './optimizer/radam.js';

const classes = /* @__PURE__ */ optimizersOn(embeddedKernels);

/**
 * The RAdam optimizer (torch.optim.RAdam's update, with its options), over params that live in the
 * optimizer's linear memory: write each param's gradient into `param.grad`, and `step()` updates
 * every param in one kernel call. Its kernels are embedded in the JS: nothing to fetch or configure.
 *
 * Create it with {@link RAdam.create} (or {@link RAdam.createSync} after {@link RAdam.ready}), not
 * with `new`; {@link RAdam.dispose} releases its memory.
 *
 * @example
 * ```ts
 * import { RAdam } from 'radam-wasm';
 *
 * const opt = await RAdam.create({ lr: 1e-3, weightDecay: 0.01 });
 * const w = opt.addParam(new Float32Array([0.5, -0.25])); // copied into the optimizer
 * w.grad.set([0.1, -0.2]); // the gradient, from your model
 * opt.step(); // w.data is updated in place
 *
 * const bytes = opt.saveState({ includeParams: true }); // a versioned binary checkpoint
 * opt.loadState(bytes); // restores it; a mismatched or corrupt one throws and changes nothing
 * ```
 * @class
 */
export const RAdam = classes.RAdam;
export type RAdam = RAdamClass;

/**
 * Adam (torch.optim.Adam's update) on the same kernel: {@link RAdam} with `rectify: false` by
 * default, for fair comparisons and for users who want both from one library. Every member is
 * RAdam's.
 *
 * @example
 * ```ts
 * import { Adam } from 'radam-wasm';
 *
 * const opt = await Adam.create({ lr: 1e-3, betas: [0.9, 0.999] });
 * ```
 * @class
 */
export const Adam = classes.Adam;
export type Adam = RAdamClass;

export * from './optimizer/public.js';
