// stateDict / loadStateDict: bit-identical resumption, torch's layout, and all-or-nothing loading.
import { describe, expect, it } from 'vitest';
import { RAdam, type Backend, type RAdamStateDict } from '../src/index.js';
import { firstDifference, gradient, rng } from './support/random.js';

const G0 = { lr: 0.02, betas: [0.9, 0.99] as const, weightDecay: 0.01 };
const G1 = { lr: 0.05, amsgrad: true, decoupledWeightDecay: true, weightDecay: 0.1, maximize: true };
const SIZES = [
  [5, 33],
  [17, 0, 1],
];

// Differs from G0 and G1 in every option but amsgrad (structural): loading must restore them all.
const WRONG = {
  lr: 9,
  betas: [0.1, 0.2] as const,
  eps: 0.5,
  weightDecay: 0.7,
  decoupledWeightDecay: true,
  maximize: true,
  threshold: 7.5,
  degenerateToSgd: false,
  flushSubnormals: true,
};

async function build(backend: Backend, wrong = false) {
  const opt = await RAdam.create({ ...(wrong ? WRONG : G0), backend });
  const g1 = opt.addGroup(wrong ? { ...WRONG, amsgrad: true, decoupledWeightDecay: false, maximize: false } : G1);
  const r = rng(5);
  const params = [
    ...SIZES[0].map((n) => opt.addParam(gradient(r, n))),
    ...SIZES[1].map((n) => g1.addParam(gradient(r, n))),
  ];
  return { opt, params };
}

function train(run: Awaited<ReturnType<typeof build>>, from: number, to: number) {
  for (let t = from; t < to; t++) {
    const r = rng(100 + t);
    run.params.forEach((p) => p.grad.set(gradient(r, p.size)));
    run.opt.step();
  }
}

const snapshot = (run: Awaited<ReturnType<typeof build>>) =>
  run.params.flatMap((p) => [
    p.data.slice(),
    p.expAvg.slice(),
    p.expAvgSq.slice(),
    p.maxExpAvgSq?.slice() ?? new Float32Array(0),
  ]);

describe.each([
  ['simd', 'simd'],
  ['scalar', 'scalar'],
  ['js', 'js'],
  ['simd', 'js'],
  ['js', 'scalar'],
] as [Backend, Backend][])('save on %s, resume on %s', (from, to) => {
  it('resumes bit-identically to an uninterrupted run (through structuredClone)', async () => {
    const whole = await build(from);
    train(whole, 0, 50);

    const first = await build(from);
    train(first, 0, 20);
    const sd = structuredClone(first.opt.stateDict());
    const values = first.params.map((p) => p.data.slice());
    first.opt.dispose();

    const second = await build(to, true);
    second.params.forEach((p, i) => p.data.set(values[i]));
    second.opt.loadStateDict(sd);
    expect(second.opt.stateDict().groups).toEqual(sd.groups);
    train(second, 20, 50);

    const a = snapshot(whole),
      b = snapshot(second);
    a.forEach((x, i) => expect(firstDifference(x, b[i]), `array ${i}`).toBe(-1));
    expect(second.params.map((p) => p.step)).toEqual(whole.params.map((p) => p.step));
  });
});

describe('stateDict', () => {
  it("holds the groups' hyperparameters, param indices and per-param state as copies", async () => {
    const run = await build('simd');
    train(run, 0, 3);
    const sd = run.opt.stateDict();
    expect(sd.format).toBe('radam-wasm');
    expect(sd.version).toBe(1);
    expect(sd.groups.map((g) => g.params)).toEqual([
      [0, 1],
      [2, 3, 4],
    ]);
    expect(sd.groups[0]).toMatchObject({
      lr: 0.02,
      betas: [0.9, 0.99],
      eps: 1e-8,
      weightDecay: 0.01,
      amsgrad: false,
      threshold: 5,
      degenerateToSgd: true,
    });
    expect(sd.groups[1]).toMatchObject({ lr: 0.05, amsgrad: true, decoupledWeightDecay: true, maximize: true });
    expect(sd.state.map((s) => s.step)).toEqual([3, 3, 3, 3, 3]);
    expect(sd.state[0].maxExpAvgSq).toBeUndefined();
    expect(sd.state[2].maxExpAvgSq).toBeInstanceOf(Float32Array);
    expect(Array.from(sd.state[1].expAvg)).toEqual(Array.from(run.params[1].expAvg));
    sd.state[1].expAvg[0] = 12345;
    expect(run.params[1].expAvg[0]).not.toBe(12345);
  });

  it('keeps a step count per param, as torch does: a param added later starts at step 1', async () => {
    const opt = await RAdam.create({ lr: 0.1 });
    const a = opt.addParam([1, 2]);
    for (let t = 0; t < 7; t++) {
      a.grad.set([1, 1]);
      opt.step();
    }
    const late = opt.addParam([1, 2]);
    late.grad.set([1, 1]);
    a.grad.set([1, 1]);
    opt.step();
    expect([a.step, late.step]).toEqual([8, 1]);

    const fresh = await RAdam.create({ lr: 0.1 });
    const f = fresh.addParam([1, 2]);
    f.grad.set([1, 1]);
    fresh.step();
    expect(Array.from(late.data)).toEqual(Array.from(f.data));
  });
});

