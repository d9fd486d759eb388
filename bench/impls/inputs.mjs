// Deterministic inputs shared by every implementation, so each one steps the same numbers.
export function normals(n, seed = 1, scale = 1) {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u())) * scale,
      a = 2 * Math.PI * u();
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

/** Steps taken before timing: past step 5, so every RAdam is on its rectified path. */
export const WARM_STEPS = 8;
export const LR = 1e-3,
  BETA1 = 0.9,
  BETA2 = 0.999,
  EPS = 1e-8;
