// The demo's code (demo/lib): every arm of the main experiment runs a few steps (Adam-2k really
// freezes the params and m), the run is deterministic, and the second, quick MLP task still learns;
// the experiment's shared functions (setup, jobs, criteria, figure data: what the Node demo and the
// paper page both run), the engine-independent math, Adam-eps's relative eps and the axis ticks.
// The Transformer's gradients are checked in test/transformer.test.ts.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript module without types
import {
  criterionLine,
  curveBands,
  histogramColumns,
  jobsOf,
  lrSeries,
  MAIN,
  reportLines,
  setupOf,
  summarize,
} from '../demo/lib/experiment.mjs';
// @ts-expect-error: plain JavaScript module without types
import * as fd from '../demo/lib/fdlibm.mjs';
// @ts-expect-error: plain JavaScript module without types
import { mulberry32 } from '../demo/lib/rng.mjs';
// @ts-expect-error: plain JavaScript module without types
import { linearTicks, logTicks } from '../demo/lib/ticks.mjs';
// @ts-expect-error: plain JavaScript module without types
import { SETUP } from '../demo/setup.mjs';
// @ts-expect-error: plain JavaScript module without types
import { initWeights, lossAndGrad, spirals } from '../demo/lib/task.mjs';
// @ts-expect-error: plain JavaScript module without types
import { train } from '../demo/lib/train.mjs';
// @ts-expect-error: plain JavaScript module without types
import { ARMS, trainRun } from '../demo/lib/paper.mjs';

const tiny = {
  steps: 12,
  batch: 4,
  model: { dModel: 8, heads: 2, layers: 2, dFF: 16 },
  task: { task: 'reverse', vocab: 6, seqLen: 5 },
  betas: [0.9, 0.999],
  warmupSteps: 4,
  secondMomentSteps: 5,
  curveEvery: 1,
  deltaSteps: 3,
  medianDeltaSteps: 3,
};