describe('loadStateDict refuses a state dict of another structure, changing nothing', () => {
  const cases: [string, (sd: RAdamStateDict) => unknown, RegExp][] = [
    [
      'another number of groups',
      (sd) => {
        sd.groups.pop();
      },
      /state dict has 1 groups, this optimizer has 2/,
    ],
    [
      'another number of params in a group',
      (sd) => {
        sd.groups[1].params.pop();
        sd.state.pop();
      },
      /state for 4 params, this optimizer has 5/,
    ],
    [
      'a param moved between groups',
      (sd) => {
        sd.groups[0].params.push(sd.groups[1].params.shift()!);
      },
      /group 0 has 3 params in the state dict, 2 in this optimizer/,
    ],
    [
      'another size',
      (sd) => {
        sd.state[1].expAvg = new Float32Array(32);
      },
      /param 1 \(group 0, size 33\): "expAvg" has 32 elements, the param has 33/,
    ],
    [
      'a missing moment',
      (sd) => {
        delete (sd.state[0] as Partial<(typeof sd.state)[0]>).expAvgSq;
      },
      /param 0 .* missing "expAvgSq"/,
    ],
    [
      'a missing amsgrad maximum',
      (sd) => {
        delete sd.state[3].maxExpAvgSq;
      },
      /param 3 .* missing "maxExpAvgSq"/,
    ],
    [
      'a negative step',
      (sd) => {
        sd.state[0].step = -1;
      },
      /param 0 .* step -1 \(expected a non-negative integer\)/,
    ],
    [
      'a fractional step',
      (sd) => {
        sd.state[4].step = 2.5;
      },
      /param 4 .* step 2.5/,
    ],
    [
      'an invalid hyperparameter',
      (sd) => {
        sd.groups[1].lr = -0.5;
      },
      /group 1: Invalid lr: -0.5/,
    ],
    [
      'an unknown hyperparameter',
      (sd) => {
        (sd.groups[0] as unknown as Record<string, unknown>).epsilon = 1;
      },
      /group 0: Unknown option: "epsilon"/,
    ],
    [
      'another amsgrad setting',
      (sd) => {
        sd.groups[0].amsgrad = true;
      },
      /group 0 has amsgrad true in the state dict, false in this optimizer/,
    ],
    [
      'no groups',
      (sd) => {
        delete (sd as Partial<RAdamStateDict>).groups;
      },
      /no "groups" array/,
    ],
    [
      'a moment that is not an array',
      (sd) => {
        (sd.state[0] as unknown as Record<string, unknown>).expAvg = 'x';
      },
      /"expAvg" is "x"/,
    ],
    // These must fail in the check phase, before the groups or earlier params are touched.
    [
      'a BigInt in a moment of the last param',
      (sd) => {
        (sd.state[4] as unknown as Record<string, unknown>).expAvg = [1n];
      },
      /param 4 .*"expAvg" element 0 is \[object BigInt\]/,
    ],
    [
      'a string in a moment',
      (sd) => {
        (sd.state[1] as unknown as Record<string, unknown[]>).expAvgSq = Array(33).fill('x');
      },
      /param 1 .*"expAvgSq" element 0 is "x" \(expected a number\)/,
    ],
    [
      'another format',
      (sd) => {
        (sd as unknown as Record<string, unknown>).format = 'torch';
      },
      /not a radam-wasm version 1 state dict \(format "torch", version 1\)/,
    ],
    [
      'another version',
      (sd) => {
        (sd as unknown as Record<string, unknown>).version = 2;
      },
      /version 2/,
    ],
  ];

  it.each(cases)('%s', async (_, corrupt, message) => {
    const run = await build('simd');
    train(run, 0, 4);
    const sd = run.opt.stateDict();
    corrupt(sd);
    const target = await build('simd');
    train(target, 0, 2);
    const before = target.opt.stateDict();
    expect(() => target.opt.loadStateDict(sd)).toThrow(message);
    expect(target.opt.stateDict()).toEqual(before);
  });

  it('rejects a value that is not a state dict', async () => {
    const run = await build('js');
    expect(() => run.opt.loadStateDict(null as unknown as RAdamStateDict)).toThrow(
      /expected a state dict object, got null/,
    );
  });
});
