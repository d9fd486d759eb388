// RAdam as a user would write it in plain JavaScript: Float32Arrays, torch's formulas, float64
// arithmetic (no Math.fround), per-step scalars hoisted out of the loop.
import { normals, WARM_STEPS, LR, BETA1, BETA2, EPS } from './inputs.mjs';

export function plainJs(n) {
  const p = normals(n, 1),
    g = normals(n, 100, 0.1),
    m = new Float32Array(n),
    v = new Float32Array(n);
  let t = 0;
  const step = () => {
    t++;
    const bc1 = 1 - BETA1 ** t,
      bc2 = 1 - BETA2 ** t;
    const rhoInf = 2 / (1 - BETA2) - 1;
    const rhoT = rhoInf - (2 * t * BETA2 ** t) / bc2;
    if (rhoT > 5) {
      const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
      const sqrtBc2 = Math.sqrt(bc2);
      for (let i = 0; i < n; i++) {
        m[i] = BETA1 * m[i] + (1 - BETA1) * g[i];
        v[i] = BETA2 * v[i] + (1 - BETA2) * g[i] * g[i];
        p[i] -= (LR * (m[i] / bc1) * rect * sqrtBc2) / (Math.sqrt(v[i]) + EPS);
      }
    } else {
      for (let i = 0; i < n; i++) {
        m[i] = BETA1 * m[i] + (1 - BETA1) * g[i];
        v[i] = BETA2 * v[i] + (1 - BETA2) * g[i] * g[i];
        p[i] -= LR * (m[i] / bc1);
      }
    }
  };
  for (let k = 0; k < WARM_STEPS; k++) step();
  return { step, dispose() {} };
}
