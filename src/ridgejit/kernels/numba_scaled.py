"""Numba kernels of diagonally preconditioned SGD (``scaled_sgd_epoch`` and its CSR twin).

:func:`ridgejit.kernels.reference_sgd.scaled_sgd_epoch` is the spec: a step
``-g q * (x - xbar)`` per row and the penalty's proximal step
``w <- w / (1 + eta K h)`` every ``K`` updates.  A per-coordinate shrink has no
scalar lazy form (Bottou's ``w = v / D`` needs one rate for every coordinate),
which is why the penalty waits ``K`` updates: the solver picks
``K = ceil(p / stored values per row)`` so the O(p) proximal step costs O(nnz)
per row on average (``K = 1`` for dense X).

* Dense rows: the iterate and its average are explicit (a row costs O(p)
  anyway); the update loop of a row also computes ``(x - xbar).w`` of the next
  row, so ``w`` is read once per row.  With the penalty at every update
  (``K = 1``, the solver's dense case) the pass is :mod:`.numba_scaled_dense`'s
  (rows of at least ``PAIR_MIN_FEATURES`` columns two at a time).
* CSR rows: between two proximal steps the iterate is kept as
  ``w = v + m u`` with ``u = q * xbar`` (the dense part of every centred
  step), so a step costs O(nnz of the row); ``w`` is formed (O(p)) at each
  proximal step, where the average is taken, and at the end of the call, so
  ``w``, ``a`` and ``state`` mean what they mean for the dense kernel.
"""

import numpy as np
from numba import njit

from .._config import JIT
from . import layout as L
from ._intrinsics import prefetch_sample
from .numba_scaled_dense import every_update_epoch


@njit(inline="always", **JIT)
def scaled_slots(state, hyper):
    """``(eta, start, fit_b, K, t, b, bbar, pending, navg)``."""
    return (hyper[L.PS_ETA], hyper[L.PS_AVG_START], hyper[L.PS_FIT_B] != 0.0,
            hyper[L.PS_STRETCH], state[L.PS_T], state[L.PS_B], state[L.PS_BAVG],
            state[L.PS_PENDING], state[L.PS_NAVG])


@njit(inline="always", **JIT)
def _store(state, t, b, bbar, pending, navg):
    state[L.PS_T] = t
    state[L.PS_B] = b
    state[L.PS_BAVG] = bbar
    state[L.PS_PENDING] = pending
    state[L.PS_NAVG] = navg


@njit(**JIT)
def shrink_factors(h, eta, K):
    """``1 / (1 + eta K h)`` elementwise (the proximal step of ``K`` updates' penalty), for
    the rates ``h`` of one target (p,) or several (any C-contiguous shape)."""
    f = np.empty_like(h)
    fr = f.reshape(-1)
    hr = h.reshape(-1)
    for j in range(hr.shape[0]):
        fr[j] = 1.0 / (1.0 + eta * K * hr[j])
    return f


@njit(inline="always", **JIT)
def prox_step(f, h, eta, K, pending, t, start, navg):
    """At an update that applies the penalty: ``(factors, mu, navg)``, the factors ``f`` of
    ``K`` updates (or those of ``pending`` when a stretch was left longer) and the weight
    ``mu = 1 / navg`` of the new iterate in the average (0 before ``start``)."""
    fac = f if pending == K else shrink_factors(h, eta, pending)
    mu = 0.0
    if t >= start:
        navg += 1.0
        mu = 1.0 / navg
    return fac, mu, navg


