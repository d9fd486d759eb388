#!/usr/bin/python3
"""Numerical extremes from torch (issue 18): torch.optim.RAdam and torch.optim.Adam (amsgrad too),
foreach=False, CPU, on gradients, moments, weight decay, lr and betas at the edges of float32.

    /usr/bin/python3 test/golden/make-extremes.py > test/golden/extremes.json

Deterministic (no randomness): rerunning it gives the same bytes on the same torch and CPU. The
schema is public.json's (README.md), plus per group "optimizer" ("RAdam" or "Adam") and "amsgrad",
per expected tensor "max_exp_avg_sq" where amsgrad is on, and for two cases "expected_float64" (the same
steps in float64, rounded to float32: the formula without float32's overflow and underflow). maximize and decoupled weight decay
are given to RAdam as in public.json (torch 1.13's RAdam has neither): the negated gradient, and
p.mul_(1 - lr*wd) before a weight_decay=0 step; Adam gets its own maximize flag.
"""
import json
import math
import sys

import numpy as np
import torch

torch.set_num_threads(1)
F = np.float32
FLT_MAX = float(np.finfo(np.float32).max)
FLT_MIN = float(np.finfo(np.float32).tiny)
SQRT_MAX = float(F(math.sqrt(FLT_MAX)))  # 1.8446743e19, the float32 nearest sqrt(FLT_MAX)
INF, NAN = math.inf, math.nan


def f32(x):
    """A float32 value as JSON: the shortest decimal that reads back to it through a double, or a string."""
    with np.errstate(over="ignore"):  # a float64 result beyond float32 is its infinity
        x = F(x)
    if math.isnan(x):
        return 'NaN'
    if math.isinf(x):
        return 'Infinity' if x > 0 else '-Infinity'
    s = str(x)  # numpy's shortest repr for float32
    v = float(s)
    if F(v).tobytes() != x.tobytes():  # never seen; the exact double then
        v = float(x)
    return v


def vec(t):
    return [f32(x) for x in t.detach().numpy().reshape(-1)]


def first_rectified(b2, T):
    rho_inf = 2 / (1 - b2) - 1
    for t in range(1, T + 1):
        b2t = b2 ** t
        if 1 - b2t != 0 and rho_inf - 2 * t * b2t / (1 - b2t) > 5:
            return t
    return None


def group(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False, maximize=False,
          optimizer='RAdam', amsgrad=False):
    return dict(lr=lr, beta1=betas[0], beta2=betas[1], eps=eps, weight_decay=weight_decay, decoupled=decoupled,
                maximize=maximize, optimizer=optimizer, amsgrad=amsgrad, lr_per_step=None)


def tensor(name, g, init, grads):
    """grads: a function of the step t (1-based) giving the gradient list."""
    return dict(name=name, group=g, init=[float(F(x)) for x in init], grads=grads)


def case(name, description, T, groups, tensors, float64=False):
    for g in groups:
        g['first_rectified_step'] = first_rectified(g['beta2'], T) if g['optimizer'] == 'RAdam' else None
    ts = []
    for t in tensors:
        grads = [[float(F(x)) for x in t['grads'](s)] for s in range(1, T + 1)]
        assert all(len(gr) == len(t['init']) for gr in grads), name
        ts.append(dict(name=t['name'], group=t['group'], size=len(t['init']), init=t['init'], grads=grads))
    c = run(dict(name=name, description=description, T=T, record_steps=list(range(1, T + 1)), groups=groups,
                 tensors=ts, resume=None))
    if float64:  # the same steps in float64 (the formula without float32's overflow and underflow), as float32
        c['expected_float64'] = run(dict(c), torch.float64)['expected']
    for t in c['tensors']:  # as JSON: non-finite values as strings
        t['init'] = [f32(x) for x in t['init']]
        t['grads'] = [[f32(x) for x in g] for g in t['grads']]
    return c


