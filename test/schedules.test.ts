// radam-wasm/schedules: torch.optim.lr_scheduler's trajectories (torch 1.13 goldens, and
// transcriptions of torch's formulas for what the goldens do not cover), step(epoch) against torch
// (goldens from test/golden/make-schedulers-epoch.py) and the arguments it refuses, torch's quirks,
// validation, bit-exact resume, and the three optimizers a schedule drives.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, RAdam } from '../src/index.js';
import {
  ConstantLR,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  ExponentialLR,
  LinearLR,
  type LRScheduler,
  MultiStepLR,
  OneCycleLR,
  PolynomialLR,
  ReduceLROnPlateau,
  type Schedulable,
  SequentialLR,
  StepLR,
} from '../src/schedules.js';
import { RAdamOptimizer } from '../src/tfjs.js';
import { loadFixture } from './support/golden.js';

interface SchedulerCase {
  name: string;
  scheduler: string;
  args: Record<string, unknown>;
  baseLrs: number[];
  steps: number;
  metrics?: number[];
  lrs: number[][];
}

const { cases } = loadFixture<{ cases: SchedulerCase[] }>('schedulers.json');
const TOLERANCE = 1e-9;

/** torch's keyword arguments in camelCase: T_max -> tMax, T_0 -> t0, max_lr -> maxLr. */
const camel = (k: string) =>
  k
    .split('_')
    .map((w, i) => (i === 0 ? w.toLowerCase() : w[0].toUpperCase() + w.slice(1)))
    .join('');

const CLASSES: Record<string, new (opt: Schedulable, options: never) => LRScheduler> = {
  StepLR,
  MultiStepLR,
  ExponentialLR,
  LinearLR,
  ConstantLR,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  PolynomialLR,
  OneCycleLR,
};

type AnySchedule = LRScheduler | ReduceLROnPlateau;

function build(opt: Schedulable, scheduler: string, args: Record<string, unknown>): AnySchedule {
  const options: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) {
    options[camel(k)] =
      k === 'schedulers' ? (v as [string, Record<string, unknown>][]).map(([name, a]) => build(opt, name, a)) : v;
  }
  if (scheduler === 'SequentialLR') return new SequentialLR(opt, options as never);
  if (scheduler === 'ReduceLROnPlateau') return new ReduceLROnPlateau(opt, options);
  return new CLASSES[scheduler](opt, options as never);
}

/** A js-backend RAdam with one group per base lr (no params: the schedules only touch lr). */
function optimizer(baseLrs: readonly number[], cls: typeof RAdam = RAdam): RAdam {
  const opt = cls.createSync({ lr: baseLrs[0], backend: 'js' });
  for (const lr of baseLrs.slice(1)) opt.addGroup({ lr });
  return opt;
}

const lrsOf = (opt: RAdam) => opt.groups.map((g) => g.lr);

/** Every group's lr as constructed, then after each step: the golden file's lrs[k]. */
function trajectory(opt: RAdam, sched: AnySchedule, steps: number, metrics?: readonly number[]): number[][] {
  const out = [lrsOf(opt)];
  for (let k = 0; k < steps; k++) {
    if (sched instanceof ReduceLROnPlateau) sched.step(metrics?.[k] ?? 1);
    else sched.step();
    out.push(lrsOf(opt));
  }
  return out;
}

const relError = (got: number, exp: number) => (got === exp ? 0 : Math.abs(got - exp) / Math.abs(exp));

describe('golden trajectories from torch 1.13 (test/golden/schedulers.json)', () => {
  const worst: Record<string, number> = {};
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const opt = optimizer(c.baseLrs);
    const sched = build(opt, c.scheduler, c.args);
    const got = trajectory(opt, sched, c.steps, c.metrics);
    expect(got.length).toBe(c.lrs.length);
    let w = 0;
    c.lrs.forEach((row, k) => {
      expect(row.length).toBe(c.baseLrs.length);
      row.forEach((exp, g) => {
        w = Math.max(w, relError(got[k][g], exp));
      });
    });
    worst[c.name] = w;
    expect(w).toBeLessThanOrEqual(TOLERANCE);
  });
  it('covers every schedule class but ConstantLR', () => {
    const covered = new Set(
      cases.flatMap((c) => [c.scheduler, ...((c.args.schedulers as [string][]) ?? []).map((s) => s[0])]),
    );
    expect([...covered].sort()).toEqual(
      [...Object.keys(CLASSES), 'SequentialLR', 'ReduceLROnPlateau'].filter((n) => n !== 'ConstantLR').sort(),
    );
    console.log(`schedulers.json worst relative error per case: ${JSON.stringify(worst)}`);
  });
});

// --- transcriptions of torch 1.13's formulas, for what the goldens do not cover ---------------------

/** torch's ConstantLR.get_lr, step by step. */
function torchConstant(base: number, factor: number, totalIters: number, steps: number): number[] {
  let lr = base;
  const out: number[] = [];
  for (let t = 0; t <= steps; t++) {
    if (t === 0) lr = lr * factor;
    else if (t === totalIters) lr = lr * (1.0 / factor);
    out.push(lr);
  }
  return out;
}

/** torch's OneCycleLR.get_lr (phases, anneal functions) for one group. */
function torchOneCycle(o: {
  maxLr: number;
  totalSteps: number;
  pctStart: number;
  anneal: 'cos' | 'linear';
  div: number;
  finalDiv: number;
  three: boolean;
}): number[] {
  const initial = o.maxLr / o.div;
  const min = initial / o.finalDiv;
  const phases = o.three
    ? [
        { end: o.pctStart * o.totalSteps - 1, a: initial, b: o.maxLr },
        { end: 2 * o.pctStart * o.totalSteps - 2, a: o.maxLr, b: initial },
        { end: o.totalSteps - 1, a: initial, b: min },
      ]
    : [
        { end: o.pctStart * o.totalSteps - 1, a: initial, b: o.maxLr },
        { end: o.totalSteps - 1, a: o.maxLr, b: min },
      ];
  const anneal =
    o.anneal === 'cos'
      ? (a: number, b: number, p: number) => b + ((a - b) / 2.0) * (Math.cos(Math.PI * p) + 1)
      : (a: number, b: number, p: number) => (b - a) * p + a;
  const out: number[] = [];
  for (let t = 0; t <= o.totalSteps; t++) {
    let start = 0;
    for (let i = 0; i < phases.length; i++) {
      if (t <= phases[i].end || i === phases.length - 1) {
        out.push(anneal(phases[i].a, phases[i].b, (t - start) / (phases[i].end - start)));
        break;
      }
      start = phases[i].end;
    }
  }
  return out;
}

