# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Cython twins of the Numba stochastic kernels (optional backend ``cython``).

Same names, arguments and meaning as :mod:`ridgejit.kernels.reference_sgd`.
float32 and float64 X from one source (the ``floating`` fused type);
accumulation in double.  Shuffled rows are prefetched ``PREFETCH_AHEAD`` ahead (see
``_intrinsics``); the mini-batch gradient uses OpenMP ``prange`` over fixed
blocks of each batch, so results do not depend on the thread count.
"""

import numpy as np

cimport cython
from cython cimport floating
from cython.parallel cimport prange
from libc.stdint cimport int64_t

from . cimport _layout as layout


cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define RJ_PREFETCH(p) __builtin_prefetch((const void *)(p), 0, 3)
    #else
    #define RJ_PREFETCH(p) ((void)0)
    #endif
    """
    void RJ_PREFETCH(const void *p) noexcept nogil


cdef inline void _prefetch_ahead(const floating[:, ::1] X, const int64_t[::1] order,
                                 Py_ssize_t idx) noexcept nogil:
    cdef Py_ssize_t j, line, reach
    if idx + layout.PREFETCH_AHEAD < order.shape[0]:
        line = max(1, layout.CACHE_LINE_BYTES // <Py_ssize_t>sizeof(floating))
        reach = min(X.shape[1], layout.PREFETCH_LINES * line)
        j = 0
        while j < reach:
            RJ_PREFETCH(&X[order[idx + layout.PREFETCH_AHEAD], j])
            j = j + line


cdef void _renormalize(double[::1] v, double[::1] a, double[::1] state, bint averaging) noexcept nogil:
    cdef Py_ssize_t j
    cdef double D = state[layout.WDIV], A = state[layout.ADIV], F = state[layout.WFRAC]
    if averaging:
        for j in range(v.shape[0]):
            a[j] = (a[j] + F * v[j]) / A
    for j in range(v.shape[0]):
        v[j] = v[j] / D
    state[layout.WDIV] = 1.0
    state[layout.ADIV] = 1.0
    state[layout.WFRAC] = 0.0


def sgd_epoch(const floating[:, ::1] X, const double[::1] y, const double[::1] sw,
              const double[::1] x_mean, const int64_t[::1] order, double[::1] v, double[::1] a,
              double[::1] state, int schedule, const double[::1] hyper):
    """One plain/averaged SGD pass with the lazy scale (see numba_sgd.sgd_epoch)."""
    cdef Py_ssize_t p = X.shape[1]
    cdef Py_ssize_t idx, i, j
    cdef double t = state[layout.T], D = state[layout.WDIV], A = state[layout.ADIV], F = state[layout.WFRAC]
    cdef double b = state[layout.B], bbar = state[layout.BAVG]
    cdef double eta0 = hyper[layout.ETA0], power_t = hyper[layout.POWER_T], lam = hyper[layout.LAM], t0 = hyper[layout.T0]
    cdef double start = hyper[layout.AVG_START]
    cdef bint fit_b = hyper[layout.FIT_B] != 0.0
    cdef double c = 0.0, loss = 0.0, eta, d, r, s, g, step, mu, coef_a, dc, xc
    cdef bint averaging, first
    with nogil:
        for j in range(p):
            c += x_mean[j] * v[j]
        for idx in range(order.shape[0]):
            _prefetch_ahead(X, order, idx)
            i = order[idx]
            if schedule == layout.INVSCALING:
                eta = eta0 / (t + 1.0) ** power_t
            elif schedule == layout.OPTIMAL:
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
                state[layout.WDIV] = D
                state[layout.ADIV] = A
                state[layout.WFRAC] = F
                _renormalize(v, a, state, t > start)
                D = 1.0
                A = 1.0
                F = 0.0
                c = 0.0
                for j in range(p):
                    c += x_mean[j] * v[j]
    state[layout.T] = t
    state[layout.WDIV] = D
    state[layout.ADIV] = A
    state[layout.WFRAC] = F
    state[layout.B] = b
    state[layout.BAVG] = bbar
    return loss


def saga_epoch(const floating[:, ::1] X, const double[::1] y, const double[::1] sw,
               const double[::1] x_mean, const int64_t[::1] order, double[::1] w, double[::1] state,
               double[::1] memory, double[::1] grad_avg, const double[::1] hyper,
               const double[::1] factor):
    """SAGA/SAG pass with one stored residual per sample (see reference_sgd.saga_epoch)."""
    cdef Py_ssize_t n = X.shape[0]
    cdef Py_ssize_t p = X.shape[1]
    cdef Py_ssize_t idx, i, j
    cdef double step = hyper[layout.SAGA_STEP], lam = hyper[layout.SAGA_LAM], lj
    cdef bint scaled = factor.shape[0] > 0
    cdef bint fit_b = hyper[layout.SAGA_FIT_B] != 0.0
    cdef bint saga = hyper[layout.SAGA_UNBIASED] != 0.0
    cdef double b = state[layout.SAGA_B], gb = state[layout.SAGA_GB], inv_n = 1.0 / n
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
                    lj = lam * factor[j] if scaled else lam
                    w[j] -= step * (delta * xc + grad_avg[j] + lj * w[j])
                    grad_avg[j] += delta * xc * inv_n
                if fit_b:
                    b -= step * (delta + gb)
                gb += delta * inv_n
            else:
                for j in range(p):
                    grad_avg[j] += delta * (X[i, j] - x_mean[j]) * inv_n
                    lj = lam * factor[j] if scaled else lam
                    w[j] -= step * (grad_avg[j] + lj * w[j])
                gb += delta * inv_n
                if fit_b:
                    b -= step * gb
    state[layout.SAGA_B] = b
    state[layout.SAGA_GB] = gb
    return loss


def svrg_inner(const floating[:, ::1] X, const double[::1] y, const double[::1] sw,
               const double[::1] x_mean, const int64_t[::1] order, double[::1] w,
               const double[::1] snapshot, const double[::1] full_grad, double[::1] state,
               const double[::1] hyper, const double[::1] factor):
    """SVRG inner loop (see reference_sgd.svrg_inner)."""
    cdef Py_ssize_t p = X.shape[1]
    cdef Py_ssize_t idx, i, j
    cdef double step = hyper[layout.SVRG_STEP], lam = hyper[layout.SVRG_LAM], lj
    cdef bint scaled = factor.shape[0] > 0
    cdef bint fit_b = hyper[layout.SVRG_FIT_B] != 0.0
    cdef double b = state[layout.SVRG_B], b_snap = state[layout.SVRG_B_SNAP], gb = state[layout.SVRG_GB]
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
                lj = lam * factor[j] if scaled else lam
                w[j] -= step * (d * (X[i, j] - x_mean[j]) + lj * (w[j] - snapshot[j]) + full_grad[j])
            if fit_b:
                b -= step * (d + gb)
    state[layout.SVRG_B] = b
    return loss


def minibatch_epoch(const floating[:, ::1] X, const double[::1] y, const double[::1] sw,
                    const double[::1] x_mean, const int64_t[::1] order, double[::1] w,
                    double[::1] a, double[::1] state, const double[::1] hyper):
    """Mini-batch SGD, batch gradient over fixed blocks with OpenMP (see numba_sgd)."""
    cdef Py_ssize_t p = X.shape[1]
    cdef Py_ssize_t m = order.shape[0]
    cdef double eta = hyper[layout.MB_ETA], lam = hyper[layout.MB_LAM]
    cdef bint fit_b = hyper[layout.MB_FIT_B] != 0.0
    cdef Py_ssize_t size = <Py_ssize_t>hyper[layout.MB_BATCH]
    cdef double start = hyper[layout.MB_AVG_START]
    cdef double t = state[layout.MB_T], b = state[layout.MB_B], bbar = state[layout.MB_BAVG]
    cdef Py_ssize_t nb = max(1, min(<Py_ssize_t>layout.BATCH_MAX_BLOCKS, size // layout.BATCH_MIN_ROWS))
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
    state[layout.MB_T] = t
    state[layout.MB_B] = b
    state[layout.MB_BAVG] = bbar
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
