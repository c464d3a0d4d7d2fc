# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Cython twins of the Numba stochastic kernels (optional backend ``cython``).

Same names, arguments and meaning as :mod:`ridgejit.kernels.reference_sgd`.
float32 and float64 X from one source (the ``floating`` fused type);
accumulation in double.  Shuffled rows are prefetched ``PREFETCH_AHEAD`` ahead (see
``_intrinsics``); the mini-batch kernels are in ``_cython_minibatch``.
"""

from cython cimport floating
from libc.stdint cimport int64_t

from . cimport _layout as layout


cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define RJ_PREFETCH(p) __builtin_prefetch((const void *)(p), 0, 2)  /* into L2: see _intrinsics */
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
               const double[::1] factor, const double[:, ::1] box):
    """SAGA/SAG pass with one stored residual per sample, each step projected onto ``box``
    when it has rows (see reference_sgd.saga_epoch)."""
    cdef Py_ssize_t n = X.shape[0]
    cdef Py_ssize_t p = X.shape[1]
    cdef Py_ssize_t idx, i, j
    cdef double step = hyper[layout.SAGA_STEP], lam = hyper[layout.SAGA_LAM], lj
    cdef bint scaled = factor.shape[0] > 0
    cdef bint boxed = box.shape[0] > 0
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
                    if boxed:
                        w[j] = min(max(w[j], box[0, j]), box[1, j])
                    grad_avg[j] += delta * xc * inv_n
                if fit_b:
                    b -= step * (delta + gb)
                gb += delta * inv_n
            else:
                for j in range(p):
                    grad_avg[j] += delta * (X[i, j] - x_mean[j]) * inv_n
                    lj = lam * factor[j] if scaled else lam
                    w[j] -= step * (grad_avg[j] + lj * w[j])
                    if boxed:
                        w[j] = min(max(w[j], box[0, j]), box[1, j])
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
