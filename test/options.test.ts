// Validation as torch does it, with messages that name the value; nothing changes on a bad value.
import { describe, expect, it } from 'vitest';
import { DEFAULTS, RAdam, type RAdamOptions } from '../src/index.js';

describe('RAdam.create', () => {
  it("defaults are torch's", async () => {
    const opt = await RAdam.create();
    const g = opt.groups[0];
    expect([
      g.lr,
      g.betas,
      g.eps,
      g.weightDecay,
      g.decoupledWeightDecay,
      g.maximize,
      g.amsgrad,
      g.threshold,
      g.degenerateToSgd,
    ]).toEqual([1e-3, [0.9, 0.999], 1e-8, 0, false, false, false, 5, true]);
    expect(DEFAULTS.betas).toEqual([0.9, 0.999]);
    opt.dispose();
  });

  it('accepts the edge values torch accepts: lr 0, eps 0, beta 0, weightDecay 0', async () => {
    const opt = await RAdam.create({ lr: 0, eps: 0, betas: [0, 0], weightDecay: 0 });
    const w = opt.addParam([1, 2]);
    w.grad.set([3, 4]);
    opt.step();
    expect(Array.from(w.data)).toEqual([1, 2]); // lr 0: nothing moves
    opt.dispose();
  });

  const bad: [string, RAdamOptions, RegExp][] = [
    ['negative lr', { lr: -1e-3 }, /Invalid lr: -0.001 \(expected >= 0\)/],
    ['NaN lr', { lr: NaN }, /Invalid lr: NaN \(expected a finite number\)/],
    ['infinite lr', { lr: Infinity }, /Invalid lr: Infinity/],
    ['string lr', { lr: '0.1' as unknown as number }, /Invalid lr: "0.1"/],
    ['negative eps', { eps: -1e-8 }, /Invalid eps: -1e-8/],
    ['beta1 = 1', { betas: [1, 0.999] }, /Invalid beta1 \(betas\[0\]\): 1 \(expected 0 <= beta < 1\)/],
    ['negative beta2', { betas: [0.9, -0.1] }, /Invalid beta2 \(betas\[1\]\): -0.1/],
    ['beta2 NaN', { betas: [0.9, NaN] }, /Invalid beta2 \(betas\[1\]\): NaN/],
    [
      'one beta',
      { betas: [0.9] as unknown as [number, number] },
      /Invalid betas: \[0.9\] \(expected \[beta1, beta2\]\)/,
    ],
    ['negative weightDecay', { weightDecay: -0.01 }, /Invalid weightDecay: -0.01/],
    ['threshold below 4', { threshold: 3 }, /Invalid threshold: 3 \(expected >= 4\)/],
    ['non-boolean maximize', { maximize: 1 as unknown as boolean }, /Invalid maximize: 1 \(expected true or false\)/],
    ['non-boolean amsgrad', { amsgrad: 'yes' as unknown as boolean }, /Invalid amsgrad: "yes"/],
    ['unknown option', { learningRate: 0.1 } as unknown as RAdamOptions, /Unknown option: "learningRate"/],
    ['unknown backend', { backend: 'gpu' as 'js' }, /Invalid backend: "gpu"/],
  ];
  it.each(bad)('rejects %s', async (_, options, message) => {
    await expect(RAdam.create(options)).rejects.toThrow(message);
  });

  it('rejects options that are not an object', async () => {
    await expect(RAdam.create(5 as unknown as RAdamOptions)).rejects.toThrow(
      /Invalid options: 5 \(expected an object\)/,
    );
  });
});

describe('group hyperparameters', () => {
  it('are writable between steps, validated, and unchanged by a bad value', async () => {
    const opt = await RAdam.create({ lr: 0.1 });
    const g = opt.groups[0];
    g.lr = 1e-4;
    expect(opt.groups[0].lr).toBe(1e-4);
    expect(() => {
      g.lr = -1;
    }).toThrow(/Invalid lr: -1/);
    expect(() => {
      g.betas = [0.9, 1];
    }).toThrow(/Invalid beta2 \(betas\[1\]\): 1/);
    expect(() => {
      g.eps = NaN;
    }).toThrow(/Invalid eps: NaN/);
    expect(() => {
      g.weightDecay = -1;
    }).toThrow(/Invalid weightDecay: -1/);
    expect(() => {
      g.threshold = 2;
    }).toThrow(/Invalid threshold: 2/);
    expect(() => {
      g.degenerateToSgd = 0 as unknown as boolean;
    }).toThrow(/Invalid degenerateToSgd: 0/);
    expect([g.lr, g.betas, g.eps, g.weightDecay, g.threshold, g.degenerateToSgd]).toEqual([
      1e-4,
      [0.9, 0.999],
      1e-8,
      0,
      5,
      true,
    ]);
    expect(() => {
      (g.betas as number[])[0] = 0.5;
    }).toThrow(TypeError); // frozen: write betas whole
    expect(() => {
      (g as { amsgrad: boolean }).amsgrad = true;
    }).toThrow(TypeError); // fixed at creation
    opt.dispose();
  });

  it('addGroup inherits the default group and overrides; a bad option adds nothing', async () => {
    const opt = await RAdam.create({ lr: 0.1, eps: 1e-6 });
    const g = opt.addGroup({ lr: 0.05, weightDecay: 0.05 });
    expect([g.lr, g.eps, g.weightDecay]).toEqual([0.05, 1e-6, 0.05]);
    expect(() => opt.addGroup({ eps: -1 })).toThrow(/Invalid eps: -1/);
    expect(() => opt.addGroup({ backend: 'js' } as never)).toThrow(/Unknown option: "backend"/);
    expect(opt.groups.length).toBe(2);
    opt.dispose();
  });
});

describe('step', () => {
  it('refuses a step size that overflows float32, naming lr, and changes nothing', async () => {
    const opt = await RAdam.create({ lr: 1e38 }); // finite, but lr / (1 - 0.9) is not a float32
    const w = opt.addParam([1, -99]);
    w.grad.set([1, 1]);
    const before = [w.data.slice(), w.expAvg.slice(), w.step];
    expect(() => opt.step()).toThrow(/step: the step size of group 0 at step 1 overflows float32 \(lr 1e\+38/);
    expect([w.data.slice(), w.expAvg.slice(), w.step]).toEqual(before);
    opt.dispose();
  });
});

describe('addParam', () => {
  const bad: [string, unknown, RegExp][] = [
    ['a negative length', -1, /Invalid param length: -1 \(expected a non-negative integer\)/],
    ['a fractional length', 2.5, /Invalid param length: 2.5/],
    ['NaN', NaN, /Invalid param length: NaN/],
    [
      'a string',
      'abc',
      /Invalid param init: "abc" \(expected a Float32Array, a Float64Array, an array of numbers or a length\)/,
    ],
    ['a non-number element', [1, 'a', 3], /Invalid param init: element 1 is "a" \(expected a number\)/],
    ['an object', {}, /Invalid param init: \[object Object\]/],
    ['an Int32Array', new Int32Array(3), /Invalid param init: \[object Int32Array\]/],
  ];
  it.each(bad)('rejects %s and adds nothing', async (_, init, message) => {
    const opt = await RAdam.create();
    opt.addParam(3);
    const used = opt.memoryBytes;
    expect(() => opt.addParam(init as number)).toThrow(message);
    expect(opt.params.length).toBe(1);
    expect(opt.memoryBytes).toBe(used);
    opt.dispose();
  });
});