describe('schedules against transcriptions of torch', () => {
  it('ConstantLR: factor until totalIters, then the lr times 1/factor', () => {
    for (const [factor, total] of [
      [1 / 3, 5],
      [0.5, 1],
      [0.1, 7],
      [1, 3],
    ]) {
      const opt = optimizer([0.1, 0.02]);
      const got = trajectory(opt, new ConstantLR(opt, { factor, totalIters: total }), 12);
      [0.1, 0.02].forEach((base, g) => {
        expect(got.map((r) => r[g])).toEqual(torchConstant(base, factor, total, 12));
      });
    }
    const opt = optimizer([0.3]);
    expect(trajectory(opt, new ConstantLR(opt), 6).map((r) => r[0])).toEqual(torchConstant(0.3, 1 / 3, 5, 6));
  });

  it.each([
    ['two phases, linear', { maxLr: 0.3, totalSteps: 30, pctStart: 0.3, anneal: 'linear', three: false }],
    ['two phases, cos, pctStart 0.25', { maxLr: 1, totalSteps: 17, pctStart: 0.25, anneal: 'cos', three: false }],
    ['three phases, cos', { maxLr: 0.05, totalSteps: 40, pctStart: 0.3, anneal: 'cos', three: true }],
  ] as const)('OneCycleLR, %s', (_, o) => {
    const opt = optimizer([0.1]);
    const sched = new OneCycleLR(opt, {
      maxLr: o.maxLr,
      totalSteps: o.totalSteps,
      pctStart: o.pctStart,
      annealStrategy: o.anneal,
      threePhase: o.three,
      divFactor: 10,
      finalDivFactor: 100,
    });
    // torch allows one step past the last phase (t = totalSteps), where 'linear' extrapolates below the
    // minimum lr, here below 0: the optimizer takes no negative lr, so it is written as 0.
    const exp = torchOneCycle({ ...o, div: 10, finalDiv: 100 }).map((lr) => Math.max(lr, 0));
    expect(trajectory(opt, sched, o.totalSteps).map((r) => r[0])).toEqual(exp);
    // torch raises past totalSteps; nothing changes
    expect(() => sched.step()).toThrow(`OneCycleLR: step ${o.totalSteps + 1} is past totalSteps (${o.totalSteps})`);
    expect(sched.lastEpoch).toBe(o.totalSteps);
    expect(opt.groups[0].lr).toBe(exp[o.totalSteps]);
  });

  it('OneCycleLR: epochs x stepsPerEpoch, and maxLr per group', () => {
    const opt = optimizer([0.1, 0.1]);
    const sched = new OneCycleLR(opt, { maxLr: [0.4, 0.04], epochs: 4, stepsPerEpoch: 5 });
    const got = trajectory(opt, sched, 20);
    const common = { totalSteps: 20, pctStart: 0.3, anneal: 'cos', div: 25, finalDiv: 1e4, three: false } as const;
    expect(got.map((r) => r[0])).toEqual(torchOneCycle({ ...common, maxLr: 0.4 }));
    expect(got.map((r) => r[1])).toEqual(torchOneCycle({ ...common, maxLr: 0.04 }));
  });

  /** torch's ReduceLROnPlateau.step, transcribed. */
  function torchPlateau(
    lrs: number[],
    metrics: number[],
    o: {
      mode: 'min' | 'max';
      thresholdMode: 'rel' | 'abs';
      threshold: number;
      factor: number;
      patience: number;
      cooldown: number;
      minLr: number[];
      eps: number;
    },
  ): number[][] {
    let best = o.mode === 'min' ? Infinity : -Infinity;
    let bad = 0;
    let cool = 0;
    const out = [lrs.slice()];
    const better = (a: number) =>
      o.mode === 'min'
        ? o.thresholdMode === 'rel'
          ? a < best * (1 - o.threshold)
          : a < best - o.threshold
        : o.thresholdMode === 'rel'
          ? a > best * (o.threshold + 1)
          : a > best + o.threshold;
    for (const m of metrics) {
      if (better(m)) {
        best = m;
        bad = 0;
      } else bad += 1;
      if (cool > 0) {
        cool -= 1;
        bad = 0;
      }
      if (bad > o.patience) {
        lrs = lrs.map((old, k) => {
          const nu = Math.max(old * o.factor, o.minLr[k]);
          return old - nu > o.eps ? nu : old;
        });
        cool = o.cooldown;
        bad = 0;
      }
      out.push(lrs.slice());
    }
    return out;
  }

  const noisy = (n: number, up: boolean) =>
    Array.from({ length: n }, (_, i) => {
      const trend = up ? Math.min(i, 8) * 0.1 : 1 / (1 + Math.min(i, 8));
      return trend + ((i * 7919) % 13) * 1e-5;
    });

  it.each([
    ['max, rel', { mode: 'max', thresholdMode: 'rel', threshold: 1e-3 }, true],
    ['max, abs', { mode: 'max', thresholdMode: 'abs', threshold: 0.05 }, true],
    ['min, abs', { mode: 'min', thresholdMode: 'abs', threshold: 0.01 }, false],
    ['min, rel', { mode: 'min', thresholdMode: 'rel', threshold: 0.1 }, false],
  ] as const)('ReduceLROnPlateau, %s, two groups with their own minLr', (_, modes, up) => {
    const o = { ...modes, factor: 0.5, patience: 2, cooldown: 2, minLr: [0.01, 0.0001], eps: 1e-8 };
    const opt = optimizer([0.1, 0.001]);
    const sched = new ReduceLROnPlateau(opt, o);
    const metrics = noisy(40, up);
    const exp = torchPlateau([0.1, 0.001], metrics, o);
    expect(trajectory(opt, sched, metrics.length, metrics)).toEqual(exp);
    expect(exp.at(-1)).toEqual([0.01, 0.0001]); // the trajectories reach minLr
  });

  it('ReduceLROnPlateau: eps skips reductions smaller than it; NaN metrics are bad epochs', () => {
    const opt = optimizer([1e-9]);
    const sched = new ReduceLROnPlateau(opt, { patience: 0 });
    sched.step(1);
    sched.step(2);
    expect(opt.groups[0].lr).toBe(1e-9); // 1e-9 - 1e-10 < eps 1e-8
    const opt2 = optimizer([0.1]);
    const s2 = new ReduceLROnPlateau(opt2, { patience: 1, factor: 0.5 });
    for (const m of [1, Number.NaN, Number.NaN]) s2.step(m);
    expect(opt2.groups[0].lr).toBe(0.05);
    expect(s2.best).toBe(1);
  });
});

