// Lookahead (Zhang et al. 2019, "Lookahead Optimizer: k steps forward, 1 step back"); with RAdam
// inside it is known as Ranger. Slow weights live in the optimizer's linear memory next to the
// params, and every k-th step the kernel pulls them towards the fast weights and resets the fast
// weights to them: s += alpha * (p - s); p = s.
import { formatValue } from './options.js';
import type { Param, RAdam, RAdamStateDict, StepResult } from './optimizer.js';
import type { StepOptions } from './options.js';

export interface LookaheadOptions {
  /** Fast steps per slow update, a positive integer. Default 6. */
  k?: number;
  /** How far the slow weights move towards the fast ones, in (0, 1]. Default 0.5. */
  alpha?: number;
}

/** A state dict of the inner optimizer plus Lookahead's own state. */
export interface LookaheadStateDict extends RAdamStateDict {
  lookahead: { k: number; alpha: number; counter: number; slow: Float32Array[] };
}

export class Lookahead {
  readonly k: number;
  readonly alpha: number;
  private counter = 0;

  constructor(readonly optimizer: RAdam, options: LookaheadOptions = {}) {
    const { k = 6, alpha = 0.5 } = options;
    if (!Number.isSafeInteger(k) || k < 1) throw new RangeError(`Invalid Lookahead k: ${formatValue(k)} (expected a positive integer)`);
    if (typeof alpha !== 'number' || !(alpha > 0 && alpha <= 1)) throw new RangeError(`Invalid Lookahead alpha: ${formatValue(alpha)} (expected 0 < alpha <= 1)`);
    this.k = k;
    this.alpha = alpha;
    for (const p of optimizer.params) optimizer._ensureSlow(p);
  }

  /** Fast steps taken since the last slow update. */
  get stepsSinceSync(): number {
    return this.counter;
  }

  /** One step of the inner optimizer; every k-th, the slow update. A skipped step does not count. */
  step(options?: StepOptions): StepResult {
    const opt = this.optimizer;
    for (const p of opt.params) opt._ensureSlow(p); // params added since start from their values
    const result = opt.step(options);
    if (!result.skipped && ++this.counter === this.k) {
      opt._lookaheadSync(this.alpha);
      this.counter = 0;
    }
    return result;
  }

  zeroGrad(): void {
    this.optimizer.zeroGrad();
  }

  /** The slow weights of a param of the inner optimizer (a live view). */
  slowWeights(param: Param): Float32Array {
    this.optimizer._ensureSlow(param);
    return param._slow!;
  }

  stateDict(): LookaheadStateDict {
    const params = this.optimizer.params;
    return {
      ...this.optimizer.stateDict(),
      lookahead: { k: this.k, alpha: this.alpha, counter: this.counter, slow: params.map((p) => this.slowWeights(p).slice()) },
    };
  }

  /** Restores the inner optimizer's state and Lookahead's; checks everything first, changes nothing on error. */
  loadStateDict(sd: LookaheadStateDict): void {
    const la = sd?.lookahead;
    if (la === null || typeof la !== 'object') throw new TypeError('Lookahead.loadStateDict: the state dict has no "lookahead" part');
    if (la.k !== this.k || la.alpha !== this.alpha) {
      throw new RangeError(`Lookahead.loadStateDict: saved with k ${formatValue(la.k)}, alpha ${formatValue(la.alpha)}; this Lookahead has k ${this.k}, alpha ${this.alpha}`);
    }
    if (!Number.isSafeInteger(la.counter) || la.counter < 0 || la.counter >= this.k) {
      throw new RangeError(`Lookahead.loadStateDict: counter ${formatValue(la.counter)} (expected 0 <= counter < k)`);
    }
    const params = this.optimizer.params;
    if (!Array.isArray(la.slow) || la.slow.length !== params.length) {
      throw new RangeError(`Lookahead.loadStateDict: slow weights for ${Array.isArray(la.slow) ? la.slow.length : formatValue(la.slow)} params, the optimizer has ${params.length}`);
    }
    const slow = params.map((p, i) => {
      const a = la.slow[i] as unknown;
      if (!(a instanceof Float32Array || Array.isArray(a)) || a.length !== p.size) {
        throw new RangeError(`Lookahead.loadStateDict: slow weights of param ${i} have ${(a as { length?: number })?.length ?? formatValue(a)} elements, the param has ${p.size}`);
      }
      return Float32Array.from(a as ArrayLike<number>);
    });
    this.optimizer.loadStateDict(sd); // checks its part before changing anything
    params.forEach((p, i) => this.slowWeights(p).set(slow[i]));
    this.counter = la.counter;
  }
}
