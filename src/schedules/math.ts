// The schedules' arithmetic as pure functions of (epoch, lr or base lr, options), in torch 1.13's
// float64 operation order (torch/optim/lr_scheduler.py). Two forms, as in torch:
// - chainable (`get_lr`, what step() uses): the next lr from the group's current lr, so that
//   schedules compose and outside changes to the lr persist;
// - closed (`_get_closed_form_lr`, what step(epoch) uses, e.g. SequentialLR at a milestone): the lr
//   at epoch t from the base lr.
// They agree in exact arithmetic, not in the last bits: torch's trajectories are the chainable ones.
// `t` is torch's last_epoch after the increment: 0 at the constructor's initial step.

export const stepChain = (t: number, lr: number, stepSize: number, gamma: number): number =>
  t === 0 || t % stepSize !== 0 ? lr : lr * gamma;

export const stepClosed = (t: number, base: number, stepSize: number, gamma: number): number =>
  base * gamma ** Math.floor(t / stepSize);

/** MultiStepLR: milestones is a multiset (torch's Counter): a repeated milestone applies gamma that many times. */
export function multiStepChain(t: number, lr: number, milestones: readonly number[], gamma: number): number {
  const n = milestones.filter((m) => m === t).length;
  return n === 0 ? lr : lr * gamma ** n;
}

export const multiStepClosed = (t: number, base: number, milestones: readonly number[], gamma: number): number =>
  base * gamma ** milestones.filter((m) => m <= t).length; // bisect_right on the sorted milestones

export function constantChain(t: number, lr: number, factor: number, totalIters: number): number {
  if (t === 0) return lr * factor;
  if (t !== totalIters) return lr;
  return lr * (1.0 / factor);
}

export const constantClosed = (t: number, base: number, factor: number, totalIters: number): number =>
  base * (factor + (t >= totalIters ? 1 - factor : 0));

export function linearChain(t: number, lr: number, start: number, end: number, totalIters: number): number {
  if (t === 0) return lr * start;
  if (t > totalIters) return lr;
  return lr * (1.0 + (end - start) / (totalIters * start + (t - 1) * (end - start)));
}

export const linearClosed = (t: number, base: number, start: number, end: number, totalIters: number): number =>
  base * (start + ((end - start) * Math.min(totalIters, t)) / totalIters);

export const exponentialChain = (t: number, lr: number, gamma: number): number => (t === 0 ? lr : lr * gamma);

export const exponentialClosed = (t: number, base: number, gamma: number): number => base * gamma ** t;

export function polynomialChain(t: number, lr: number, totalIters: number, power: number): number {
  if (t === 0 || t > totalIters) return lr;
  return lr * ((1.0 - t / totalIters) / (1.0 - (t - 1) / totalIters)) ** power;
}

export const polynomialClosed = (t: number, base: number, totalIters: number, power: number): number =>
  base * (1.0 - Math.min(totalIters, t) / totalIters) ** power;

/**
 * CosineAnnealingLR's get_lr. `count` is torch's _step_count (after the increment): on a first
 * step past epoch 0 torch uses the closed form; one epoch after each minimum (t - 1 - T_max a
 * multiple of 2 T_max) it adds the rise, where the ratio form would divide by 1 + cos(pi) = 0.
 */
export function cosineChain(t: number, count: number, lr: number, base: number, tMax: number, etaMin: number): number {
  if (t === 0) return lr;
  if (count === 1 && t > 0) return etaMin + ((base - etaMin) * (1 + Math.cos((t * Math.PI) / tMax))) / 2;
  if ((t - 1 - tMax) % (2 * tMax) === 0) return lr + ((base - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2;
  return ((1 + Math.cos((Math.PI * t) / tMax)) / (1 + Math.cos((Math.PI * (t - 1)) / tMax))) * (lr - etaMin) + etaMin;
}

export const cosineClosed = (t: number, base: number, tMax: number, etaMin: number): number =>
  etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * t) / tMax))) / 2;

/** CosineAnnealingWarmRestarts' lr at T_cur epochs into a cycle of T_i. */
export const warmRestartsLr = (tCur: number, tI: number, base: number, etaMin: number): number =>
  etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2;

