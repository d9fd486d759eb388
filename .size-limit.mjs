// size-limit budgets, run by `npm test` (scripts/check-package.mjs): what an app pays, minified and
// gzipped, bundled by esbuild with code splitting as apps bundle it. "Initial chunk" counts what
// the import loads at once (its chunk and the chunks that chunk imports statically); the kernels
// and the threads' code are chunks of their own, loaded by RAdam.create when needed.
// Budgets: the sizes measured when they were set, + 5%. History (core, SIMD chunk, tfjs, schedules, B):
// before the src/ split 9742, 5592, 11621, -; after the split, the exact powers (src/math/pow.ts,
// ~1.1 kB) and the schedules entry 11855, 5592, 13738, 1858; with the weight EMA, clipValue and
// gradient accumulation (issue 13: the EMA doubles the adaptive loops, the guards gain acc + g
// variants; the tfjs adapter gains its EMA, window and weights code) 13751, 8861, 17104, 1858;
// with secondMomentOnly (the v-only loops) 13797, 9526, 17144, 1858; with the hard edges (float32-aware
// validation, byte views, JSON-safe state dicts; the adapter's guards, lastStep, complete-state checks and
// re-worded errors; the schedules' epoch argument and correctly rounded log) 14704, 9551, 18850, 1930; with the
// layout by layer and the schedules from one definition (the whole schedules entry 265 B smaller, one
// schedule alone 160 B larger: the options-table reader) 15243, 9553, 19422, 2179; with bfloat16 state
// (issue 21: its loops in the kernel, compiled apart by mode and coupled decay only, the adaptive one
// unrolled, 3.3 kB; the JS conversions, 2-byte arrays and checkpoint version 2 in the core) 16611,
// 12873, 20907, 2179.
import path from 'node:path';

const initialChunkOnly = (config) => ({
  ...config,
  splitting: true,
  format: 'esm',
  plugins: [
    {
      name: 'initial-chunk-only',
      setup(build) {
        const entry = path.resolve(config.entryPoints[0]);
        build.onEnd(({ metafile }) => {
          const outputs = metafile.outputs;
          const keep = new Set(
            Object.keys(outputs).filter((f) => outputs[f].entryPoint && path.resolve(outputs[f].entryPoint) === entry),
          );
          for (const f of keep) {
            for (const i of outputs[f].imports)
              if (i.kind === 'import-statement' && i.path in outputs) keep.add(i.path);
          }
          for (const f of Object.keys(outputs)) if (!keep.has(f)) delete outputs[f];
        });
      },
    },
  ],
});

export default [
  {
    name: 'core entry: import { RAdam } from "radam-wasm" (initial chunk)',
    import: { './dist/index.js': '{ RAdam }' },
    modifyEsbuildConfig: initialChunkOnly,
    gzip: true,
    limit: '17433 B',
  },
  {
    name: 'SIMD kernel chunk (loaded by RAdam.create)',
    path: 'dist/generated/simd-bytes.js',
    gzip: true,
    limit: '13517 B',
  },
  {
    name: 'tfjs entry: import { RAdamOptimizer } from "radam-wasm/tfjs" (initial chunk; tfjs-core is a peer)',
    import: { './dist/tfjs.js': '{ RAdamOptimizer }' },
    ignore: ['@tensorflow/tfjs-core'],
    modifyEsbuildConfig: initialChunkOnly,
    gzip: true,
    limit: '21944 B',
  },
  {
    name: 'schedules entry: import { CosineAnnealingLR } from "radam-wasm/schedules" (no optimizer code)',
    import: { './dist/schedules.js': '{ CosineAnnealingLR }' },
    modifyEsbuildConfig: initialChunkOnly,
    gzip: true,
    limit: '2288 B',
  },
];