def run(c, dtype=torch.float32):
    params = [torch.tensor(np.array(t['init'], dtype=np.float32), dtype=dtype) for t in c['tensors']]
    opts = []  # one optimizer per group: the groups differ in class and amsgrad
    for k, g in enumerate(c['groups']):
        ps = [p for p, t in zip(params, c['tensors']) if t['group'] == k]
        wd = 0.0 if g['decoupled'] else g['weight_decay']
        betas = (g['beta1'], g['beta2'])
        if g['optimizer'] == 'RAdam':
            o = torch.optim.RAdam(ps, lr=g['lr'], betas=betas, eps=g['eps'], weight_decay=wd, foreach=False)
        else:
            o = torch.optim.Adam(ps, lr=g['lr'], betas=betas, eps=g['eps'], weight_decay=wd, amsgrad=g['amsgrad'],
                                 maximize=g['maximize'], foreach=False)
        opts.append(o)
    expected = []
    for step in range(1, c['T'] + 1):
        for p, t in zip(params, c['tensors']):
            g = c['groups'][t['group']]
            grad = torch.tensor(np.array(t['grads'][step - 1], dtype=np.float32), dtype=dtype)
            p.grad = -grad if g['maximize'] and g['optimizer'] == 'RAdam' else grad
            if g['decoupled']:
                with torch.no_grad():
                    p.mul_(1 - g['lr'] * g['weight_decay'])
        for o in opts:
            o.step()
        out = []
        for p, t in zip(params, c['tensors']):
            s = opts[t['group']].state[p]
            e = dict(param=vec(p), exp_avg=vec(s['exp_avg']), exp_avg_sq=vec(s['exp_avg_sq']))
            if 'max_exp_avg_sq' in s:
                e['max_exp_avg_sq'] = vec(s['max_exp_avg_sq'])
            out.append(e)
        expected.append(dict(step=step, tensors=out))
    c = dict(c)
    c['how_generated'] = 'torch.optim.%s(foreach=False), CPU, float32' % '/'.join(
        sorted({g['optimizer'] for g in c['groups']}))
    c['expected'] = expected
    return c


def const(values):
    return lambda t: values


