// The benchmark page's pure parts: its query, the JSON the Copy button copies, the table and the
// chart's data. No DOM, so test/bench.test.ts runs them in Node.

/** 4K to 4M elements, a factor 4 apart. */
export const DEFAULT_SIZES = [4096, 16384, 65536, 262144, 1048576, 4194304];
/** The largest N the page accepts: 16M floats are 64 MB per array, and every case holds four or more. */
export const MAX_SIZE = 1 << 24;

/**
 * The page's settings from its query string: `sizes` (comma list of element counts), `quick=1`
 * (bench's --quick rounds and run times), `auto=1` (start at once). Throws on a bad value.
 */
export function parseQuery(search) {
  const q = new URLSearchParams(search);
  let sizes = DEFAULT_SIZES;
  if (q.has('sizes')) {
    const raw = q.get('sizes');
    sizes = raw.split(',').map((s) => Number(s.trim()));
    const bad = sizes.find((n) => !Number.isInteger(n) || n < 1 || n > MAX_SIZE);
    if (raw.trim() === '' || bad !== undefined)
      throw new Error(
        `bench page: sizes=${raw}: expected a comma list of element counts, integers from 1 to ${MAX_SIZE}`,
      );
    sizes = [...new Set(sizes)].sort((a, b) => a - b);
  }
  return { sizes, quick: q.get('quick') === '1', auto: q.get('auto') === '1' };
}

/** The case ids in table order; the rest (none today) follow in the order measured. */
const ORDER = ['simd', 'threads', 'scalar', 'js', 'plain-js', 'tfjs-wasm-adam'];
const byOrder = (ids) =>
  [...ids].sort((a, b) => (ORDER.indexOf(a) + 1 || ORDER.length + 1) - (ORDER.indexOf(b) + 1 || ORDER.length + 1));

/** Every case measured at some size, in table order, with its label: [{ id, label }]. */
export function implementations(sizes) {
  const labels = new Map();
  for (const res of Object.values(sizes)) for (const [id, c] of Object.entries(res)) labels.set(id, c.label);
  return byOrder(labels.keys()).map((id) => ({ id, label: labels.get(id) }));
}

const round = (x, digits = 4) => (Number.isFinite(x) ? +x.toPrecision(digits) : null);

/**
 * The results as the Copy button copies them (and window.benchResult.json holds): the environment,
 * then one row per implementation and N. `sizes` is { [n]: bySize's result }; `meta` holds the rest
 * (date, versions, harness settings, seconds).
 */
export function resultsJson({ browser, cpus, isolated, ...meta }, sizes) {
  const results = [];
  for (const { id } of implementations(sizes)) {
    for (const [n, res] of Object.entries(sizes)) {
      const c = res[id];
      if (!c) continue;
      results.push({
        impl: id,
        label: c.label,
        n: +n,
        nsPerElement: round(c.ns),
        timesSimd: round(c.timesSimd),
        gbPerS: round(c.gbPerS, 3),
        rounds: c.rounds.map((x) => round(x)),
      });
    }
  }
  return JSON.stringify({ browser, cpus, isolated, ...meta, results }, null, 2);
}

/** How the report tables of bench/ print a figure: 3 significant digits, whole numbers from 100. */
export const fmt = (x, digits = 3) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(digits));

/** 4096 → 4K, 1048576 → 1M; other counts as they are. */
export const shortN = (n) =>
  n >= 1 << 20 && n % (1 << 20) === 0 ? `${n / (1 << 20)}M` : n >= 1024 && n % 1024 === 0 ? `${n / 1024}K` : `${n}`;

/**
 * The table: one row per implementation, one column per N; a cell is ns per element and the time
 * relative to radam-wasm simd measured in the same rounds ({ ns, ratio } as text, or null).
 */
export function tableRows(sizes) {
  const ns = Object.keys(sizes)
    .map(Number)
    .sort((a, b) => a - b);
  return {
    head: ns.map((n) => `N = ${shortN(n)}`),
    rows: implementations(sizes).map(({ id, label }) => ({
      id,
      label,
      cells: ns.map((n) => {
        const c = sizes[n][id];
        return c ? { ns: fmt(c.ns), ratio: `${fmt(c.timesSimd)}x` } : null;
      }),
    })),
  };
}

/** uPlot's data: [N values, then ns per element of each implementation (null where not measured)]. */
export function chartData(sizes) {
  const ns = Object.keys(sizes)
    .map(Number)
    .sort((a, b) => a - b);
  const impls = implementations(sizes);
  return {
    impls,
    data: [ns, ...impls.map(({ id }) => ns.map((n) => sizes[n][id]?.ns ?? null))],
  };
}