// --- step(epoch): torch 1.13 with epoch arguments (test/golden/schedulers-epoch.json) -------------

interface EpochState {
  lrs: number[];
  last_epoch: number;
  step_count?: number;
  T_cur?: number;
  T_i?: number;
  best?: number | string;
  num_bad_epochs?: number;
  cooldown_counter?: number;
}
interface EpochCase {
  name: string;
  scheduler: string;
  args: Record<string, unknown>;
  baseLrs: number[];
  calls: { epoch: number | null; metric?: number }[];
  states: EpochState[];
}
type Call = EpochCase['calls'][number];

const epochCases = loadFixture<{ cases: EpochCase[] }>('schedulers-epoch.json').cases;

/** One call of a case; `none` stands for torch's None: `undefined` is step(), `null` step(null). */
function callStep(s: AnySchedule, c: Call, none: undefined | null): void {
  const epoch = c.epoch ?? none;
  if (s instanceof ReduceLROnPlateau) {
    if (epoch === undefined) s.step(c.metric as number);
    else s.step(c.metric as number, epoch);
  } else if (s instanceof SequentialLR || epoch === undefined) s.step();
  else s.step(epoch);
}

/** The schedule's state in the golden file's terms. */
function stateOf(opt: RAdam, s: AnySchedule): EpochState {
  const out: EpochState = { lrs: lrsOf(opt), last_epoch: s.lastEpoch };
  if (s instanceof ReduceLROnPlateau) {
    const sd = s.stateDict();
    return { ...out, best: sd.best, num_bad_epochs: sd.numBadEpochs, cooldown_counter: sd.cooldownCounter };
  }
  if (!(s instanceof SequentialLR)) out.step_count = s.stateDict().stepCount;
  if (s instanceof CosineAnnealingWarmRestarts) return { ...out, T_cur: s.tCur, T_i: s.tI };
  return out;
}

/** The worst relative error of the floats (lrs, T_cur); everything else must be equal. */
function compareState(got: EpochState, exp: EpochState, where: string): number {
  const { lrs: gl, T_cur: gt, ...gRest } = got;
  const { lrs: el, T_cur: et, ...eRest } = exp;
  expect(gRest, where).toEqual(eRest);
  expect(gl.length, where).toBe(el.length);
  let w = 0;
  gl.forEach((lr, g) => {
    w = Math.max(w, relError(lr, el[g]));
  });
  if (et !== undefined) w = Math.max(w, relError(gt as number, et));
  return w;
}

describe('step(epoch): golden trajectories from torch 1.13 (test/golden/schedulers-epoch.json)', () => {
  const worst: Record<string, number> = {};
  it.each(
    epochCases.flatMap((c) => [
      [`${c.name}, None as step()`, c, undefined],
      [`${c.name}, None as step(null)`, c, null],
    ]) as [string, EpochCase, undefined | null][],
  )('%s', (_, c, none) => {
    const opt = optimizer(c.baseLrs);
    const sched = build(opt, c.scheduler, c.args);
    expect(c.states.length).toBe(c.calls.length + 1);
    let w = compareState(stateOf(opt, sched), c.states[0], `${c.name}, as built`);
    c.calls.forEach((call, k) => {
      callStep(sched, call, none);
      w = Math.max(
        w,
        compareState(stateOf(opt, sched), c.states[k + 1], `${c.name}, call ${k + 1}: ${JSON.stringify(call)}`),
      );
    });
    worst[c.name] = Math.max(worst[c.name] ?? 0, w);
    expect(w).toBeLessThanOrEqual(TOLERANCE);
  });

  it('covers every schedule that takes an epoch, fractional and integer, forwards and backwards', () => {
    const covered = new Set(epochCases.map((c) => c.scheduler));
    expect([...covered].sort()).toEqual(
      [...Object.keys(CLASSES), 'ReduceLROnPlateau', 'SequentialLR'].sort(), // SequentialLR: CAWR's step(0)
    );
    const cawr = epochCases.filter((c) => c.scheduler === 'CosineAnnealingWarmRestarts');
    const epochs = cawr.flatMap((c) => c.calls.map((k) => k.epoch).filter((e): e is number => e !== null));
    expect(epochs.some((e) => !Number.isInteger(e))).toBe(true);
    expect(new Set(cawr.map((c) => c.args.T_mult))).toEqual(new Set([1, 2, 3, 4, 5, 7, 10]));
    // torch's quirk kept: log(243) / log(3) < 5, so epoch 121 (t0 1, tMult 3) ends a cycle: lr = etaMin
    const b = cawr.find((c) => c.name === 'cawr_tmult3_boundaries') as EpochCase;
    const at121 = b.states[b.calls.findIndex((k) => k.epoch === 121) + 1];
    expect([at121.T_cur, at121.T_i, at121.lrs[0]]).toEqual([81, 81, 0.001]);
    console.log(`schedulers-epoch.json worst relative error per case: ${JSON.stringify(worst)}`);
  });

  it.each(epochCases.map((c) => [c.name, c] as const))('%s: save halfway, resume bit-exactly', (_, c) => {
    const run = (opt: RAdam, s: AnySchedule, calls: Call[]) =>
      calls.map((k) => {
        callStep(s, k, undefined);
        return stateOf(opt, s);
      });
    const full = optimizer(c.baseLrs);
    const expected = run(full, build(full, c.scheduler, c.args), c.calls);
    const half = c.calls.length >> 1;
    const first = optimizer(c.baseLrs);
    const s1 = build(first, c.scheduler, c.args);
    const before = run(first, s1, c.calls.slice(0, half));
    const fresh = optimizer(c.baseLrs);
    const s2 = build(fresh, c.scheduler, c.args);
    s2.loadStateDict(JSON.parse(JSON.stringify(s1.stateDict())));
    expect(stateOf(fresh, s2)).toEqual(before.at(-1));
    expect([...before, ...run(fresh, s2, c.calls.slice(half))]).toEqual(expected);
  });

  it('CosineAnnealingWarmRestarts: step(null) is step(), never a restart at epoch 0', () => {
    const a = optimizer([0.1]);
    const b = optimizer([0.1]);
    const sa = new CosineAnnealingWarmRestarts(a, { t0: 4, tMult: 2, etaMin: 0.001 });
    const sb = new CosineAnnealingWarmRestarts(b, { t0: 4, tMult: 2, etaMin: 0.001 });
    for (const s of [sa, sb]) for (const e of [undefined, 2.5, undefined, 13.25]) s.step(e);
    sa.step();
    sb.step(null);
    expect(sb.stateDict()).toEqual(sa.stateDict());
    expect([sb.tCur, sb.tI, sb.lastEpoch]).toEqual([2.25, 16, 14]);
    expect(b.groups[0].lr).toBe(a.groups[0].lr);
    expect(b.groups[0].lr).not.toBe(0.1); // what a restart at 0 would give
  });

  it('every other schedule: step(null) is step(); step(epoch) jumps to the closed form there', () => {
    const a = optimizer([0.1]);
    const b = optimizer([0.1]);
    const sa = new StepLR(a, { stepSize: 2, gamma: 0.5 });
    const sb = new StepLR(b, { stepSize: 2, gamma: 0.5 });
    sa.step();
    sb.step(null);
    expect(sb.stateDict()).toEqual(sa.stateDict());
    sb.step(10); // the example: torch's lr at epoch 10, 0.1 * 0.5^5
    expect([sb.lastEpoch, b.groups[0].lr]).toEqual([10, 0.1 * 0.5 ** 5]);
    const p = new ReduceLROnPlateau(a);
    p.step(1, null);
    p.step(1, 7);
    p.step(1);
    expect(p.lastEpoch).toBe(8);
  });
});

