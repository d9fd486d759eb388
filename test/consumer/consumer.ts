// A consumer of the published package, type-checked by `tsc --noEmit` (scripts/check-package.mjs,
// against the packed tarball) under every supported TypeScript, with skipLibCheck off. It touches
// the whole public API of `radam-wasm` and `radam-wasm/schedules` (tfjs.ts: `radam-wasm/tfjs`), so a
// declaration that is missing, wrong or resolves to `any` fails the check. Never run.
import {
  Adam,
  type Backend,
  type BackendChoice,
  type Bytes,
  DEFAULTS,
  type EmaOptions,
  FLUSH_INTERVAL,
  type GroupOptions,
  type GroupState,
  type Hyperparameters,
  Lookahead,
  type LookaheadOptions,
  type LookaheadStateDict,
  Param,
  ParamGroup,
  type ParamInit,
  type ParamState,
  RAdam,
  type RAdamOptions,
  type RAdamStateDict,
  type Rectification,
  rectification,
  type StepHyperparameters,
  type StepOptions,
  type StepResult,
  type StepScalars,
  stepScalars,
} from 'radam-wasm';
import {
  ConstantLR,
  type ConstantLROptions,
  CosineAnnealingLR,
  type CosineAnnealingLROptions,
  CosineAnnealingWarmRestarts,
  type CosineAnnealingWarmRestartsOptions,
  ExponentialLR,
  type ExponentialLROptions,
  LinearLR,
  type LinearLROptions,
  type LRScheduler,
  type LRSchedulerState,
  MultiStepLR,
  type MultiStepLROptions,
  OneCycleLR,
  type OneCycleLROptions,
  PolynomialLR,
  type PolynomialLROptions,
  ReduceLROnPlateau,
  type ReduceLROnPlateauOptions,
  type ReduceLROnPlateauState,
  type Schedulable,
  SequentialLR,
  type SequentialLROptions,
  StepLR,
  type StepLROptions,
} from 'radam-wasm/schedules';

export async function core(): Promise<void> {
  const backend: Backend = await RAdam.ready('auto' satisfies BackendChoice);
  const options: RAdamOptions = {
    lr: 1e-3,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weightDecay: 0.01,
    decoupledWeightDecay: true,
    maximize: false,
    amsgrad: false,
    threshold: 5,
    degenerateToSgd: true,
    flushSubnormals: false,
    rectify: true,
    backend,
    threads: 'auto',
    skipNonFinite: true,
    maxGradNorm: 1,
    clipValue: 0.5,
    ema: { decay: 0.999, warmup: true } satisfies EmaOptions,
    accumulate: 4,
  };
  const opt: RAdam = await RAdam.create(options);
  const sync: RAdam = RAdam.createSync({ backend: 'js' });
  const adam: Adam = await Adam.create();
  // @ts-expect-error: a learning rate is a number
  await RAdam.create({ lr: '0.1' });

  const inits: ParamInit[] = [new Float32Array(3), new Float64Array(2), [1, 2], 4];
  const params: Param[] = inits.map((init) => opt.addParam(init));
  const groupOptions: GroupOptions = { lr: 0.1, weightDecay: 0 };
  const group: ParamGroup = opt.addGroup(groupOptions);
  const bias: Param = group.addParam([0]);
  const views: Float32Array[] = [bias.data, bias.grad, bias.expAvg, bias.expAvgSq];
  const vhat: Float32Array | null = bias.maxExpAvgSq;
  const ema: Float32Array | null = bias.ema;
  const counts: number[] = [bias.step, bias.size, views.length, vhat?.length ?? 0];
  const owner: ParamGroup = bias.group;
  const back: RAdam = owner.optimizer;
  const groupParams: readonly Param[] = group.params;
  const classes: boolean = bias instanceof Param && group instanceof ParamGroup; // exported as values

  group.lr = 0.05;
  group.betas = [0.8, 0.99];
  group.eps = 1e-6;
  group.weightDecay = 0.1;
  group.decoupledWeightDecay = false;
  group.maximize = true;
  group.threshold = 6;
  group.degenerateToSgd = false;
  group.flushSubnormals = true;
  group.rectify = false;
  group.clipValue = null;
  const amsgrad: boolean = group.amsgrad;

  opt.skipNonFinite = false;
  opt.maxGradNorm = null;
  const stepOptions: StepOptions = { skipNonFinite: true, maxGradNorm: 5 };
  const result: StepResult = opt.step(stepOptions);
  const later: StepResult = await opt.stepAsync();
  const detail: [boolean, boolean, number | undefined, number | undefined, number | undefined] = [
    result.skipped,
    result.applied,
    result.accumulated,
    result.param,
    later.gradNorm,
  ];
  const emaOptions: Readonly<Required<EmaOptions>> | null = opt.ema;
  const windowFacts: [number, number] = [opt.accumulate, opt.accumulated];
  opt.swapEma();
  opt.swapEma();
  const evaluated: number = opt.withEma(() => bias.data[0]);
  const evaluatedAsync: Promise<number> = opt.withEma(async () => bias.data[0]);
  opt.zeroGrad();

  const sd: RAdamStateDict = opt.stateDict();
  const groupState: GroupState = sd.groups[0];
  const paramState: ParamState = sd.state[0];
  opt.loadStateDict(sd);
  const bytes: Bytes = opt.saveState({ includeParams: true });
  opt.loadState(bytes);
  opt.loadState(bytes.buffer);
  // Bytes are ArrayBuffer-backed (Uint8Array<ArrayBuffer> under TypeScript 5.7+), so they go
  // wherever such a view is required.
  const file: Blob = new Blob([bytes]);
  const digest: Promise<ArrayBuffer> = crypto.subtle.digest('SHA-256', opt.saveState());

  const facts: [Backend, number, number, readonly ParamGroup[], readonly Param[]] = [
    opt.backend,
    opt.threads,
    opt.memoryBytes,
    opt.groups,
    opt.params,
  ];

  const laOptions: LookaheadOptions = { k: 6, alpha: 0.5 };
  const la = new Lookahead(opt, laOptions);
  la.step();
  la.zeroGrad();
  const slow: Float32Array = la.slowWeights(params[0]);
  const laState: LookaheadStateDict = la.stateDict();
  la.loadStateDict(laState);
  const laBytes: Bytes = la.saveState({ includeParams: false });
  la.loadState(laBytes);
  la.loadState(laBytes.buffer);
  const plain: Uint8Array = laBytes; // and a Bytes is a Uint8Array
  const laFacts: [RAdam, number, number, number] = [la.optimizer, la.k, la.alpha, la.stepsSinceSync];

  const hp: Hyperparameters = { ...DEFAULTS };
  const stepHp: StepHyperparameters = hp;
  const scalars: StepScalars = stepScalars(10, stepHp);
  const rect: Rectification = rectification(10, 0.9, 0.999, 5);
  const flushEvery: number = FLUSH_INTERVAL;

  void [
    ema,
    emaOptions,
    windowFacts,
    evaluated,
    evaluatedAsync,
    classes,
    counts,
    back,
    groupParams,
    amsgrad,
    detail,
    groupState,
    paramState,
    facts,
    slow,
    laFacts,
    scalars,
    rect,
    file,
    digest,
    plain,
  ];
  void flushEvery;
  for (const o of [opt, sync, adam]) o.dispose();
}

