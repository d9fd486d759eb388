// Runs torch golden cases (test/golden/, see its README for the schema and the metric) through the
// public API of whatever RAdam it is given. Plain JavaScript with no imports, so the same code
// serves the vitest suite and the runtime matrix (Node, Bun, Deno, Chromium, workerd).

export const TOLERANCE = 1e-4;
const FLT_MIN = 1.1754943508222875e-38;

export const f32 = (a) => Float32Array.from(a, Number);

export const groupOptions = (g) => ({
  lr: g.lr,
  betas: [g.beta1, g.beta2],
  eps: g.eps,
  weightDecay: g.weight_decay,
  decoupledWeightDecay: g.decoupled,
  maximize: g.maximize,
});

/** Runs a case; returns Map(step → [params[], expAvgs[], expAvgSqs[]]) at the recorded steps. */
export async function runCase(RAdam, c, backend) {
  const build = async (wrongHp) => {
    // The wrong hyperparameters differ from the case's in every option but amsgrad (structural).
    const hp = (k) =>
      wrongHp
        ? {
            lr: 7,
            betas: [0.5, 0.25],
            eps: 0.5,
            weightDecay: 0.3,
            decoupledWeightDecay: !c.groups[k].decoupled,
            maximize: !c.groups[k].maximize,
            threshold: 6.5,
            degenerateToSgd: false,
            flushSubnormals: true,
          }
        : groupOptions(c.groups[k]);
    const opt = await RAdam.create({ ...hp(0), backend });
    const groups = [opt.groups[0]];
    for (let k = 1; k < c.groups.length; k++) groups.push(opt.addGroup(hp(k)));
    return { opt, groups };
  };
  let { opt, groups } = await build(false);
  let params = c.tensors.map((t) => groups[t.group].addParam(f32(t.init)));
  const grads = c.tensors.map((t) => t.grads.map(f32));
  const record = new Set(c.record_steps);
  const out = new Map();
  for (let t = 1; t <= c.T; t++) {
    c.groups.forEach((g, k) => {
      if (g.lr_per_step) opt.groups[k].lr = g.lr_per_step[t - 1];
    });
    params.forEach((p, i) => p.grad.set(grads[i][t - 1]));
    opt.step();
    if (c.resume && t === c.resume.at_step) {
      // Resume in a fresh optimizer with wrong hyperparameters: loadStateDict must restore them.
      const sd = structuredClone(opt.stateDict());
      const values = params.map((p) => p.data.slice());
      opt.dispose();
      ({ opt, groups } = await build(true));
      params = c.tensors.map((tt, i) => groups[tt.group].addParam(values[i]));
      opt.loadStateDict(sd);
    }
    if (record.has(t)) {
      out.set(t, [
        params.map((p) => p.data.slice()),
        params.map((p) => p.expAvg.slice()),
        params.map((p) => p.expAvgSq.slice()),
      ]);
    }
  }
  opt.dispose();
  return out;
}

/** The worst error of the golden README's metric over all recorded steps, tensors and quantities. */
export function worstError(c, got) {
  const Q = ['param', 'exp_avg', 'exp_avg_sq'];
  const scale = c.tensors.map((t) => Q.map(() => new Float64Array(t.size).fill(FLT_MIN)));
  c.tensors.forEach((t, i) =>
    f32(t.init).forEach((x, k) => {
      if (Number.isFinite(x)) scale[i][0][k] = Math.max(scale[i][0][k], Math.abs(x));
    }),
  );
  let worst = 0;
  for (const e of c.expected) {
    const snap = got.get(e.step);
    if (!snap) return Infinity;
    e.tensors.forEach((q, i) =>
      Q.forEach((name, qi) => {
        const want = f32(q[name]);
        const have = snap[qi][i];
        const s = scale[i][qi];
        for (let k = 0; k < want.length; k++) {
          const x = want[k],
            y = have[k];
          let err;
          if (!Number.isFinite(x)) err = (Number.isNaN(x) ? Number.isNaN(y) : x === y) ? 0 : Infinity;
          else {
            s[k] = Math.max(s[k], Math.abs(x));
            err = Number.isFinite(y) ? Math.abs(y - x) / s[k] : Infinity;
          }
          if (err > worst) worst = err;
        }
      }),
    );
  }
  return worst;
}
