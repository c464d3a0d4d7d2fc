"""Numba preconditioned SGD of ``k`` targets, dense (targets split over the threads) and CSR.

:func:`scaled_sgd_epoch_multi` is :func:`ridgejit.kernels.numba_scaled.scaled_sgd_epoch`
for the ``k`` columns of ``Y`` at once (spec: ``reference_sgd.scaled_sgd_epoch_multi``).
Each row is read once per thread: its preconditioned centred values ``q (x - xbar)``
(from the buffer filled when it was the next row) and the next row's ``xn - xbar`` go to
p-buffers, then every target's row of ``W`` (k, p) is updated by the single-target loop
(vectorized over the features, the next row's ``(xn - xbar).w_c`` fused in); the
targets' dependency chains are independent, so the core overlaps them.

The targets are independent given the rows, so consecutive runs of them go to the
threads (:func:`ridgejit.kernels.numba_vr_multi.target_parts`, as for SAG/SAGA/SVRG):
each thread reads every row for its run, keeps its own copies of the intercepts (no
shared cache line written every row) and of the counters the targets share, and every
target's arithmetic is the same whatever the split, so the bits do not depend on the
thread count.  1e6 x 100, 10 targets, one averaged pass: 0.47 s on one thread.

With the penalty at every update (dense X) and one shrink vector for all targets (one
alpha, one set of penalty factors), the rows go two at a time (:func:`_paired_rows`, the
several-target form of ``numba_scaled_dense``'s pairs): a target's ``w`` and ``a`` are read
and written once per two updates, and the product linking the pair's rows is computed once
for all targets.  1e6 x 100, 10 targets, block order, one averaged pass (medians, one
process): 0.48-0.57 -> 0.35 s on one thread, 0.27-0.32 -> 0.25-0.26 s on two.
:func:`scaled_sgd_epoch_multi_sparse` is its CSR twin (serial).
"""

import numpy as np
from numba import njit, prange

from .._config import JIT, PARALLEL
from . import layout as L
from ._intrinsics import prefetch_targets
from .numba_scaled import prox_step, scaled_slots, shrink_factors
from .numba_scaled_dense import update_scalars
from .numba_vr_multi import target_parts, total_in_order


def scaled_sgd_epoch_multi(X, Y, sw, x_mean, order, q, H, W, A, intercepts, state, hyper):
    """Preconditioned SGD pass of ``k`` targets: ``W``, ``A``, ``H`` (k, p), ``intercepts``
    (2, k) (iterates' and averages'), ``state``/``hyper`` as for one target (the intercept
    slots unused).  A Python call: the thread count is read here, which a cached kernel
    cannot do."""
    return _scaled_parts(X, Y, sw, x_mean, order, q, H, W, A, intercepts, state, hyper, target_parts(W))


@njit(**PARALLEL)
def _scaled_parts(X, Y, sw, x_mean, order, q, H, W, A, intercepts, state, hyper, parts):
    losses = np.zeros(W.shape[0])
    counters = np.empty((parts, 3))
    for part in prange(parts):
        _scaled_targets(X, Y, sw, x_mean, order, q, H, W, A, intercepts, state, hyper, part, parts, losses,
                        counters[part])
    state[L.PS_T] = counters[0, 0]  # every part counts the same updates
    state[L.PS_PENDING] = counters[0, 1]
    state[L.PS_NAVG] = counters[0, 2]
    return total_in_order(losses)


@njit(inline="always", **JIT)
def _step(w, qx, xnc, g, d, c):
    """One target's step ``w -= g qx``; ``d[c]`` = the next row's centred values . ``w``."""
    dc = 0.0
    for j in range(w.shape[0]):
        wj = w[j] - g * qx[j]
        w[j] = wj
        dc += xnc[j] * wj
    d[c] = dc


@njit(inline="always", **JIT)
def _step_shrink(w, f, qx, xnc, g, d, c):
    """:func:`_step` followed by the proximal shrink ``w *= f``."""
    dc = 0.0
    for j in range(w.shape[0]):
        wj = (w[j] - g * qx[j]) * f[j]
        w[j] = wj
        dc += xnc[j] * wj
    d[c] = dc


