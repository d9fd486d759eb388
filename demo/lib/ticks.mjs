// Axis ranges and tick values on round numbers, for the Node demo's SVG figures (svg.mjs) and the
// paper page's uPlot charts: both show the same axes for the same data.

const MANTISSAS = [
  [1, 2, 5],
  [1, 2, 3, 5],
  [1, 2, 3, 4, 5, 6, 7, 8, 9],
];

/** Rounds away the float noise of m * 10^e (0.30000000000000004 -> 0.3). */
const round = (x) => +x.toPrecision(12);

/**
 * A log axis over the data range [lo, hi] (both > 0): its ends are the nearest values m x 10^k
 * (m = 1..9) outside the data, and its ticks the decades when the range spans two or more, else
 * the 1-2-5 values (or 1-2-3-5, or 1..9), whichever first gives three ticks; an end is a tick too
 * unless it crowds one (within a factor 1.5). Returns { min, max, ticks }.
 */
export function logTicks(lo, hi) {
  if (!(lo > 0 && hi >= lo && Number.isFinite(hi)))
    throw new RangeError(`logTicks: needs 0 < lo <= hi, got ${lo}, ${hi}`);
  const values = (ms, from, to) => {
    const out = [];
    for (let e = Math.floor(Math.log10(from)) - 1; e <= Math.ceil(Math.log10(to)) + 1; e++)
      for (const m of ms) out.push(round(m * 10 ** e));
    return out.filter((v) => v >= from * (1 - 1e-9) && v <= to * (1 + 1e-9));
  };
  const ends = values(MANTISSAS.at(-1), lo / 10, hi * 10);
  const min = ends.filter((v) => v <= lo * (1 + 1e-9)).at(-1);
  const max = ends.find((v) => v >= hi * (1 - 1e-9) && v > min); // a range, even for one value
  let ticks = max / min >= 100 ? values([1], min, max) : null;
  for (const ms of MANTISSAS) {
    if (ticks) break;
    const t = values(ms, min, max);
    if (t.length >= 3 || ms === MANTISSAS.at(-1)) ticks = t;
  }
  const crowds = (v) => ticks.some((t) => t !== v && Math.max(t / v, v / t) < 1.5);
  ticks = [...new Set([min, ...ticks, max])].filter((v) => ticks.includes(v) || !crowds(v));
  return { min, max, ticks };
}

/**
 * A linear axis over [lo, hi]: about `count` intervals of a round step (1, 2 or 5 x 10^k), the
 * ends on ticks. Returns { min, max, ticks }.
 */
export function linearTicks(lo, hi, count = 5) {
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi >= lo))
    throw new RangeError(`linearTicks: needs finite lo <= hi, got ${lo}, ${hi}`);
  if (hi === lo) [lo, hi] = lo === 0 ? [0, 1] : [lo - Math.abs(lo) / 2, hi + Math.abs(hi) / 2];
  const raw = (hi - lo) / count;
  const e = Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * 10 ** e).find((s) => s >= raw * (1 - 1e-9));
  const min = round(Math.floor(lo / step + 1e-9) * step),
    max = round(Math.ceil(hi / step - 1e-9) * step);
  const ticks = [];
  for (let k = 0; min + k * step <= max + step * 1e-9; k++) ticks.push(round(min + k * step));
  return { min, max, ticks };
}
