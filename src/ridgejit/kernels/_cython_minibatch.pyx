# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Cython twins of :mod:`ridgejit.kernels.numba_minibatch`: mini-batch SGD of ``k`` targets.

Same names, arguments and meaning as ``reference_sgd.minibatch_epoch``
(``minibatch_epoch_sparse`` with ``data, indices, indptr`` in place of ``X``);
float32 and float64 X from one source, accumulation in double.  Dense X: each
batch gradient is summed with OpenMP ``prange`` over fixed row blocks, so the
bits do not depend on the thread count.  CSR X: the batch residuals are
computed in parallel (one row each), then the update is applied serially in
O(nnz of the batch) per target through ``w_c = (v_c + m_c xbar) / D_c`` and the
average ``(a_c + na_c xbar + F_c (v_c + m_c xbar)) / S_c`` (one set per target).
"""

import numpy as np

from cython cimport floating
from cython.parallel cimport prange
from libc.stdint cimport int32_t, int64_t

from . cimport _layout as layout


ctypedef fused index_t:
    int32_t
    int64_t


cdef void _batch_block(const floating[:, ::1] X, const double[:, ::1] Y, const double[::1] sw,
                       const double[::1] x_mean, const int64_t[::1] order, const double[:, ::1] W,
                       const double[::1] base, Py_ssize_t lo, Py_ssize_t hi, double[:, ::1] acc,
                       double[::1] accb, double *accl, double[::1] r) noexcept nogil:
    """Every target ``c``: ``acc[c] = sum s r_c (x - xbar)``, ``accb[c] = sum s r_c``, ``accl =
    sum_c sum s r_c^2`` over the rows ``order[lo:hi]`` (``r`` scratch of length k)."""
    cdef Py_ssize_t idx, i, j, c
    cdef Py_ssize_t k = W.shape[0], p = W.shape[1]
    cdef double rc, sr, sl = 0.0
    for c in range(k):
        accb[c] = 0.0
        for j in range(p):
            acc[c, j] = 0.0
    for idx in range(lo, hi):
        i = order[idx]
        for c in range(k):
            rc = base[c] - Y[i, c]
            for j in range(p):
                rc = rc + X[i, j] * W[c, j]
            r[c] = sw[i] * rc
            accb[c] += r[c]
            sl += r[c] * rc
        for c in range(k):
            sr = r[c]
            for j in range(p):
                acc[c, j] += sr * (X[i, j] - x_mean[j])
    accl[0] = sl


def minibatch_epoch(const floating[:, ::1] X, const double[:, ::1] Y, const double[::1] sw,
                    const double[::1] x_mean, const int64_t[::1] order, double[:, ::1] W,
                    double[:, ::1] A, double[:, ::1] intercepts, const double[::1] lams,
                    double[::1] state, const double[::1] hyper):
    """Mini-batch SGD of ``k`` targets (see numba_minibatch.minibatch_epoch)."""
    cdef Py_ssize_t k = W.shape[0], p = W.shape[1]
    cdef Py_ssize_t m = order.shape[0]
    cdef double eta = hyper[layout.MB_ETA]
    cdef bint fit_b = hyper[layout.MB_FIT_B] != 0.0
    cdef Py_ssize_t size = <Py_ssize_t>hyper[layout.MB_BATCH]
    cdef double start = hyper[layout.MB_AVG_START]
    cdef double t = state[layout.MB_T]
    cdef Py_ssize_t nb = max(1, min(<Py_ssize_t>layout.BATCH_MAX_BLOCKS, size // layout.BATCH_MIN_ROWS))
    cdef Py_ssize_t lo, hi, count, step, blk, j, c
    cdef double g, gb, shrink, scale, mu, loss = 0.0
    cdef double[:, :, ::1] acc = np.zeros((nb, k, p))
    cdef double[:, ::1] accb = np.zeros((nb, k))
    cdef double[:, ::1] scratch = np.zeros((nb, k))
    cdef double[::1] accl = np.zeros(nb)
    cdef double[::1] base = np.empty(k)
    with nogil:
        lo = 0
        while lo < m:
            hi = min(m, lo + size)
            count = hi - lo
            step = (count + nb - 1) // nb
            for c in range(k):
                base[c] = intercepts[0, c]
                for j in range(p):
                    base[c] = base[c] - x_mean[j] * W[c, j]
            for blk in prange(nb, schedule="static"):
                _batch_block(X, Y, sw, x_mean, order, W, base, lo + blk * step,
                             min(hi, lo + (blk + 1) * step), acc[blk], accb[blk], &accl[blk], scratch[blk])
            scale = eta / count
            for blk in range(nb):
                loss = loss + accl[blk]
            for c in range(k):
                shrink = 1.0 - eta * lams[c]
                gb = 0.0
                for blk in range(nb):
                    gb = gb + accb[blk, c]
                for j in range(p):
                    g = 0.0
                    for blk in range(nb):
                        g = g + acc[blk, c, j]
                    W[c, j] = shrink * W[c, j] - scale * g
                if fit_b:
                    intercepts[0, c] = intercepts[0, c] - scale * gb
            if t >= start:
                mu = 1.0 / (t - start + 1.0)
                for c in range(k):
                    for j in range(p):
                        A[c, j] += mu * (W[c, j] - A[c, j])
                    intercepts[1, c] = intercepts[1, c] + mu * (intercepts[0, c] - intercepts[1, c])
            t = t + 1.0
            lo = hi
    state[layout.MB_T] = t
    return loss


cdef inline void _residuals(const floating[::1] data, const index_t[::1] indices,
                            const index_t[::1] indptr, const double[:, ::1] Y, const int64_t[::1] order,
                            Py_ssize_t lo, Py_ssize_t q, const double[:, ::1] V, const double[::1] x_mean,
                            const double[::1] C, const double[::1] M, double mm, const double[::1] D,
                            const double[:, ::1] intercepts, double[:, ::1] R,
                            double[::1] xx) noexcept nogil:
    """Residuals ``R[q, c]`` of every target (and ``xx[q] = x.xbar``) of the batch row ``order[lo + q]``."""
    cdef Py_ssize_t i = order[lo + q], e, c
    cdef double dv, dx = 0.0
    for e in range(indptr[i], indptr[i + 1]):
        dx = dx + data[e] * x_mean[indices[e]]
    xx[q] = dx
    for c in range(V.shape[0]):
        dv = 0.0
        for e in range(indptr[i], indptr[i + 1]):
            dv = dv + data[e] * V[c, indices[e]]
        R[q, c] = (dv + M[c] * dx - C[c] - M[c] * mm) / D[c] + intercepts[0, c] - Y[i, c]


cdef double _fold_target(double[:, ::1] V, double[:, ::1] A, Py_ssize_t c, double na, double F, double m,
                         double S, double D, const double[::1] x_mean) noexcept nogil:
    """Target ``c`` made explicit: ``a_c <- (a_c + na xbar + F (v_c + m xbar)) / S``, then
    ``v_c <- (v_c + m xbar) / D``; returns ``xbar.v_c`` of the result."""
    cdef Py_ssize_t j
    cdef double dot = 0.0
    for j in range(V.shape[1]):
        A[c, j] = (A[c, j] + na * x_mean[j] + F * (V[c, j] + m * x_mean[j])) / S
        V[c, j] = (V[c, j] + m * x_mean[j]) / D
        dot = dot + x_mean[j] * V[c, j]
    return dot


def minibatch_epoch_sparse(const floating[::1] data, const index_t[::1] indices,
                           const index_t[::1] indptr, const double[:, ::1] Y, const double[::1] sw,
                           const double[::1] x_mean, const int64_t[::1] order, double[:, ::1] W,
                           double[:, ::1] A, double[:, ::1] intercepts, const double[::1] lams,
                           double[::1] state, const double[::1] hyper):
    """Mini-batch SGD of ``k`` targets on CSR X (see numba_minibatch.minibatch_epoch_sparse)."""
    cdef Py_ssize_t k = W.shape[0], p = W.shape[1], n_rows = order.shape[0]
    cdef double eta = hyper[layout.MB_ETA]
    cdef bint fit_b = hyper[layout.MB_FIT_B] != 0.0
    cdef Py_ssize_t size = <Py_ssize_t>hyper[layout.MB_BATCH]
    cdef double start = hyper[layout.MB_AVG_START]
    cdef double t = state[layout.MB_T]
    cdef double mm = 0.0, loss = 0.0, mu, sr, step, coef_a
    cdef bint averaging, first
    cdef Py_ssize_t lo, hi, count, q, i, j, e, c
    if size < 1:
        raise ValueError(f"the batch size hyper[layout.MB_BATCH] must be at least 1, got {hyper[layout.MB_BATCH]}")
    cdef double[:, ::1] V = W
    cdef double[:, ::1] R = np.empty((size, k))
    cdef double[::1] xx = np.empty(size)
    cdef double[::1] C = np.zeros(k), M = np.zeros(k), F = np.zeros(k), na = np.zeros(k)
    cdef double[::1] D = np.ones(k), S = np.ones(k), total = np.empty(k), gb = np.empty(k)
    with nogil:
        for j in range(p):
            mm = mm + x_mean[j] * x_mean[j]
        for c in range(k):
            for j in range(p):
                C[c] = C[c] + x_mean[j] * V[c, j]
        lo = 0
        while lo < n_rows:
            hi = min(n_rows, lo + size)
            count = hi - lo
            if count < 64:  # a parallel region would cost more than these rows
                for q in range(count):
                    _residuals(data, indices, indptr, Y, order, lo, q, V, x_mean, C, M, mm, D, intercepts, R, xx)
            else:
                for q in prange(count, schedule="static"):
                    _residuals(data, indices, indptr, Y, order, lo, q, V, x_mean, C, M, mm, D, intercepts, R, xx)
            for c in range(k):
                D[c] = D[c] / (1.0 - eta * lams[c])
                total[c] = 0.0
                gb[c] = 0.0
            averaging = t >= start
            mu = 0.0
            first = False
            if averaging:
                mu = 1.0 / (t - start + 1.0)
                first = mu >= 1.0
            for q in range(count):
                i = order[lo + q]
                for c in range(k):
                    sr = sw[i] * R[q, c]
                    loss += sr * R[q, c]
                    gb[c] += sr
                    step = eta * sr * D[c] / count
                    total[c] += step
                    C[c] -= step * xx[q]
                    coef_a = F[c] * step
                    for e in range(indptr[i], indptr[i + 1]):
                        j = indices[e]
                        V[c, j] -= step * data[e]
                        if averaging and not first:
                            A[c, j] += coef_a * data[e]
            for c in range(k):
                M[c] += total[c]
                if fit_b:
                    intercepts[0, c] -= eta * gb[c] / count
                if averaging:
                    if first:
                        for j in range(p):
                            A[c, j] = 0.0
                        na[c] = 0.0
                        S[c] = D[c]
                        F[c] = 1.0
                    else:
                        na[c] -= F[c] * total[c]
                        S[c] = S[c] / (1.0 - mu)
                        F[c] = F[c] + mu * S[c] / D[c]
                    intercepts[1, c] += mu * (intercepts[0, c] - intercepts[1, c])
                if D[c] > 1e6 or S[c] > 1e6:
                    # fold into w_c (dense) and its average, then restart its lazy scales
                    C[c] = _fold_target(V, A, c, na[c], F[c], M[c], S[c], D[c], x_mean)
                    M[c] = 0.0
                    na[c] = 0.0
                    D[c] = 1.0
                    S[c] = 1.0
                    F[c] = 0.0
            t += 1.0
            lo = hi
        # the dense kernel keeps w and the average explicitly
        for c in range(k):
            _fold_target(V, A, c, na[c], F[c], M[c], S[c], D[c], x_mean)
    state[layout.MB_T] = t
    return loss