@njit(inline="always", **JIT)
def _step_shrink_average(w, a, f, qx, xnc, g, mu, d, c):
    """:func:`_step_shrink` with the average following in the same loop."""
    dc = 0.0
    for j in range(w.shape[0]):
        wj = (w[j] - g * qx[j]) * f[j]
        w[j] = wj
        a[j] += mu * (wj - a[j])
        dc += xnc[j] * wj
    d[c] = dc


@njit(**JIT)
def _scaled_targets(X, Y, sw, x_mean, order, q, H, W, A, intercepts, state, hyper, part, parts, losses,
                    counters):
    """:func:`scaled_sgd_epoch_multi` for the ``part``-th of ``parts`` consecutive runs of
    targets: each target's loss into ``losses``, ``(t, pending, navg)`` after the pass into
    ``counters``."""
    k = Y.shape[1]
    m = order.shape[0]
    lo, hi = part * k // parts, (part + 1) * k // parts
    eta, start, fit_b, K, t, _, _, pending, navg = scaled_slots(state, hyper)
    F = shrink_factors(H, eta, K)
    b = intercepts[0].copy()  # private copies: no shared cache line written every row
    bbar = intercepts[1].copy()
    loss = np.zeros(k)
    if K == 1.0 and pending == 0.0 and m > 1 and _same_rows(F):  # dense X, one alpha: rows in pairs
        t, navg = _paired_rows(X, Y, sw, x_mean, order, q, F[0], W, A, b, bbar, loss, lo, hi, eta, start,
                               fit_b, t, navg)
    else:
        t, pending, navg = _rows_one_by_one(X, Y, sw, x_mean, order, q, H, F, W, A, b, bbar, loss, lo, hi,
                                            eta, start, fit_b, K, t, pending, navg)
    for c in range(lo, hi):
        intercepts[0, c] = b[c]
        intercepts[1, c] = bbar[c]
        losses[c] = loss[c]
    counters[0] = t
    counters[1] = pending
    counters[2] = navg


@njit(**JIT)
def _rows_one_by_one(X, Y, sw, x_mean, order, q, H, F, W, A, b, bbar, loss, lo, hi, eta, start, fit_b, K, t,
                     pending, navg):
    """The targets ``lo:hi`` over the rows ``order`` one row at a time, any stretch ``K`` and
    per-target shrink factors ``F``; returns ``(t, pending, navg)``."""
    p = X.shape[1]
    k = W.shape[0]
    m = order.shape[0]
    qx = np.empty(p)
    xc = np.empty(p)  # x - xbar of the row being visited
    xnc = np.empty(p)  # and of the next one
    d = np.zeros(k)  # (x - xbar).w_c of the row about to be visited
    g = np.empty(k)
    if m > 0:
        x0 = X[order[0]]
        for j in range(p):
            xc[j] = x0[j] - x_mean[j]
        for c in range(lo, hi):
            dc = 0.0
            for j in range(p):
                dc += xc[j] * W[c, j]
            d[c] = dc
    for idx in range(m):
        prefetch_targets(X, Y, sw, order, idx)  # k targets: a row of Y is a miss of its own
        i = order[idx]
        xn = X[order[idx + 1]] if idx + 1 < m else X[i]
        for j in range(p):
            qx[j] = q[j] * xc[j]
            xnc[j] = xn[j] - x_mean[j]
        s = sw[i]
        for c in range(lo, hi):
            r = d[c] + b[c] - Y[i, c]
            loss[c] += s * r * r
            g[c] = eta * s * r
            if fit_b:
                b[c] -= g[c]
        pending += 1.0
        if pending < K:
            for c in range(lo, hi):
                _step(W[c], qx, xnc, g[c], d, c)
        else:
            Fk, mu, navg = prox_step(F, H, eta, K, pending, t, start, navg)
            pending = 0.0
            if mu > 0.0:
                for c in range(lo, hi):
                    _step_shrink_average(W[c], A[c], Fk[c], qx, xnc, g[c], mu, d, c)
                    bbar[c] += mu * (b[c] - bbar[c])
            else:
                for c in range(lo, hi):
                    _step_shrink(W[c], Fk[c], qx, xnc, g[c], d, c)
        xc, xnc = xnc, xc
        t += 1.0
    return t, pending, navg


