// Sequence-to-sequence tasks generated in code for the demo's Transformer, deterministic for a
// seeded rng. Every task maps a sequence of `seqLen` random tokens to one target per position
// (a target < 0 would mark a position that is not predicted), so a bidirectional encoder solves it:
//   reverse:   target[i] = input[T-1-i]                 (attention must route by position)
//   sort:      target[i] = i-th smallest input token    (attention must compare contents)
//   histogram: target[i] = number of times input[i] occurs in the sequence  (1..T; counting)
// cfg.noise = p replaces each target, with probability p, by a uniformly random one (label noise):
// the loss then has a known floor (noiseFloor) instead of going to 0, so final losses of runs that
// learn the task are comparable (ratios of near-zero losses would only measure noise).

import { mulberry32 } from './rng.mjs';

export const TASKS = {
  reverse: {
    outVocab: (c) => c.vocab,
    labels: (c) => [0, c.vocab],
    fill(inp, tgt, T) {
      for (let i = 0; i < T; i++) tgt[i] = inp[T - 1 - i];
    },
  },
  sort: {
    outVocab: (c) => c.vocab,
    labels: (c) => [0, c.vocab],
    fill(inp, tgt, T) {
      for (let i = 0; i < T; i++) tgt[i] = inp[i];
      tgt.sort();
    },
  },
  histogram: {
    outVocab: (c) => Math.max(c.vocab, c.seqLen + 1),
    labels: (c) => [1, c.seqLen + 1],
    fill(inp, tgt, T) {
      for (let i = 0; i < T; i++) {
        let k = 0;
        for (let j = 0; j < T; j++) if (inp[j] === inp[i]) k++;
        tgt[i] = k;
      }
    },
  },
};

/** The model-facing vocabulary sizes of a task configuration: { vocab, outVocab }. */
export function taskVocab(cfg) {
  const task = TASKS[cfg.task ?? 'reverse'];
  if (!task) throw new RangeError(`unknown task ${cfg.task}`);
  return { vocab: cfg.vocab, outVocab: task.outVocab(cfg) };
}

/** One batch of cfg.batch (or `size`) sequences: { inputs: Int32Array, targets: Int32Array, batch }. */
export function makeBatch(rng, cfg, size = cfg.batch) {
  const task = TASKS[cfg.task ?? 'reverse'];
  if (!task) throw new RangeError(`unknown task ${cfg.task}`);
  const T = cfg.seqLen,
    V = cfg.vocab;
  const inputs = new Int32Array(size * T),
    targets = new Int32Array(size * T);
  const noise = cfg.noise ?? 0,
    [lo, hi] = task.labels(cfg);
  for (let b = 0; b < size; b++) {
    const inp = inputs.subarray(b * T, (b + 1) * T),
      tgt = targets.subarray(b * T, (b + 1) * T);
    for (let i = 0; i < T; i++) inp[i] = Math.floor(rng() * V);
    task.fill(inp, tgt, T);
    if (noise > 0) for (let i = 0; i < T; i++) if (rng() < noise) tgt[i] = lo + Math.floor(rng() * (hi - lo));
  }
  return { inputs, targets, batch: size };
}

/** A fixed held-out set of `size` sequences (its own seed, independent of any training stream). */
export function heldOut(cfg, size = 256, seed = 0x5eed) {
  return makeBatch(mulberry32(seed), cfg, size);
}

/**
 * The lowest expected loss under label noise p for a task whose clean target is deterministic:
 * the entropy of "clean label with prob 1-p+p/K, each other of the K labels with p/K".
 */
export function noiseFloor(cfg) {
  const p = cfg.noise ?? 0;
  if (p <= 0) return 0;
  const [lo, hi] = TASKS[cfg.task ?? 'reverse'].labels(cfg);
  const K = hi - lo,
    q = 1 - p + p / K,
    r = p / K;
  return -q * Math.log(q) - (K - 1) * r * Math.log(r);
}