export async function schedules(): Promise<void> {
  const opt = await RAdam.create({ lr: 0.1 });
  const adam = await Adam.create({ lr: 0.1 });
  const targets: Schedulable[] = [opt, adam];
  // @ts-expect-error: a schedule needs an optimizer
  new StepLR({}, { stepSize: 1 });

  const step: StepLROptions = { stepSize: 30, gamma: 0.1 };
  const multi: MultiStepLROptions = { milestones: [30, 80], gamma: 0.1 };
  const constant: ConstantLROptions = { factor: 0.5, totalIters: 4 };
  const linear: LinearLROptions = { startFactor: 0.1, endFactor: 1, totalIters: 5 };
  const exponential: ExponentialLROptions = { gamma: 0.95 };
  const cosine: CosineAnnealingLROptions = { tMax: 100, etaMin: 0 };
  const restarts: CosineAnnealingWarmRestartsOptions = { t0: 10, tMult: 2, etaMin: 1e-5 };
  const poly: PolynomialLROptions = { totalIters: 50, power: 2 };
  const oneCycle: OneCycleLROptions = {
    maxLr: [0.1],
    totalSteps: 100,
    epochs: 10,
    stepsPerEpoch: 10,
    pctStart: 0.3,
    annealStrategy: 'linear',
    cycleMomentum: false,
    baseMomentum: 0.85,
    maxMomentum: 0.95,
    divFactor: 25,
    finalDivFactor: 1e4,
    threePhase: true,
  };
  // @ts-expect-error: the schedules drive lr only
  const cycling: OneCycleLROptions = { maxLr: 0.1, totalSteps: 10, cycleMomentum: true };
  const plateauOptions: ReduceLROnPlateauOptions = {
    mode: 'max',
    factor: 0.5,
    patience: 3,
    threshold: 1e-3,
    thresholdMode: 'abs',
    cooldown: 1,
    minLr: [1e-5],
    eps: 1e-8,
  };

  const list: LRScheduler[] = [
    new StepLR(opt, step),
    new MultiStepLR(opt, multi),
    new ConstantLR(opt, constant),
    new ExponentialLR(adam, exponential),
    new CosineAnnealingLR(adam, cosine),
    new CosineAnnealingWarmRestarts(opt, restarts),
    new PolynomialLR(opt, poly),
    new OneCycleLR(opt, oneCycle),
    new PolynomialLR(opt),
    new ConstantLR(opt),
  ];
  const warm = new LinearLR(opt, linear);
  const sequentialOptions: SequentialLROptions = {
    schedulers: [warm, new CosineAnnealingLR(opt, cosine)],
    milestones: [5],
  };
  const sequential = new SequentialLR(opt, sequentialOptions);
  sequential.step();
  const inner: LRScheduler[] = sequential.schedulers;
  const restarting = new CosineAnnealingWarmRestarts(opt, restarts);
  restarting.step(1.5);
  const cycle: [number, number] = [restarting.tCur, restarting.tI];
  for (const s of list) s.step();
  const state: LRSchedulerState = list[0].stateDict();
  list[0].loadStateDict(state);
  const facts: [number, number[], number[]] = [list[0].lastEpoch, list[0].baseLrs, list[0].getLastLr()];
  const owner: Schedulable = list[0].optimizer;

  const plateau = new ReduceLROnPlateau(opt, plateauOptions);
  plateau.step(0.5);
  // @ts-expect-error: ReduceLROnPlateau needs the metric
  plateau.step();
  const plateauState: ReduceLROnPlateauState = plateau.stateDict();
  plateau.loadStateDict(plateauState);
  const plateauFacts: [number, number, number, number, number[]] = [
    plateau.best,
    plateau.numBadEpochs,
    plateau.cooldownCounter,
    plateau.lastEpoch,
    plateau.getLastLr(),
  ];
  void [targets, cycling, inner, cycle, facts, owner, plateauFacts, plateau.optimizer];
  for (const o of [opt, adam]) o.dispose();
}
