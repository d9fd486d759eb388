// The weight EMA outside the kernel (which updates it in the fused step): exchanging the averages
// with the params, for evaluating with the averaged weights.
import { P_EMA, P_PARAM } from '../pipeline/layout.js';
import type { Stepper } from '../pipeline/step.js';
import type { StepTable } from '../pipeline/table.js';

/** Exchanges every param's values with its EMA, in place (views held by the caller stay valid). */
export function swapEma(table: StepTable, stepper: Stepper): void {
  if (!stepper.ema) throw new Error('swapEma: this optimizer keeps no EMA (create it with the ema option)');
  let scratch = new Float32Array(0);
  for (const slot of table.slots) {
    const p = table.view(slot, P_PARAM)!,
      a = table.view(slot, P_EMA)!;
    if (scratch.length < p.length) scratch = new Float32Array(p.length);
    const tmp = scratch.subarray(0, p.length);
    tmp.set(p);
    p.set(a);
    a.set(tmp);
  }
  stepper.emaSwapped = !stepper.emaSwapped;
}

/**
 * withEma's contract, for the core and the tfjs adapter: swapIn, run `fn`, swapOut after it, also
 * when it throws; an async `fn` (a thenable) is swapped back when it settles, and its promise returned.
 */
export function withSwapped<T>(swapIn: () => void, swapOut: () => void, fn: () => T): T {
  swapIn();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    swapOut();
    throw e;
  }
  if (typeof (result as { then?: unknown } | null)?.then === 'function')
    return Promise.resolve(result).finally(swapOut) as unknown as T;
  swapOut();
  return result;
}