describe('step(epoch): refused arguments throw a named error and change nothing', () => {
  type Snapshot = { state: unknown; lrs: number[] };
  const snap = (opt: RAdam, s: AnySchedule): Snapshot => ({
    state: JSON.parse(JSON.stringify(s.stateDict())),
    lrs: lrsOf(opt),
  });
  const cawr = 'CosineAnnealingWarmRestarts.step: epoch must be a finite number >= 0 (at most 2^53 - 1), got';
  const whole = (name: string) =>
    `${name}.step: epoch must be an integer >= 0 (fractional: CosineAnnealingWarmRestarts only), got`;
  const cases: [string, string, Record<string, unknown>, (s: never) => void, string, ErrorConstructor][] = [
    [
      'negative',
      'CosineAnnealingWarmRestarts',
      { T_0: 3, T_mult: 2 },
      (s: LRScheduler) => s.step(-1),
      `${cawr} -1`,
      RangeError,
    ],
    [
      'negative fraction',
      'CosineAnnealingWarmRestarts',
      { T_0: 3 },
      (s: LRScheduler) => s.step(-0.5),
      `${cawr} -0.5`,
      RangeError,
    ],
    [
      'NaN',
      'CosineAnnealingWarmRestarts',
      { T_0: 3 },
      (s: LRScheduler) => s.step(Number.NaN),
      `${cawr} NaN`,
      RangeError,
    ],
    [
      'Infinity',
      'CosineAnnealingWarmRestarts',
      { T_0: 3 },
      (s: LRScheduler) => s.step(Infinity),
      `${cawr} Infinity`,
      RangeError,
    ],
    [
      '2^53',
      'CosineAnnealingWarmRestarts',
      { T_0: 3 },
      (s: LRScheduler) => s.step(2 ** 53),
      `${cawr} 9007199254740992`,
      RangeError,
    ],
    [
      'a cycle past 2^53',
      'CosineAnnealingWarmRestarts',
      { T_0: 1, T_mult: 1000 },
      (s: LRScheduler) => s.step(2 ** 52),
      'CosineAnnealingWarmRestarts.step: epoch 4503599627370496 is in a cycle longer than 2^53 - 1 epochs (t0 1, tMult 1000)',
      RangeError,
    ],
    [
      'a string',
      'CosineAnnealingWarmRestarts',
      { T_0: 3 },
      (s: LRScheduler) => s.step('2' as never),
      `${cawr} "2"`,
      TypeError,
    ],
    [
      'a boolean',
      'CosineAnnealingWarmRestarts',
      { T_0: 3 },
      (s: LRScheduler) => s.step(true as never),
      `${cawr} true`,
      TypeError,
    ],
    ['a fraction', 'StepLR', { step_size: 2 }, (s: LRScheduler) => s.step(2.5), `${whole('StepLR')} 2.5`, RangeError],
    [
      'negative',
      'ExponentialLR',
      { gamma: 0.9 },
      (s: LRScheduler) => s.step(-1),
      `${whole('ExponentialLR')} -1`,
      RangeError,
    ],
    [
      'NaN',
      'CosineAnnealingLR',
      { T_max: 5 },
      (s: LRScheduler) => s.step(Number.NaN),
      `${whole('CosineAnnealingLR')} NaN`,
      RangeError,
    ],
    [
      'a string',
      'MultiStepLR',
      { milestones: [2] },
      (s: LRScheduler) => s.step('3' as never),
      `${whole('MultiStepLR')} "3"`,
      TypeError,
    ],
    [
      'a bigint',
      'LinearLR',
      {},
      (s: LRScheduler) => s.step(3n as never),
      `${whole('LinearLR')} [object BigInt]`,
      TypeError,
    ],
    [
      'unsafe',
      'PolynomialLR',
      {},
      (s: LRScheduler) => s.step(2 ** 60),
      `${whole('PolynomialLR')} ${2 ** 60}`,
      RangeError,
    ],
    ['a fraction', 'ConstantLR', {}, (s: LRScheduler) => s.step(0.5), `${whole('ConstantLR')} 0.5`, RangeError],
    [
      'past totalSteps',
      'OneCycleLR',
      { max_lr: 0.1, total_steps: 10 },
      (s: LRScheduler) => s.step(11),
      'OneCycleLR: step 11 is past totalSteps (10): the cycle is over',
      RangeError,
    ],
    [
      'any epoch',
      'SequentialLR',
      {
        schedulers: [
          ['StepLR', { step_size: 2 }],
          ['ExponentialLR', { gamma: 0.9 }],
        ],
        milestones: [3],
      },
      (s: SequentialLR) => s.step(3 as never),
      "SequentialLR.step: takes no epoch (torch's SequentialLR.step() has none), got 3; call step() once per epoch",
      TypeError,
    ],
    [
      'null (torch: a TypeError too)',
      'SequentialLR',
      { schedulers: [['StepLR', { step_size: 2 }]], milestones: [] },
      (s: SequentialLR) => s.step(null as never),
      'SequentialLR.step: takes no epoch',
      TypeError,
    ],
    [
      'a fraction',
      'ReduceLROnPlateau',
      {},
      (s: ReduceLROnPlateau) => s.step(0.5, 2.5),
      `${whole('ReduceLROnPlateau')} 2.5`,
      RangeError,
    ],
    [
      'a string',
      'ReduceLROnPlateau',
      {},
      (s: ReduceLROnPlateau) => s.step(0.5, '2' as never),
      `${whole('ReduceLROnPlateau')} "2"`,
      TypeError,
    ],
  ];
  it.each(cases)('%s: %s', (_, name, args, call, message, Err) => {
    const opt = optimizer([0.1, 0.02]);
    const s = build(opt, name, args);
    if (s instanceof ReduceLROnPlateau) s.step(1);
    else s.step(); // a state that is not the initial one
    const before = snap(opt, s);
    expect(() => call(s as never)).toThrow(message);
    expect(() => call(s as never)).toThrow(Err);
    expect(snap(opt, s)).toEqual(before);
  });
});

