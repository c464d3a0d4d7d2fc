# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Cython twins of the Numba row-streaming kernels (optional backend ``cython``).

Same names, arguments and meaning as :mod:`ridgejit.kernels.reference`.  float32 and float64 X from one
source (the ``floating`` fused type); accumulation in double.  Row-streaming
passes use OpenMP ``prange`` over the same fixed row blocks as the Numba
kernels (a function of the shape only) with per-block accumulators added in
block order, so results do not depend on the thread count.
"""

import numpy as np

cimport cython
from cython cimport floating
from cython.parallel cimport prange

from . cimport _layout as layout


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
    cdef Py_ssize_t nb = layout.n_blocks(n, k * (p + 2))
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
    # einsum, not ``P @ x_mean``: a BLAS call leaves OpenBLAS threads spinning while the
    # OpenMP pass that follows runs (see the sparse twin)
    G, R, _ = _row_pass(X, np.empty((0, k)), False, sw, P, -np.einsum("tj,j->t", P, x_mean))
    out[...] = G - np.outer(R, x_mean) + alpha[:, None] * P


def column_moments(const floating[:, ::1] X, const double[:, ::1] y, const double[::1] sw,
                   const double[::1] x_shift, const double[::1] y_shift, double[::1] sums,
                   double[::1] sumsq, double[:, ::1] xty):
    """Shifted column moments and cross moments with y in one pass (see the reference)."""
    cdef Py_ssize_t n = X.shape[0]
    cdef Py_ssize_t p = X.shape[1]
    cdef Py_ssize_t k = y.shape[1]
    cdef Py_ssize_t nb = layout.n_blocks(n, (k + 2) * p + 1)
    cdef Py_ssize_t step = (n + nb - 1) // nb
    cdef Py_ssize_t b, i, j, t
    cdef double s, d, se
    a1_np = np.zeros((nb, p))
    a2_np = np.zeros((nb, p))
    ay_np = np.zeros((nb, k, p))
    aw_np = np.zeros(nb)
    cdef double[:, ::1] a1 = a1_np
    cdef double[:, ::1] a2 = a2_np
    cdef double[:, :, ::1] ay = ay_np
    cdef double[::1] aw = aw_np
    with nogil:
        for b in prange(nb, schedule="static"):
            for i in range(b * step, min(n, (b + 1) * step)):
                s = sw[i]
                aw[b] += s
                for j in range(p):
                    d = X[i, j] - x_shift[j]
                    a1[b, j] += s * d
                    a2[b, j] += s * d * d
                for t in range(k):
                    se = s * (y[i, t] - y_shift[t])
                    for j in range(p):
                        ay[b, t, j] += se * (X[i, j] - x_shift[j])
    u = np.zeros(p)
    v = np.zeros(p)
    q = np.zeros((k, p))
    W = 0.0
    for b in range(nb):
        u += a1_np[b]
        v += a2_np[b]
        q += ay_np[b]
        W += aw_np[b]
    np.asarray(sums)[...] = u
    np.asarray(sumsq)[...] = v
    np.asarray(xty)[...] = q
    return W


def max_row_norm(const floating[:, ::1] X, const double[::1] sw, const double[::1] x_mean,
                 const double[::1] q):
    """``max_i s_i sum_j q_j (x_ij - xbar_j)^2`` in one parallel pass."""
    cdef Py_ssize_t n = X.shape[0]
    cdef Py_ssize_t p = X.shape[1]
    cdef Py_ssize_t nb = layout.n_blocks(n, 1)
    cdef Py_ssize_t step = (n + nb - 1) // nb
    cdef Py_ssize_t b, i, j
    cdef double z, d
    best_np = np.zeros(nb)
    cdef double[::1] best = best_np
    with nogil:
        for b in prange(nb, schedule="static"):
            for i in range(b * step, min(n, (b + 1) * step)):
                z = 0.0
                for j in range(p):
                    d = X[i, j] - x_mean[j]
                    z = z + q[j] * d * d
                z = z * sw[i]
                if z > best[b]:
                    best[b] = z
    return float(best_np.max())


# -- the shared rules, callable from Python (tests/test_layout.py compares them with Numba's) --
def block_rule(Py_ssize_t n, Py_ssize_t width):
    """``n_blocks`` of ``_layout.pxd`` (what every dense pass here uses)."""
    return layout.n_blocks(n, width)


def sparse_block_rule(Py_ssize_t n, Py_ssize_t nnz, Py_ssize_t width):
    """``sparse_blocks`` of ``_layout.pxd`` (what the CSR passes use)."""
    return layout.sparse_blocks(n, nnz, width)


def layout_constants():
    """Every constant of ``_layout.pxd`` as compiled: ``{name: value}``."""
    return {
        "BLOCK_MIN_ROWS": layout.BLOCK_MIN_ROWS,
        "MAX_BLOCKS": layout.MAX_BLOCKS,
        "MAX_BLOCK_DOUBLES": layout.MAX_BLOCK_DOUBLES,
        "SPARSE_VALUES_PER_SLOT": layout.SPARSE_VALUES_PER_SLOT,
        "BATCH_MAX_BLOCKS": layout.BATCH_MAX_BLOCKS,
        "BATCH_MIN_ROWS": layout.BATCH_MIN_ROWS,
        "PREFETCH_AHEAD": layout.PREFETCH_AHEAD,
        "PREFETCH_LINES": layout.PREFETCH_LINES,
        "CACHE_LINE_BYTES": layout.CACHE_LINE_BYTES,
        "T": layout.T,
        "WDIV": layout.WDIV,
        "ADIV": layout.ADIV,
        "WFRAC": layout.WFRAC,
        "B": layout.B,
        "BAVG": layout.BAVG,
        "STATE_SIZE": layout.STATE_SIZE,
        "ETA0": layout.ETA0,
        "POWER_T": layout.POWER_T,
        "LAM": layout.LAM,
        "T0": layout.T0,
        "AVG_START": layout.AVG_START,
        "FIT_B": layout.FIT_B,
        "HYPER_SIZE": layout.HYPER_SIZE,
        "CONSTANT": layout.CONSTANT,
        "INVSCALING": layout.INVSCALING,
        "OPTIMAL": layout.OPTIMAL,
        "SAGA_B": layout.SAGA_B,
        "SAGA_GB": layout.SAGA_GB,
        "SAGA_STATE_SIZE": layout.SAGA_STATE_SIZE,
        "SAGA_STEP": layout.SAGA_STEP,
        "SAGA_LAM": layout.SAGA_LAM,
        "SAGA_FIT_B": layout.SAGA_FIT_B,
        "SAGA_UNBIASED": layout.SAGA_UNBIASED,
        "SAGA_HYPER_SIZE": layout.SAGA_HYPER_SIZE,
        "SVRG_B": layout.SVRG_B,
        "SVRG_B_SNAP": layout.SVRG_B_SNAP,
        "SVRG_GB": layout.SVRG_GB,
        "SVRG_STATE_SIZE": layout.SVRG_STATE_SIZE,
        "SVRG_STEP": layout.SVRG_STEP,
        "SVRG_LAM": layout.SVRG_LAM,
        "SVRG_FIT_B": layout.SVRG_FIT_B,
        "SVRG_HYPER_SIZE": layout.SVRG_HYPER_SIZE,
        "MB_T": layout.MB_T,
        "MB_STATE_SIZE": layout.MB_STATE_SIZE,
        "MB_ETA": layout.MB_ETA,
        "MB_FIT_B": layout.MB_FIT_B,
        "MB_BATCH": layout.MB_BATCH,
        "MB_AVG_START": layout.MB_AVG_START,
        "MB_HYPER_SIZE": layout.MB_HYPER_SIZE,
        "PS_T": layout.PS_T,
        "PS_B": layout.PS_B,
        "PS_BAVG": layout.PS_BAVG,
        "PS_PENDING": layout.PS_PENDING,
        "PS_NAVG": layout.PS_NAVG,
        "PS_STATE_SIZE": layout.PS_STATE_SIZE,
        "PS_ETA": layout.PS_ETA,
        "PS_AVG_START": layout.PS_AVG_START,
        "PS_FIT_B": layout.PS_FIT_B,
        "PS_STRETCH": layout.PS_STRETCH,
        "PS_HYPER_SIZE": layout.PS_HYPER_SIZE,
    }