@njit(**JIT)
def scaled_sgd_epoch(X, y, sw, x_mean, order, q, h, w, a, state, hyper):
    """One preconditioned SGD pass over the rows ``order`` (see ``reference_sgd``)."""
    p = X.shape[1]
    m = order.shape[0]
    eta, start, fit_b, K, t, b, bbar, pending, navg = scaled_slots(state, hyper)
    f = shrink_factors(h, eta, K)
    if K == 1.0 and pending == 0.0:  # the solver's dense case: a loop written for it
        loss, t, b, bbar, navg = every_update_epoch(X, y, sw, x_mean, order, q, f, w, a, eta, start,
                                                    fit_b, t, b, bbar, navg)
        _store(state, t, b, bbar, pending, navg)
        return loss
    d = 0.0  # (x - xbar).w of the row about to be visited
    if m > 0:
        x0 = X[order[0]]
        for j in range(p):
            d += (x0[j] - x_mean[j]) * w[j]
    loss = 0.0
    for idx in range(m):
        prefetch_sample(X, y, sw, order, idx)
        i = order[idx]
        x = X[i]
        xn = X[order[idx + 1]] if idx + 1 < m else x
        r = d + b - y[i]
        s = sw[i]
        loss += s * r * r
        g = eta * s * r
        pending += 1.0
        d = 0.0
        if fit_b:
            b -= g
        if pending < K:
            for j in range(p):
                wj = w[j] - g * q[j] * (x[j] - x_mean[j])
                w[j] = wj
                d += (xn[j] - x_mean[j]) * wj
        else:
            fac, mu, navg = prox_step(f, h, eta, K, pending, t, start, navg)
            pending = 0.0
            if mu > 0.0:
                bbar += mu * (b - bbar)
                for j in range(p):
                    wj = (w[j] - g * q[j] * (x[j] - x_mean[j])) * fac[j]
                    w[j] = wj
                    a[j] += mu * (wj - a[j])
                    d += (xn[j] - x_mean[j]) * wj
            else:
                for j in range(p):
                    wj = (w[j] - g * q[j] * (x[j] - x_mean[j])) * fac[j]
                    w[j] = wj
                    d += (xn[j] - x_mean[j]) * wj
        t += 1.0
    _store(state, t, b, bbar, pending, navg)
    return loss


@njit(**JIT)
def _prox(v, m, u, f, a, mu):
    """``w = (v + m u) f`` into ``v`` (the proximal step), then ``a += mu (w - a)`` if ``mu > 0``."""
    for j in range(v.shape[0]):
        wj = (v[j] + m * u[j]) * f[j]
        v[j] = wj
        if mu > 0.0:
            a[j] += mu * (wj - a[j])


@njit(**JIT)
def scaled_sgd_epoch_sparse(data, indices, indptr, y, sw, x_mean, order, q, h, w, a, state, hyper):
    """CSR twin of :func:`scaled_sgd_epoch`, O(nnz of the row) per update on average."""
    p = x_mean.shape[0]
    eta, start, fit_b, K, t, b, bbar, pending, navg = scaled_slots(state, hyper)
    f = shrink_factors(h, eta, K)
    u = np.empty(p)
    uu = 0.0
    cv = 0.0
    for j in range(p):
        u[j] = q[j] * x_mean[j]
        uu += x_mean[j] * u[j]
        cv += x_mean[j] * w[j]
    m = 0.0  # w = v + m u, v kept in the array w
    loss = 0.0
    for idx in range(order.shape[0]):
        i = order[idx]
        lo = np.uintp(indptr[i])
        hi = np.uintp(indptr[i + 1])
        xv = 0.0
        xu = 0.0
        for e in range(lo, hi):
            j = np.uintp(indices[e])
            xv += data[e] * w[j]
            xu += data[e] * u[j]
        r = xv + m * xu - cv - m * uu + b - y[i]
        s = sw[i]
        loss += s * r * r
        g = eta * s * r
        for e in range(lo, hi):
            j = np.uintp(indices[e])
            w[j] -= g * q[j] * data[e]
        m += g
        cv -= g * xu
        if fit_b:
            b -= g
        pending += 1.0
        if pending >= K:
            fk, mu, navg = prox_step(f, h, eta, K, pending, t, start, navg)
            pending = 0.0
            if mu > 0.0:
                bbar += mu * (b - bbar)
            _prox(w, m, u, fk, a, mu)
            m = 0.0
            cv = 0.0
            for j in range(p):
                cv += x_mean[j] * w[j]
        t += 1.0
    for j in range(p):
        w[j] += m * u[j]
    _store(state, t, b, bbar, pending, navg)
    return loss
