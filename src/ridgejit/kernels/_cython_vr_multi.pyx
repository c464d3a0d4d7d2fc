# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Cython twins of :mod:`ridgejit.kernels.numba_vr_multi`: SAG/SAGA and SVRG of ``k`` targets.

Same names, arguments and meaning as ``reference_sgd.saga_epoch_multi`` /
``svrg_inner_multi`` (the ``*_sparse`` twins with ``data, indices, indptr`` in
place of ``X``); float32 and float64 X from one source, accumulation in
double.  Each row is read once for all targets, which run serially here (the
Numba kernels split them over threads); on CSR X each target keeps its own lazy
representation (``w_c = (v_c + m_c xbar) / D_c``, ``cum_c``, ``last_c``).
"""

import numpy as np

from cython cimport floating
from libc.stdint cimport int32_t, int64_t

from . cimport _layout as layout


ctypedef fused index_t:
    int32_t
    int64_t


def saga_epoch_multi(const floating[:, ::1] X, const double[:, ::1] Y, const double[::1] sw,
                     const double[::1] x_mean, const int64_t[::1] order, double[:, ::1] W,
                     double[:, ::1] state, double[:, ::1] memory, double[:, ::1] grad_avg,
                     const double[::1] hyper, const double[::1] lams, const double[::1] factor):
    """SAGA/SAG pass of ``k`` targets (see numba_vr_multi.saga_epoch_multi)."""
    cdef Py_ssize_t n = X.shape[0], p = X.shape[1], k = W.shape[0]
    cdef Py_ssize_t idx, i, j, c
    cdef double step = hyper[layout.SAGA_STEP], lam, lj
    cdef bint scaled = factor.shape[0] > 0
    cdef bint fit_b = hyper[layout.SAGA_FIT_B] != 0.0
    cdef bint saga = hyper[layout.SAGA_UNBIASED] != 0.0
    cdef double inv_n = 1.0 / n, loss = 0.0, r, s, phi, delta, b, gb
    cdef double[::1] xc = np.empty(p)
    with nogil:
        for idx in range(order.shape[0]):
            i = order[idx]
            for j in range(p):
                xc[j] = X[i, j] - x_mean[j]
            s = sw[i]
            for c in range(k):
                lam = lams[c]
                b = state[layout.SAGA_B, c]
                gb = state[layout.SAGA_GB, c]
                r = b - Y[i, c]
                for j in range(p):
                    r = r + xc[j] * W[c, j]
                loss += s * r * r
                phi = s * r
                delta = phi - memory[c, i]
                memory[c, i] = phi
                if saga:
                    for j in range(p):
                        lj = lam * factor[j] if scaled else lam
                        W[c, j] -= step * (delta * xc[j] + grad_avg[c, j] + lj * W[c, j])
                        grad_avg[c, j] += delta * xc[j] * inv_n
                    if fit_b:
                        b -= step * (delta + gb)
                    gb += delta * inv_n
                else:
                    for j in range(p):
                        grad_avg[c, j] += delta * xc[j] * inv_n
                        lj = lam * factor[j] if scaled else lam
                        W[c, j] -= step * (grad_avg[c, j] + lj * W[c, j])
                    gb += delta * inv_n
                    if fit_b:
                        b -= step * gb
                state[layout.SAGA_B, c] = b
                state[layout.SAGA_GB, c] = gb
    return loss


def svrg_inner_multi(const floating[:, ::1] X, const double[:, ::1] Y, const double[::1] sw,
                     const double[::1] x_mean, const int64_t[::1] order, double[:, ::1] W,
                     const double[:, ::1] snapshot, const double[:, ::1] full_grad, double[:, ::1] state,
                     const double[::1] hyper, const double[::1] lams, const double[::1] factor):
    """SVRG inner loop of ``k`` targets (see numba_vr_multi.svrg_inner_multi)."""
    cdef Py_ssize_t p = X.shape[1], k = W.shape[0]
    cdef Py_ssize_t idx, i, j, c
    cdef double step = hyper[layout.SVRG_STEP], lam, lj
    cdef bint scaled = factor.shape[0] > 0
    cdef bint fit_b = hyper[layout.SVRG_FIT_B] != 0.0
    cdef double loss = 0.0, r, r_snap, s, d
    cdef double[::1] xc = np.empty(p)
    with nogil:
        for idx in range(order.shape[0]):
            i = order[idx]
            for j in range(p):
                xc[j] = X[i, j] - x_mean[j]
            s = sw[i]
            for c in range(k):
                lam = lams[c]
                r = state[layout.SVRG_B, c] - Y[i, c]
                r_snap = state[layout.SVRG_B_SNAP, c] - Y[i, c]
                for j in range(p):
                    r = r + xc[j] * W[c, j]
                    r_snap = r_snap + xc[j] * snapshot[c, j]
                loss += s * r * r
                d = s * (r - r_snap)
                for j in range(p):
                    lj = lam * factor[j] if scaled else lam
                    W[c, j] -= step * (d * xc[j] + lj * (W[c, j] - snapshot[c, j]) + full_grad[c, j])
                if fit_b:
                    state[layout.SVRG_B, c] -= step * (d + state[layout.SVRG_GB, c])
    return loss


def _fresh_scales(Py_ssize_t k, Py_ssize_t p):
    """``(last (k, p), cum, D, m (k,))``: every target's lazy representation at its start."""
    return np.zeros((k, p)), np.zeros(k), np.ones(k), np.zeros(k)


