// The "bfloat16 state" section of `npm run bench` (`--only bf16` runs it alone): one RAdam step with
// float32 vs bfloat16 moment state (stateDtype), the same options otherwise (defaults, lr 1e-3,
// past its warm-up steps so the kernel runs its rectified loop), on 1 thread and on 2 (threads: 2,
// the break-even off so that 64K splits too), at 64K, 1M and 16M elements in one tensor; next to the
// bandwidth ceilings of both steps' traffic on 1 and 2 threads (stream.mjs). All eight cases of a
// size are sampled in the same rotated rounds, so the ratios are paired.
import { pairedRatio } from '../lib/measure.mjs';
import { radamWasm } from '../impls/radam-wasm.mjs';
import { BYTES, streams } from './stream.mjs';

const DTYPES = { f32: 'float32', bf16: 'bfloat16' };
const THREADS = [1, 2];

/**
 * `measure(title, instances, nRounds, options)` and `harness` ({ rounds(n), options(n) }) are the
 * bench's; returns the section's results (raw samples included) for the JSON.
 */
export async function bf16Section({ quick, log, measure, harness }) {
  const sizes = quick ? [65536, 1 << 20] : [65536, 1 << 20, 1 << 24];
  const out = { bytesPerElement: BYTES, threads: THREADS, rounds: {}, sizes: {} };
  for (const n of sizes) {
    const cases = [],
      opts = {};
    const s = await streams(n, log);
    try {
      for (const t of THREADS) {
        for (const [d, stateDtype] of Object.entries(DTYPES)) {
          log(`  bf16 N=${n}: preparing ${stateDtype}, ${t} thread${t > 1 ? 's' : ''}`);
          const c = await radamWasm('simd', [n], t > 1 ? { stateDtype, threads: t, minSplit: 0 } : { stateDtype });
          if (c.opt.stateDtype !== stateDtype)
            throw new Error(`stateDtype ${c.opt.stateDtype}, expected ${stateDtype}`);
          // Count the steps, to check below that each 2-thread one split (an increment: ~1 ns a step).
          c.steps = 0;
          const step = () => {
            c.steps++;
            c.opt.step();
          };
          opts[`${d}-${t}`] = c;
          cases.push({ id: `${d}-${t}`, label: `${stateDtype}, ${t} thread${t > 1 ? 's' : ''}`, elems: n, ...c, step });
        }
        for (const d of Object.keys(DTYPES)) {
          const b = BYTES[d];
          cases.push({ id: `roof${b}-${t}`, label: `roofline ${b} B, ${t} thread${t > 1 ? 's' : ''}`, elems: n });
          Object.assign(cases.at(-1), s.make(b, t), { dispose() {} });
        }
      }
      const splitsBefore = Object.fromEntries(Object.entries(opts).map(([id, c]) => [id, c.opt._splits]));
      for (const c of Object.values(opts)) c.steps = 0;
      // At least 5 rounds at 16M too (the bench's default there is 3): eight cases of ~10-30 ms steps
      // span ~40 s, over which this shared host's memory bandwidth moves by up to 2x.
      const nRounds = quick ? harness.rounds(n) : Math.max(5, harness.rounds(n));
      const res = await measure(`bf16 N=${n}`, cases, nRounds, harness.options(n));
      const splits = Object.fromEntries(Object.entries(opts).map(([id, c]) => [id, c.opt._splits - splitsBefore[id]]));
      for (const [id, k] of Object.entries(splits)) {
        // Every 2-thread step must have split (else the row would time one thread), no 1-thread one.
        const want = id.endsWith('-1') ? 0 : opts[id].steps;
        if (k !== want) throw new Error(`bf16 N=${n}: ${id} split ${k} of ${opts[id].steps} steps`);
      }
      out.rounds[n] = nRounds;
      out.sizes[n] = summarize(n, res, opts, splits);
    } finally {
      for (const c of Object.values(opts)) c.dispose();
      s.dispose();
    }
  }
  classify(out);
  return out;
}

