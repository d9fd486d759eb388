// What every schedule shares: recognising an optimizer structurally (the schedules never import the
// optimizer at run time, so that importing them costs only their own code), torch's per-group
// `initial_lr`, and option validation whose messages name the value.
import { formatValue } from '../util/format-value.js';

export { formatValue };

/**
 * What a schedule drives: a RAdam or Adam (every group's `lr`) or the tfjs adapter's
 * RAdamOptimizer (its `learningRate`, as one group). Recognised by shape, not by class.
 */
export type Schedulable =
  | {
      /** The parameter groups (RAdam's, Adam's): at least one, each with its own lr. */
      readonly groups: readonly {
        /** The group's learning rate, which the schedule reads and writes. */
        lr: number;
      }[];
    }
  | {
      /** The learning rate of the tfjs RAdamOptimizer (its single group), read and written by the schedule. */
      learningRate: number;
    };

/** One group's lr, read and written through the optimizer's public API. */
export interface LrSlot {
  /** The object torch would keep `initial_lr` in: the group (the tfjs optimizer, which has one). */
  readonly key: object;
  lr: number;
}

/**
 * torch keeps `initial_lr` in each param group: the first schedule built on an optimizer records
 * it, later ones take their base lrs from it (and SequentialLR resets to it). Kept here, per group
 * object, and shared by every schedule on that optimizer.
 */
export const initialLrs: WeakMap<object, number> = /* @__PURE__ */ new WeakMap();

const isObject = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object';

/**
 * The lr slots of an optimizer; a TypeError naming what was given if it is not one, an Error if it
 * does not have the `groups` groups the schedule was built for.
 */
export function slotsOf(where: string, opt: unknown, groups?: number): LrSlot[] {
  const slots = lrSlots(where, opt);
  if (groups !== undefined && slots.length !== groups) {
    throw new Error(
      `${where}: the optimizer has ${slots.length} param groups, the schedule was built for ${groups} (add groups before building schedules)`,
    );
  }
  return slots;
}

function lrSlots(where: string, opt: unknown): LrSlot[] {
  if (isObject(opt)) {
    if ('groups' in opt) {
      const groups = opt.groups;
      if (Array.isArray(groups) && groups.length > 0 && groups.every((g) => isObject(g) && typeof g.lr === 'number')) {
        return groups.map((g: { lr: number }) => ({
          key: g,
          get lr() {
            return g.lr;
          },
          set lr(x: number) {
            g.lr = x;
          },
        }));
      }
    } else if (typeof opt.learningRate === 'number') {
      const o = opt as { learningRate: number };
      return [
        {
          key: o,
          get lr() {
            return o.learningRate;
          },
          set lr(x: number) {
            o.learningRate = x;
          },
        },
      ];
    }
  }
  throw new TypeError(
    `${where}: expected an optimizer (a RAdam or Adam, whose groups have an lr, or the tfjs RAdamOptimizer), got ${formatValue(opt)}`,
  );
}

/** Checks an options object: an object (or undefined when nothing is required), known keys only. */
export function readOptions(
  where: string,
  given: unknown,
  known: readonly string[],
  required: readonly string[] = [],
): Record<string, unknown> {
  if (given === undefined && required.length === 0) return {};
  if (!isObject(given) || Array.isArray(given)) {
    throw new TypeError(
      `${where}: the options must be an object${required.length ? ` with ${required.join(', ')}` : ''}, got ${formatValue(given)}`,
    );
  }
  for (const k of Object.keys(given)) {
    if (!known.includes(k))
      throw new TypeError(`${where}: unknown option ${formatValue(k)} (known: ${known.join(', ')})`);
  }
  for (const k of required) if (given[k] === undefined) throw new TypeError(`${where}: the option ${k} is required`);
  return given;
}

/**
 * How an option is checked: [predicate, the phrase its message uses, default] (without a default it
 * is required), or a function that checks and normalises a required option itself.
 */
export type Field =
  | readonly [ok: (x: unknown) => boolean, what: string, dflt?: unknown]
  | ((x: unknown, where: string) => unknown);

/** A schedule's options, in torch's argument order. */
export type Fields = Readonly<Record<string, Field>>;

