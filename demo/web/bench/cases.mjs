// The benchmark page's implementations: bench/'s own (bench/impls/), the ones `npm run bench --
// --quick` runs that a browser has too, plus radam-wasm's threads where the page may use them.
import * as tf from '@tensorflow/tfjs-core';
// The wasm backend's binaries, served by Vite (dev) or emitted with the build; tfjs fetches them.
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { radamWasm } from '../../../bench/impls/radam-wasm.mjs';
import { plainJs } from '../../../bench/impls/plain-js.mjs';
import { tfjsAdam, tfjsSetup } from '../../../bench/impls/tfjs-cases.mjs';

/**
 * Registers tfjs's wasm backend (once) and resolves to tfjs-core's version. tfjs runs it on one
 * thread, as in Node (where tfjs never uses threads), even in a cross-origin isolated page: the
 * comparison stays the one `npm run bench` makes, and the threads row is radam-wasm's.
 */
export async function setupTfjs() {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const { version } = await tfjsSetup(
    {
      'tfjs-backend-wasm.wasm': wasmUrl,
      'tfjs-backend-wasm-simd.wasm': simdUrl,
      'tfjs-backend-wasm-threaded-simd.wasm': threadedSimdUrl,
    },
    ['wasm'],
  );
  return { version, simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') };
}

/**
 * The cases, with bench/index.mjs's ids and labels; `threads` (radam-wasm's thread count under
 * threads: 'auto', or 0 where the page is not cross-origin isolated) adds the threads case.
 */
export function cases(threads) {
  return [
    { id: 'simd', label: 'radam-wasm simd', make: (n) => radamWasm('simd', [n]) },
    ...(threads
      ? [
          {
            id: 'threads',
            label: `radam-wasm simd, ${threads} thread${threads > 1 ? 's' : ''}`,
            make: (n) => radamWasm('simd', [n], { threads: 'auto' }),
          },
        ]
      : []),
    { id: 'scalar', label: 'radam-wasm scalar', make: (n) => radamWasm('scalar', [n]) },
    { id: 'js', label: 'radam-wasm js', make: (n) => radamWasm('js', [n]) },
    { id: 'plain-js', label: 'plain JS loop', make: (n) => plainJs(n) },
    { id: 'tfjs-wasm-adam', label: 'tfjs-wasm Adam', make: (n) => tfjsAdam('wasm', n) },
  ];
}
