"""Numba stochastic kernels for CSR X: O(nnz of the row) per update, centring included.

Same signatures as :mod:`ridgejit.kernels.numba_sgd` with ``data, indices,
indptr`` in place of ``X``, and the same meaning (:mod:`ridgejit.kernels.reference_sgd`
is the spec).  A centred row ``x - xbar`` is dense, so it is never formed: the
iterate is kept as

    w = (v + m xbar) / D

with ``v`` updated only where the row has stored values, ``m`` a scalar that
carries every multiple of ``xbar``, and ``D`` the lazy L2 divisor
(``D <- D / (1 - eta lam)``, Bottou's trick).  With ``c = xbar.v`` and
``mm = ||xbar||^2`` a centred prediction is
``(x.v + m x.xbar - c - m mm) / D``: two sparse dot products.

* SGD/ASGD: the average ``(a + na xbar + F (v + m xbar)) / A`` likewise.
* SAG/SAGA and SVRG add a dense vector every step (the gradient average, or
  ``lam snapshot - full_grad``); it is applied just in time: a running sum of
  step factors ``cum`` and, per feature, the ``cum`` at its last update, so a
  feature catches up with all the steps it missed when a row next touches it
  (Schmidt, Le Roux and Bach's lazy updates).
* Mini-batch (:mod:`ridgejit.kernels.numba_minibatch`): one such set per target.

All multiples are folded back into dense vectors (O(p)) at the end of a call
and whenever a divisor passes 1e6, so the interfaces and states are those of
the dense kernels.
"""

import numpy as np
from numba import njit

from .._config import JIT
from . import layout as L
from .numba_sgd import average_step, rate, saga_slots, sgd_hyper, sgd_state, store_sgd_state, svrg_slots
from .numba_sparse_factors import saga_epoch_sparse_factors, svrg_inner_sparse_factors


@njit(**JIT)
def _dot2(data, indices, lo, hi, v, x_mean):
    """``(x.v, x.xbar)`` for the stored values ``lo:hi`` of one row."""
    dv = 0.0
    dx = 0.0
    for e in range(lo, hi):
        j = np.uintp(indices[e])
        dv += data[e] * v[j]
        dx += data[e] * x_mean[j]
    return dv, dx


@njit(**JIT)
def fold(v, m, x_mean, D):
    """``v <- (v + m xbar) / D``; returns ``xbar.v`` of the result."""
    c = 0.0
    for j in range(v.shape[0]):
        v[j] = (v[j] + m * x_mean[j]) / D
        c += x_mean[j] * v[j]
    return c


@njit(**JIT)
def sgd_epoch_sparse(data, indices, indptr, y, sw, x_mean, order, v, a, state, schedule, hyper):
    """One plain/averaged SGD pass over the rows ``order`` (see ``reference_sgd.sgd_epoch``)."""
    p = x_mean.shape[0]
    t, D, A, F, b, bbar = sgd_state(state)
    eta0, power_t, lam, t0, start, fit_b = sgd_hyper(hyper)
    mm = 0.0
    c = 0.0
    for j in range(p):
        mm += x_mean[j] * x_mean[j]
        c += x_mean[j] * v[j]
    m = 0.0  # w = (v + m xbar) / D
    na = 0.0  # average = (a + na xbar + F (v + m xbar)) / A
    loss = 0.0
    for idx in range(order.shape[0]):
        i = order[idx]
        eta = rate(schedule, t, eta0, power_t, lam, t0)
        lo = np.uintp(indptr[i])
        hi = np.uintp(indptr[i + 1])
        dv, xx = _dot2(data, indices, lo, hi, v, x_mean)
        r = (dv + m * xx - c - m * mm) / D + b - y[i]
        s = sw[i]
        loss += s * r * r
        g = eta * s * r
        D = D / (1.0 - eta * lam)
        step = g * D
        averaging, first, mu, coef_a, A = average_step(t, start, F, step, A)
        for e in range(lo, hi):
            v[np.uintp(indices[e])] -= step * data[e]
        m += step
        c -= step * xx
        if fit_b:
            b -= g
        if averaging:
            if first:  # the average starts as the current iterate
                for j in range(p):
                    a[j] = 0.0
                na = 0.0
                A = D
                F = 1.0
            else:
                for e in range(lo, hi):
                    a[np.uintp(indices[e])] += coef_a * data[e]
                na -= coef_a
                F = F + mu * A / D
            bbar += mu * (b - bbar)
        t += 1.0
        if D > 1e6 or A > 1e6:
            c = fold(v, m, x_mean, D)
            if t > start:
                for j in range(p):
                    a[j] = (a[j] + na * x_mean[j] + F * v[j] * D) / A
            m = 0.0
            na = 0.0
            D = 1.0
            A = 1.0
            F = 0.0
    # back to the dense kernels' representation: w = v / D, average (a + F v) / A
    for j in range(p):
        v[j] += m * x_mean[j]
        a[j] += na * x_mean[j]
    store_sgd_state(state, t, D, A, F, b, bbar)
    return loss


