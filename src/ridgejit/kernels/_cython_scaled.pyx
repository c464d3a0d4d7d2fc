# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Cython twins of :mod:`ridgejit.kernels.numba_scaled` (diagonally preconditioned SGD).

Same names, arguments and meaning as ``reference_sgd.scaled_sgd_epoch`` and its
CSR twin; the representations are those of the Numba kernels (explicit iterate
and average for dense rows; ``w = v + m u`` with ``u = q xbar`` for CSR rows,
formed at each proximal step, where the average is taken, and at the end of
the call).  float32/float64 X, double
accumulation.
"""

import numpy as np

from cython cimport floating
from libc.stdint cimport int32_t, int64_t

from . cimport _layout as layout


ctypedef fused index_t:
    int32_t
    int64_t


cdef void _factors(const double[::1] h, double eta, double K, double[::1] f) noexcept nogil:
    cdef Py_ssize_t j
    for j in range(h.shape[0]):
        f[j] = 1.0 / (1.0 + eta * K * h[j])


def scaled_sgd_epoch(const floating[:, ::1] X, const double[::1] y, const double[::1] sw,
                     const double[::1] x_mean, const int64_t[::1] order, const double[::1] q,
                     const double[::1] h, double[::1] w, double[::1] a, double[::1] state,
                     const double[::1] hyper):
    """One preconditioned SGD pass (see numba_scaled.scaled_sgd_epoch)."""
    cdef Py_ssize_t p = X.shape[1]
    cdef Py_ssize_t idx, i, j
    cdef double eta = hyper[layout.PS_ETA], start = hyper[layout.PS_AVG_START], K = hyper[layout.PS_STRETCH]
    cdef bint fit_b = hyper[layout.PS_FIT_B] != 0.0
    cdef double t = state[layout.PS_T], b = state[layout.PS_B], bbar = state[layout.PS_BAVG]
    cdef double pending = state[layout.PS_PENDING], navg = state[layout.PS_NAVG]
    cdef double loss = 0.0, r, s, g, mu, wj, fj, d, pending_was
    f_np = np.empty(p)
    g_np = np.empty(p)
    cdef double[::1] f = f_np, fx = g_np
    _factors(h, eta, K, f)
    with nogil:
        for idx in range(order.shape[0]):
            i = order[idx]
            d = 0.0
            for j in range(p):
                d = d + (X[i, j] - x_mean[j]) * w[j]
            r = d + b - y[i]
            s = sw[i]
            loss += s * r * r
            g = eta * s * r
            pending += 1.0
            if fit_b:
                b -= g
            if pending < K:
                for j in range(p):
                    w[j] -= g * q[j] * (X[i, j] - x_mean[j])
            else:
                if pending != K:
                    _factors(h, eta, pending, fx)
                pending_was = pending
                pending = 0.0
                mu = 0.0
                if t >= start:
                    navg += 1.0
                    mu = 1.0 / navg
                    bbar += mu * (b - bbar)
                for j in range(p):
                    fj = f[j] if pending_was == K else fx[j]
                    wj = (w[j] - g * q[j] * (X[i, j] - x_mean[j])) * fj
                    w[j] = wj
                    if mu > 0.0:
                        a[j] += mu * (wj - a[j])
            t += 1.0
    state[layout.PS_T] = t
    state[layout.PS_B] = b
    state[layout.PS_BAVG] = bbar
    state[layout.PS_PENDING] = pending
    state[layout.PS_NAVG] = navg
    return loss


cdef void _prox(double[::1] v, double m, const double[::1] u, const double[::1] f, double[::1] a,
                double mu) noexcept nogil:
    """``w = (v + m u) f`` into ``v`` (the proximal step), then ``a += mu (w - a)`` if ``mu > 0``."""
    cdef Py_ssize_t j
    cdef double wj
    for j in range(v.shape[0]):
        wj = (v[j] + m * u[j]) * f[j]
        v[j] = wj
        if mu > 0.0:
            a[j] += mu * (wj - a[j])


def scaled_sgd_epoch_sparse(const floating[::1] data, const index_t[::1] indices,
                            const index_t[::1] indptr, const double[::1] y, const double[::1] sw,
                            const double[::1] x_mean, const int64_t[::1] order, const double[::1] q,
                            const double[::1] h, double[::1] w, double[::1] a, double[::1] state,
                            const double[::1] hyper):
    """CSR twin of :func:`scaled_sgd_epoch`, O(nnz of the row) per update on average."""
    cdef Py_ssize_t p = x_mean.shape[0]
    cdef Py_ssize_t idx, i, j, e, lo, hi
    cdef double eta = hyper[layout.PS_ETA], start = hyper[layout.PS_AVG_START], K = hyper[layout.PS_STRETCH]
    cdef bint fit_b = hyper[layout.PS_FIT_B] != 0.0
    cdef double t = state[layout.PS_T], b = state[layout.PS_B], bbar = state[layout.PS_BAVG]
    cdef double pending = state[layout.PS_PENDING], navg = state[layout.PS_NAVG]
    cdef double loss = 0.0, r, s, g, xv, xu, mu, uu = 0.0, cv = 0.0, m = 0.0
    f_np = np.empty(p)
    fx_np = np.empty(p)
    u_np = np.empty(p)
    cdef double[::1] f = f_np, fx = fx_np, u = u_np
    _factors(h, eta, K, f)
    with nogil:
        for j in range(p):
            u[j] = q[j] * x_mean[j]
            uu = uu + x_mean[j] * u[j]
            cv = cv + x_mean[j] * w[j]
        for idx in range(order.shape[0]):
            i = order[idx]
            lo = indptr[i]
            hi = indptr[i + 1]
            xv = 0.0
            xu = 0.0
            for e in range(lo, hi):
                j = indices[e]
                xv = xv + data[e] * w[j]
                xu = xu + data[e] * u[j]
            r = xv + m * xu - cv - m * uu + b - y[i]
            s = sw[i]
            loss += s * r * r
            g = eta * s * r
            for e in range(lo, hi):
                j = indices[e]
                w[j] -= g * q[j] * data[e]
            m += g
            cv -= g * xu
            if fit_b:
                b -= g
            pending += 1.0
            if pending >= K:
                mu = 0.0
                if t >= start:
                    navg += 1.0
                    mu = 1.0 / navg
                    bbar += mu * (b - bbar)
                if pending == K:
                    _prox(w, m, u, f, a, mu)
                else:
                    _factors(h, eta, pending, fx)
                    _prox(w, m, u, fx, a, mu)
                pending = 0.0
                m = 0.0
                cv = 0.0
                for j in range(p):
                    cv = cv + x_mean[j] * w[j]
            t += 1.0
        for j in range(p):
            w[j] += m * u[j]
    state[layout.PS_T] = t
    state[layout.PS_B] = b
    state[layout.PS_BAVG] = bbar
    state[layout.PS_PENDING] = pending
    state[layout.PS_NAVG] = navg
    return loss


cdef void _table(const double[:, ::1] H, double eta, double K, double[:, ::1] F) noexcept nogil:
    cdef Py_ssize_t r, c
    for r in range(H.shape[0]):
        for c in range(H.shape[1]):
            F[r, c] = 1.0 / (1.0 + eta * K * H[r, c])


def scaled_sgd_epoch_multi(const floating[:, ::1] X, const double[:, ::1] Y, const double[::1] sw,
                           const double[::1] x_mean, const int64_t[::1] order, const double[::1] q,
                           const double[:, ::1] H, double[:, ::1] W, double[:, ::1] A,
                           double[:, ::1] intercepts, double[::1] state, const double[::1] hyper):
    """``k`` targets at once, each row read once (see numba_scaled.scaled_sgd_epoch_multi):
    ``W``, ``A``, ``H`` are (k, p).  As there, the next row's ``(xn - xbar).w_c`` is
    fused into each target's update, so every row of ``W`` is read once per row of X;
    ``B[cur]`` holds the visited row's ``x - xbar``, ``B[1 - cur]`` the next one's."""
    cdef Py_ssize_t p = X.shape[1], k = Y.shape[1], m = order.shape[0]
    cdef Py_ssize_t idx, i, nxt, j, c, cur = 0
    cdef double eta = hyper[layout.PS_ETA], start = hyper[layout.PS_AVG_START], K = hyper[layout.PS_STRETCH]
    cdef bint fit_b = hyper[layout.PS_FIT_B] != 0.0
    cdef double t = state[layout.PS_T], pending = state[layout.PS_PENDING], navg = state[layout.PS_NAVG]
    cdef double loss = 0.0, r, s, mu, wj, gc, dc, fj
    cdef bint shrink, exact
    F_np = np.empty((k, p))
    Fx_np = np.empty((k, p))
    B_np = np.empty((2, p))
    qx_np = np.empty(p)
    g_np = np.empty(k)
    d_np = np.zeros(k)
    cdef double[:, ::1] F = F_np, Fx = Fx_np, B = B_np
    cdef double[::1] qx = qx_np, g = g_np, d = d_np
    _table(H, eta, K, F)
    with nogil:
        if m > 0:
            i = order[0]
            for j in range(p):
                B[cur, j] = X[i, j] - x_mean[j]
            for c in range(k):
                dc = 0.0
                for j in range(p):
                    dc = dc + B[cur, j] * W[c, j]
                d[c] = dc
        for idx in range(m):
            i = order[idx]
            nxt = order[idx + 1] if idx + 1 < m else i
            s = sw[i]
            for j in range(p):
                qx[j] = q[j] * B[cur, j]
                B[1 - cur, j] = X[nxt, j] - x_mean[j]
            for c in range(k):
                r = d[c] + intercepts[0, c] - Y[i, c]
                loss += s * r * r
                g[c] = eta * s * r
                if fit_b:
                    intercepts[0, c] -= g[c]
            pending += 1.0
            shrink = pending >= K
            exact = pending == K
            if shrink and not exact:
                _table(H, eta, pending, Fx)
            mu = 0.0
            if shrink:
                pending = 0.0
                if t >= start:
                    navg += 1.0
                    mu = 1.0 / navg
            for c in range(k):
                gc = g[c]
                dc = 0.0
                if not shrink:
                    for j in range(p):
                        wj = W[c, j] - gc * qx[j]
                        W[c, j] = wj
                        dc = dc + B[1 - cur, j] * wj
                else:
                    for j in range(p):
                        fj = F[c, j] if exact else Fx[c, j]
                        wj = (W[c, j] - gc * qx[j]) * fj
                        W[c, j] = wj
                        if mu > 0.0:
                            A[c, j] += mu * (wj - A[c, j])
                        dc = dc + B[1 - cur, j] * wj
                    if mu > 0.0:
                        intercepts[1, c] += mu * (intercepts[0, c] - intercepts[1, c])
                d[c] = dc
            cur = 1 - cur
            t += 1.0
    state[layout.PS_T] = t
    state[layout.PS_PENDING] = pending
    state[layout.PS_NAVG] = navg
    return loss


def scaled_sgd_epoch_multi_sparse(const floating[::1] data, const index_t[::1] indices,
                                  const index_t[::1] indptr, const double[:, ::1] Y, const double[::1] sw,
                                  const double[::1] x_mean, const int64_t[::1] order, const double[::1] q,
                                  const double[:, ::1] H, double[:, ::1] W, double[:, ::1] A,
                                  double[:, ::1] intercepts, double[::1] state, const double[::1] hyper):
    """CSR twin of :func:`scaled_sgd_epoch_multi` (``w_c = v_c + m_c u`` between proximal
    steps; the iterates are worked on transposed, (p, k), and written back at the end)."""
    cdef Py_ssize_t p = x_mean.shape[0], k = Y.shape[1]
    cdef Py_ssize_t idx, i, j, c, e, lo, hi
    cdef double eta = hyper[layout.PS_ETA], start = hyper[layout.PS_AVG_START], K = hyper[layout.PS_STRETCH]
    cdef bint fit_b = hyper[layout.PS_FIT_B] != 0.0
    cdef double t = state[layout.PS_T], pending = state[layout.PS_PENDING], navg = state[layout.PS_NAVG]
    cdef double loss = 0.0, r, s, mu, wj, qd, xu, uu = 0.0
    cdef bint exact
    HT_np = np.ascontiguousarray(np.asarray(H).T)
    F_np = np.empty((p, k))
    Fx_np = np.empty((p, k))
    V_np = np.ascontiguousarray(np.asarray(W).T)
    AV_np = np.ascontiguousarray(np.asarray(A).T)
    u_np = np.empty(p)
    cv_np = np.zeros(k)
    m_np = np.zeros(k)
    xv_np = np.empty(k)
    g_np = np.empty(k)
    cdef double[:, ::1] HT = HT_np, F = F_np, Fx = Fx_np, V = V_np, AV = AV_np
    cdef double[::1] u = u_np, cv = cv_np, m = m_np, xv = xv_np, g = g_np
    _table(HT, eta, K, F)
    with nogil:
        for j in range(p):
            u[j] = q[j] * x_mean[j]
            uu = uu + x_mean[j] * u[j]
            for c in range(k):
                cv[c] += x_mean[j] * V[j, c]
        for idx in range(order.shape[0]):
            i = order[idx]
            lo = indptr[i]
            hi = indptr[i + 1]
            xu = 0.0
            for c in range(k):
                xv[c] = 0.0
            for e in range(lo, hi):
                j = indices[e]
                xu = xu + data[e] * u[j]
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
                j = indices[e]
                qd = q[j] * data[e]
                for c in range(k):
                    V[j, c] -= g[c] * qd
            pending += 1.0
            if pending >= K:
                exact = pending == K
                if not exact:
                    _table(HT, eta, pending, Fx)
                mu = 0.0
                if t >= start:
                    navg += 1.0
                    mu = 1.0 / navg
                    for c in range(k):
                        intercepts[1, c] += mu * (intercepts[0, c] - intercepts[1, c])
                for c in range(k):
                    cv[c] = 0.0
                for j in range(p):
                    for c in range(k):
                        wj = (V[j, c] + m[c] * u[j]) * (F[j, c] if exact else Fx[j, c])
                        V[j, c] = wj
                        cv[c] += x_mean[j] * wj
                        if mu > 0.0:
                            AV[j, c] += mu * (wj - AV[j, c])
                for c in range(k):
                    m[c] = 0.0
                pending = 0.0
            t += 1.0
        for j in range(p):
            for c in range(k):
                W[c, j] = V[j, c] + m[c] * u[j]
                A[c, j] = AV[j, c]
    state[layout.PS_T] = t
    state[layout.PS_PENDING] = pending
    state[layout.PS_NAVG] = navg
    return loss
