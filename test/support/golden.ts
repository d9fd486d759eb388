// Runs torch golden cases (test/golden/, see its README for the schema and the tolerance metric)
// through the public API.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RAdam, type Backend, type GroupOptions } from '../../src/index.js';

export interface GoldenGroup {
  lr: number; beta1: number; beta2: number; eps: number; weight_decay: number;
  decoupled: boolean; maximize: boolean; lr_per_step: number[] | null; first_rectified_step: number | null;
}
export interface GoldenCase {
  name: string; T: number; record_steps: number[];
  groups: GoldenGroup[];
  tensors: { name: string; group: number; size: number; init: (number | string)[]; grads: (number | string)[][] }[];
  resume: null | { at_step: number };
  expected: { step: number; tensors: { param: (number | string)[]; exp_avg: (number | string)[]; exp_avg_sq: (number | string)[] }[] }[];
}

export const TOLERANCE = 1e-4;
const FLT_MIN = 1.1754943508222875e-38;

export function loadFixture<T>(name: string): T {
  return JSON.parse(fs.readFileSync(fileURLToPath(new URL(`../golden/${name}`, import.meta.url)), 'utf8')) as T;
}

export const f32 = (a: (number | string)[]): Float32Array => Float32Array.from(a, Number);

export const groupOptions = (g: GoldenGroup): GroupOptions => ({
  lr: g.lr, betas: [g.beta1, g.beta2], eps: g.eps, weightDecay: g.weight_decay,
  decoupledWeightDecay: g.decoupled, maximize: g.maximize,
});

type Snapshot = Float32Array[][]; // [quantity][tensor]

/** Runs a case; returns param/exp_avg/exp_avg_sq at each recorded step. */
export async function runCase(c: GoldenCase, backend: Backend): Promise<Map<number, Snapshot>> {
  const build = async (wrongHp: boolean) => {
    // The wrong hyperparameters differ from the case's in every option but amsgrad (structural).
    const hp = (k: number) => (wrongHp ? {
      lr: 7, betas: [0.5, 0.25] as const, eps: 0.5, weightDecay: 0.3, decoupledWeightDecay: !c.groups[k].decoupled,
      maximize: !c.groups[k].maximize, threshold: 6.5, degenerateToSgd: false, flushSubnormals: true,
    } : groupOptions(c.groups[k]));
    const opt = await RAdam.create({ ...hp(0), backend });
    const groups = [opt.groups[0]];
    for (let k = 1; k < c.groups.length; k++) groups.push(opt.addGroup(hp(k)));
    return { opt, groups };
  };
  let { opt, groups } = await build(false);
  let params = c.tensors.map((t) => groups[t.group].addParam(f32(t.init)));
  const grads = c.tensors.map((t) => t.grads.map(f32));
  const record = new Set(c.record_steps);
  const out = new Map<number, Snapshot>();
  for (let t = 1; t <= c.T; t++) {
    c.groups.forEach((g, k) => { if (g.lr_per_step) opt.groups[k].lr = g.lr_per_step[t - 1]; });
    params.forEach((p, i) => p.grad.set(grads[i][t - 1]));
    opt.step();
    if (c.resume && t === c.resume.at_step) {
      // Resume in a fresh optimizer with wrong hyperparameters: loadStateDict must restore them.
      const sd = structuredClone(opt.stateDict());
      const values = params.map((p) => p.data.slice());
      opt.dispose();
      ({ opt, groups } = await build(true));
      params = c.tensors.map((tt, i) => groups[tt.group].addParam(values[i]));
      opt.loadStateDict(sd);
    }
    if (record.has(t)) {
      out.set(t, [params.map((p) => p.data.slice()), params.map((p) => p.expAvg.slice()), params.map((p) => p.expAvgSq.slice())]);
    }
  }
  opt.dispose();
  return out;
}

/** The worst error of the golden README's metric over all recorded steps, tensors and quantities. */
export function worstError(c: GoldenCase, got: Map<number, Snapshot>): number {
  const Q = ['param', 'exp_avg', 'exp_avg_sq'] as const;
  const scale = c.tensors.map((t) => Q.map(() => new Float64Array(t.size).fill(FLT_MIN)));
  c.tensors.forEach((t, i) => f32(t.init).forEach((x, k) => {
    if (Number.isFinite(x)) scale[i][0][k] = Math.max(scale[i][0][k], Math.abs(x));
  }));
  let worst = 0;
  for (const e of c.expected) {
    const snap = got.get(e.step);
    if (!snap) return Infinity;
    e.tensors.forEach((q, i) => Q.forEach((name, qi) => {
      const want = f32(q[name]);
      const have = snap[qi][i];
      const s = scale[i][qi];
      for (let k = 0; k < want.length; k++) {
        const x = want[k], y = have[k];
        let err: number;
        if (!Number.isFinite(x)) err = (Number.isNaN(x) ? Number.isNaN(y) : x === y) ? 0 : Infinity;
        else {
          s[k] = Math.max(s[k], Math.abs(x));
          err = Number.isFinite(y) ? Math.abs(y - x) / s[k] : Infinity;
        }
        if (err > worst) worst = err;
      }
    }));
  }
  return worst;
}
