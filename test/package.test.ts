// The built package, imported by its name as a user would (Node resolves 'radam-wasm' to this
// folder through package.json "exports"). `npm test` builds dist/ before running the tests.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('the published entry point', () => {
  it("import 'radam-wasm' works from the build and picks simd", () => {
    const script = `
      import { RAdam, stepScalars } from 'radam-wasm';
      const opt = await RAdam.create({ lr: 0.1 });
      const w = opt.addParam([1, 2, 3]);
      for (let t = 0; t < 8; t++) { w.grad.set(w.data); opt.step(); }
      console.log(JSON.stringify({ backend: opt.backend, data: Array.from(w.data), mode: stepScalars(8, opt.groups[0]).mode }));`;
    const out = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' }),
    );
    expect(out.backend).toBe('simd');
    expect(out.mode).toBe(2);
    out.data.forEach((x: number, i: number) => expect(x).toBeLessThan(i + 1));
  });

  it("import 'radam-wasm/tfjs' gives a tf.Optimizer registered as 'RAdam'", () => {
    const script = `
      import * as tf from '@tensorflow/tfjs-core';
      import '@tensorflow/tfjs-backend-cpu';
      import { RAdamOptimizer } from 'radam-wasm/tfjs';
      await tf.setBackend('cpu');
      const opt = await RAdamOptimizer.create({ learningRate: 0.1 });
      const v = tf.variable(tf.tensor1d([1, 2]), true, 'w');
      opt.applyGradients({ w: tf.tensor1d([2, 4]) }); // the gradient of sum(w^2)
      const [cls] = tf.serialization.SerializationMap.getMap().classNameMap.RAdam;
      console.log(JSON.stringify({ isOptimizer: opt instanceof tf.Optimizer, registered: cls === RAdamOptimizer, v: Array.from(v.dataSync()), backend: opt.backend }));`;
    const out = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' })
        .trim()
        .split('\n')
        .at(-1)!,
    );
    expect(out).toMatchObject({ isOptimizer: true, registered: true, backend: 'simd' });
    // Step 1 is the momentum step p -= lr * m / (1 - b1) = lr * g, with g = 2p.
    expect(out.v[0]).toBeCloseTo(1 - 0.1 * 2, 5);
    expect(out.v[1]).toBeCloseTo(2 - 0.1 * 4, 5);
  });

  it('examples/tfjs-fit.mjs trains, saves with the optimizer, loads and resumes', () => {
    const out = execFileSync(process.execPath, ['examples/tfjs-fit.mjs'], { cwd: root, encoding: 'utf8' });
    expect(out).toMatch(/loaded: RAdam at iteration 160/);
    const losses = [...out.matchAll(/loss ([\d.]+) -> ([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(losses[0][1]).toBeLessThan(losses[0][0] / 10);
    expect(losses[1][0]).toBeLessThan(losses[0][0] / 10); // resumed, not restarted
  });

  it.each([
    ['radam-wasm', 'RAdam'],
    ['radam-wasm/tfjs', 'RAdamOptimizer'],
  ])(
    'under the workerd condition %s imports the kernels as .wasm modules, with no embedded bytes',
    async (spec, name) => {
      const esbuild = await import('esbuild');
      const out = await esbuild.build({
        stdin: { contents: `export { ${name} } from '${spec}';`, resolveDir: root },
        bundle: true,
        format: 'esm',
        write: false,
        conditions: ['workerd', 'worker', 'browser'],
        platform: 'neutral',
        external: ['*.wasm', '@tensorflow/tfjs-core'],
        logLevel: 'silent',
      });
      const code = out.outputFiles[0].text;
      expect(code).toMatch(/from "\.\/radam\.simd\.wasm"/);
      expect(code).toMatch(/from "\.\/radam\.scalar\.wasm"/);
      expect(code).not.toMatch(/WASM_BASE64|AGFzbQ/);
    },
  );

  it('ships types and no file reads: the wasm bytes are embedded in the JS', () => {
    const pkg = JSON.parse(fs.readFileSync(`${root}/package.json`, 'utf8'));
    expect(Object.keys(pkg.exports['.'])[0]).toBe('types');
    expect(pkg.sideEffects).toEqual(['./dist/tfjs.js', './dist/tfjs.workerd.js']); // only the tfjs entries: they register their class with tfjs
    expect(fs.existsSync(`${root}/dist/index.d.ts`)).toBe(true);
    for (const b of ['simd', 'scalar']) {
      expect(fs.readFileSync(`${root}/dist/generated/${b}-bytes.js`, 'utf8')).toMatch(/WASM_BASE64 = 'AGFzbQ/); // "\0asm" in base64
    }
    const all = fs
      .readdirSync(`${root}/dist`, { recursive: true })
      .filter((f) => String(f).endsWith('.js'))
      .map((f) => fs.readFileSync(`${root}/dist/${f}`, 'utf8'))
      .join('\n');
    expect(all).not.toMatch(/node:fs|readFile|fetch\(/);
  });
});