cdef inline double _row_dot(const floating[::1] data, const index_t[::1] indices, Py_ssize_t lo, Py_ssize_t hi,
                            const double[::1] v) noexcept nogil:
    """``x.v`` over the stored values ``lo:hi`` of one row."""
    cdef Py_ssize_t e
    cdef double dot = 0.0
    for e in range(lo, hi):
        dot = dot + data[e] * v[indices[e]]
    return dot


cdef inline void _catch_up(const index_t[::1] indices, Py_ssize_t lo, Py_ssize_t hi, double[:, ::1] V,
                           Py_ssize_t c, const double[:, ::1] rate, double cum,
                           double[:, ::1] last) noexcept nogil:
    """Target ``c``: apply the missed just-in-time steps ``v_j -= rate_j (cum - last_j)``."""
    cdef Py_ssize_t e, j
    for e in range(lo, hi):
        j = indices[e]
        V[c, j] -= rate[c, j] * (cum - last[c, j])
        last[c, j] = cum


cdef double _settle(double[:, ::1] V, Py_ssize_t c, const double[:, ::1] rate, double cum,
                    double[:, ::1] last, double m, const double[::1] x_mean, double D) noexcept nogil:
    """Target ``c``: catch every feature up and fold ``m``, ``D`` in (``v_c`` becomes
    ``w_c``); returns ``xbar.w_c``."""
    cdef Py_ssize_t j
    cdef double dot = 0.0
    for j in range(V.shape[1]):
        V[c, j] -= rate[c, j] * (cum - last[c, j])
        last[c, j] = 0.0
        V[c, j] = (V[c, j] + m * x_mean[j]) / D
        dot = dot + x_mean[j] * V[c, j]
    return dot


def saga_epoch_multi_sparse(const floating[::1] data, const index_t[::1] indices, const index_t[::1] indptr,
                            const double[:, ::1] Y, const double[::1] sw, const double[::1] x_mean,
                            const int64_t[::1] order, double[:, ::1] W, double[:, ::1] state,
                            double[:, ::1] memory, double[:, ::1] grad_avg, const double[::1] hyper,
                            const double[::1] lams, const double[::1] factor):
    """CSR SAGA/SAG of ``k`` targets (see numba_vr_multi.saga_epoch_multi_sparse); ``factor``
    must be empty."""
    cdef Py_ssize_t n = indptr.shape[0] - 1, p = x_mean.shape[0], k = W.shape[0]
    cdef Py_ssize_t idx, i, j, e, lo, hi, c
    cdef double step = hyper[layout.SAGA_STEP]
    cdef bint fit_b = hyper[layout.SAGA_FIT_B] != 0.0, saga = hyper[layout.SAGA_UNBIASED] != 0.0
    cdef double inv_n = 1.0 / n, mm = 0.0, loss = 0.0
    cdef double xx, dv, r, s, phi, delta, kappa, b, gb
    cdef double[:, ::1] G = np.empty((k, p)), last
    cdef double[::1] Eg = np.zeros(k), C = np.zeros(k), rho = np.empty(k), cum, D, M
    last, cum, D, M = _fresh_scales(k, p)
    with nogil:
        for j in range(p):
            mm = mm + x_mean[j] * x_mean[j]
        for c in range(k):
            rho[c] = 1.0 - step * lams[c]
            for j in range(p):
                G[c, j] = grad_avg[c, j] + state[layout.SAGA_GB, c] * x_mean[j]
                Eg[c] += x_mean[j] * G[c, j]
                C[c] += x_mean[j] * W[c, j]
        for idx in range(order.shape[0]):
            i = order[idx]
            lo = indptr[i]
            hi = indptr[i + 1]
            xx = _row_dot(data, indices, lo, hi, x_mean)
            s = sw[i]
            for c in range(k):
                _catch_up(indices, lo, hi, W, c, G, cum[c], last)
                dv = 0.0
                for e in range(lo, hi):
                    dv = dv + data[e] * W[c, indices[e]]
                b = state[layout.SAGA_B, c]
                gb = state[layout.SAGA_GB, c]
                r = (dv + M[c] * xx - C[c] - M[c] * mm) / D[c] + b - Y[i, c]
                loss += s * r * r
                phi = s * r
                delta = phi - memory[c, i]
                memory[c, i] = phi
                D[c] = D[c] / rho[c]
                kappa = D[c] * step
                if saga:
                    for e in range(lo, hi):
                        j = indices[e]
                        W[c, j] -= kappa * (delta * data[e] + G[c, j])
                    cum[c] += kappa
                    for e in range(lo, hi):
                        last[c, indices[e]] = cum[c]
                    C[c] -= kappa * (delta * xx + Eg[c])
                    M[c] += kappa * (delta + gb)
                    if fit_b:
                        b -= step * (delta + gb)
                    for e in range(lo, hi):
                        G[c, indices[e]] += delta * data[e] * inv_n
                    Eg[c] += delta * xx * inv_n
                    gb += delta * inv_n
                else:
                    for e in range(lo, hi):
                        G[c, indices[e]] += delta * data[e] * inv_n
                    Eg[c] += delta * xx * inv_n
                    gb += delta * inv_n
                    cum[c] += kappa
                    C[c] -= kappa * Eg[c]
                    M[c] += kappa * gb
                    if fit_b:
                        b -= step * gb
                state[layout.SAGA_B, c] = b
                state[layout.SAGA_GB, c] = gb
                if D[c] > 1e6:
                    C[c] = _settle(W, c, G, cum[c], last, M[c], x_mean, D[c])
                    cum[c] = 0.0
                    M[c] = 0.0
                    D[c] = 1.0
        for c in range(k):
            _settle(W, c, G, cum[c], last, M[c], x_mean, D[c])
            for j in range(p):
                grad_avg[c, j] = G[c, j] - state[layout.SAGA_GB, c] * x_mean[j]
    return loss


