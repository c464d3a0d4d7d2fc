"""Numba SAG/SAGA and SVRG on CSR X with per-feature penalty factors ``d_j``: O(nnz + G) a step.

The factors make coordinate ``j`` decay by ``rho_j = 1 - step lam d_j`` each
step, so the one lazy divisor of :mod:`.numba_sparse_sgd` becomes one per
group of equal factors (``G`` distinct values): for ``j`` in group ``g``

    w_j = (v_j + m_g xbar_j) / D_g,     D_g <- D_g / rho_g every step,

with the just-in-time sums ``cum_g``, ``c_g = xbar_g.v`` and ``xbar_g.g``
per group too (``xbar_g`` the means of the group's columns).  A step costs the
row's stored values plus ``O(G)``: all factors distinct make it a dense step,
a handful of penalty levels (the usual case) keeps it O(nnz).  Same meaning as
``reference_sgd.saga_epoch`` / ``svrg_inner`` with ``factor``.
"""

import numpy as np
from numba import njit

from .._config import JIT
from . import layout as L
from .numba_sgd import saga_slots, svrg_slots


@njit(**JIT)
def factor_groups(factor):
    """``(grp (p,), values (G,))``: each feature's group of equal penalty factors."""
    values = np.unique(factor)
    return np.searchsorted(values, factor), values


@njit(**JIT)
def _fresh_scales(p, G):
    """``(last (p,), cum, D, m, and the row's group sums dvg, xxg (G,))`` at a pass's start."""
    return np.zeros(p), np.zeros(G), np.ones(G), np.zeros(G), np.empty(G), np.empty(G)


@njit(**JIT)
def _group_sums(x_mean, grp, G, u):
    """``(sum_{j in g} xbar_j^2, sum_{j in g} xbar_j u_j)`` per group ``g``."""
    mm = np.zeros(G)
    xu = np.zeros(G)
    for j in range(x_mean.shape[0]):
        mm[grp[j]] += x_mean[j] * x_mean[j]
        xu[grp[j]] += x_mean[j] * u[j]
    return mm, xu


@njit(**JIT)
def _row_sums(data, indices, lo, hi, grp, v, x_mean, dvg, xxg):
    """Per group, the row's ``x.v`` and ``x.xbar`` over its stored values (``dvg``, ``xxg``)."""
    dvg[:] = 0.0
    xxg[:] = 0.0
    for e in range(lo, hi):
        j = np.uintp(indices[e])
        q = grp[j]
        dvg[q] += data[e] * v[j]
        xxg[q] += data[e] * x_mean[j]


@njit(**JIT)
def _residual(dvg, xxg, c, m, mm, D, b, y):
    """``(x - xbar).w + b - y`` from the row's group sums and the lazy scales."""
    r = b - y
    for q in range(D.shape[0]):
        r += (dvg[q] + m[q] * xxg[q] - c[q] - m[q] * mm[q]) / D[q]
    return r


@njit(**JIT)
def _settle(v, rate, cum, last, m, x_mean, D, grp, c):
    """Catch every feature up and fold ``m``, ``D`` in (``v`` becomes ``w``); ``c`` gets each
    group's ``xbar_g.w``, and the scales restart (``cum = m = 0``, ``D = 1``)."""
    c[:] = 0.0
    for j in range(v.shape[0]):
        q = grp[j]
        v[j] -= rate[j] * (cum[q] - last[j])
        last[j] = 0.0
        v[j] = (v[j] + m[q] * x_mean[j]) / D[q]
        c[q] += x_mean[j] * v[j]
    cum[:] = 0.0
    m[:] = 0.0
    D[:] = 1.0


@njit(**JIT)
def _catch_up(indices, lo, hi, v, rate, cum, last, grp):
    """The row's features take their missed just-in-time steps ``rate_j (cum_g - last_j)``."""
    for e in range(lo, hi):
        j = np.uintp(indices[e])
        v[j] -= rate[j] * (cum[grp[j]] - last[j])
        last[j] = cum[grp[j]]