@njit(**JIT)
def catch_up(indices, lo, hi, v, rate, cum, last):
    """Apply the missed just-in-time steps ``v_j -= rate_j (cum - last_j)`` to a row's features."""
    for e in range(lo, hi):
        j = np.uintp(indices[e])
        v[j] -= rate[j] * (cum - last[j])
        last[j] = cum


@njit(**JIT)
def settle(v, rate, cum, last, m, x_mean, D):
    """Catch every feature up, fold ``m`` and ``D`` in: ``v`` becomes ``w``; returns ``xbar.w``."""
    for j in range(v.shape[0]):
        v[j] -= rate[j] * (cum - last[j])
        last[j] = 0.0
    return fold(v, m, x_mean, D)


@njit(**JIT)
def saga_epoch_sparse(data, indices, indptr, y, sw, x_mean, order, w, state, memory, grad_avg, hyper, factor,
                      box):
    """SAGA/SAG pass (see ``reference_sgd.saga_epoch``), O(nnz of the row) per step.

    Penalty factors go to :func:`~.numba_sparse_factors.saga_epoch_sparse_factors` (one
    lazy scale per distinct factor).  ``box`` must be empty: a coordinate's missed steps
    are applied at once, so none could be projected.

    ``grad_avg = g - gb xbar`` with ``g = (1/n) sum_i memory_i x_i`` sparse in
    its updates; ``-step g`` is applied just in time, ``+step gb xbar`` through ``m``.
    """
    if factor.shape[0] > 0:
        return saga_epoch_sparse_factors(data, indices, indptr, y, sw, x_mean, order, w, state, memory, grad_avg,
                                         hyper, factor)
    n = indptr.shape[0] - 1
    p = x_mean.shape[0]
    step, lam, fit_b, saga, b, gb = saga_slots(state, hyper)
    inv_n = 1.0 / n
    rho = 1.0 - step * lam
    g = np.empty(p)
    mm = 0.0
    e_g = 0.0  # xbar.g
    for j in range(p):
        g[j] = grad_avg[j] + gb * x_mean[j]
        mm += x_mean[j] * x_mean[j]
        e_g += x_mean[j] * g[j]
    v = w  # updated in place; w = (v + m xbar) / D once settled
    last = np.zeros(p)
    cum = 0.0
    c = 0.0
    for j in range(p):
        c += x_mean[j] * v[j]
    D = 1.0
    m = 0.0
    loss = 0.0
    for idx in range(order.shape[0]):
        i = order[idx]
        lo = np.uintp(indptr[i])
        hi = np.uintp(indptr[i + 1])
        catch_up(indices, lo, hi, v, g, cum, last)
        dv, xx = _dot2(data, indices, lo, hi, v, x_mean)
        r = (dv + m * xx - c - m * mm) / D + b - y[i]
        s = sw[i]
        loss += s * r * r
        phi = s * r
        delta = phi - memory[i]
        memory[i] = phi
        D = D / rho
        kappa = D * step
        if saga:  # the step uses the old average, then the average moves
            for e in range(lo, hi):
                j = np.uintp(indices[e])
                v[j] -= kappa * (delta * data[e] + g[j])
            cum += kappa
            for e in range(lo, hi):
                last[np.uintp(indices[e])] = cum
            c -= kappa * (delta * xx + e_g)
            m += kappa * (delta + gb)
            if fit_b:
                b -= step * (delta + gb)
            for e in range(lo, hi):
                g[np.uintp(indices[e])] += delta * data[e] * inv_n
            e_g += delta * xx * inv_n
            gb += delta * inv_n
        else:  # SAG: the average moves first, then the step uses it
            for e in range(lo, hi):
                g[np.uintp(indices[e])] += delta * data[e] * inv_n
            e_g += delta * xx * inv_n
            gb += delta * inv_n
            cum += kappa
            c -= kappa * e_g
            m += kappa * gb
            if fit_b:
                b -= step * gb
        if D > 1e6:
            c = settle(v, g, cum, last, m, x_mean, D)
            cum = 0.0
            m = 0.0
            D = 1.0
    settle(v, g, cum, last, m, x_mean, D)
    for j in range(p):
        grad_avg[j] = g[j] - gb * x_mean[j]
    state[L.SAGA_B] = b
    state[L.SAGA_GB] = gb
    return loss


