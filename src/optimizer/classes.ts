// The classes every entry point exports, built from where that entry's kernels come from
// (src/index.ts: embedded in the JS; src/workerd.ts: .wasm modules). The kernel source is a static
// field of the entry's own class: plain data flow, so no bundler can drop it as a side effect.
import type { KernelSource } from '../backends/wasm.js';
import { RAdam as Base } from './radam.js';
import type { Hyperparameters } from './options.js';

/** torch.optim.Adam's update on the same kernel: RAdam without the rectification. */
const ADAM_DEFAULTS: Partial<Hyperparameters> = Object.freeze({ rectify: false });

export function optimizersOn(kernels: KernelSource): { RAdam: typeof Base; Adam: typeof Base } {
  class RAdam extends Base {
    static override kernels: KernelSource | null = kernels;
  }
  class Adam extends RAdam {
    static override defaults = ADAM_DEFAULTS;
  }
  return { RAdam, Adam };
}
