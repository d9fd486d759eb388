#!/usr/bin/python3
"""Writes schedulers-epoch.json: torch.optim.lr_scheduler trajectories with step(epoch) arguments.

Run with Debian's torch (apt-get install python3-torch, 1.13.1):
    /usr/bin/python3 test/golden/make-schedulers-epoch.py > test/golden/schedulers-epoch.json

Each case builds a scheduler on an SGD with one param group per base lr, then makes the calls in
`calls` in order; `states[k]` is the scheduler's state after k calls (states[0]: as constructed).
A call's `epoch` null is torch's step() (epoch None), a number is step(epoch) (a Python int when
whole, else a float). ReduceLROnPlateau's calls also carry the metric: step(metric, epoch).
"""
import json
import math
import sys
import warnings

import torch
from torch.optim import SGD
from torch.optim import lr_scheduler as L

warnings.simplefilter('ignore')  # EPOCH_DEPRECATION_WARNING and the step-order warnings


def make_optimizer(base_lrs):
    groups = [{'params': [torch.zeros(1, requires_grad=True)], 'lr': lr} for lr in base_lrs]
    return SGD(groups, lr=base_lrs[0])


def build(opt, name, args):
    if name == 'SequentialLR':
        inner = [build(opt, n, a) for n, a in args['schedulers']]
        return L.SequentialLR(opt, schedulers=inner, milestones=args['milestones'])
    return getattr(L, name)(opt, **args)


def state(s, opt):
    out = {'lrs': [g['lr'] for g in opt.param_groups], 'last_epoch': s.last_epoch}
    if isinstance(s, L.ReduceLROnPlateau):
        out.update(best=s.best, num_bad_epochs=s.num_bad_epochs, cooldown_counter=s.cooldown_counter)
    elif hasattr(s, '_step_count'):  # not SequentialLR
        out['step_count'] = s._step_count
    if isinstance(s, L.CosineAnnealingWarmRestarts):
        out.update(T_cur=s.T_cur, T_i=s.T_i)
    return out


def epoch_arg(e):
    return e if e is None or isinstance(e, int) else float(e)


def run(name, description, scheduler, args, base_lrs, calls):
    opt = make_optimizer(base_lrs)
    s = build(opt, scheduler, args)
    states = [state(s, opt)]
    for c in calls:
        opt.step()
        if 'metric' in c:
            s.step(c['metric'], epoch_arg(c['epoch']))
        elif isinstance(s, L.SequentialLR):
            s.step()  # its step takes no epoch, not even None
        else:
            s.step(epoch_arg(c['epoch']))  # step(None) when null: what torch's step() does
        states.append(state(s, opt))
    return {
        'name': name,
        'description': description,
        'scheduler': scheduler,
        'args': args,
        'baseLrs': base_lrs,
        'calls': calls,
        'states': states,
    }


def E(*epochs):
    """Calls from epochs: None is step(), a number step(epoch)."""
    return [{'epoch': e} for e in epochs]


N = None
cases = []

# --- CosineAnnealingWarmRestarts: step(epoch) is documented (not deprecated) in torch --------------
# torch's documented loop: scheduler.step(epoch + i / iters) after every batch.
cases.append(run('cawr_tmult1_batches', "T_mult 1: step(epoch + i / iters), torch's documented loop, then step()",
                 'CosineAnnealingWarmRestarts', {'T_0': 5, 'T_mult': 1, 'eta_min': 0.01}, [0.1, 0.02, 0.5],
                 E(*[epoch + i / 4 for epoch in range(12) for i in range(4)], N, N, N, N, N, N, N)))
cases.append(run('cawr_tmult2_batches', "T_mult 2: step(epoch + i / iters) across the restarts at 3, 9, 21",
                 'CosineAnnealingWarmRestarts', {'T_0': 3, 'T_mult': 2, 'eta_min': 0.001}, [0.1, 0.003],
                 E(*[epoch + i / 5 for epoch in range(25) for i in range(5)], N, N, N)))
cases.append(run('cawr_mixed', "step() and step(epoch) interleaved (torch's docstring example: step(26) "
                 "then step() is epoch 27), fractional and integer epochs, jumps backwards, step(0)",
                 'CosineAnnealingWarmRestarts', {'T_0': 4, 'T_mult': 2, 'eta_min': 0.05}, [0.1, 0.7],
                 E(N, N, N, N, N, 26, N, 2.5, N, N, 13.25, N, N, N, 0, N, 100.75, N, 3, N, N, 27.999, N, 12, N,
                   4, 11.5, N, N, N, N, N, 1, 60, N, N)))
cases.append(run('cawr_tmult1_integer', "T_mult 1: integer jumps forwards and backwards, a large epoch",
                 'CosineAnnealingWarmRestarts', {'T_0': 7, 'T_mult': 1, 'eta_min': 0.0}, [0.1, 0.02],
                 E(N, N, 9, N, N, N, N, N, 3, N, 1000003, N, 14, N, 6, N, N, 0, N)))
