// Torch golden cases (test/golden/) for the vitest suite: the fixtures, typed, and the runner and
// metric of golden-runner.mjs bound to this package's RAdam.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RAdam, type Backend } from '../../src/index.js';
import * as runner from './golden-runner.mjs';

export interface GoldenGroup {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weight_decay: number;
  decoupled: boolean;
  maximize: boolean;
  lr_per_step: number[] | null;
  first_rectified_step: number | null;
}
export interface GoldenCase {
  name: string;
  T: number;
  record_steps: number[];
  groups: GoldenGroup[];
  tensors: { name: string; group: number; size: number; init: (number | string)[]; grads: (number | string)[][] }[];
  resume: null | { at_step: number };
  expected: {
    step: number;
    tensors: { param: (number | string)[]; exp_avg: (number | string)[]; exp_avg_sq: (number | string)[] }[];
  }[];
}
type Snapshot = Float32Array[][]; // [quantity][tensor]

export const TOLERANCE: number = runner.TOLERANCE;

export function loadFixture<T>(name: string): T {
  return JSON.parse(fs.readFileSync(fileURLToPath(new URL(`../golden/${name}`, import.meta.url)), 'utf8')) as T;
}

export const runCase = (c: GoldenCase, backend: Backend): Promise<Map<number, Snapshot>> =>
  runner.runCase(RAdam, c, backend);
export const worstError = (c: GoldenCase, got: Map<number, Snapshot>): number => runner.worstError(c, got);