def svrg_inner_multi_sparse(const floating[::1] data, const index_t[::1] indices, const index_t[::1] indptr,
                            const double[:, ::1] Y, const double[::1] sw, const double[::1] x_mean,
                            const int64_t[::1] order, double[:, ::1] W, const double[:, ::1] snapshot,
                            const double[:, ::1] full_grad, double[:, ::1] state, const double[::1] hyper,
                            const double[::1] lams, const double[::1] factor):
    """CSR SVRG inner loop of ``k`` targets (see numba_vr_multi.svrg_inner_multi_sparse);
    ``factor`` must be empty."""
    cdef Py_ssize_t p = x_mean.shape[0], k = W.shape[0]
    cdef Py_ssize_t idx, i, j, e, lo, hi, c
    cdef double step = hyper[layout.SVRG_STEP]
    cdef bint fit_b = hyper[layout.SVRG_FIT_B] != 0.0
    cdef double mm = 0.0, loss = 0.0, xx, dv, ds, r, r_snap, s, d, kappa
    cdef double[:, ::1] minus_z = np.empty((k, p)), last
    cdef double[::1] xs = np.zeros(k), zx = np.zeros(k), C = np.zeros(k), rho = np.empty(k), cum, D, M
    last, cum, D, M = _fresh_scales(k, p)
    with nogil:
        for j in range(p):
            mm = mm + x_mean[j] * x_mean[j]
        for c in range(k):
            rho[c] = 1.0 - step * lams[c]
            for j in range(p):
                minus_z[c, j] = step * (full_grad[c, j] - lams[c] * snapshot[c, j])
                xs[c] += x_mean[j] * snapshot[c, j]
                zx[c] -= x_mean[j] * minus_z[c, j]
                C[c] += x_mean[j] * W[c, j]
        for idx in range(order.shape[0]):
            i = order[idx]
            lo = indptr[i]
            hi = indptr[i + 1]
            xx = _row_dot(data, indices, lo, hi, x_mean)
            s = sw[i]
            for c in range(k):
                _catch_up(indices, lo, hi, W, c, minus_z, cum[c], last)
                dv = 0.0
                ds = 0.0
                for e in range(lo, hi):
                    j = indices[e]
                    dv = dv + data[e] * W[c, j]
                    ds = ds + data[e] * snapshot[c, j]
                r = (dv + M[c] * xx - C[c] - M[c] * mm) / D[c] + state[layout.SVRG_B, c] - Y[i, c]
                r_snap = ds - xs[c] + state[layout.SVRG_B_SNAP, c] - Y[i, c]
                loss += s * r * r
                d = s * (r - r_snap)
                D[c] = D[c] / rho[c]
                kappa = D[c] * step
                for e in range(lo, hi):
                    W[c, indices[e]] -= kappa * d * data[e]
                M[c] += kappa * d
                C[c] -= kappa * d * xx
                cum[c] += D[c]
                C[c] += D[c] * zx[c]
                if fit_b:
                    state[layout.SVRG_B, c] -= step * (d + state[layout.SVRG_GB, c])
                if D[c] > 1e6:
                    C[c] = _settle(W, c, minus_z, cum[c], last, M[c], x_mean, D[c])
                    cum[c] = 0.0
                    M[c] = 0.0
                    D[c] = 1.0
        for c in range(k):
            _settle(W, c, minus_z, cum[c], last, M[c], x_mean, D[c])
    return loss
