// The arithmetic several schedules share, or too long for their definitions, in torch 1.13's float64
// operation order (torch/optim/lr_scheduler.py): the half cosine, CosineAnnealingWarmRestarts'
// cycles, OneCycleLR's phases.

/**
 * The lr t epochs into a half cosine of `period` epochs from `base` down to etaMin:
 * CosineAnnealingLR's closed form, and CosineAnnealingWarmRestarts' lr at T_cur epochs into a cycle of T_i.
 */
export const cosine = (t: number, period: number, base: number, etaMin: number): number =>
  etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * t) / period))) / 2;

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
