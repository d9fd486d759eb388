// Every place that depends on the hyperparameters derives from their one declaration
// (src/optimizer/options.ts HYPERPARAMETERS): iterating it checks that each covers every option.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, RAdam } from '../src/index.js';
import { HYPERPARAMETERS, OPTION_KEYS, validateOption } from '../src/optimizer/options.js';
import { TFJS_KEYS } from '../src/tfjs/config.js';
import { RAdamOptimizer } from '../src/tfjs.js';

// A valid non-default value per option (the declaration itself has none).
const OTHER: Record<string, unknown> = {
  lr: 0.25,
  betas: [0.5, 0.75],
  eps: 1e-4,
  weightDecay: 0.125,
  decoupledWeightDecay: true,
  maximize: true,
  amsgrad: true,
  threshold: 6.5,
  degenerateToSgd: false,
  flushSubnormals: true,
  rectify: false,
  clipValue: 0.5,
  secondMomentOnly: true,
};

describe('HYPERPARAMETERS, the one declaration per option', () => {
  it('lists every option once, and the test table knows each', () => {
    expect(Object.keys(OTHER).sort()).toEqual([...OPTION_KEYS].sort());
    expect(Object.keys(DEFAULTS)).toEqual(OPTION_KEYS);
  });

  describe.each(OPTION_KEYS)('%s', (key) => {
    const d = HYPERPARAMETERS[key];
    const other = OTHER[key];

    it('default and validation: the default and another value pass, a wrong type fails naming the value', () => {
      expect(DEFAULTS[key]).toEqual(d.default);
      expect(validateOption(key, d.default)).toEqual(d.default);
      expect(validateOption(key, other)).toEqual(other);
      expect(() => validateOption(key, 'x')).toThrow(/Invalid .*"x"/);
    });

    it('creation, addGroup and the ParamGroup accessor (a setter exactly where it is writable)', async () => {
      const opt = await RAdam.create({ backend: 'js', [key]: other });
      const g = opt.groups[0] as unknown as Record<string, unknown>;
      expect(g[key]).toEqual(other);
      expect((opt.addGroup({ [key]: d.default }) as unknown as Record<string, unknown>)[key]).toEqual(d.default);
      const descriptor = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(g), key)!;
      expect(descriptor.get).toBeTypeOf('function');
      expect(descriptor.set).toBeTypeOf('function');
      if (!d.writable) {
        expect(() => {
          g[key] = other;
        }).toThrow(new TypeError(`Invalid ${key}: cannot be changed after the group is created`));
        expect(g[key]).toEqual(other);
      }
      if (d.writable) {
        g[key] = d.default;
        expect(g[key]).toEqual(d.default);
        expect(() => {
          g[key] = 'x';
        }).toThrow(/"x"/);
      }
    });

    it('stateDict and the checkpoint header carry it under its name', async () => {
      const a = await RAdam.create({ backend: 'js', [key]: other });
      a.addParam(3);
      const sd = a.stateDict();
      expect(sd.groups[0][key]).toEqual(other);
      const b = await RAdam.create({ backend: 'js', amsgrad: key === 'amsgrad' ? other : undefined } as never);
      b.addParam(3);
      b.loadState(a.saveState());
      expect(b.stateDict().groups[0][key]).toEqual(other);
      const bytes = a.saveState();
      const header = JSON.parse(
        new TextDecoder().decode(bytes.subarray(12, 12 + new DataView(bytes.buffer).getUint32(8, true))),
      );
      expect(header.groups[0][key]).toEqual(other);
    });

    it("the tfjs adapter's config: getConfig and fromConfig round-trip it", async () => {
      await tf.setBackend('cpu');
      await RAdamOptimizer.ready('js');
      const opt = await RAdamOptimizer.create({ backend: 'js' });
      const keys = 'tfjs' in d ? [d.tfjs].flat() : [key];
      keys.forEach((k) => expect(TFJS_KEYS).toContain(k));
      const config = opt.getConfig();
      const given = Object.fromEntries(keys.map((k, i) => [k, keys.length > 1 ? (other as unknown[])[i] : other]));
      const round = RAdamOptimizer.fromConfig(RAdamOptimizer, { ...config, ...given });
      expect((round.hyperparameters as unknown as Record<string, unknown>)[key]).toEqual(other);
      expect(round.getConfig()).toMatchObject(given);
      opt.dispose();
      round.dispose();
    });
  });
});