@njit(**JIT)
def saga_epoch_sparse_factors(data, indices, indptr, y, sw, x_mean, order, w, state, memory, grad_avg, hyper,
                              factor):
    """``saga_epoch_sparse`` with penalty factors (see the module docstring)."""
    n = indptr.shape[0] - 1
    p = x_mean.shape[0]
    step, lam, fit_b, saga, b, gb = saga_slots(state, hyper)
    inv_n = 1.0 / n
    grp, values = factor_groups(factor)
    G = values.shape[0]
    rho = 1.0 - step * lam * values
    g = np.empty(p)
    for j in range(p):
        g[j] = grad_avg[j] + gb * x_mean[j]
    v = w  # updated in place; w = (v + m_g xbar) / D_g once settled
    mm, c = _group_sums(x_mean, grp, G, v)
    _, Eg = _group_sums(x_mean, grp, G, g)
    last, cum, D, m, dvg, xxg = _fresh_scales(p, G)
    loss = 0.0
    for idx in range(order.shape[0]):
        i = order[idx]
        lo = np.uintp(indptr[i])
        hi = np.uintp(indptr[i + 1])
        _catch_up(indices, lo, hi, v, g, cum, last, grp)
        _row_sums(data, indices, lo, hi, grp, v, x_mean, dvg, xxg)
        r = _residual(dvg, xxg, c, m, mm, D, b, y[i])
        s = sw[i]
        loss += s * r * r
        phi = s * r
        delta = phi - memory[i]
        memory[i] = phi
        D_max = 0.0
        for q in range(G):
            D[q] = D[q] / rho[q]
            D_max = max(D_max, D[q])
        if saga:  # the step uses the old average, then the average moves
            for e in range(lo, hi):
                j = np.uintp(indices[e])
                v[j] -= D[grp[j]] * step * (delta * data[e] + g[j])
            for q in range(G):
                kappa = D[q] * step
                cum[q] += kappa
                c[q] -= kappa * (delta * xxg[q] + Eg[q])
                m[q] += kappa * (delta + gb)
            for e in range(lo, hi):
                j = np.uintp(indices[e])
                last[j] = cum[grp[j]]
                g[j] += delta * data[e] * inv_n
            if fit_b:
                b -= step * (delta + gb)
            for q in range(G):
                Eg[q] += delta * xxg[q] * inv_n
            gb += delta * inv_n
        else:  # SAG: the average moves first, then the step uses it
            for e in range(lo, hi):
                g[np.uintp(indices[e])] += delta * data[e] * inv_n
            gb += delta * inv_n
            for q in range(G):
                Eg[q] += delta * xxg[q] * inv_n
                kappa = D[q] * step
                cum[q] += kappa
                c[q] -= kappa * Eg[q]
                m[q] += kappa * gb
            if fit_b:
                b -= step * gb
        if D_max > 1e6:
            _settle(v, g, cum, last, m, x_mean, D, grp, c)
    _settle(v, g, cum, last, m, x_mean, D, grp, c)
    for j in range(p):
        grad_avg[j] = g[j] - gb * x_mean[j]
    state[L.SAGA_B] = b
    state[L.SAGA_GB] = gb
    return loss


@njit(**JIT)
def svrg_inner_sparse_factors(data, indices, indptr, y, sw, x_mean, order, w, snapshot, full_grad, state, hyper,
                              factor):
    """``svrg_inner_sparse`` with penalty factors (see the module docstring)."""
    p = x_mean.shape[0]
    step, lam, fit_b, b, b_snap, gb = svrg_slots(state, hyper)
    grp, values = factor_groups(factor)
    G = values.shape[0]
    rho = 1.0 - step * lam * values
    minus_z = np.empty(p)  # _catch_up subtracts: rate = -z
    xs = 0.0  # xbar.snapshot
    for j in range(p):
        minus_z[j] = step * (full_grad[j] - lam * factor[j] * snapshot[j])
        xs += x_mean[j] * snapshot[j]
    v = w
    mm, c = _group_sums(x_mean, grp, G, v)
    _, zx = _group_sums(x_mean, grp, G, -minus_z)  # xbar_g.z
    last, cum, D, m, dvg, xxg = _fresh_scales(p, G)
    loss = 0.0
    for idx in range(order.shape[0]):
        i = order[idx]
        lo = np.uintp(indptr[i])
        hi = np.uintp(indptr[i + 1])
        _catch_up(indices, lo, hi, v, minus_z, cum, last, grp)
        _row_sums(data, indices, lo, hi, grp, v, x_mean, dvg, xxg)
        ds = 0.0
        for e in range(lo, hi):
            ds += data[e] * snapshot[np.uintp(indices[e])]
        r = _residual(dvg, xxg, c, m, mm, D, b, y[i])
        r_snap = ds - xs + b_snap - y[i]
        s = sw[i]
        loss += s * r * r
        d = s * (r - r_snap)
        D_max = 0.0
        for q in range(G):
            D[q] = D[q] / rho[q]
            D_max = max(D_max, D[q])
        for e in range(lo, hi):
            j = np.uintp(indices[e])
            v[j] -= D[grp[j]] * step * d * data[e]
        for q in range(G):
            kappa = D[q] * step
            m[q] += kappa * d
            c[q] -= kappa * d * xxg[q]
            cum[q] += D[q]
            c[q] += D[q] * zx[q]
        if fit_b:
            b -= step * (d + gb)
        if D_max > 1e6:
            _settle(v, minus_z, cum, last, m, x_mean, D, grp, c)
    _settle(v, minus_z, cum, last, m, x_mean, D, grp, c)
    state[L.SVRG_B] = b
    return loss