describe('demo: the paper arms on the Post-LN Transformer', () => {
  it.each(Object.keys(ARMS))('%s runs, changes the weights and reports its figures', async (arm) => {
    const lr = arm === 'sgd' ? 0.1 : 0.003;
    const r = await trainRun({ ...tiny, arm, lr, seed: 1 });
    expect(r.curve).toHaveLength(12);
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(r.deltas).toHaveLength(3);
    expect(r.deltas[0].reduce((a: number, b: number) => a + b, 0)).toBe(r.params);
    expect(r.medianDelta).toBeGreaterThanOrEqual(0);
  });

  it('Adam-2k freezes the params and m for its first K steps, updating v; then trains', async () => {
    const seen: { p: Float32Array[]; m: Float32Array[]; v: Float32Array[] }[] = [];
    type P = { data: Float32Array; expAvg: Float32Array; expAvgSq: Float32Array };
    await trainRun(
      { ...tiny, arm: 'adam-2k', lr: 0.003, seed: 2 },
      {
        onStep: (_t: number, _loss: number, _opt: unknown, params: P[]) =>
          seen.push({
            p: params.map((q) => q.data.slice()),
            m: params.map((q) => q.expAvg.slice()),
            v: params.map((q) => q.expAvgSq.slice()),
          }),
      },
    );
    const K = tiny.secondMomentSteps;
    const same = (a: Float32Array[], b: Float32Array[]) => a.every((x, i) => x.every((y, j) => Object.is(y, b[i][j])));
    for (let t = 1; t < K; t++) {
      expect(same(seen[t].p, seen[0].p), `params at step ${t + 1}`).toBe(true);
      expect(seen[t].m.every((x) => x.every((y) => y === 0))).toBe(true);
      expect(same(seen[t].v, seen[t - 1].v)).toBe(false);
    }
    expect(same(seen[K].p, seen[K - 1].p)).toBe(false); // step K + 1 is Adam's first
  });

  it('is deterministic: the same job gives the same bits', async () => {
    const a = await trainRun({ ...tiny, arm: 'radam', lr: 0.003, seed: 3 });
    const b = await trainRun({ ...tiny, arm: 'radam', lr: 0.003, seed: 3 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });
});

describe('demo: fdlibm.mjs, the same exp/log/log10/cos bits in every engine', () => {
  // Node 20-26 compute Math.exp/log/log10/cos with fdlibm (measured: 0 of 2,000,000 differ each);
  // Chromium 156 differs by one ulp on 3-10% of inputs, hence the port.
  const r = mulberry32(11);
  const cases: [string, (x: number) => number, (x: number) => number, () => number][] = [
    ['exp', fd.exp, Math.exp, () => (r() - 0.5) * 80],
    ['exp (wide)', fd.exp, Math.exp, () => (r() - 0.5) * 1500],
    ['log', fd.log, Math.log, () => 2 ** ((r() - 0.5) * 200) * r()],
    ['log10', fd.log10, Math.log10, () => 2 ** ((r() - 0.5) * 200) * r()],
    ['cos', fd.cos, Math.cos, () => 2 * Math.PI * r()],
    ['cos (wide)', fd.cos, Math.cos, () => (r() - 0.5) * 2 ** 20],
  ];
  it.each(cases)('%s equals Math.* on Node for 10,000 inputs', (_name, f, g, draw) => {
    const bad = [];
    for (let i = 0; i < 10_000; i++) {
      const x = draw();
      if (!Object.is(f(x), g(x))) bad.push(x);
    }
    expect(bad).toEqual([]);
  });

  it('special values are IEEE and as fdlibm defines them', () => {
    const specials = [0, -0, 1, -1, Infinity, -Infinity, NaN, 5e-324, -5e-324, 709.78, 710, -745.2, -746, 2 ** -30];
    for (const x of specials) {
      expect(fd.exp(x), `exp(${x})`).toBe(Math.exp(x));
      expect(fd.log(x), `log(${x})`).toBe(Math.log(x));
      expect(fd.log10(x), `log10(${x})`).toBe(Math.log10(x));
      if (Math.abs(x) < 1e6 || !Number.isFinite(x)) expect(fd.cos(x), `cos(${x})`).toBe(Math.cos(x));
    }
    expect(fd.exp(1)).toBe(Math.E);
    expect(() => fd.cos(1e7)).toThrow(/fdlibm cos: \|x\| = 10000000 is beyond 2\^19 pi\/2/);
  });
});

describe('demo: the experiment shared by the Node demo and the paper page (demo/lib/experiment.mjs)', () => {
  it('setupOf applies the page controls and keeps the warmup and K shares; the base is untouched', () => {
    const before = JSON.stringify(SETUP);
    const s = setupOf(SETUP, { steps: 100, seeds: [4, 2], lr: 0.01, lrs: [0.032, 0.002] });
    expect(JSON.stringify(SETUP)).toBe(before);
    expect(s).toMatchObject({ steps: 100, warmupSteps: 20, secondMomentSteps: 10, deltaSteps: 40, seeds: [4, 2] });
    expect(s.lr).toBe(0.01);
    expect(s.lrs).toEqual([0.002, 0.032]);
    expect(s.sgdLrs).toEqual([0.2, 3.2]);
    expect(setupOf(SETUP, { steps: 30 }).deltaSteps).toBe(30);
    expect(setupOf(SETUP)).toEqual(SETUP);
  });

  it.each([
    [{ steps: 0 }, 'setupOf: steps must be an integer in [1, 100000], got 0'],
    [{ steps: 2.5 }, 'setupOf: steps must be an integer in [1, 100000], got 2.5'],
    [{ seeds: [] }, 'setupOf: seeds must be distinct integers >= 0, got []'],
    [{ seeds: [1, 1] }, 'setupOf: seeds must be distinct integers >= 0, got [1,1]'],
    [{ lr: -1 }, 'setupOf: lr must be a number > 0, got -1'],
    [{ lrs: [0.1, Number.NaN] }, 'setupOf: lrs must be distinct numbers > 0, got [0.1,null]'],
  ])('setupOf refuses %j', (change, message) => {
    expect(() => setupOf(SETUP, change)).toThrow(new RangeError(message));
  });

  it("jobsOf: the default run's 69 jobs, seed by seed, the main arms first", () => {
    const jobs = jobsOf(SETUP);
    expect(jobs).toHaveLength(69); // 3 seeds x (6 main arms + 3 grid arms x 4 other lrs + SGD's 5)
    expect(jobs.slice(0, 6).map((j: { arm: string }) => j.arm)).toEqual(MAIN);
    expect(jobs.slice(0, 23).every((j: { seed: number }) => j.seed === 1)).toBe(true);
    const adam = jobs[0];
    expect(adam).toMatchObject({ lr: 0.016, deltaSteps: 40, medianDeltaSteps: 10, reportGradientScale: true });
    expect(adam).toMatchObject({ adamEpsRatio: 1, paperEps: 1e-4 });
    expect(jobs.filter((j: { arm: string }) => j.arm === 'sgd').map((j: { lr: number }) => j.lr)).toEqual([
      ...SETUP.sgdLrs,
      ...SETUP.sgdLrs,
      ...SETUP.sgdLrs,
    ]);
  });

  const fake = (arm: string, lr: number, seed: number, loss: number, extra = {}) => ({
    arm,
    lr,
    seed,
    loss,
    heldOut: { loss, tokenAccuracy: 0.5 },
    medianDelta: arm === 'adam' ? 1e-2 : 1e-4,
    medianSqrtV: arm === 'adam' ? 8e-4 : null,
    ...(arm === 'adam-eps' && { firstGradScale: 8e-3, eps: 8e-3 }),
    ...extra,
  });
  const setup = setupOf(SETUP, { seeds: [1, 2], lrs: [0.008, 0.016] });
  const good: Record<string, number> = {
    adam: 2.8,
    'adam-warmup': 0.4,
    radam: 0.38,
    'adam-2k': 0.42,
    'adam-eps': 0.5,
    'adam-eps-paper': 2.8,
    sgd: 2,
  };
  const resultsOf = (lossOf: (arm: string, lr: number, seed: number) => number) =>
    jobsOf(setup)
      .reverse()
      .map((j: { arm: string; lr: number; seed: number }) => fake(j.arm, j.lr, j.seed, lossOf(j.arm, j.lr, j.seed)));

  it('summarize: final losses per arm@lr in seed order, and the five criteria', () => {
    const s = summarize(
      resultsOf((arm, lr, seed) => (lr === 0.008 ? 1 : good[arm]) + seed / 100),
      setup,
    );
    expect(s.finalLosses['adam@0.016']).toEqual([2.8 + 0.01, 2.8 + 0.02]);
    expect(s.finalLosses['sgd@0.8']).toEqual([2 + 0.01, 2 + 0.02]);
    expect(Object.keys(s.finalLosses).sort()).toEqual(
      [
        ...MAIN.map((a: string) => `${a}@0.016`),
        'adam@0.008',
        'adam-warmup@0.008',
        'radam@0.008',
        'sgd@0.8',
        'sgd@1.6',
      ].sort(),
    );
    expect(s.criteria.map((c: { pass: boolean }) => c.pass)).toEqual([true, true, true, false, true]);
    expect(s.criteria[0].value).toBeCloseTo(2.815 / 0.415, 12);
    expect(s.criteria[2].measured).toBe('eps 8.0e-3: Adam-eps 0.515, 0.183x Adam, 1.30x RAdam');
    expect(s.outside.measured).toBe('2.81: 1.00x Adam, 7.13x RAdam');
    expect(criterionLine(s.criteria[3])).toMatch(/^SHORT 4\. RAdam's spread/);
    expect(reportLines(s, setup)).toContain(
      '  Adam                  2.81   seeds: 2.81, 2.82   held-out token accuracy 0.500',
    );
  });

  it('curveBands: median and min-max per point; runs in progress count where they are; a diverged seed opens the band', () => {
    const b = curveBands([
      [
        [1, 3],
        [5, 2],
        [10, 1],
      ],
      [
        [1, 4],
        [5, 1],
      ],
      [
        [1, 5],
        [5, Infinity],
      ],
    ]);
    expect(b).toEqual({ step: [1, 5, 10], med: [4, 2, null], lo: [3, 1, 1], hi: [5, null, null] });
  });

  it('histogramColumns sums the seeds per step; lrSeries marks where every seed diverged', () => {
    expect(
      histogramColumns([
        [
          [1, 2],
          [3, 4],
        ],
        [[10, 20]],
      ]),
    ).toEqual([
      [11, 22],
      [3, 4],
    ]);
    const s = summarize(
      resultsOf((arm, lr) => (arm === 'sgd' && lr === 1.6 ? Infinity : good[arm])),
      setup,
    );
    expect(lrSeries(s, setup, 'sgd')).toEqual({
      lrs: [0.8, 1.6],
      med: [2, null],
      lo: [2, null],
      hi: [2, null],
      diverged: [1.6],
    });
  });

  it('ticks: round numbers, axes fitted to the data', () => {
    expect(logTicks(0.316, 2.79)).toEqual({ min: 0.3, max: 3, ticks: [0.3, 0.5, 1, 2, 3] });
    expect(logTicks(0.002, 6.4)).toEqual({ min: 0.002, max: 7, ticks: [0.002, 0.01, 0.1, 1, 7] });
    expect(logTicks(1, 5000)).toEqual({ min: 1, max: 5000, ticks: [1, 10, 100, 1000, 5000] });
    expect(linearTicks(1, 400)).toEqual({ min: 0, max: 400, ticks: [0, 100, 200, 300, 400] });
    expect(linearTicks(0, 0.45)).toEqual({ min: 0, max: 0.5, ticks: [0, 0.1, 0.2, 0.3, 0.4, 0.5] });
  });
});

describe('demo: Adam-eps with eps relative to the gradient scale', () => {
  it("sets eps to adamEpsRatio x the median |g| of the first step, before that step; the paper's arm keeps 1e-4", async () => {
    const firstGrads: Float32Array[] = [];
    const epsSeen: number[] = [];
    type P = { grad: Float32Array };
    const r = await trainRun(
      { ...tiny, arm: 'adam-eps', lr: 0.003, seed: 4, adamEpsRatio: 2 },
      {
        onStep: (t: number, _l: number, opt: { groups: { eps: number }[] }, params: P[]) => {
          if (t === 1) firstGrads.push(...params.map((p) => p.grad.slice()));
          epsSeen.push(opt.groups[0].eps);
        },
      },
    );
    const all = Float32Array.from(firstGrads.flatMap((g) => Array.from(g, Math.abs))).sort();
    expect(r.firstGradScale).toBe(all[all.length >> 1]);
    expect(r.eps).toBe(2 * r.firstGradScale);
    expect(new Set(epsSeen)).toEqual(new Set([r.eps]));
    const paper: number[] = [];
    await trainRun(
      { ...tiny, arm: 'adam-eps-paper', lr: 0.003, seed: 4, paperEps: 1e-4 },
      { onStep: (_t: number, _l: number, opt: { groups: { eps: number }[] }) => paper.push(opt.groups[0].eps) },
    );
    expect(new Set(paper)).toEqual(new Set([1e-4]));
  });

  it('reports each curve point and histogram row as it makes them (what the page draws)', async () => {
    const points: number[][] = [];
    const rows: [number, number[]][] = [];
    const r = await trainRun(
      { ...tiny, arm: 'adam', lr: 0.003, seed: 5, curveEvery: 3 },
      { onCurve: (p: number[]) => points.push(p), onDeltas: (t: number, h: number[]) => rows.push([t, h]) },
    );
    expect(points).toEqual(r.curve);
    expect(r.curve.map((p: number[]) => p[0])).toEqual([1, 3, 6, 9, 12]);
    expect(rows.map(([t]) => t)).toEqual([1, 2, 3]);
    expect(rows.map(([, h]) => h)).toEqual(r.deltas);
  });

  it('a diverged run ends its curve in Infinity, on the curve step whose window holds the step', async () => {
    const r = await trainRun({ ...tiny, arm: 'sgd', lr: 1e6, seed: 1, curveEvery: 5 });
    expect(r.loss).toBe(Infinity);
    expect(r.curve.at(-1)[1]).toBe(Infinity);
    expect(r.curve.at(-1)[0] % 5).toBe(0);
  });
});

describe('demo: the MLP task (node demo/mlp.mjs)', () => {
  it('backprop matches finite differences', () => {
    const data = spirals({ perClass: 10 });
    const layers = initWeights([2, 8, 8, 4], 3);
    const idx = Array.from({ length: 40 }, (_: unknown, i: number) => i);
    const grads = layers.map((l: { W: Float32Array; b: Float32Array }) => ({
      W: new Float32Array(l.W.length),
      b: new Float32Array(l.b.length),
    }));
    lossAndGrad(layers, data, idx, grads);
    for (const [l, key, i] of [
      [0, 'W', 3],
      [1, 'W', 17],
      [1, 'b', 2],
      [2, 'W', 5],
      [2, 'b', 1],
    ] as const) {
      const w = layers[l][key];
      const h = 1e-3,
        x = w[i];
      w[i] = x + h;
      const up = lossAndGrad(layers, data, idx).loss;
      w[i] = x - h;
      const down = lossAndGrad(layers, data, idx).loss;
      w[i] = x;
      expect(grads[l][key][i]).toBeCloseTo((up - down) / (2 * h), 3);
    }
  });

  it.each(['adam', 'adam-warmup', 'radam'])('%s learns the spirals (short run)', async (optimizer) => {
    const r = await train({ optimizer, lr: 0.01, seed: 1, steps: 150, batch: 64, depth: 3, width: 32 });
    expect(r.curve[0][1]).toBeGreaterThan(1);
    expect(r.loss).toBeLessThan(0.7 * r.curve[0][1]);
    expect(r.accuracy).toBeGreaterThan(0.5);
  });
});