def cases():
    big = [1.8e19, -SQRT_MAX, 1.9e19, 3e19, -3e19, 1e20, -1e20, 1e25, 1e30, 1.0]
    yield case('grad-near-sqrt-flt-max', 'gradients near and above sqrt(FLT_MAX) = 1.8446743e19: torch\'s '
               '((1-b2)*g)*g keeps v finite up to |g| ~ 5.8e20', 8, [group()],
               [tensor('w', 0, [1, -1, 0.5, 2, -2, 1, 1, 0, -0.5, 3],
                       lambda t: [x if t % 3 else -x for x in big])])
    yield case('grad-flt-max', 'gradients of FLT_MAX and near it (v overflows to Infinity), then ordinary ones', 8,
               [group(), group(lr=0.1, betas=(0.5, 0.99))],
               [tensor('a', 0, [1, -1, 0.5, 2, -2, 0], const([FLT_MAX, -FLT_MAX, 3e38, -1e38, 1.0, -1.0])),
                tensor('b', 1, [1, 2, 3], lambda t: [FLT_MAX, -3e38, 1e38] if t == 2 else [1.0, -0.5, 0.25])])
    yield case('grad-flt-max-momentum', 'FLT_MAX gradients in the momentum steps (before rectification): torch\'s '
               'm/(1-b1^t) overflows for some beta1 before lr scales it down', 7,
               [group(betas=(0.7, 0.999)), group(betas=(0.95, 0.999)), group(betas=(0.8, 0.999)), group()],
               [tensor('b0.7', 0, [1, -1], const([FLT_MAX, -FLT_MAX])),
                tensor('b0.95', 1, [1, -1], const([FLT_MAX, -FLT_MAX])),
                tensor('b0.8', 2, [1, -1], const([FLT_MAX, -FLT_MAX])),
                tensor('b0.9', 3, [1, -1], const([FLT_MAX, -FLT_MAX]))], float64=True)
    sub = [1e-40, -1e-40, 1.4e-45, -1.4e-45, 1e-38, FLT_MIN, 3e-39, 0.0]
    yield case('grad-subnormal', 'subnormal gradients (v underflows to 0; with eps 0, m/sqrt(v) divides by it)', 8,
               [group(), group(eps=0.0), group(optimizer='Adam', eps=0.0)],
               [tensor('eps1e-8', 0, [1] * 8, const(sub)), tensor('eps0', 1, [1] * 8, const(sub)),
                tensor('adam-eps0', 2, [1] * 8, const(sub))], float64=True)
    yield case('moments-subnormal', 'one gradient, then zeros: m and v decay through the subnormal range to 0', 70,
               [group(betas=(0.5, 0.9)), group(betas=(0.5, 0.9), eps=0.0)],
               [tensor('eps1e-8', 0, [1, -1, 0.5, 2], lambda t: [3e-20, -1e-21, 1e-19, 1e-30] if t == 1 else [0] * 4),
                tensor('eps0', 1, [1, -1, 0.5, 2], lambda t: [3e-20, -1e-21, 1e-19, 1e-30] if t == 1 else [0] * 4)])
    yield case('negative-zero', '-0 and +0 in gradients and params; with eps 0 the rectified step is 0/0 = NaN', 7,
               [group(), group(eps=0.0), group(weight_decay=0.5), group(optimizer='Adam', eps=0.0)],
               [tensor('eps1e-8', 0, [-0.0, 0.0, -0.0, 1, -1], const([-0.0, -0.0, 0.0, -0.0, 0.0])),
                tensor('eps0', 1, [-0.0, 0.0, -0.0, 1, -1], const([-0.0, -0.0, 0.0, -0.0, 0.0])),
                tensor('coupled', 2, [-0.0, 0.0, -0.0, 1, -1], const([-0.0, -0.0, 0.0, -0.0, 0.0])),
                tensor('adam-eps0', 3, [-0.0, 0.0, -0.0, 1, -1], const([-0.0, -0.0, 0.0, -0.0, 0.0]))])
    init = [1, -1, 0, -0.0, 1e-39, 2, 1e-3, -3e-38]
    yield case('weight-decay-edge', 'weight decay at the edge of float32: coupled FLT_MAX and 1e38, decoupled '
               'with lr*wd = 3.4e35, 1 (the param becomes 0) and 2 (it changes sign)', 7,
               [group(weight_decay=FLT_MAX), group(weight_decay=1e38), group(weight_decay=FLT_MAX, decoupled=True),
                group(lr=0.5, weight_decay=2.0, decoupled=True), group(lr=0.5, weight_decay=4.0, decoupled=True)],
               [tensor('coupled-max', 0, init, const([1, 0, 1, -1, 0, 1e-3, 0, 1])),
                tensor('coupled-1e38', 1, init, const([1, 0, 1, -1, 0, 1e-3, 0, 1])),
                tensor('decoupled-max', 2, [1e-30, -1e-30, 0, 1e-35, 2e-39, 0.5, -0.5, 1], const([1e-3] * 8)),
                tensor('decoupled-one', 3, init, const([1e-3] * 8)),
                tensor('decoupled-two', 4, init, const([1e-3] * 8))])
    yield case('lr-edge', 'lr at the edge: 1e37 with tiny gradients (step sizes near FLT_MAX), 1.4e-45 and 1e-60 '
               '(0 in float32)', 8,
               [group(lr=1e37), group(lr=1.4e-45), group(lr=1e-60), group(optimizer='Adam', lr=1e37)],
               [tensor('lr1e37', 0, [1, -1, 0, 5], const([1e-30, -1e-25, 1e-35, 0])),
                tensor('lr-min', 1, [1, -1, 0, 5], const([1, -1, 1e-3, 1e3])),
                tensor('lr-zero', 2, [1, -1, 0, 5], const([1, -1, 1e-3, 1e3])),
                tensor('adam-lr1e37', 3, [1, -1, 0, 5], const([1e-30, -1e-25, 1e-35, 0]))])
    wave = lambda t: [math.sin(t), -math.cos(2 * t), 0.5, -1e-3]  # noqa: E731
    one = 0.99999994  # the largest float32 below 1
    yield case('betas-near-one', 'betas 0.99999994 (the largest float32 below 1)', 8,
               [group(betas=(one, one)), group(betas=(one, 0.999)), group(betas=(0.9, one)),
                group(optimizer='Adam', betas=(one, one))],
               [tensor('both', 0, [1, -1, 0.5, 2], wave), tensor('beta1', 1, [1, -1, 0.5, 2], wave),
                tensor('beta2', 2, [1, -1, 0.5, 2], wave), tensor('adam-both', 3, [1, -1, 0.5, 2], wave)])
    yield case('betas-near-zero', 'betas 0, subnormal (1e-45, 1e-40) and tiny (1e-30): rho_inf <= 4, never '
               'rectified', 7,
               [group(betas=(0.0, 0.0)), group(betas=(1e-45, 1e-40)), group(betas=(1e-30, 1e-30)),
                group(optimizer='Adam', betas=(0.0, 0.0))],
               [tensor('zero', 0, [1, -1, 0.5, 2], wave), tensor('subnormal', 1, [1, -1, 0.5, 2], wave),
                tensor('tiny', 2, [1, -1, 0.5, 2], wave), tensor('adam-zero', 3, [1, -1, 0.5, 2], wave)])
    ext = [FLT_MAX, -FLT_MAX, 3e19, -0.0, 0.0, 1e-45, 1e-40, -1.0]
    yield case('maximize-extremes', 'maximize with FLT_MAX, 3e19, -0, subnormals, and a NaN at step 4', 7,
               [group(maximize=True), group(optimizer='Adam', maximize=True)],
               [tensor('radam', 0, [1, -1, 0.5, 2, -0.0, 0, 1, 1], lambda t: ext[:-1] + [NAN if t == 4 else -1.0]),
                tensor('adam', 1, [1, -1, 0.5, 2, -0.0, 0, 1, 1], lambda t: ext[:-1] + [NAN if t == 4 else -1.0])])
    yield case('non-finite', 'NaN and +-Infinity in gradients and params, no guards: torch propagates them', 8,
               [group(), group(weight_decay=0.1), group(weight_decay=0.1, decoupled=True), group(optimizer='Adam')],
               [tensor('grads', 0, [1, 2, 3, 4], lambda t: [NAN if t == 3 else 1, INF if t == 3 else 1,
                                                               -INF if t == 2 else 1, 1]),
                tensor('params', 0, [INF, -INF, NAN, 1], const([1, 1, 1, 1])),
                tensor('coupled', 1, [INF, -INF, NAN, 1], const([1, 0, 1, INF])),
                tensor('decoupled', 2, [INF, -INF, NAN, 1], const([1, 0, 1, -INF])),
                tensor('adam', 3, [INF, 1, NAN, 1], lambda t: [1, NAN if t == 5 else 1, 1, INF if t == 6 else 1])])
    yield case('amsgrad', 'Adam with amsgrad (torch.optim.Adam): a huge gradient sets the running maximum of v, '
               'FLT_MAX makes it Infinity, a NaN propagates through torch.maximum; eps 0 with zeros is 0/0', 8,
               [group(optimizer='Adam', amsgrad=True), group(optimizer='Adam', amsgrad=True, eps=0.0),
                group(optimizer='Adam', amsgrad=True, maximize=True, weight_decay=0.01)],
               [tensor('huge-then-small', 0, [1, -1, 0.5, 2, 0, 1],
                       lambda t: [1e20 if t == 1 else 1, FLT_MAX if t == 2 else -1, 3e19 if t % 2 else 0,
                                  1e-40, NAN if t == 3 else 0.5, -0.0]),
                tensor('eps0', 1, [1, -1, 0, -0.0], lambda t: [0, -0.0, 1e-40 if t == 4 else 0, 1 if t == 1 else 0]),
                tensor('maximize', 2, [1, -1, 0.5, 2], lambda t: [3e19, -FLT_MAX if t == 5 else 1, 1e-45, -1])])


def main():
    cs = list(cases())
    meta = dict(torch=torch.__version__, numpy=np.__version__, python=sys.version.split()[0],
                cpu_capability=torch.__config__.show().split('CPU capability usage: ')[1].split('\n')[0],
                generator='test/golden/make-extremes.py')
    json.dump(dict(meta=meta, cases=cs), sys.stdout, allow_nan=False, separators=(',', ':'))
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