/**
 * CosineAnnealingWarmRestarts' step(epoch): T_cur and T_i at a given (possibly fractional) epoch,
 * in torch's float64 operations. Past t0 with tMult 1, torch keeps T_i (`tI`, always t0 unless a
 * state says otherwise); with tMult > 1 it finds the cycle with int(log(epoch / T_0 * (T_mult - 1)
 * + 1, T_mult)), i.e. the C library's log(x) / log(T_mult), whose rounding decides the cycle at its
 * boundaries: log(243) / log(3) is 4.999999999999999, so with t0 1 and tMult 3 epoch 121 ends the
 * cycle before (T_cur = T_i = 81) instead of starting the next. V8's Math.log is one ulp off for
 * some inputs (ln 3) and gives 5, hence logRounded. undefined if T_i would not be a safe integer.
 */
export function warmRestartsAt(
  epoch: number,
  t0: number,
  tMult: number,
  tI: number,
): { tCur: number; tI: number } | undefined {
  if (epoch < t0) return { tCur: epoch, tI: t0 };
  if (tMult === 1) return { tCur: epoch % t0, tI };
  const n = Math.trunc(logRounded((epoch / t0) * (tMult - 1) + 1) / logRounded(tMult));
  let power = 1; // tMult^n by products: exact while T_i is a safe integer (Python's ints are exact)
  for (let i = 0; i < n; i++) power *= tMult;
  if (!Number.isSafeInteger(t0 * power)) return undefined;
  return { tCur: epoch - (t0 * (power - 1)) / (tMult - 1), tI: t0 * power };
}

const LOG_BITS = 192n;

/** atanh(s) for 0 <= s < 1/3, fixed point with LOG_BITS fraction bits: s + s^3/3 + s^5/5 + ... */
function atanhFixed(s: bigint): bigint {
  const s2 = (s * s) >> LOG_BITS;
  let sum = 0n;
  for (let term = s, k = 1n; term > 0n; term = (term * s2) >> LOG_BITS, k += 2n) sum += term / k;
  return sum;
}

let ln2Fixed: bigint | undefined;

/**
 * ln(x) correctly rounded (to nearest), for a finite x >= 1. glibc 2.36's log (CPython's math.log,
 * hence torch's) is too, but for 120 of 400,576 inputs tried (near midpoints), and for none at or
 * within two ulps of the cycle boundaries T_mult^k (T_mult up to 2000), where it decides the cycle.
 * ln x = e ln 2 + 2 atanh((m - 1) / (m + 1)) with x = m 2^e, m in [1, 2), in 192-bit fixed point:
 * error below 2^-170, so the one rounding, by Number(), is correct unless ln x lies that close to a
 * midpoint. About 8 µs.
 */
export function logRounded(x: number): number {
  let e = Math.floor(Math.log2(x));
  let m = x / 2 ** e;
  if (m >= 2) {
    m /= 2;
    e++;
  } else if (m < 1) {
    m *= 2;
    e--;
  }
  const one = 1n << LOG_BITS; // here, not at module level: no top-level code that tree-shaking must keep
  const big = BigInt(m * 2 ** 52) << (LOG_BITS - 52n);
  ln2Fixed ??= 2n * atanhFixed(one / 3n); // ln 2 = 2 atanh(1/3)
  const r = BigInt(e) * ln2Fixed + 2n * atanhFixed(((big - one) << LOG_BITS) / (big + one));
  return Number(r) * 2 ** -Number(LOG_BITS);
}

/** OneCycleLR's annealing from `start` to `end` as pct goes from 0 to 1. */
export const annealCos = (start: number, end: number, pct: number): number =>
  end + ((start - end) / 2.0) * (Math.cos(Math.PI * pct) + 1);

export const annealLinear = (start: number, end: number, pct: number): number => (end - start) * pct + start;

/**
 * OneCycleLR's lr at step t: its phases end at pct_start * total - 1 (the peak), then (three
 * phases) 2 pct_start * total - 2 (back to the initial lr), and total - 1 (the minimum).
 */
export function oneCycleLr(
  t: number,
  totalSteps: number,
  pctStart: number,
  threePhase: boolean,
  anneal: (start: number, end: number, pct: number) => number,
  initial: number,
  max: number,
  min: number,
): number {
  const phases: [number, number, number][] = threePhase
    ? [
        [pctStart * totalSteps - 1, initial, max],
        [2 * pctStart * totalSteps - 2, max, initial],
        [totalSteps - 1, initial, min],
      ]
    : [
        [pctStart * totalSteps - 1, initial, max],
        [totalSteps - 1, max, min],
      ];
  let startStep = 0;
  for (let i = 0; ; i++) {
    const [endStep, from, to] = phases[i];
    if (t <= endStep || i === phases.length - 1) return anneal(from, to, (t - startStep) / (endStep - startStep));
    startStep = endStep;
  }
}