/** Checks an options object against its fields: the normalised options, in the fields' order. */
export function readFields(where: string, given: unknown, fields: Fields): Record<string, unknown> {
  const keys = Object.keys(fields);
  const isRequired = (f: Field) => typeof f === 'function' || f[2] === undefined;
  const o = readOptions(
    where,
    given,
    keys,
    keys.filter((k) => isRequired(fields[k])),
  );
  return Object.fromEntries(
    keys.map((k) => {
      const f = fields[k];
      return [k, typeof f === 'function' ? f(o[k], where) : check(where, k, o[k], ...f)];
    }),
  );
}

/** A state dict's object and its schedule name, checked (loadStateDict). */
export function readState(where: string, state: unknown, name: string): Record<string, unknown> {
  if (!isObject(state) || Array.isArray(state)) {
    throw new TypeError(`${where}: the state must be an object from stateDict(), got ${formatValue(state)}`);
  }
  if (state.schedule !== name)
    throw new TypeError(`${where}: the state is of ${formatValue(state.schedule)}, not ${name}`);
  return state;
}

/** `x` if it passes `ok`, the default if undefined, else an error: "`where`: `name` must be `what`, got x". */
export function check<T>(
  where: string,
  name: string,
  x: unknown,
  ok: (x: unknown) => boolean,
  what: string,
  dflt?: T,
): T {
  if (x === undefined && dflt !== undefined) return dflt;
  if (!ok(x)) {
    const Err =
      typeof x === 'number' || (Array.isArray(x) && x.every((v) => typeof v === 'number')) ? RangeError : TypeError;
    throw new Err(`${where}: ${name} must be ${what}, got ${formatValue(x)}`);
  }
  return x as T;
}

// Predicates for check(); each with the phrase its message uses.
export const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
export const positiveInt = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) > 0;
export const nonNegativeInt = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;
export const positive = (x: unknown): boolean => isNum(x) && x > 0;
export const nonNegative = (x: unknown): boolean => isNum(x) && x >= 0;
export const POSITIVE_INT = 'a positive integer';
export const NON_NEGATIVE_INT = 'an integer >= 0';
export const POSITIVE = 'a finite number > 0';
export const NON_NEGATIVE = 'a finite number >= 0';
/**
 * step(epoch) in torch's deprecated form takes whole epochs only. torch takes any number, but after
 * a fractional one the chainable steps never meet their epochs again (StepLR's `last_epoch %
 * step_size` is never 0), and a negative one extrapolates: refused, not approximated.
 */
export const WHOLE_EPOCH = 'an integer >= 0 (fractional: CosineAnnealingWarmRestarts only)';

/** A number for every group: a single number is every group's; an array needs one per group. */
export function perGroup(
  where: string,
  name: string,
  x: unknown,
  groups: number,
  ok: (x: unknown) => boolean,
  what: string,
): number[] {
  if (Array.isArray(x)) {
    if (x.length !== groups) {
      throw new RangeError(`${where}: ${name} must have one value per param group (${groups}), got ${formatValue(x)}`);
    }
    return x.map((v, k) => check<number>(where, `${name}[${k}]`, v, ok, what));
  }
  return Array(groups).fill(check<number>(where, name, x, ok, `${what} (or an array of them, one per group)`));
}

/** An array of `n` finite numbers >= 0 in a state dict. */
export function lrArray(where: string, name: string, x: unknown, n: number): number[] {
  if (!Array.isArray(x) || x.length !== n || !x.every(nonNegative)) {
    throw new TypeError(
      `${where}: ${name} must be an array of ${n} finite numbers >= 0 (one per group), got ${formatValue(x)}`,
    );
  }
  return x.slice();
}

/**
 * Writes every group's lr, as torch writes param_groups[k]['lr'], after checking them all (so that
 * nothing changes on error). A result below 0 can only be rounding in a decreasing chainable form
 * (every option is validated): it is written as 0, since the optimizer accepts no negative lr.
 */
export function writeLrs(where: string, slots: LrSlot[], values: number[], epoch: number): number[] {
  values.forEach((v, k) => {
    if (!Number.isFinite(v)) {
      throw new RangeError(`${where}: the lr of group ${k} at epoch ${epoch} would be ${formatValue(v)} (not finite)`);
    }
  });
  slots.forEach((s, k) => {
    s.lr = Math.max(values[k], 0);
  });
  return slots.map((s) => s.lr);
}