// --- torch's quirks ----------------------------------------------------------------------------------

describe("torch's quirks", () => {
  it('each group keeps its own base lr: a two-group trajectory is the two one-group ones', () => {
    const make: [string, Record<string, unknown>][] = [
      ['StepLR', { step_size: 3, gamma: 0.7 }],
      ['MultiStepLR', { milestones: [2, 5, 5, 9], gamma: 0.5 }],
      ['ExponentialLR', { gamma: 0.9 }],
      ['LinearLR', { start_factor: 0.2, end_factor: 0.9, total_iters: 6 }],
      ['ConstantLR', { factor: 0.25, total_iters: 4 }],
      ['CosineAnnealingLR', { T_max: 5, eta_min: 0.0005 }],
      ['CosineAnnealingWarmRestarts', { T_0: 3, T_mult: 2, eta_min: 0.0001 }],
      ['PolynomialLR', { total_iters: 8, power: 1.5 }],
      ['OneCycleLR', { max_lr: 0.2, total_steps: 15, three_phase: true }],
      [
        'SequentialLR',
        {
          schedulers: [
            ['ConstantLR', { factor: 0.5, total_iters: 3 }],
            ['ExponentialLR', { gamma: 0.8 }],
          ],
          milestones: [4],
        },
      ],
    ];
    for (const [name, args] of make) {
      const both = optimizer([0.1, 0.003]);
      const got = trajectory(both, build(both, name, args), 15);
      [0.1, 0.003].forEach((base, g) => {
        const one = optimizer([base]);
        const alone = trajectory(one, build(one, name, args), 15).map((r) => r[0]);
        expect(
          got.map((r) => r[g]),
          `${name}, group ${g}`,
        ).toEqual(alone);
      });
    }
  });

  it('the first schedule on an optimizer records initial_lr; later ones take their base lrs from it', () => {
    const opt = optimizer([0.1, 0.01]);
    const warm = new ConstantLR(opt, { factor: 0.5 });
    expect(lrsOf(opt)).toEqual([0.05, 0.005]);
    const decay = new StepLR(opt, { stepSize: 2 });
    expect(decay.baseLrs).toEqual([0.1, 0.01]); // not the current 0.05
    expect(warm.baseLrs).toEqual([0.1, 0.01]);
    // OneCycleLR overwrites initial_lr with maxLr / divFactor, so a schedule built after it starts from there
    const opt2 = optimizer([0.1]);
    new OneCycleLR(opt2, { maxLr: 1, totalSteps: 10 });
    expect(new ExponentialLR(opt2, { gamma: 0.5 }).baseLrs).toEqual([1 / 25]);
    // ReduceLROnPlateau neither records nor reads it
    const opt3 = optimizer([0.1]);
    new ReduceLROnPlateau(opt3);
    opt3.groups[0].lr = 0.2;
    expect(new ExponentialLR(opt3, { gamma: 0.5 }).baseLrs).toEqual([0.2]);
  });

  it('chainable schedules compose (two on one optimizer multiply), and keep outside changes to the lr', () => {
    const opt = optimizer([1]);
    const a = new ExponentialLR(opt, { gamma: 0.5 });
    const b = new StepLR(opt, { stepSize: 2, gamma: 0.1 });
    a.step();
    b.step();
    a.step();
    b.step();
    expect(opt.groups[0].lr).toBe(1 * 0.5 * 0.5 * 0.1);
    opt.groups[0].lr = 3;
    a.step();
    expect(opt.groups[0].lr).toBe(1.5);
  });

  it('SequentialLR resets the lrs at construction, restarts schedules from their closed form at milestones', () => {
    const opt = optimizer([0.1]);
    const warm = new LinearLR(opt, { startFactor: 0.5, totalIters: 2 });
    const exp = new ExponentialLR(opt, { gamma: 0.9 });
    expect(opt.groups[0].lr).toBe(0.05); // ExponentialLR's initial step keeps the lr LinearLR set
    const seq = new SequentialLR(opt, { schedulers: [warm, exp], milestones: [3] });
    expect(opt.groups[0].lr).toBe(0.1 * 0.5); // reset to 0.1, then LinearLR's initial step again
    expect([warm.lastEpoch, exp.lastEpoch]).toEqual([0, -1]);
    const got = [opt.groups[0].lr];
    for (let k = 0; k < 6; k++) {
      seq.step();
      got.push(opt.groups[0].lr);
    }
    // epochs 1, 2 warm up (0.075, 0.1); 3 is the milestone: ExponentialLR.step(0), its closed form 0.1 * 0.9^0;
    // then ExponentialLR's chainable steps
    expect(got).toEqual([0.05, 0.07500000000000001, 0.1, 0.1, 0.1 * 0.9, 0.1 * 0.9 * 0.9, 0.1 * 0.9 * 0.9 * 0.9]);
    expect(seq.getLastLr()).toEqual([opt.groups[0].lr]);
    expect(seq.schedulers).toEqual([warm, exp]);
  });

  it('CosineAnnealingLR rises again after tMax (period 2 tMax), no restart', () => {
    const opt = optimizer([0.1]);
    const got = trajectory(opt, new CosineAnnealingLR(opt, { tMax: 4 }), 8).map((r) => r[0]);
    expect(got[4]).toBe(0);
    expect(got[8]).toBeCloseTo(0.1, 15);
  });
});

