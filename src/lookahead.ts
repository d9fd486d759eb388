// Lookahead (Zhang et al. 2019, "Lookahead Optimizer: k steps forward, 1 step back"); with RAdam
// inside it is known as Ranger. Slow weights live in the optimizer's linear memory next to the
// params, and every k-th step the kernel pulls them towards the fast weights and resets the fast
// weights to them: s += alpha * (p - s); p = s.
import type { Bytes } from './bytes.js';
import { hooksOf, type Hooks } from './hooks.js';
import { formatValue, validateStepOptions, type StepOptions } from './options.js';
import type { Param, RAdam } from './optimizer.js';
import { float32Array, type RAdamStateDict } from './state.js';
import type { StepResult } from './step.js';

/** The options of {@link Lookahead}. */
export interface LookaheadOptions {
  /** Fast steps per slow update, a positive integer. Default 6. */
  k?: number;
  /** How far the slow weights move towards the fast ones, in (0, 1]. Default 0.5. */
  alpha?: number;
}

/** A state dict of the inner optimizer plus Lookahead's own state. */
export interface LookaheadStateDict extends RAdamStateDict {
  /** Lookahead's own state. */
  lookahead: {
    /** Its `k`: loading checks it against the Lookahead's. */
    k: number;
    /** Its `alpha`: loading checks it against the Lookahead's. */
    alpha: number;
    /** Fast steps since the last slow update ({@link Lookahead.stepsSinceSync}). */
    counter: number;
    /** The slow weights, one array per param of the inner optimizer, in its `params` order. */
    slow: Float32Array[];
  };
}

/**
 * Lookahead (Zhang et al. 2019) around an optimizer: every `k` applied steps, the slow weights
 * move `alpha` of the way towards the params and the params are reset to them. With RAdam inside
 * it is known as Ranger. The slow weights live next to the params, and the kernel does the update.
 *
 * @example
 * ```ts
 * import { Lookahead, RAdam } from 'radam-wasm';
 *
 * const opt = await RAdam.create({ lr: 1e-3 });
 * const w = opt.addParam(new Float32Array(1024));
 * const ranger = new Lookahead(opt, { k: 6, alpha: 0.5 });
 * // each iteration: write w.grad, then
 * ranger.step();
 * const bytes = ranger.saveState(); // the optimizer's checkpoint with the slow weights in it
 * ranger.loadState(bytes);
 * ```
 */
export class Lookahead {
  /** Fast steps per slow update. */
  readonly k: number;
  /** How far the slow weights move towards the fast ones at each slow update. */
  readonly alpha: number;
  private counter = 0;
  private readonly hooks: Hooks<Param>;

  /** Wraps `optimizer`; the slow weights start from the params' current values. */
  constructor(
    /** The inner optimizer, which steps the params. */
    readonly optimizer: RAdam,
    options: LookaheadOptions = {},
  ) {
    const { k = 6, alpha = 0.5 } = options ?? {};
    if (!Number.isSafeInteger(k) || k < 1)
      throw new RangeError(`Invalid Lookahead k: ${formatValue(k)} (expected a positive integer)`);
    if (typeof alpha !== 'number' || !(alpha > 0 && alpha <= 1))
      throw new RangeError(`Invalid Lookahead alpha: ${formatValue(alpha)} (expected 0 < alpha <= 1)`);
    this.hooks = hooksOf<Param>(optimizer);
    this.hooks.ensureSlow(optimizer.params, true);
    this.k = k;
    this.alpha = alpha;
  }

  /** Fast steps taken since the last slow update. */
  get stepsSinceSync(): number {
    return this.counter;
  }

  /** One step of the inner optimizer; every k-th applied one, the slow update (skipped steps and accumulating calls do not count). */
  step(options?: StepOptions): StepResult {
    validateStepOptions(options, 'step');
    const opt = this.optimizer;
    this.hooks.ensureSlow(opt.params, false); // params added since start from their current values
    const result = opt.step(options);
    if (result.applied && ++this.counter === this.k) {
      this.hooks.lookaheadSync(this.alpha);
      this.counter = 0;
    }
    return result;
  }

  /** Zeroes the gradients of the inner optimizer's params. */
  zeroGrad(): void {
    this.optimizer.zeroGrad();
  }

  /** The slow weights of a param of the inner optimizer (a live view). */
  slowWeights(param: Param): Float32Array {
    this.hooks.ensureSlow([param], false);
    return this.hooks.slow(param);
  }

  /** The inner optimizer's state dict with Lookahead's state (copies). */
  stateDict(): LookaheadStateDict {
    const params = this.optimizer.params;
    return {
      ...this.optimizer.stateDict(),
      lookahead: {
        k: this.k,
        alpha: this.alpha,
        counter: this.counter,
        slow: params.map((p) => this.slowWeights(p).slice()),
      },
    };
  }

  /** Restores the inner optimizer's state and Lookahead's; checks everything first, changes nothing on error. */
  loadStateDict(sd: LookaheadStateDict): void {
    const apply = this.check(sd?.lookahead, 'loadStateDict');
    this.optimizer.loadStateDict(sd); // checks its part before changing anything
    apply();
  }

  /** A binary checkpoint of the optimizer (see RAdam.saveState) with Lookahead's state in it. */
  saveState(options: { includeParams?: boolean } = {}): Bytes {
    const params = this.optimizer.params;
    return this.hooks.saveState(options, {
      k: this.k,
      alpha: this.alpha,
      counter: this.counter,
      slow: params.map((p) => this.slowWeights(p).slice()),
    });
  }

  /** Restores a checkpoint from Lookahead.saveState; checks everything first, changes nothing on error. */
  loadState(bytes: Uint8Array): void {
    this.hooks.loadState(bytes, ({ lookahead }) => this.check(lookahead ?? undefined, 'loadState'));
  }

  // Checks Lookahead's part of a saved state; returns what applies it.
  private check(la: LookaheadStateDict['lookahead'] | undefined, where: string): () => void {
    where = `Lookahead.${where}`;
    if (la === null || typeof la !== 'object')
      throw new TypeError(`${where}: no Lookahead state in it (saved from a plain optimizer?)`);
    if (la.k !== this.k || la.alpha !== this.alpha) {
      throw new RangeError(
        `${where}: saved with k ${formatValue(la.k)}, alpha ${formatValue(la.alpha)}; this Lookahead has k ${this.k}, alpha ${this.alpha}`,
      );
    }
    if (!Number.isSafeInteger(la.counter) || la.counter < 0 || la.counter >= this.k) {
      throw new RangeError(`${where}: counter ${formatValue(la.counter)} (expected 0 <= counter < k)`);
    }
    const params = this.optimizer.params;
    this.hooks.ensureSlow(params, false); // so that applying cannot fail
    if (!Array.isArray(la.slow) || la.slow.length !== params.length) {
      throw new RangeError(
        `${where}: slow weights for ${Array.isArray(la.slow) ? la.slow.length : formatValue(la.slow)} params, the optimizer has ${params.length}`,
      );
    }
    const slow = params.map((p, i) => float32Array(la.slow[i], p.size, `${where}: the slow weights of param ${i}`));
    return () => {
      params.forEach((p, i) => this.slowWeights(p).set(slow[i]));
      this.counter = la.counter;
    };
  }
}
