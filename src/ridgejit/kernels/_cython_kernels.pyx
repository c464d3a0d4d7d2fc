# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Cython twins of the Numba kernels (optional backend ``cython``).

Same names, arguments and meaning as :mod:`ridgejit.kernels.reference`
and :mod:`ridgejit.kernels.reference_sgd`.  float32 and float64 X from one
source (the ``floating`` fused type); accumulation in double.  Row-streaming
passes use OpenMP ``prange`` over the same fixed row blocks as the Numba
kernels (a function of the shape only) with per-block accumulators added in
block order, so results do not depend on the thread count.
"""

import numpy as np

cimport cython
from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport sqrt
from libc.stdint cimport int64_t


cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define RJ_PREFETCH(p) __builtin_prefetch((const void *)(p), 0, 3)
    #else
    #define RJ_PREFETCH(p) ((void)0)
    #endif
    """
    void RJ_PREFETCH(const void *p) noexcept nogil


cdef inline Py_ssize_t _n_blocks(Py_ssize_t n, Py_ssize_t width) noexcept nogil:
    cdef Py_ssize_t nb = min(64, max(1, n // 256))
    cdef Py_ssize_t cap = max(1, (1 << 23) // max(1, width))
    return min(nb, cap)


cdef inline void _prefetch_ahead(const floating[:, ::1] X, const int64_t[::1] order,
                                 Py_ssize_t idx) noexcept nogil:
    cdef Py_ssize_t j, line, reach
    if idx + 8 < order.shape[0]:
        line = max(1, 64 // <Py_ssize_t>sizeof(floating))
        reach = min(X.shape[1], 32 * line)
        j = 0
        while j < reach:
            RJ_PREFETCH(&X[order[idx + 8], j])
            j = j + line


cdef void _row_block(const floating[:, ::1] X, const double[:, ::1] y, bint use_y,
                     const double[::1] sw, const double[:, ::1] V, const double[::1] offset,
                     Py_ssize_t lo, Py_ssize_t hi, double[:, ::1] acc, double[::1] acc_r,
                     double[::1] acc_l) noexcept nogil:
    cdef Py_ssize_t i, j, t
    cdef Py_ssize_t p = X.shape[1]
    cdef Py_ssize_t k = V.shape[0]
    cdef double r, sr, s
    for i in range(lo, hi):
        s = sw[i]
        for t in range(k):
            r = offset[t]
            if use_y:
                r = r - y[i, t]
            for j in range(p):
                r = r + X[i, j] * V[t, j]
            sr = s * r
            acc_l[t] += sr * r
            acc_r[t] += sr
            for j in range(p):
                acc[t, j] += sr * X[i, j]


def _row_pass(const floating[:, ::1] X, const double[:, ::1] y, bint use_y, const double[::1] sw,
              const double[:, ::1] V, const double[::1] offset):
    """``(sum s r x, sum s r, sum s r^2)`` with ``r = x.V[t] + offset[t] (- y)``; see numba_dense."""
    cdef Py_ssize_t n = X.shape[0]
    cdef Py_ssize_t p = X.shape[1]
    cdef Py_ssize_t k = V.shape[0]
    cdef Py_ssize_t nb = _n_blocks(n, k * (p + 2))
    cdef Py_ssize_t step = (n + nb - 1) // nb
    cdef Py_ssize_t b
    acc_np = np.zeros((nb, k, p))
    acc_r_np = np.zeros((nb, k))
    acc_l_np = np.zeros((nb, k))
    cdef double[:, :, ::1] acc = acc_np
    cdef double[:, ::1] acc_r = acc_r_np
    cdef double[:, ::1] acc_l = acc_l_np
    with nogil:
        for b in prange(nb, schedule="static"):
            _row_block(X, y, use_y, sw, V, offset, b * step, min(n, (b + 1) * step),
                       acc[b], acc_r[b], acc_l[b])
    G = np.zeros((k, p))
    R = np.zeros(k)
    L = np.zeros(k)
    for b in range(nb):  # fixed order
        G += acc_np[b]
        R += acc_r_np[b]
        L += acc_l_np[b]
    return G, R, L


def gradient(X, y, sw, coef, intercept, alpha, grad_coef, grad_intercept):
    """Fused objective and gradient in one pass over X (see the reference)."""
    n = X.shape[0]
    G, R, L = _row_pass(X, y, True, sw, coef, np.ascontiguousarray(intercept, dtype=np.float64))
    grad_coef[...] = (G + alpha[:, None] * coef) / n
    grad_intercept[...] = R / n
    return 0.5 * (L + alpha * np.einsum("tj,tj->t", coef, coef)) / n


def objective(X, y, sw, coef, intercept, alpha):
    """Objective of every target (the fused pass, gradient discarded)."""
    k, p = coef.shape
    return gradient(X, y, sw, coef, intercept, alpha, np.empty((k, p)), np.empty(k))


def normal_product(X, sw, x_mean, P, alpha, out):
    """``out[t] = (Xc^T S Xc + alpha_t I) P[t]`` in one pass over X (see the reference)."""
    k = P.shape[0]
    G, R, _ = _row_pass(X, np.empty((0, k)), False, sw, P, -(P @ x_mean))
    out[...] = G - np.outer(R, x_mean) + alpha[:, None] * P


def column_moments(const floating[:, ::1] X, const double[::1] sw, const double[::1] shift,
                   double[::1] sums, double[::1] sumsq):
    """Shifted weighted column sums and sums of squares in one pass (see the reference)."""
    cdef Py_ssize_t n = X.shape[0]
    cdef Py_ssize_t p = X.shape[1]
    cdef Py_ssize_t nb = _n_blocks(n, 2 * p + 1)
    cdef Py_ssize_t step = (n + nb - 1) // nb
    cdef Py_ssize_t b, i, j
    cdef double s, d
    a1_np = np.zeros((nb, p))
    a2_np = np.zeros((nb, p))
    aw_np = np.zeros(nb)
    cdef double[:, ::1] a1 = a1_np
    cdef double[:, ::1] a2 = a2_np
    cdef double[::1] aw = aw_np
    with nogil:
        for b in prange(nb, schedule="static"):
            for i in range(b * step, min(n, (b + 1) * step)):
                s = sw[i]
                aw[b] += s
                for j in range(p):
                    d = X[i, j] - shift[j]
                    a1[b, j] += s * d
                    a2[b, j] += s * d * d
    u = np.zeros(p)
    v = np.zeros(p)
    W = 0.0
    for b in range(nb):
        u += a1_np[b]
        v += a2_np[b]
        W += aw_np[b]
    np.asarray(sums)[...] = u
    np.asarray(sumsq)[...] = v
    return W


def max_row_norm(const floating[:, ::1] X, const double[::1] sw, const double[::1] x_mean):
    """``max_i s_i ||x_i - xbar||^2`` in one parallel pass."""
    cdef Py_ssize_t n = X.shape[0]
    cdef Py_ssize_t p = X.shape[1]
    cdef Py_ssize_t nb = _n_blocks(n, 1)
    cdef Py_ssize_t step = (n + nb - 1) // nb
    cdef Py_ssize_t b, i, j
    cdef double q, d
    best_np = np.zeros(nb)
    cdef double[::1] best = best_np
    with nogil:
        for b in prange(nb, schedule="static"):
            for i in range(b * step, min(n, (b + 1) * step)):
                q = 0.0
                for j in range(p):
                    d = X[i, j] - x_mean[j]
                    q = q + d * d
                q = q * sw[i]
                if q > best[b]:
                    best[b] = q
    return float(best_np.max())


cdef void _renormalize(double[::1] v, double[::1] a, double[::1] state, bint averaging) noexcept nogil:
    cdef Py_ssize_t j
    cdef double D = state[1], A = state[2], F = state[3]
    if averaging:
        for j in range(v.shape[0]):
            a[j] = (a[j] + F * v[j]) / A
    for j in range(v.shape[0]):
        v[j] = v[j] / D
    state[1] = 1.0
    state[2] = 1.0
    state[3] = 0.0


def sgd_epoch(const floating[:, ::1] X, const double[::1] y, const double[::1] sw,
              const double[::1] x_mean, const int64_t[::1] order, double[::1] v, double[::1] a,
              double[::1] state, int schedule, const double[::1] hyper):
    """One plain/averaged SGD pass with the lazy scale (see numba_sgd.sgd_epoch)."""
    cdef Py_ssize_t p = X.shape[1]
    cdef Py_ssize_t idx, i, j
    cdef double t = state[0], D = state[1], A = state[2], F = state[3]
    cdef double b = state[4], bbar = state[5]
    cdef double eta0 = hyper[0], power_t = hyper[1], lam = hyper[2], t0 = hyper[3]
    cdef double start = hyper[4]
    cdef bint fit_b = hyper[5] != 0.0
    cdef double c = 0.0, loss = 0.0, eta, d, r, s, g, step, mu, coef_a, dc, xc
    cdef bint averaging, first
    with nogil:
        for j in range(p):
            c += x_mean[j] * v[j]
        for idx in range(order.shape[0]):
            _prefetch_ahead(X, order, idx)
            i = order[idx]
            if schedule == 1:
                eta = eta0 / (t + 1.0) ** power_t
            elif schedule == 2:
                eta = 1.0 / (lam * (t0 + t))
            else:
                eta = eta0
            d = 0.0
            for j in range(p):
                d = d + X[i, j] * v[j]
            r = (d - c) / D + b - y[i]
            s = sw[i]
            loss += s * r * r
            g = eta * s * r
            D = D / (1.0 - eta * lam)
            step = g * D
            averaging = t >= start
            first = False
            mu = 0.0
            coef_a = 0.0
            if averaging:
                mu = 1.0 / (t - start + 1.0)
                first = mu >= 1.0
                if not first:
                    coef_a = F * step
                    A = A / (1.0 - mu)
            dc = 0.0
            for j in range(p):
                xc = X[i, j] - x_mean[j]
                v[j] -= step * xc
                dc = dc + x_mean[j] * xc
            c -= step * dc
            if fit_b:
                b -= g
            if averaging:
                if first:
                    for j in range(p):
                        a[j] = 0.0
                    A = D
                    F = 1.0
                else:
                    for j in range(p):
                        a[j] += coef_a * (X[i, j] - x_mean[j])
                    F = F + mu * A / D
                bbar += mu * (b - bbar)
            t += 1.0
            if D > 1e6 or A > 1e6:
                state[1] = D
                state[2] = A
                state[3] = F
                _renormalize(v, a, state, t > start)
                D = 1.0
                A = 1.0
                F = 0.0
                c = 0.0
                for j in range(p):
                    c += x_mean[j] * v[j]
    state[0] = t
    state[1] = D
    state[2] = A
    state[3] = F
    state[4] = b
    state[5] = bbar
    return loss


def saga_epoch(const floating[:, ::1] X, const double[::1] y, const double[::1] sw,
               const double[::1] x_mean, const int64_t[::1] order, double[::1] w, double[::1] state,
               double[::1] memory, double[::1] grad_avg, const double[::1] hyper):
    """SAGA/SAG pass with one stored residual per sample (see reference_sgd.saga_epoch)."""
    cdef Py_ssize_t n = X.shape[0]
    cdef Py_ssize_t p = X.shape[1]
    cdef Py_ssize_t idx, i, j
    cdef double step = hyper[0], lam = hyper[1]
    cdef bint fit_b = hyper[2] != 0.0
    cdef bint saga = hyper[3] != 0.0
    cdef double b = state[0], gb = state[1], inv_n = 1.0 / n
    cdef double loss = 0.0, r, s, phi, delta, xc
    with nogil:
        for idx in range(order.shape[0]):
            _prefetch_ahead(X, order, idx)
            i = order[idx]
            r = b - y[i]
            for j in range(p):
                r = r + (X[i, j] - x_mean[j]) * w[j]
            s = sw[i]
            loss += s * r * r
            phi = s * r
            delta = phi - memory[i]
            memory[i] = phi
            if saga:
                for j in range(p):
                    xc = X[i, j] - x_mean[j]
                    w[j] -= step * (delta * xc + grad_avg[j] + lam * w[j])
                    grad_avg[j] += delta * xc * inv_n
                if fit_b:
                    b -= step * (delta + gb)
                gb += delta * inv_n
            else:
                for j in range(p):
                    grad_avg[j] += delta * (X[i, j] - x_mean[j]) * inv_n
                    w[j] -= step * (grad_avg[j] + lam * w[j])
                gb += delta * inv_n
                if fit_b:
                    b -= step * gb
    state[0] = b
    state[1] = gb
    return loss


def svrg_inner(const floating[:, ::1] X, const double[::1] y, const double[::1] sw,
               const double[::1] x_mean, const int64_t[::1] order, double[::1] w,
               const double[::1] snapshot, const double[::1] full_grad, double[::1] state,
               const double[::1] hyper):
    """SVRG inner loop (see reference_sgd.svrg_inner)."""
    cdef Py_ssize_t p = X.shape[1]
    cdef Py_ssize_t idx, i, j
    cdef double step = hyper[0], lam = hyper[1]
    cdef bint fit_b = hyper[2] != 0.0
    cdef double b = state[0], b_snap = state[1], gb = state[2]
    cdef double loss = 0.0, r, r_snap, xc, s, d
    with nogil:
        for idx in range(order.shape[0]):
            _prefetch_ahead(X, order, idx)
            i = order[idx]
            r = b - y[i]
            r_snap = b_snap - y[i]
            for j in range(p):
                xc = X[i, j] - x_mean[j]
                r = r + xc * w[j]
                r_snap = r_snap + xc * snapshot[j]
            s = sw[i]
            loss += s * r * r
            d = s * (r - r_snap)
            for j in range(p):
                w[j] -= step * (d * (X[i, j] - x_mean[j]) + lam * (w[j] - snapshot[j]) + full_grad[j])
            if fit_b:
                b -= step * (d + gb)
    state[0] = b
    return loss


def minibatch_epoch(const floating[:, ::1] X, const double[::1] y, const double[::1] sw,
                    const double[::1] x_mean, const int64_t[::1] order, double[::1] w,
                    double[::1] a, double[::1] state, const double[::1] hyper):
    """Mini-batch SGD, batch gradient over fixed blocks with OpenMP (see numba_sgd)."""
    cdef Py_ssize_t p = X.shape[1]
    cdef Py_ssize_t m = order.shape[0]
    cdef double eta = hyper[0], lam = hyper[1]
    cdef bint fit_b = hyper[2] != 0.0
    cdef Py_ssize_t size = <Py_ssize_t>hyper[3]
    cdef double start = hyper[4]
    cdef double t = state[0], b = state[1], bbar = state[2]
    cdef Py_ssize_t nb = max(1, min(8, size // 32))
    cdef Py_ssize_t lo, hi, count, step, k, idx, i, j
    cdef double c, r, sr, g, gb, shrink, scale, mu, loss = 0.0
    acc_np = np.zeros((nb, p))
    accb_np = np.zeros(nb)
    accl_np = np.zeros(nb)
    cdef double[:, ::1] acc = acc_np
    cdef double[::1] accb = accb_np
    cdef double[::1] accl = accl_np
    with nogil:
        lo = 0
        while lo < m:
            hi = min(m, lo + size)
            count = hi - lo
            step = (count + nb - 1) // nb
            c = 0.0
            for j in range(p):
                c = c + x_mean[j] * w[j]
            for k in prange(nb, schedule="static"):
                _batch_block(X, y, sw, x_mean, order, w, b - c, lo + k * step,
                             min(hi, lo + (k + 1) * step), acc[k], &accb[k], &accl[k])
            shrink = 1.0 - eta * lam
            scale = eta / count
            gb = 0.0
            for k in range(nb):
                gb = gb + accb[k]
                loss = loss + accl[k]
            for j in range(p):
                g = 0.0
                for k in range(nb):
                    g = g + acc[k, j]
                w[j] = shrink * w[j] - scale * g
            if fit_b:
                b = b - scale * gb
            if t >= start:
                mu = 1.0 / (t - start + 1.0)
                for j in range(p):
                    a[j] += mu * (w[j] - a[j])
                bbar = bbar + mu * (b - bbar)
            t = t + 1.0
            lo = hi
    state[0] = t
    state[1] = b
    state[2] = bbar
    return loss


cdef void _batch_block(const floating[:, ::1] X, const double[::1] y, const double[::1] sw,
                       const double[::1] x_mean, const int64_t[::1] order, const double[::1] w,
                       double base, Py_ssize_t lo, Py_ssize_t hi, double[::1] acc,
                       double *accb, double *accl) noexcept nogil:
    cdef Py_ssize_t idx, i, j
    cdef Py_ssize_t p = X.shape[1]
    cdef double r, sr, sb = 0.0, sl = 0.0
    for j in range(p):
        acc[j] = 0.0
    for idx in range(lo, hi):
        i = order[idx]
        r = base - y[i]
        for j in range(p):
            r = r + X[i, j] * w[j]
        sr = sw[i] * r
        sb += sr
        sl += sr * r
        for j in range(p):
            acc[j] += sr * (X[i, j] - x_mean[j])
    accb[0] = sb
    accl[0] = sl