// --- validation -------------------------------------------------------------------------------------

describe('validation: errors name the value, and nothing changes on error', () => {
  const opt = optimizer([0.1]);
  it.each([
    [() => new StepLR(opt, { stepSize: 0 }), 'StepLR: stepSize must be a positive integer, got 0'],
    [() => new StepLR(opt, { stepSize: 2.5 }), 'StepLR: stepSize must be a positive integer, got 2.5'],
    [() => new StepLR(opt, {} as never), 'StepLR: the option stepSize is required'],
    [() => new StepLR(opt, undefined as never), 'StepLR: the options must be an object with stepSize, got undefined'],
    [() => new StepLR(opt, { stepSize: 1, gamma: -1 }), 'StepLR: gamma must be a finite number > 0, got -1'],
    [
      () => new StepLR(opt, { stepSize: 1, gama: 0.5 } as never),
      'StepLR: unknown option "gama" (known: stepSize, gamma)',
    ],
    [() => new StepLR({} as never, { stepSize: 1 }), 'StepLR: expected an optimizer'],
    [() => new StepLR(null as never, { stepSize: 1 }), 'got null'],
    [() => new MultiStepLR(opt, { milestones: [3, -1] }), 'MultiStepLR: milestones[1] must be an integer >= 0, got -1'],
    [
      () => new MultiStepLR(opt, { milestones: 3 as never }),
      'MultiStepLR: milestones must be an array of integers >= 0, got 3',
    ],
    [() => new ExponentialLR(opt, { gamma: Number.NaN }), 'ExponentialLR: gamma must be a finite number > 0, got NaN'],
    [
      () => new ExponentialLR(opt, { gamma: '0.9' as never }),
      'ExponentialLR: gamma must be a finite number > 0, got "0.9"',
    ],
    [() => new ConstantLR(opt, { factor: 0 }), 'ConstantLR: factor must be a number in (0, 1], got 0'],
    [() => new ConstantLR(opt, { totalIters: 0 }), 'ConstantLR: totalIters must be a positive integer, got 0'],
    [() => new LinearLR(opt, { startFactor: 1.5 }), 'LinearLR: startFactor must be a number in (0, 1], got 1.5'],
    [() => new LinearLR(opt, { endFactor: -0.1 }), 'LinearLR: endFactor must be a number in [0, 1], got -0.1'],
    [() => new CosineAnnealingLR(opt, { tMax: 0 }), 'CosineAnnealingLR: tMax must be a positive integer, got 0'],
    [
      () => new CosineAnnealingLR(opt, { tMax: 5, etaMin: -1 }),
      'CosineAnnealingLR: etaMin must be a finite number >= 0, got -1',
    ],
    [
      () => new CosineAnnealingLR(opt, { T_max: 5 } as never),
      'CosineAnnealingLR: unknown option "T_max" (known: tMax, etaMin)',
    ],
    [
      () => new CosineAnnealingWarmRestarts(opt, { t0: 2, tMult: 0 }),
      'CosineAnnealingWarmRestarts: tMult must be an integer >= 1, got 0',
    ],
    [() => new PolynomialLR(opt, { power: -1 }), 'PolynomialLR: power must be a finite number >= 0, got -1'],
    [() => new OneCycleLR(opt, { maxLr: 0.1 }), 'OneCycleLR: give totalSteps, or epochs and stepsPerEpoch'],
    [
      () => new OneCycleLR(opt, { maxLr: [0.1, 0.2], totalSteps: 5 }),
      'OneCycleLR: maxLr must have one value per param group (1), got [0.1, 0.2]',
    ],
    [
      () => new OneCycleLR(opt, { maxLr: 0, totalSteps: 5 }),
      'OneCycleLR: maxLr must be a finite number > 0 (or an array of them, one per group), got 0',
    ],
    [
      () => new OneCycleLR(opt, { maxLr: 1, totalSteps: 5, pctStart: 2 }),
      'OneCycleLR: pctStart must be a number in [0, 1], got 2',
    ],
    [
      () => new OneCycleLR(opt, { maxLr: 1, totalSteps: 5, annealStrategy: 'exp' as never }),
      `OneCycleLR: annealStrategy must be 'cos' or 'linear', got "exp"`,
    ],
    [
      () => new OneCycleLR(opt, { maxLr: 1, totalSteps: 5, cycleMomentum: true as never }),
      'OneCycleLR: cycleMomentum must be false, got true',
    ],
    [
      () => new OneCycleLR(opt, { maxLr: 1, epochs: 2, stepsPerEpoch: 0 }),
      'OneCycleLR: stepsPerEpoch must be a positive integer, got 0',
    ],
    [() => new ReduceLROnPlateau(opt, { factor: 1 }), 'ReduceLROnPlateau: factor must be a number in [0, 1), got 1'],
    [
      () => new ReduceLROnPlateau(opt, { mode: 'low' as never }),
      `ReduceLROnPlateau: mode must be 'min' or 'max', got "low"`,
    ],
    [
      () => new ReduceLROnPlateau(opt, { thresholdMode: 'ABS' as never }),
      `ReduceLROnPlateau: thresholdMode must be 'rel' or 'abs', got "ABS"`,
    ],
    [() => new ReduceLROnPlateau(opt, { patience: -1 }), 'ReduceLROnPlateau: patience must be an integer >= 0, got -1'],
    [
      () => new ReduceLROnPlateau(opt, { minLr: [0, 0] }),
      'ReduceLROnPlateau: minLr must have one value per param group (1), got [0, 0]',
    ],
    [
      () => new ReduceLROnPlateau(opt).step('0.5' as never),
      'ReduceLROnPlateau: step(metric) needs the metric as a number, got "0.5"',
    ],
    [
      () => new SequentialLR(opt, { schedulers: [], milestones: [] }),
      'SequentialLR: schedulers must be a non-empty array of schedules, got []',
    ],
    [
      () =>
        new SequentialLR(opt, {
          schedulers: [new StepLR(opt, { stepSize: 1 }), new StepLR(opt, { stepSize: 1 })],
          milestones: [],
        }),
      'SequentialLR: milestones must be 1 increasing positive integers (one fewer than the 2 schedulers), got []',
    ],
    [
      () => new SequentialLR(opt, { schedulers: [new ReduceLROnPlateau(opt) as never], milestones: [] }),
      'SequentialLR: schedulers[0] must be a schedule other than SequentialLR and ReduceLROnPlateau',
    ],
    [
      () => new SequentialLR(opt, { schedulers: [new StepLR(optimizer([0.1]), { stepSize: 1 })], milestones: [] }),
      'SequentialLR: schedulers[0] (StepLR) is built on another optimizer',
    ],
  ])('%#: %s', (make, message) => {
    expect(make).toThrow(message);
  });

  it('a bad option changes nothing: no initial_lr recorded, no lr written', () => {
    const o = optimizer([0.1]);
    expect(() => new LinearLR(o, { startFactor: 0 })).toThrow(
      'LinearLR: startFactor must be a number in (0, 1], got 0',
    );
    o.groups[0].lr = 0.5;
    expect(new ExponentialLR(o, { gamma: 0.5 }).baseLrs).toEqual([0.5]);
  });

  it('a group added after the schedule is an error, not silently unscheduled', () => {
    const o = optimizer([0.1]);
    const s = new StepLR(o, { stepSize: 1 });
    o.addGroup({ lr: 0.2 });
    expect(() => s.step()).toThrow('StepLR: the optimizer has 2 param groups, the schedule was built for 1');
    expect(s.lastEpoch).toBe(0);
  });

  it('loadStateDict validates everything first: on error nothing changes', () => {
    const o = optimizer([0.1]);
    const s = new CosineAnnealingLR(o, { tMax: 10 });
    s.step();
    const good = s.stateDict();
    const lr = o.groups[0].lr;
    const bad: [unknown, string][] = [
      [null, 'CosineAnnealingLR.loadStateDict: the state must be an object from stateDict(), got null'],
      [
        { ...good, schedule: 'StepLR' },
        'CosineAnnealingLR.loadStateDict: the state is of "StepLR", not CosineAnnealingLR',
      ],
      [{ ...good, lastEpoch: 1.5 }, 'CosineAnnealingLR.loadStateDict: lastEpoch must be an integer >= -1, got 1.5'],
      [
        { ...good, lastLr: [0.1, 0.2] },
        'CosineAnnealingLR.loadStateDict: lastLr must be an array of 1 finite numbers >= 0',
      ],
      [{ ...good, options: { tMax: 0 } }, 'CosineAnnealingLR: tMax must be a positive integer, got 0'],
      [{ ...good, baseLrs: [-1] }, 'CosineAnnealingLR.loadStateDict: baseLrs must be an array of 1'],
    ];
    for (const [state, message] of bad) {
      expect(() => s.loadStateDict(state as never)).toThrow(message);
      expect(s.stateDict()).toEqual(good);
      expect(o.groups[0].lr).toBe(lr);
    }
    const p = new ReduceLROnPlateau(o);
    const pGood = p.stateDict();
    expect(pGood.best).toBe('Infinity');
    expect(() => p.loadStateDict({ ...pGood, best: 'inf' as never })).toThrow(
      `ReduceLROnPlateau.loadStateDict: best must be a number, 'Infinity' or '-Infinity', got "inf"`,
    );
    expect(() => p.loadStateDict({ ...pGood, numBadEpochs: -1 })).toThrow(
      'ReduceLROnPlateau.loadStateDict: numBadEpochs must be an integer >= 0, got -1',
    );
    expect(p.stateDict()).toEqual(pGood);
    const seq = new SequentialLR(o, {
      schedulers: [new StepLR(o, { stepSize: 2 }), new ExponentialLR(o, { gamma: 0.5 })],
      milestones: [3],
    });
    const sGood = seq.stateDict();
    const broken = JSON.parse(JSON.stringify(sGood));
    broken.schedulers[1].stepCount = -2;
    expect(() => seq.loadStateDict(broken)).toThrow(
      'SequentialLR.loadStateDict: schedulers[1]: stepCount must be an integer >= 0, got -2',
    );
    expect(seq.stateDict()).toEqual(sGood);
  });
});