/** Per size and thread count: times, the paired ratio, the ceilings at the measured bandwidth. */
function summarize(n, res, opts, splits) {
  const rows = {};
  for (const t of THREADS) {
    const f32 = res[`f32-${t}`],
      bf16 = res[`bf16-${t}`],
      r28 = res[`roof28-${t}`],
      r20 = res[`roof20-${t}`];
    const gbPerS = BYTES.f32 / r28.ns; // bytes per ns = GB/s
    rows[t] = {
      f32: { nsPerElement: f32.ns, msPerStep: (f32.ns * n) / 1e6 },
      bf16: { nsPerElement: bf16.ns, msPerStep: (bf16.ns * n) / 1e6 },
      bf16OverF32: pairedRatio(bf16, f32),
      // The bandwidth of the 28-B stream, and both steps' traffic at it (ns per element).
      bandwidthGBps: gbPerS,
      roofline28: r28.ns,
      roofline20: BYTES.bf16 / gbPerS,
      // The 20-B stream measured itself: does the bandwidth hold with narrower state streams?
      roofline20Measured: r20.ns,
      // Share of its ceiling each step reaches (1: at the bandwidth limit), paired by round.
      f32OfRoofline: pairedRatio(r28, f32),
      bf16OfRoofline: (BYTES.bf16 / BYTES.f32) * pairedRatio(r28, bf16),
      splits: { f32: splits[`f32-${t}`], bf16: splits[`bf16-${t}`] },
    };
  }
  return {
    ...res,
    rows,
    speedup2Threads: { f32: pairedRatio(res['f32-1'], res['f32-2']), bf16: pairedRatio(res['bf16-1'], res['bf16-2']) },
    // Linear memory per parameter (params, gradients, state, the step table), 1-thread optimizers.
    memoryBytesPerParam: {
      f32: opts['f32-1'].opt.memoryBytes / n,
      bf16: opts['bf16-1'].opt.memoryBytes / n,
    },
  };
}

/**
 * What bounds each step: the time of its traffic alone (the ceiling at the measured bandwidth) vs
 * the time of its arithmetic alone, taken as the fastest the same case ran over the sizes measured
 * (where its arrays are in cache). Within 15% of each other: both.
 */
function classify(out) {
  const sizes = Object.values(out.sizes);
  for (const t of THREADS) {
    for (const d of Object.keys(DTYPES)) {
      const compute = Math.min(...sizes.map((s) => s.rows[t][d].nsPerElement));
      for (const s of sizes) {
        const row = s.rows[t];
        const traffic = d === 'f32' ? row.roofline28 : row.roofline20;
        const r = traffic / compute;
        row[d].computeFloor = compute;
        row[d].bound = r >= 1.15 ? 'memory' : r <= 0.85 ? 'compute' : 'both';
      }
    }
  }
}

const f = (x, d = 3) => x.toPrecision(d);
const table = (rows) => {
  const w = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  const line = (r) => `| ${r.map((x, j) => (j < 2 ? x.padEnd(w[j]) : x.padStart(w[j]))).join(' | ')} |`;
  return [line(rows[0]), `|${w.map((k) => '-'.repeat(k + 2)).join('|')}|`, ...rows.slice(1).map(line)];
};

/** The section's tables, in markdown (the README's "bfloat16 state" section quotes them). */
export function bf16Tables(out) {
  const sizes = Object.entries(out.sizes);
  const times = [['N', 'threads', 'f32 ms/step', 'bf16 ms/step', 'f32 ns/el', 'bf16 ns/el', 'bf16/f32']];
  const roof = [
    [
      'N',
      'threads',
      'GB/s (28 B stream)',
      'roofline 28 B ns/el',
      'roofline 20 B ns/el',
      '20 B stream ns/el',
      'f32 % of 28 B',
      'bf16 % of 20 B',
      'f32 bound',
      'bf16 bound',
    ],
  ];
  for (const [n, s] of sizes) {
    for (const t of THREADS) {
      const r = s.rows[t];
      const N = (+n).toLocaleString('en-US');
      times.push([
        N,
        `${t}`,
        f(r.f32.msPerStep),
        f(r.bf16.msPerStep),
        f(r.f32.nsPerElement),
        f(r.bf16.nsPerElement),
        `${r.bf16OverF32.toFixed(3)}x`,
      ]);
      roof.push([
        N,
        `${t}`,
        r.bandwidthGBps.toFixed(1),
        f(r.roofline28),
        f(r.roofline20),
        f(r.roofline20Measured),
        `${Math.round(r.f32OfRoofline * 100)}%`,
        `${Math.round(r.bf16OfRoofline * 100)}%`,
        r.f32.bound,
        r.bf16.bound,
      ]);
    }
  }
  const mem = [
    ['N', 'f32 B/param', 'bf16 B/param', '2 threads vs 1: f32', 'bf16'],
    ...sizes.map(([n, s]) => [
      (+n).toLocaleString('en-US'),
      s.memoryBytesPerParam.f32.toFixed(2),
      s.memoryBytesPerParam.bf16.toFixed(2),
      `${s.speedup2Threads.f32.toFixed(2)}x`,
      `${s.speedup2Threads.bf16.toFixed(2)}x`,
    ]),
  ];
  const floors = THREADS.map((t) => {
    const r = sizes[0][1].rows[t];
    return `${t} thread${t > 1 ? 's' : ''}: f32 ${f(r.f32.computeFloor)}, bf16 ${f(r.bf16.computeFloor)}`;
  });
  return [
    'bfloat16 state (simd, one tensor, lr 1e-3, rectified steps; medians of paired rounds)',
    '',
    ...table(times),
    '',
    ...table(roof),
    `(bound: the traffic's time at the measured bandwidth vs the fastest ns/el of the same case over these sizes, ${floors.join('; ')})`,
    '',
    ...table(mem),
  ].join('\n');
}
