// Lookahead (Zhang et al. 2019, "Lookahead Optimizer: k steps forward, 1 step back"); with RAdam
// inside it is known as Ranger. Slow weights live in the optimizer's linear memory next to the
// params, and every k-th step the kernel pulls them towards the fast weights and resets the fast
// weights to them: s += alpha * (p - s); p = s.
import type { Bytes } from './bytes.js';
import { hooksOf, type Hooks } from './internals.js';
import { formatValue } from '../util/format-value.js';
import { validateStepOptions, type StepOptions } from './options.js';
import type { Param, RAdam } from './radam.js';
import { float32Array, jsonSafe, type RAdamStateDict } from '../state/state-dict.js';
import type { StepResult } from '../pipeline/step.js';

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
    /**
     * The slow weights, one array per param of the inner optimizer, in its `params` order; null for
     * a param added since the last step, which has none yet (it gets its values at the next step).
     */
    slow: (Float32Array | null)[];
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
  /** Params whose slow weights are to be their values at the next step (loaded as having none yet). */
  readonly #fresh = new Set<Param>();
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
    this.optimizer._check();
    return this.counter;
  }

  /** One step of the inner optimizer; every k-th applied one, the slow update (skipped steps and accumulating calls do not count). */
  step(options?: StepOptions): StepResult {
    validateStepOptions(options, 'step');
    const opt = this.optimizer;
    this.hooks.ensureSlow(opt.params, false); // params added since start from their current values
    this.#takeValues();
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
    this.#takeValues(param);
    return this.hooks.slow(param)!;
  }

  /** The inner optimizer's state dict with Lookahead's state (copies). */
  stateDict(): LookaheadStateDict {
    return { ...this.optimizer.stateDict(), lookahead: jsonSafe(this.#saved()) };
  }

  /** Restores the inner optimizer's state and Lookahead's; checks everything first, changes nothing on error. */
  loadStateDict(sd: LookaheadStateDict): void {
    this.optimizer._check();
    if (sd === null || typeof sd !== 'object')
      throw new TypeError(`Lookahead.loadStateDict: expected a state dict object, got ${formatValue(sd)}`);
    const { lookahead, ...inner } = sd;
    const applyInner = this.hooks.checkStateDict(inner as RAdamStateDict, 'Lookahead.loadStateDict');
    const apply = this.check(lookahead, 'loadStateDict');
    apply(); // first: it may allocate slow weights; nothing else has changed yet if that fails
    applyInner();
  }

  /** A binary checkpoint of the optimizer (see RAdam.saveState) with Lookahead's state in it. */
  saveState(options: { includeParams?: boolean } = {}): Bytes {
    return this.hooks.saveState(options, this.#saved());
  }

  // Saving changes nothing: a param added since the last step has no slow weights yet (its next
  // step gives it its values then), and saves its current values, which a resume starts from.
  #saved(): LookaheadStateDict['lookahead'] {
    const slow = this.optimizer.params.map((p) => (this.#fresh.has(p) ? null : (this.hooks.slow(p)?.slice() ?? null)));
    return { k: this.k, alpha: this.alpha, counter: this.counter, slow };
  }

  /** Restores a checkpoint from Lookahead.saveState; checks everything first, changes nothing on error. */
  loadState(bytes: Uint8Array | ArrayBuffer): void {
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
    if (!Array.isArray(la.slow) || la.slow.length !== params.length) {
      throw new RangeError(
        `${where}: slow weights for ${Array.isArray(la.slow) ? la.slow.length : formatValue(la.slow)} params, the optimizer has ${params.length}`,
      );
    }
    const slow = params.map((p, i) =>
      la.slow[i] === null ? null : float32Array(la.slow[i], p.size, `${where}: the slow weights of param ${i}`),
    );
    return () => {
      this.hooks.ensureSlow(
        params.filter((_, i) => slow[i]),
        false,
      ); // all or nothing
      this.#fresh.clear();
      params.forEach((p, i) => {
        if (slow[i]) this.hooks.slow(p)!.set(slow[i]);
        else if (this.hooks.slow(p)) this.#fresh.add(p); // it has some: they become its values at the next step
      });
      this.counter = la.counter;
    };
  }

  // Params loaded as having no slow weights yet whose slow weights exist here: their values now.
  #takeValues(only?: Param): void {
    for (const p of only ? [only] : this.#fresh) {
      if (this.#fresh.delete(p)) this.hooks.slow(p)?.set(p.data);
    }
  }
}