@njit(inline="always", **JIT)
def _same_rows(F):
    """Whether every row of ``F`` equals the first (one alpha and penalty for all targets)."""
    for c in range(1, F.shape[0]):
        for j in range(F.shape[1]):
            if F[c, j] != F[0, j]:
                return False
    return True


@njit(**JIT)
def _paired_rows(X, Y, sw, x_mean, order, q, f, W, A, b, bbar, loss, lo, hi, eta, start, fit_b, t, navg):
    """The targets ``lo:hi`` over the rows ``order`` (at least two) two rows at a time, with
    the penalty at every update and shrink factors ``f`` (p,) shared by the targets.

    As in :func:`ridgejit.kernels.numba_scaled_dense.every_update_epoch` for wide rows,
    the second row ``v`` of a pair takes its residual from quantities of the first row ``u``
    (``c = x - xbar``): ``c_v.w' = c_v.(f w) - g_u c_v.(f q c_u)``, the last product the
    same for every target.  So one loop over a target's coordinates applies both updates and
    both averaging steps and accumulates ``c_u'.w''`` and ``(f c_v').w''`` for the next pair:
    ``w``, ``a`` and the row vectors are read once per two updates.  Returns ``(t, navg)``
    (the counters every target shares; ``lo < hi``).
    """
    p = X.shape[1]
    m = order.shape[0]
    qu = np.empty(p)  # q c_u and q c_v of the pair being applied
    qv = np.empty(p)
    cn = np.empty(p)  # c_u' and f c_v' of the next pair
    fn = np.empty(p)
    d = np.zeros(W.shape[0])  # c_u.w, per target
    e = np.zeros(W.shape[0])  # c_v.(f w)
    xu, xv = X[order[0]], X[order[1]]
    cross = 0.0  # c_v.(f q c_u), for all targets
    for j in range(p):
        cu = xu[j] - x_mean[j]
        cv = (xv[j] - x_mean[j]) * f[j]
        cross += cv * q[j] * cu
        for c in range(lo, hi):
            d[c] += cu * W[c, j]
            e[c] += cv * W[c, j]
    idx = 0
    while idx + 1 < m:
        prefetch_targets(X, Y, sw, order, idx)
        prefetch_targets(X, Y, sw, order, idx + 1)
        i1, i2 = order[idx], order[idx + 1]
        x1, x2 = X[i1], X[i2]
        x3 = X[order[idx + 2]] if idx + 2 < m else x1
        x4 = X[order[idx + 3]] if idx + 3 < m else x3
        nxt = 0.0
        for j in range(p):
            mj = x_mean[j]
            qj = q[j]
            qu[j] = qj * (x1[j] - mj)
            qv[j] = qj * (x2[j] - mj)
            c3 = x3[j] - mj
            c4 = (x4[j] - mj) * f[j]
            cn[j] = c3
            fn[j] = c4
            nxt += c4 * qj * c3
        s1, s2 = sw[i1], sw[i2]
        t0, navg0 = t, navg
        for c in range(lo, hi):
            r1 = d[c] + b[c] - Y[i1, c]
            g1, mu1, t, bc, bbc, navg = update_scalars(r1, s1, eta, fit_b, start, t0, b[c], bbar[c], navg0)
            r2 = e[c] - g1 * cross + bc - Y[i2, c]
            g2, mu2, t, bc, bbc, navg = update_scalars(r2, s2, eta, fit_b, start, t, bc, bbc, navg)
            b[c], bbar[c] = bc, bbc
            loss[c] += s1 * r1 * r1 + s2 * r2 * r2
            w, a = W[c], A[c]
            dc = 0.0
            ec = 0.0
            for j in range(p):
                fj = f[j]
                w1 = (w[j] - g1 * qu[j]) * fj
                a1 = a[j] + mu1 * (w1 - a[j])
                w2 = (w1 - g2 * qv[j]) * fj
                w[j] = w2
                a[j] = a1 + mu2 * (w2 - a1)
                dc += cn[j] * w2
                ec += fn[j] * w2
            d[c] = dc
            e[c] = ec
        cross = nxt
        idx += 2
    if idx < m:  # an odd row at the end
        i1 = order[idx]
        x1 = X[i1]
        t0, navg0 = t, navg
        for c in range(lo, hi):
            r1 = d[c] + b[c] - Y[i1, c]
            g1, mu1, t, b[c], bbar[c], navg = update_scalars(r1, sw[i1], eta, fit_b, start, t0, b[c], bbar[c],
                                                            navg0)
            loss[c] += sw[i1] * r1 * r1
            w, a = W[c], A[c]
            for j in range(p):
                wj = (w[j] - g1 * q[j] * (x1[j] - x_mean[j])) * f[j]
                w[j] = wj
                a[j] += mu1 * (wj - a[j])
    return t, navg


