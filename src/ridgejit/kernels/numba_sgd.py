"""Numba stochastic kernels (same signatures and meaning as ``reference_sgd``).

Lazy L2 (Bottou's ASGD): ``w = v / D`` and ``wbar = (a + F v) / A``.  With
``D' = D / (1 - eta lam)`` one update is ``v <- v - eta s r D' (x - xbar)``,
and the average follows with ``a <- a + F eta s r D' (x - xbar)``,
``A' = A / (1 - mu)``, ``F' = F + mu A' / D'`` (``mu = 1/(t - start + 1)``);
so a step costs O(p) (O(nnz) for the sparse twins to come) instead of
rescaling the vectors.  Divisors above 1e6 are folded back into the vectors.
``state``/``hyper`` slots are named in :mod:`ridgejit.kernels.layout`.
"""

import numpy as np
from numba import njit, prange

from .._config import JIT, PARALLEL
from . import layout as L
from ._intrinsics import prefetch_item, prefetch_sample
from .numba_dense import n_blocks


@njit(inline="always", **JIT)
def rate(schedule, t, eta0, power_t, lam, t0):
    """The step ``eta_t`` of ``schedule`` (see ``layout``) at update ``t``."""
    if schedule == L.INVSCALING:
        return eta0 / (t + 1.0) ** power_t
    if schedule == L.OPTIMAL:
        return 1.0 / (lam * (t0 + t))
    return eta0


@njit(inline="always", **JIT)
def average_step(t, start, F, step, A):
    """Lazy-average bookkeeping of one update of size ``step`` at update ``t``.

    Returns ``(averaging, first, mu, coef_a, A)``: whether the average runs,
    whether it starts now (it then restarts as the iterate), its weight
    ``mu = 1/(t - start + 1)``, the factor ``F step`` by which ``a`` must follow
    the change of ``v``, and the new divisor ``A / (1 - mu)``.
    """
    if t < start:
        return False, False, 0.0, 0.0, A
    mu = 1.0 / (t - start + 1.0)
    if mu >= 1.0:
        return True, True, mu, 0.0, A
    return True, False, mu, F * step, A / (1.0 - mu)


@njit(inline="always", **JIT)
def sgd_state(state):
    """``(t, D, A, F, b, bbar)``: the ``sgd_epoch`` state slots (see :mod:`.layout`)."""
    return state[L.T], state[L.WDIV], state[L.ADIV], state[L.WFRAC], state[L.B], state[L.BAVG]


@njit(inline="always", **JIT)
def sgd_hyper(hyper):
    """``(eta0, power_t, lam, t0, start, fit_b)``: the ``sgd_epoch`` hyper-parameters."""
    return (hyper[L.ETA0], hyper[L.POWER_T], hyper[L.LAM], hyper[L.T0], hyper[L.AVG_START],
            hyper[L.FIT_B] != 0.0)


@njit(inline="always", **JIT)
def store_sgd_state(state, t, D, A, F, b, bbar):
    """Write the ``sgd_epoch`` state slots back."""
    state[L.T] = t
    state[L.WDIV] = D
    state[L.ADIV] = A
    state[L.WFRAC] = F
    state[L.B] = b
    state[L.BAVG] = bbar


@njit(inline="always", **JIT)
def svrg_slots(state, hyper):
    """``(step, lam, fit_b, b, b_snap, gb)`` of ``svrg_inner``."""
    return (hyper[L.SVRG_STEP], hyper[L.SVRG_LAM], hyper[L.SVRG_FIT_B] != 0.0, state[L.SVRG_B],
            state[L.SVRG_B_SNAP], state[L.SVRG_GB])


@njit(inline="always", **JIT)
def saga_slots(state, hyper):
    """``(step, lam, fit_b, unbiased, b, gb)`` of ``saga_epoch``."""
    return (hyper[L.SAGA_STEP], hyper[L.SAGA_LAM], hyper[L.SAGA_FIT_B] != 0.0,
            hyper[L.SAGA_UNBIASED] != 0.0, state[L.SAGA_B], state[L.SAGA_GB])


@njit(**JIT)
def _renormalize(v, a, state, averaging):
    D = state[L.WDIV]
    if averaging:
        A = state[L.ADIV]
        F = state[L.WFRAC]
        for j in range(v.shape[0]):
            a[j] = (a[j] + F * v[j]) / A
    for j in range(v.shape[0]):
        v[j] /= D
    state[L.WDIV] = 1.0
    state[L.ADIV] = 1.0
    state[L.WFRAC] = 0.0