@njit(**JIT)
def svrg_inner_sparse(data, indices, indptr, y, sw, x_mean, order, w, snapshot, full_grad, state, hyper, factor):
    """SVRG inner loop (see ``reference_sgd.svrg_inner``), O(nnz of the row) per step;
    penalty factors go to :func:`~.numba_sparse_factors.svrg_inner_sparse_factors`.

    The constant ``z = step (lam snapshot - full_grad)`` added every step is
    applied just in time; ``step d xbar`` goes into ``m``.
    """
    if factor.shape[0] > 0:
        return svrg_inner_sparse_factors(data, indices, indptr, y, sw, x_mean, order, w, snapshot, full_grad,
                                         state, hyper, factor)
    p = x_mean.shape[0]
    step, lam, fit_b, b, b_snap, gb = svrg_slots(state, hyper)
    rho = 1.0 - step * lam
    minus_z = np.empty(p)  # catch_up subtracts: rate = -z
    mm = 0.0
    xs = 0.0  # xbar.snapshot
    zx = 0.0  # xbar.z
    c = 0.0
    for j in range(p):
        minus_z[j] = step * (full_grad[j] - lam * snapshot[j])
        mm += x_mean[j] * x_mean[j]
        xs += x_mean[j] * snapshot[j]
        zx -= x_mean[j] * minus_z[j]
        c += x_mean[j] * w[j]
    v = w
    last = np.zeros(p)
    cum = 0.0
    D = 1.0
    m = 0.0
    loss = 0.0
    for idx in range(order.shape[0]):
        i = order[idx]
        lo = np.uintp(indptr[i])
        hi = np.uintp(indptr[i + 1])
        catch_up(indices, lo, hi, v, minus_z, cum, last)
        dv, xx = _dot2(data, indices, lo, hi, v, x_mean)
        ds = 0.0
        for e in range(lo, hi):
            ds += data[e] * snapshot[np.uintp(indices[e])]
        r = (dv + m * xx - c - m * mm) / D + b - y[i]
        r_snap = ds - xs + b_snap - y[i]
        s = sw[i]
        loss += s * r * r
        d = s * (r - r_snap)
        D = D / rho
        kappa = D * step
        for e in range(lo, hi):
            v[np.uintp(indices[e])] -= kappa * d * data[e]
        m += kappa * d
        c -= kappa * d * xx
        cum += D
        c += D * zx
        if fit_b:
            b -= step * (d + gb)
        if D > 1e6:
            c = settle(v, minus_z, cum, last, m, x_mean, D)
            cum = 0.0
            m = 0.0
            D = 1.0
    settle(v, minus_z, cum, last, m, x_mean, D)
    state[L.SVRG_B] = b
    return loss