// --- resume ------------------------------------------------------------------------------------------

describe('resume: save mid-schedule, load into a fresh optimizer and schedule, continue bit-exactly', () => {
  const plans: [string, Record<string, unknown>, number][] = [
    ['StepLR', { step_size: 3, gamma: 0.5 }, 7],
    ['MultiStepLR', { milestones: [2, 6, 6], gamma: 0.3 }, 4],
    ['ExponentialLR', { gamma: 0.93 }, 9],
    ['LinearLR', { start_factor: 0.01, total_iters: 20 }, 11],
    ['ConstantLR', { factor: 0.3, total_iters: 6 }, 3],
    ['CosineAnnealingLR', { T_max: 7, eta_min: 0.001 }, 9], // past T_max: the chainable form's rise
    ['CosineAnnealingWarmRestarts', { T_0: 3, T_mult: 2, eta_min: 0.001 }, 10],
    ['PolynomialLR', { total_iters: 15, power: 2 }, 5],
    ['OneCycleLR', { max_lr: [0.5, 0.05], total_steps: 30, anneal_strategy: 'linear', three_phase: true }, 12],
    [
      'SequentialLR',
      {
        schedulers: [
          ['LinearLR', { start_factor: 0.1, total_iters: 5 }],
          ['CosineAnnealingLR', { T_max: 20 }],
        ],
        milestones: [5],
      },
      3,
    ],
    [
      'SequentialLR',
      {
        schedulers: [
          ['LinearLR', { start_factor: 0.1, total_iters: 5 }],
          ['CosineAnnealingWarmRestarts', { T_0: 4 }],
        ],
        milestones: [5],
      },
      8,
    ],
    ['ReduceLROnPlateau', { patience: 1, factor: 0.5, cooldown: 1, min_lr: [0.001, 0] }, 6],
  ];
  const metrics = Array.from({ length: 30 }, (_, i) => 1 / (1 + Math.min(i, 5)) + (i % 3) * 1e-3);

  it.each(plans.map((p) => [`${p[0]} at ${p[2]}`, p] as const))('%s', (_, [name, args, at]) => {
    const steps = 25;
    const full = optimizer([0.1, 0.003]);
    const expected = trajectory(full, build(full, name, args), steps, metrics);

    const first = optimizer([0.1, 0.003]);
    const s1 = build(first, name, args);
    const before = trajectory(first, s1, at, metrics);
    const saved = JSON.stringify(s1.stateDict()); // plain JSON
    const fresh = optimizer([0.1, 0.003]);
    const s2 = build(fresh, name, args);
    s2.loadStateDict(JSON.parse(saved));
    expect(lrsOf(fresh)).toEqual(before.at(-1));
    const after = trajectory(fresh, s2, steps - at, metrics.slice(at));
    expect([...before, ...after.slice(1)]).toEqual(expected);
  });
});