@njit(**JIT)
def sgd_epoch(X, y, sw, x_mean, order, v, a, state, schedule, hyper):
    """One plain/averaged SGD pass over the rows ``order`` (see ``reference_sgd``).

    The update loop of row ``order[idx]`` also computes ``x.v`` of the next
    row with the updated ``v`` (one pass over ``v`` per row instead of two:
    15-20 % faster on 5e4 x 2000, where the kernel is compute-bound); the sums
    are the same up to their order.
    """
    p = X.shape[1]
    m = order.shape[0]
    t, D, A, F, b, bbar = sgd_state(state)
    eta0, power_t, lam, t0, start, fit_b = sgd_hyper(hyper)
    # c = xbar . v, so that (x - xbar).v = x.v - c; kept up to date below.
    c = 0.0
    for j in range(p):
        c += x_mean[j] * v[j]
    d = 0.0  # x.v of the row about to be visited
    if m > 0:
        x0 = X[order[0]]
        for j in range(p):
            d += x0[j] * v[j]
    loss = 0.0
    for idx in range(m):
        prefetch_sample(X, y, sw, order, idx)  # shuffled rows are DRAM misses: see _intrinsics
        i = order[idx]
        eta = rate(schedule, t, eta0, power_t, lam, t0)
        x = X[i]
        xn = X[order[idx + 1]] if idx + 1 < m else x
        r = (d - c) / D + b - y[i]
        s = sw[i]
        loss += s * r * r
        g = eta * s * r
        D = D / (1.0 - eta * lam)
        step = g * D
        averaging, first, mu, coef_a, A = average_step(t, start, F, step, A)
        dc = 0.0
        d = 0.0
        if averaging and not first:  # v and a follow the same centred row: one loop
            for j in range(p):
                xc = x[j] - x_mean[j]
                vj = v[j] - step * xc
                v[j] = vj
                a[j] += coef_a * xc
                dc += x_mean[j] * xc
                d += xn[j] * vj
        else:
            for j in range(p):
                xc = x[j] - x_mean[j]
                vj = v[j] - step * xc
                v[j] = vj
                dc += x_mean[j] * xc
                d += xn[j] * vj
        c -= step * dc
        if fit_b:
            b -= g
        if averaging:
            if first:  # the average starts as the current iterate
                for j in range(p):
                    a[j] = 0.0
                A = D
                F = 1.0
            else:
                F = F + mu * A / D
            bbar += mu * (b - bbar)
        t += 1.0
        if D > 1e6 or A > 1e6:
            state[L.WDIV] = D
            state[L.ADIV] = A
            state[L.WFRAC] = F
            _renormalize(v, a, state, t > start)
            d /= D  # v was divided by D
            D = 1.0
            A = 1.0
            F = 0.0
            c = 0.0
            for j in range(p):
                c += x_mean[j] * v[j]
    store_sgd_state(state, t, D, A, F, b, bbar)
    return loss


@njit(**PARALLEL)
def max_row_norm(X, sw, x_mean, q):
    """``max_i s_i sum_j q_j (x_ij - xbar_j)^2`` in one parallel pass (see ``reference_sgd``)."""
    n, p = X.shape
    nb = n_blocks(n, 1)
    step = (n + nb - 1) // nb
    best = np.zeros(nb)
    for b in prange(nb):
        m = 0.0
        for i in range(b * step, min(n, (b + 1) * step)):
            x = X[i]
            z = 0.0
            for j in range(p):
                d = x[j] - x_mean[j]
                z += q[j] * d * d
            z *= sw[i]
            if z > m:
                m = z
        best[b] = m
    return best.max()


@njit(**JIT)
def saga_epoch(X, y, sw, x_mean, order, w, state, memory, grad_avg, hyper, factor, box):
    """SAGA/SAG pass with one stored residual per sample, each step projected onto ``box``
    when it has rows (see ``reference_sgd``)."""
    n, p = X.shape
    step, lam, fit_b, saga, b, gb = saga_slots(state, hyper)
    scaled = factor.shape[0] > 0
    boxed = box.shape[0] > 0
    inv_n = 1.0 / n
    loss = 0.0
    for idx in range(order.shape[0]):
        prefetch_sample(X, y, sw, order, idx)
        if idx + L.PREFETCH_AHEAD < order.shape[0]:
            prefetch_item(memory, order[idx + L.PREFETCH_AHEAD])  # the row's stored residual
        i = order[idx]
        x = X[i]
        r = b - y[i]
        for j in range(p):
            r += (x[j] - x_mean[j]) * w[j]
        s = sw[i]
        loss += s * r * r
        phi = s * r
        delta = phi - memory[i]
        memory[i] = phi
        if saga:
            for j in range(p):
                xc = x[j] - x_mean[j]
                lj = lam * factor[j] if scaled else lam
                w[j] -= step * (delta * xc + grad_avg[j] + lj * w[j])
                if boxed:
                    w[j] = min(max(w[j], box[0, j]), box[1, j])
                grad_avg[j] += delta * xc * inv_n
            if fit_b:
                b -= step * (delta + gb)
            gb += delta * inv_n
        else:
            for j in range(p):
                grad_avg[j] += delta * (x[j] - x_mean[j]) * inv_n
                lj = lam * factor[j] if scaled else lam
                w[j] -= step * (grad_avg[j] + lj * w[j])
                if boxed:
                    w[j] = min(max(w[j], box[0, j]), box[1, j])
            gb += delta * inv_n
            if fit_b:
                b -= step * gb
    state[L.SAGA_B] = b
    state[L.SAGA_GB] = gb
    return loss


@njit(**JIT)
def svrg_inner(X, y, sw, x_mean, order, w, snapshot, full_grad, state, hyper, factor):
    """SVRG inner loop (see ``reference_sgd``): two dots and one update per row."""
    p = X.shape[1]
    step, lam, fit_b, b, b_snap, gb = svrg_slots(state, hyper)
    scaled = factor.shape[0] > 0
    loss = 0.0
    for idx in range(order.shape[0]):
        prefetch_sample(X, y, sw, order, idx)
        i = order[idx]
        x = X[i]
        r = b - y[i]
        r_snap = b_snap - y[i]
        for j in range(p):
            xc = x[j] - x_mean[j]
            r += xc * w[j]
            r_snap += xc * snapshot[j]
        s = sw[i]
        loss += s * r * r
        d = s * (r - r_snap)
        for j in range(p):
            lj = lam * factor[j] if scaled else lam
            w[j] -= step * (d * (x[j] - x_mean[j]) + lj * (w[j] - snapshot[j]) + full_grad[j])
        if fit_b:
            b -= step * (d + gb)
    state[L.SVRG_B] = b
    return loss
