# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Cython twins of the Numba CSR kernels :mod:`ridgejit.kernels.numba_sparse` (backend ``cython``).

Same names, arguments and meaning as :mod:`ridgejit.kernels.reference_sparse`:
``data`` float32 or float64 (the ``floating`` fused type), ``indices`` and
``indptr`` int32 or int64 (``index_t``; one type for both, as SciPy keeps
them), all read-only; accumulation in double.  The algorithms are those of
the Numba kernels: the row-streaming passes run the same fixed row blocks
(``sparse_blocks`` of ``_layout.pxd``, a function of the shape and nnz only) under OpenMP
``prange``, each with a private dense accumulator, then add the blocks in
block order, in parallel over columns: the same bits for any thread count.
"""

import numpy as np

from cython cimport floating
from cython.parallel cimport prange
from libc.stdint cimport int32_t, int64_t

from . cimport _layout as layout


ctypedef fused index_t:
    int32_t
    int64_t


cdef void _reduce_blocks(const double[:, :, ::1] acc, double[:, ::1] out) noexcept nogil:
    """``out[t, j] = sum_b acc[b, t, j]`` in block order, parallel over ``j``."""
    cdef Py_ssize_t nb = acc.shape[0], k = acc.shape[1], p = acc.shape[2]
    cdef Py_ssize_t b, t, j
    cdef double s
    for j in prange(p, schedule="static"):
        for t in range(k):
            s = 0.0
            for b in range(nb):
                s = s + acc[b, t, j]
            out[t, j] = s


cdef void _row_block_sparse(const floating[::1] data, const index_t[::1] indices,
                            const index_t[::1] indptr, const double[:, ::1] y, bint use_y,
                            const double[::1] sw, const double[:, ::1] V, const double[::1] offset,
                            Py_ssize_t b, Py_ssize_t lo, Py_ssize_t hi, double[:, :, :, ::1] buf,
                            double[:, ::1] acc_r, double[:, ::1] acc_l) noexcept nogil:
    cdef Py_ssize_t i, t, e, j, start, stop
    cdef Py_ssize_t k = V.shape[0], p = V.shape[1]
    cdef double r, sr, s
    for t in range(k):
        for j in range(p):
            buf[b, t, j, 0] = V[t, j]
            buf[b, t, j, 1] = 0.0
    for i in range(lo, hi):
        s = sw[i]
        start = indptr[i]
        stop = indptr[i + 1]
        for t in range(k):
            r = offset[t]
            if use_y:
                r = r - y[i, t]
            for e in range(start, stop):
                r = r + data[e] * buf[b, t, indices[e], 0]
            sr = s * r
            acc_l[b, t] += sr * r
            acc_r[b, t] += sr
            for e in range(start, stop):
                buf[b, t, indices[e], 1] += sr * data[e]


def _row_pass_sparse(const floating[::1] data, const index_t[::1] indices, const index_t[::1] indptr,
                     const double[:, ::1] y, bint use_y, const double[::1] sw,
                     const double[:, ::1] V, const double[::1] offset):
    """``(sum s r x_i, sum s r, sum s r^2)`` with ``r = x_i.V[t] + offset[t] (- y[i, t])``.

    Each block keeps ``V[t, j]`` beside its accumulator for column ``j``
    (``buf[b, t, j] = (V[t, j], acc)``), so a stored value's gather and
    scatter touch one cache line (as the Numba kernel).
    """
    cdef Py_ssize_t n = indptr.shape[0] - 1
    cdef Py_ssize_t k = V.shape[0]
    cdef Py_ssize_t p = V.shape[1]
    cdef Py_ssize_t nb = layout.sparse_blocks(n, indptr[n] - indptr[0], k * (2 * p + 2))
    cdef Py_ssize_t step = (n + nb - 1) // nb
    cdef Py_ssize_t b, t, j
    cdef double acc_s
    buf_np = np.empty((nb, k, p, 2))
    acc_r_np = np.zeros((nb, k))
    acc_l_np = np.zeros((nb, k))
    G_np = np.empty((k, p))
    R_np = np.zeros(k)
    L_np = np.zeros(k)
    cdef double[:, :, :, ::1] buf = buf_np
    cdef double[:, ::1] acc_r = acc_r_np
    cdef double[:, ::1] acc_l = acc_l_np
    cdef double[:, ::1] G = G_np
    cdef double[::1] R = R_np
    cdef double[::1] L = L_np
    with nogil:
        for b in prange(nb, schedule="static"):
            _row_block_sparse(data, indices, indptr, y, use_y, sw, V, offset, b, b * step,
                              min(n, (b + 1) * step), buf, acc_r, acc_l)
        for j in prange(p, schedule="static"):  # blocks added in block order
            for t in range(k):
                acc_s = 0.0
                for b in range(nb):
                    acc_s = acc_s + buf[b, t, j, 1]
                G[t, j] = acc_s
        for b in range(nb):  # fixed order
            for t in range(k):
                R[t] += acc_r[b, t]
                L[t] += acc_l[b, t]
    return G_np, R_np, L_np


def gradient_sparse(data, indices, indptr, y, sw, coef, intercept, alpha, grad_coef, grad_intercept):
    """Fused objective and gradient in one pass over the stored values (see the reference)."""
    n = indptr.shape[0] - 1
    G, R, L = _row_pass_sparse(data, indices, indptr, y, True, sw, coef,
                               np.ascontiguousarray(intercept, dtype=np.float64))
    grad_coef[...] = (G + alpha[:, None] * coef) / n
    grad_intercept[...] = R / n
    return 0.5 * (L + alpha * np.einsum("tj,tj->t", coef, coef)) / n


def objective_sparse(data, indices, indptr, y, sw, coef, intercept, alpha):
    """Objective of every target: the fused gradient pass, gradient discarded."""
    k, p = coef.shape
    return gradient_sparse(data, indices, indptr, y, sw, coef, intercept, alpha,
                           np.empty((k, p)), np.empty(k))


def normal_product_sparse(data, indices, indptr, sw, x_mean, P, alpha, out):
    """``out[t] = (Xc^T S Xc + alpha_t I) P[t]`` in one pass, ``Xc`` never formed.

    With ``q_i = x_i.P[t] - xbar.P[t]``:
    ``Xc^T S Xc P[t] = sum_i s_i q_i x_i - xbar sum_i s_i q_i``.
    """
    k = P.shape[0]
    # einsum, not ``P @ x_mean``: a BLAS call leaves OpenBLAS threads spinning, which
    # halved the speed of the OpenMP pass that follows on 2 cores (35 ms against 18 ms)
    offset = -np.einsum("tj,j->t", P, x_mean)
    G, R, _ = _row_pass_sparse(data, indices, indptr, np.empty((0, k)), False, sw, P, offset)
    out[...] = G - np.outer(R, x_mean) + alpha[:, None] * P


def column_moments_sparse(const floating[::1] data, const index_t[::1] indices,
                          const index_t[::1] indptr, const double[:, ::1] y, const double[::1] sw,
                          const double[::1] x_shift, const double[::1] y_shift, double[::1] sums,
                          double[::1] sumsq, double[:, ::1] xty):
    """Shifted column moments and cross moments with y, the unstored zeros in closed form.

    See ``numba_sparse.column_moments_sparse`` (per column ``V_j``, ``U_tj``).
    """
    cdef Py_ssize_t n = indptr.shape[0] - 1
    cdef Py_ssize_t p = x_shift.shape[0]
    cdef Py_ssize_t k = y.shape[1]
    cdef Py_ssize_t m = 4 + 2 * k
    cdef Py_ssize_t nb = layout.sparse_blocks(n, indptr[n] - indptr[0], m * p + k + 1)
    cdef Py_ssize_t step = (n + nb - 1) // nb
    cdef Py_ssize_t b, i, e, j, t, q
    cdef double s, d, sd, se, W = 0.0, rest, c, s1, s2, sv, sx, su
    # per column one line (c_j, sum s d, sum s d^2, V_j, then (sum s e_t d, U_tj) per target)
    buf_np = np.empty((nb, p, m))
    accw_np = np.zeros(nb)
    acce_np = np.zeros((nb, k))
    E_np = np.zeros(k)
    cdef double[:, :, ::1] buf = buf_np
    cdef double[::1] accw = accw_np
    cdef double[:, ::1] acce = acce_np
    cdef double[::1] E = E_np
    with nogil:
        for b in prange(nb, schedule="static"):
            for j in range(p):
                buf[b, j, 0] = x_shift[j]
                for q in range(1, m):
                    buf[b, j, q] = 0.0
            for i in range(b * step, min(n, (b + 1) * step)):
                s = sw[i]
                accw[b] += s
                for t in range(k):
                    acce[b, t] += s * (y[i, t] - y_shift[t])
                for e in range(indptr[i], indptr[i + 1]):
                    j = indices[e]
                    d = data[e] - buf[b, j, 0]
                    sd = s * d
                    buf[b, j, 1] += sd
                    buf[b, j, 2] += sd * d
                    buf[b, j, 3] += s
                    for t in range(k):
                        se = s * (y[i, t] - y_shift[t])
                        buf[b, j, 4 + 2 * t] += se * d
                        buf[b, j, 5 + 2 * t] += se
        for b in range(nb):
            W = W + accw[b]
            for t in range(k):
                E[t] = E[t] + acce[b, t]
        for j in prange(p, schedule="static"):
            s1 = 0.0
            s2 = 0.0
            sv = 0.0
            for b in range(nb):
                s1 = s1 + buf[b, j, 1]
                s2 = s2 + buf[b, j, 2]
                sv = sv + buf[b, j, 3]
            rest = W - sv
            c = x_shift[j]
            sums[j] = s1 - c * rest
            sumsq[j] = s2 + c * c * rest
            for t in range(k):
                sx = 0.0
                su = 0.0
                for b in range(nb):
                    sx = sx + buf[b, j, 4 + 2 * t]
                    su = su + buf[b, j, 5 + 2 * t]
                xty[t, j] = sx - c * (E[t] - su)
    return W


def max_row_norm_sparse(const floating[::1] data, const index_t[::1] indices,
                        const index_t[::1] indptr, const double[::1] sw, const double[::1] x_mean,
                        const double[::1] q):
    """``max_i s_i sum_j q_j (x_ij - xbar_j)^2`` in one pass:
    ``sum_stored q ((x - m)^2 - m^2) + sum_j q_j m_j^2``."""
    cdef Py_ssize_t n = indptr.shape[0] - 1
    cdef Py_ssize_t p = x_mean.shape[0]
    cdef Py_ssize_t nb = layout.n_blocks(n, 1)
    cdef Py_ssize_t step = (n + nb - 1) // nb
    cdef Py_ssize_t b, i, e, j
    cdef double mm = 0.0, m, z, c, d
    best_np = np.zeros(nb)
    cdef double[::1] best = best_np
    with nogil:
        for j in range(p):
            mm = mm + q[j] * x_mean[j] * x_mean[j]
        for b in prange(nb, schedule="static"):
            m = 0.0
            for i in range(b * step, min(n, (b + 1) * step)):
                z = mm
                for e in range(indptr[i], indptr[i + 1]):
                    j = indices[e]
                    c = x_mean[j]
                    d = data[e] - c
                    z = z + q[j] * (d * d - c * c)
                z = max(z, 0.0) * sw[i]
                if z > m:
                    m = z
            best[b] = m
    return float(best_np.max())


cdef void _stats_range(const floating[::1] data, const index_t[::1] indices,
                       const index_t[::1] indptr, const double[:, ::1] y, const double[::1] sw,
                       const double[::1] y_shift, Py_ssize_t lo, Py_ssize_t hi,
                       double[:, ::1] gram, double[:, ::1] xty, double[::1] xsum) noexcept nogil:
    """The columns ``lo:hi`` of the uncentred statistics: every row scanned, in row order."""
    cdef Py_ssize_t n = indptr.shape[0] - 1
    cdef Py_ssize_t p = gram.shape[0]
    cdef Py_ssize_t k = y.shape[1]
    cdef Py_ssize_t i, e, f, j, t, l
    cdef double s, sx
    for j in range(lo, hi):
        xsum[j] = 0.0
        for l in range(p):
            gram[j, l] = 0.0
        for t in range(k):
            xty[j, t] = 0.0
    for i in range(n):
        s = sw[i]
        for e in range(indptr[i], indptr[i + 1]):
            j = indices[e]
            if j < lo or j >= hi:
                continue
            sx = s * data[e]
            xsum[j] += sx
            for t in range(k):
                xty[j, t] += sx * (y[i, t] - y_shift[t])
            for f in range(indptr[i], indptr[i + 1]):
                gram[j, indices[f]] += sx * data[f]


def raw_stats_sparse(const floating[::1] data, const index_t[::1] indices,
                      const index_t[::1] indptr, const double[:, ::1] y, const double[::1] sw,
                      const double[::1] y_shift, Py_ssize_t n_ranges, double[:, ::1] gram,
                      double[:, ::1] xty, double[::1] xsum):
    """Uncentred ``gram = X^T S X``, ``xty = X^T S (y - y_shift)``, ``xsum = X^T s``.

    Columns are split into ``n_ranges`` ranges, one task each, run in parallel;
    a task scans every row and handles the stored values in its columns, so
    every output entry is summed by one thread in row order (the same bits for
    any thread count).  Cost: ``sum_i nnz_i^2`` multiply-adds.
    """
    cdef Py_ssize_t p = gram.shape[0]
    cdef Py_ssize_t nt = max(1, min(n_ranges, p))
    cdef Py_ssize_t width = (p + nt - 1) // nt
    cdef Py_ssize_t c
    with nogil:
        for c in prange(nt, schedule="static"):
            _stats_range(data, indices, indptr, y, sw, y_shift, c * width, min(p, (c + 1) * width),
                         gram, xty, xsum)


cdef void _fold_block(const floating[::1] data, const index_t[::1] indices,
                      const index_t[::1] indptr, const unsigned char[:, ::1] train,
                      const double[::1] sw, const Py_ssize_t[::1] split, const double[:, ::1] P,
                      const double[::1] offset, Py_ssize_t b, Py_ssize_t lo, Py_ssize_t hi,
                      double[:, :, ::1] acc, double[:, ::1] acc_r, double[:, ::1] r) noexcept nogil:
    cdef Py_ssize_t i, c, e, j, start, stop
    cdef Py_ssize_t C = P.shape[1]
    cdef double x, s
    for i in range(lo, hi):
        start = indptr[i]
        stop = indptr[i + 1]
        for c in range(C):
            r[b, c] = offset[c]
        for e in range(start, stop):
            x = data[e]
            j = indices[e]
            for c in range(C):
                r[b, c] += x * P[j, c]
        s = sw[i]
        for c in range(C):
            r[b, c] *= s * train[i, split[c]]
            acc_r[b, c] += r[b, c]
        for e in range(start, stop):
            x = data[e]
            j = indices[e]
            for c in range(C):
                acc[b, j, c] += x * r[b, c]


def fold_product_sparse(const floating[::1] data, const index_t[::1] indices,
                        const index_t[::1] indptr, const unsigned char[:, ::1] train,
                        const double[::1] sw, column_split, const double[:, ::1] x_mean,
                        const double[:, ::1] P, double[:, ::1] out):
    """Centred training-set products of ``C`` systems in one pass (see the reference).

    ``P`` is ``(p, C)``: a stored value's ``C`` coefficients are one
    contiguous read and its ``C`` updates one contiguous write.  Fixed row
    blocks with private ``(p, C)`` accumulators, added in block order.
    """
    cdef Py_ssize_t n = indptr.shape[0] - 1
    cdef Py_ssize_t p = P.shape[0], C = P.shape[1]
    cdef Py_ssize_t nb = layout.sparse_blocks(n, indptr[n] - indptr[0], C * (p + 1))
    cdef Py_ssize_t step = (n + nb - 1) // nb
    cdef Py_ssize_t b, c, j
    cdef const Py_ssize_t[::1] split = np.ascontiguousarray(column_split, dtype=np.intp)
    cdef double[::1] offset = -np.einsum("pc,pc->c", x_mean, P)
    acc_np = np.zeros((nb, p, C))
    cdef double[:, :, ::1] acc = acc_np
    cdef double[:, ::1] acc_r = np.zeros((nb, C))
    cdef double[:, ::1] r = np.empty((nb, C))
    cdef double[:, ::1] G = np.empty((1, p * C))
    cdef double[::1] R = np.zeros(C)
    cdef const double[:, :, ::1] flat = acc_np.reshape(nb, 1, p * C)
    with nogil:
        for b in prange(nb, schedule="static"):
            _fold_block(data, indices, indptr, train, sw, split, P, offset, b, b * step,
                        min(n, (b + 1) * step), acc, acc_r, r)
        _reduce_blocks(flat, G)
    for b in range(nb):  # fixed order
        for c in range(C):
            R[c] += acc_r[b, c]
    for j in range(p):
        for c in range(C):
            out[j, c] = G[0, j * C + c] - x_mean[j, c] * R[c]