@njit(**JIT)
def scaled_sgd_epoch_multi_sparse(data, indices, indptr, Y, sw, x_mean, order, q, H, W, A, intercepts,
                                  state, hyper):
    """CSR twin of :func:`scaled_sgd_epoch_multi`: per target ``w_c = v_c + m_c u`` between
    proximal steps (see :func:`ridgejit.kernels.numba_scaled.scaled_sgd_epoch_sparse`).  The iterates are worked on
    transposed, (p, k), so a stored value touches its k coefficients in one cache line or
    two; ``W`` and ``A`` (k, p) are read and written back once per call (O(pk))."""
    p = x_mean.shape[0]
    k = Y.shape[1]
    eta, start, fit_b, K, t, _, _, pending, navg = scaled_slots(state, hyper)
    HT = H.T.copy()
    F = shrink_factors(HT, eta, K)  # (p, k)
    V = W.T.copy()
    AV = A.T.copy()
    u = np.empty(p)
    uu = 0.0
    for j in range(p):
        u[j] = q[j] * x_mean[j]
        uu += x_mean[j] * u[j]
    cv = np.zeros(k)
    for j in range(p):
        for c in range(k):
            cv[c] += x_mean[j] * V[j, c]
    m = np.zeros(k)
    xv = np.empty(k)
    g = np.empty(k)
    loss = 0.0
    for idx in range(order.shape[0]):
        i = order[idx]
        lo = np.uintp(indptr[i])
        hi = np.uintp(indptr[i + 1])
        xv[:] = 0.0
        xu = 0.0
        for e in range(lo, hi):
            j = np.uintp(indices[e])
            xu += data[e] * u[j]
            for c in range(k):
                xv[c] += data[e] * V[j, c]
        s = sw[i]
        for c in range(k):
            r = xv[c] + m[c] * xu - cv[c] - m[c] * uu + intercepts[0, c] - Y[i, c]
            loss += s * r * r
            g[c] = eta * s * r
            m[c] += g[c]
            cv[c] -= g[c] * xu
            if fit_b:
                intercepts[0, c] -= g[c]
        for e in range(lo, hi):
            j = np.uintp(indices[e])
            qd = q[j] * data[e]
            for c in range(k):
                V[j, c] -= g[c] * qd
        pending += 1.0
        if pending >= K:
            Fk, mu, navg = prox_step(F, HT, eta, K, pending, t, start, navg)
            pending = 0.0
            if mu > 0.0:
                for c in range(k):
                    intercepts[1, c] += mu * (intercepts[0, c] - intercepts[1, c])
            cv[:] = 0.0
            for j in range(p):
                for c in range(k):
                    wj = (V[j, c] + m[c] * u[j]) * Fk[j, c]
                    V[j, c] = wj
                    cv[c] += x_mean[j] * wj
                    if mu > 0.0:
                        AV[j, c] += mu * (wj - AV[j, c])
            m[:] = 0.0
        t += 1.0
    for j in range(p):
        for c in range(k):
            W[c, j] = V[j, c] + m[c] * u[j]
            A[c, j] = AV[j, c]
    state[L.PS_T] = t
    state[L.PS_PENDING] = pending
    state[L.PS_NAVG] = navg
    return loss