// --- the optimizers a schedule drives ---------------------------------------------------------------

describe('RAdam, Adam and the tfjs RAdamOptimizer', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await RAdamOptimizer.ready();
  });

  const golden = cases.find((c) => c.name === 'sequential_warmup_cosine') as SchedulerCase;

  it.each([
    ['RAdam', () => RAdam.createSync({ lr: 0.1, backend: 'js' })],
    ['Adam', () => Adam.createSync({ lr: 0.1, backend: 'js' })],
  ] as const)('%s: the golden SequentialLR trajectory, and each step uses the scheduled lr', (_, make) => {
    const opt = make();
    const twin = make(); // the same training with the lrs set by hand
    const w = opt.addParam([1, -2, 3]);
    const v = twin.addParam([1, -2, 3]);
    const sched = build(opt, golden.scheduler, golden.args) as LRScheduler;
    for (let k = 0; k < golden.steps; k++) {
      expect(relError(opt.groups[0].lr, golden.lrs[k][0])).toBeLessThanOrEqual(TOLERANCE);
      twin.groups[0].lr = opt.groups[0].lr;
      for (const p of [w, v]) p.grad.set(p.data.map((x) => 2 * x));
      opt.step();
      twin.step();
      sched.step();
    }
    expect(Array.from(w.data)).toEqual(Array.from(v.data));
    // the lr changes what a step does: a constant-lr run ends elsewhere
    const fixed = make();
    const u = fixed.addParam([1, -2, 3]);
    for (let k = 0; k < golden.steps; k++) {
      u.grad.set(u.data.map((x) => 2 * x));
      fixed.step();
    }
    expect(Array.from(u.data)).not.toEqual(Array.from(w.data));
    opt.dispose();
    twin.dispose();
    fixed.dispose();
  });

  it('RAdamOptimizer: learningRate is its one group; applyGradients uses the scheduled lr', () => {
    const opt = new RAdamOptimizer({ learningRate: 0.1, backend: 'js' });
    const twin = new RAdamOptimizer({ learningRate: 0.1, backend: 'js' });
    const w = tf.variable(tf.tensor1d([1, -2, 3]), true, 'sched_w');
    const v = tf.variable(tf.tensor1d([1, -2, 3]), true, 'sched_v');
    const sched = build(opt, golden.scheduler, golden.args) as LRScheduler;
    const lrs = [opt.learningRate];
    for (let k = 0; k < golden.steps; k++) {
      twin.learningRate = opt.learningRate;
      opt.applyGradients({ sched_w: tf.mul(w, 2) });
      twin.applyGradients({ sched_v: tf.mul(v, 2) });
      sched.step();
      lrs.push(opt.learningRate);
    }
    lrs.forEach((lr, k) => {
      expect(relError(lr, golden.lrs[k][0])).toBeLessThanOrEqual(TOLERANCE);
    });
    expect(Array.from(w.dataSync())).toEqual(Array.from(v.dataSync()));
    // resume on a fresh tfjs optimizer
    const fresh = new RAdamOptimizer({ learningRate: 0.1, backend: 'js' });
    const again = build(fresh, golden.scheduler, golden.args) as LRScheduler;
    again.loadStateDict(JSON.parse(JSON.stringify(sched.stateDict())));
    expect(fresh.learningRate).toBe(opt.learningRate);
    sched.step();
    again.step();
    expect(fresh.learningRate).toBe(opt.learningRate);
    const plateau = new ReduceLROnPlateau(fresh, { patience: 0 });
    plateau.step(1);
    plateau.step(1);
    expect(fresh.learningRate).toBe(opt.learningRate * 0.1);
    for (const o of [opt, twin, fresh]) o.dispose();
    w.dispose();
    v.dispose();
  });
});

// --- the built entry -------------------------------------------------------------------------------

describe("the built entry 'radam-wasm/schedules' (npm test builds dist/ first)", () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const bundle = async (contents: string) => {
    const esbuild = await import('esbuild');
    const out = await esbuild.build({
      stdin: { contents, resolveDir: root },
      bundle: true,
      format: 'esm',
      write: false,
      minify: true,
      platform: 'neutral',
      external: ['@tensorflow/tfjs-core'],
      logLevel: 'silent',
    });
    return out.outputFiles[0].text;
  };

  it('imports by name and drives a RAdam from the build', () => {
    const script = `
      import { RAdam } from 'radam-wasm';
      import { CosineAnnealingLR } from 'radam-wasm/schedules';
      const opt = await RAdam.create({ lr: 0.1 });
      const s = new CosineAnnealingLR(opt, { tMax: 2 });
      s.step();
      console.log(JSON.stringify(opt.groups[0].lr));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(Number(out)).toBeCloseTo(0.05, 15);
    const pkg = JSON.parse(fs.readFileSync(`${root}/package.json`, 'utf8'));
    expect(Object.keys(pkg.exports['./schedules'])[0]).toBe('types');
  });

  it('costs only its own code: no optimizer or kernel in a bundle of one schedule', async () => {
    const code = await bundle(`export { CosineAnnealingLR } from 'radam-wasm/schedules';`);
    expect(code).not.toMatch(/WASM_BASE64|AGFzbQ|stepScalars|flushSubnormals/);
    expect(code).not.toMatch(/ReduceLROnPlateau|OneCycleLR|warm restarts/);
    expect(code.length).toBeLessThan(8000);
  });

  it('tree-shakes away when imported and unused', async () => {
    const code = await bundle(`import { StepLR } from 'radam-wasm/schedules'; export const x = 1;`);
    expect(code.trim()).toBe('var o=1;export{o as x};');
  });
});