# int(log(epoch / T_0 * (T_mult - 1) + 1, T_mult)) with the C library's log: at a cycle boundary
# the quotient can fall just below the integer (math.log(243, 3) == 4.999999999999999), so torch
# puts epoch 121 at the end of the cycle before (T_cur == T_i, lr == eta_min).
bounds3 = [(3 ** n - 1) // 2 for n in range(1, 16)]
cases.append(run('cawr_tmult3_boundaries', "T_0 1, T_mult 3: step(epoch) at every cycle boundary up to 3^15, "
                 "just before and after it, and step() after each",
                 'CosineAnnealingWarmRestarts', {'T_0': 1, 'T_mult': 3, 'eta_min': 0.001}, [0.1],
                 E(*[x for b in bounds3 for x in (b, N, b - 0.25, N, b + 0.5)])))
bounds2 = [5 * (2 ** n - 1) for n in range(1, 30)]
cases.append(run('cawr_tmult2_boundaries', "T_0 5, T_mult 2: step(epoch) at every cycle boundary up to 5 (2^29 - 1), "
                 "and one epoch before it",
                 'CosineAnnealingWarmRestarts', {'T_0': 5, 'T_mult': 2, 'eta_min': 0.0001}, [0.1, 0.01],
                 E(*[x for b in bounds2 for x in (b, N, b - 1)])))
for t0, tm in [(2, 5), (3, 7), (1, 10), (6, 4)]:
    bs = [t0 * (tm ** n - 1) // (tm - 1) for n in range(1, 12) if t0 * (tm ** n - 1) // (tm - 1) < 2 ** 40]
    cases.append(run(f'cawr_t0_{t0}_tmult_{tm}_boundaries',
                     f'T_0 {t0}, T_mult {tm}: step(epoch) at every cycle boundary below 2^40, then step()',
                     'CosineAnnealingWarmRestarts', {'T_0': t0, 'T_mult': tm, 'eta_min': 0.002}, [0.1],
                     E(*[x for b in bs for x in (b, N)])))
cases.append(run('sequential_cawr', 'SequentialLR hands over to CosineAnnealingWarmRestarts with its step(0)',
                 'SequentialLR', {'schedulers': [['LinearLR', {'start_factor': 0.1, 'total_iters': 4}],
                                                 ['CosineAnnealingWarmRestarts', {'T_0': 3, 'T_mult': 2,
                                                                                  'eta_min': 0.001}]],
                                  'milestones': [4]},
                 [0.1, 0.01], E(*[N] * 25)))

# --- the deprecated step(epoch) of the other schedules: last_epoch = epoch, the closed form -------
deprecated = [
    ('StepLR', {'step_size': 3, 'gamma': 0.5}, E(N, N, 10, N, N, N, 4, N, 0, N, N, N, N, 7, N, 6, N, N)),
    ('MultiStepLR', {'milestones': [2, 5, 5, 9], 'gamma': 0.5},
     E(N, 6, N, N, N, N, 1, N, N, N, 5, N, 20, N, 0, N, N, N, N, N, N, N, N, N, N)),
    ('ExponentialLR', {'gamma': 0.9}, E(N, 15, N, N, N, 2, N, 0, N, N, 40, N)),
    ('LinearLR', {'start_factor': 0.2, 'end_factor': 0.9, 'total_iters': 6},
     E(N, 3, N, N, N, N, 10, N, 0, N, N, 6, N, 5, N, N)),
    ('ConstantLR', {'factor': 0.25, 'total_iters': 4}, E(N, 3, N, N, 1, N, 4, 0, N, N, N, N, N, 9, N)),
    ('PolynomialLR', {'total_iters': 8, 'power': 1.5}, E(N, 5, N, N, N, N, 2, N, 12, N, 0, N, N, 8, N)),
    ('CosineAnnealingLR', {'T_max': 5, 'eta_min': 0.001},
     E(N, 3, N, N, N, N, N, N, N, 14, N, N, N, N, N, 0, N, 5, N, 25, N, N)),
    ('OneCycleLR', {'max_lr': 0.2, 'total_steps': 20, 'three_phase': True, 'cycle_momentum': False},
     E(N, 10, N, N, N, 4, N, 20, 0, N, 13, N, N)),
]
for name, args, calls in deprecated:
    cases.append(run(f'{name}_epoch', f"{name}: step(epoch), deprecated in torch (the closed form), mixed with step()",
                     name, args, [0.1, 0.003], calls))
plateau_calls = [{'metric': m, 'epoch': e} for m, e in [
    (1.0, N), (0.9, 5), (0.95, N), (0.95, 2), (0.95, N), (0.95, N), (0.95, 0), (0.5, N), (0.6, 30), (0.6, N),
    (0.6, N), (0.6, N), (0.6, 3), (0.6, N), (0.6, N), (0.6, N)]]
cases.append(run('ReduceLROnPlateau_epoch', 'ReduceLROnPlateau: step(metric, epoch), deprecated in torch '
                 '(the epoch only sets last_epoch)', 'ReduceLROnPlateau',
                 {'patience': 1, 'factor': 0.5, 'cooldown': 1, 'min_lr': [0.001, 0.0]}, [0.1, 0.003], plateau_calls))


def clean(x):
    """JSON for float('inf') in best: the strings of the README's schema."""
    if isinstance(x, float) and not math.isfinite(x):
        return 'NaN' if x != x else ('Infinity' if x > 0 else '-Infinity')
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items()}
    if isinstance(x, list):
        return [clean(v) for v in x]
    return x


json.dump(clean({
    'meta': {
        'torch': torch.__version__,
        'generator': 'test/golden/make-schedulers-epoch.py (Debian python3-torch 1.13.1, /usr/bin/python3)',
        'note': 'states[k] = the scheduler after k calls (states[0]: as constructed); a call epoch null is '
                'step(), a number step(epoch); SGD, one param group per base lr',
    },
    'cases': cases,
}), sys.stdout, indent=None, separators=(',', ':'))
sys.stdout.write('\n')
