"""Numba kernels for CSR X: the ``*_sparse`` twins of :mod:`ridgejit.kernels.numba_dense`.

Every kernel takes the CSR arrays ``data, indices, indptr`` (``data``
float32 or float64; ``indices``/``indptr`` int32 or int64; canonical: no
duplicate column in a row) in place of ``X`` and then exactly the arguments of
its dense twin, with the same meaning (see :mod:`ridgejit.kernels.reference`
and :mod:`ridgejit.kernels.reference_sparse`).  The number of columns is the
length of the ``p``-vectors they receive.

Centring is implicit, as for dense X: a centred row ``x_i - xbar`` is never
formed, so a pass costs O(nnz), never O(n p).  The row-streaming kernels run
fixed row blocks (:func:`sparse_blocks`, a function of the shape and nnz only)
in parallel, each with a private dense accumulator, then add the blocks in
block order, in parallel over columns: the same bits for any thread count.

Positions and column indices are cast to ``np.uintp`` before indexing: with
signed integers Numba checks every index for wraparound, which halved the
speed of the gather and scatter loops (measured: a CSR ``X @ v`` on 1e7
stored values, 21 ms with int32 indices as given, 11.5 ms cast, the same as
SciPy's C loop).
"""

import numpy as np
from numba import njit, prange

from .._config import JIT, PARALLEL
from . import layout as L
from .numba_dense import finish_gradient, n_blocks, reduce_blocks
from .sparse_stats import dual_gram_sparse, shifted_stats  # noqa: F401


@njit(**JIT)
def sparse_blocks(n_rows, nnz, width):
    """Row blocks of a sparse pass with ``width`` accumulators per block.

    As :func:`n_blocks`, and also at most one block per
    ``SPARSE_VALUES_PER_SLOT * width`` stored values, so that zeroing and reducing
    the dense per-block accumulators stays a small fraction of the pass (a
    function of the shape only).
    """
    return max(1, min(n_blocks(n_rows, width), nnz // (L.SPARSE_VALUES_PER_SLOT * max(1, width))))


@njit(**PARALLEL)
def _row_pass_sparse(data, indices, indptr, y, use_y, sw, V, offset):
    """Sparse twin of ``numba_dense._row_pass``: ``(sum s r x_i, sum s r, sum s r^2)``.

    ``r = x_i.V[t] + offset[t] - y[i, t]`` (the ``y`` term when ``use_y``); one
    read of the stored values per row for the dot product and one for the
    scatter into the block's accumulator.

    Each block keeps ``V[t, j]`` and its accumulator for column ``j`` side by
    side (``buf[b, t, j] = (V[t, j], acc)``): the gather and the scatter of a
    stored value touch one cache line, not two.  On 200,000 x 50,000 with 1e7
    stored values (2 threads) the pass fell from 19.3 ms to 12.9 ms.
    """
    n = indptr.shape[0] - 1
    k, p = V.shape
    nb = sparse_blocks(n, indptr[n] - indptr[0], k * (2 * p + 2))
    step = (n + nb - 1) // nb
    buf = np.empty((nb, k, p, 2))
    acc_r = np.zeros((nb, k))
    acc_l = np.zeros((nb, k))
    for b in prange(nb):
        vb = buf[b]
        for t in range(k):
            for j in range(p):
                vb[t, j, 0] = V[t, j]
                vb[t, j, 1] = 0.0
        for i in range(b * step, min(n, (b + 1) * step)):
            s = sw[i]
            lo = np.uintp(indptr[i])
            hi = np.uintp(indptr[i + 1])
            for t in range(k):  # 2-D indexing: a view per row would cost refcounting
                r = offset[t] - y[i, t] if use_y else offset[t]
                for a in range(lo, hi):
                    r += data[a] * vb[t, np.uintp(indices[a]), 0]
                sr = s * r
                acc_l[b, t] += sr * r
                acc_r[b, t] += sr
                for a in range(lo, hi):
                    vb[t, np.uintp(indices[a]), 1] += sr * data[a]
    G = np.empty((k, p))
    _reduce_paired(buf, G)
    R = np.zeros(k)
    L = np.zeros(k)
    for b in range(nb):
        for t in range(k):
            R[t] += acc_r[b, t]
            L[t] += acc_l[b, t]
    return G, R, L


@njit(**PARALLEL)
def _reduce_paired(buf, out):
    """``out[t, j] = sum_b buf[b, t, j, 1]`` in block order, parallel over ``j``."""
    nb, k, p, _ = buf.shape
    for j in prange(p):
        for t in range(k):
            s = 0.0
            for b in range(nb):
                s += buf[b, t, j, 1]
            out[t, j] = s


@njit(**JIT)
def gradient_sparse(data, indices, indptr, y, sw, coef, intercept, alpha, grad_coef, grad_intercept):
    """Fused objective and gradient in one pass over the stored values (see the reference)."""
    G, R, L = _row_pass_sparse(data, indices, indptr, y, True, sw, coef, intercept)
    return finish_gradient(G, R, L, coef, alpha, indptr.shape[0] - 1, grad_coef, grad_intercept)


def objective_sparse(data, indices, indptr, y, sw, coef, intercept, alpha):
    """Objective of every target: the fused gradient pass, gradient discarded."""
    k, p = coef.shape
    return gradient_sparse(data, indices, indptr, y, sw, coef, intercept, alpha,
                           np.empty((k, p)), np.empty(k))


@njit(**JIT)
def normal_product_sparse(data, indices, indptr, sw, x_mean, P, alpha, out):
    """``out[t] = (Xc^T S Xc + alpha_t I) P[t]`` in one pass, ``Xc`` never formed.

    With ``q_i = x_i.P[t] - xbar.P[t]``:
    ``Xc^T S Xc P[t] = sum_i s_i q_i x_i - xbar sum_i s_i q_i``.
    """
    k, p = P.shape
    offset = np.zeros(k)
    for t in range(k):
        for j in range(p):
            offset[t] -= x_mean[j] * P[t, j]
    G, R, _ = _row_pass_sparse(data, indices, indptr, np.empty((0, k)), False, sw, P, offset)
    for t in range(k):
        for j in range(p):
            out[t, j] = G[t, j] - x_mean[j] * R[t] + alpha[t] * P[t, j]


@njit(**PARALLEL)
def column_moments_sparse(data, indices, indptr, y, sw, x_shift, y_shift, sums, sumsq, xty):
    """Shifted column moments and cross moments with y (see the reference), exact for the zeros.

    Per column ``j`` with ``V_j = sum_{i: x_ij stored} s_i`` and, per target,
    ``U_tj = sum_{i: x_ij stored} s_i e_it`` (``e = y - y_shift``, ``E_t`` its
    weighted sum over all rows): ``sums_j = sum_stored s (x - c_j) - c_j (W - V_j)``,
    ``sumsq_j = sum_stored s (x - c_j)^2 + c_j^2 (W - V_j)`` and
    ``xty_tj = sum_stored s e_t (x - c_j) - c_j (E_t - U_tj)``: the unstored zeros
    enter in closed form, and no term cancels when ``c`` is near the mean.
    """
    n = indptr.shape[0] - 1
    p = x_shift.shape[0]
    k = y.shape[1]
    m = 4 + 2 * k
    nb = sparse_blocks(n, indptr[n] - indptr[0], m * p + k + 1)
    step = (n + nb - 1) // nb
    # per column one line (c_j, sum s d, sum s d^2, V_j, then (sum s e_t d, U_tj) per target):
    # the accumulators of a stored value share one or two cache lines
    buf = np.empty((nb, p, m))
    accw = np.zeros(nb)
    acce = np.zeros((nb, k))
    for b in prange(nb):
        bb = buf[b]
        ae = acce[b]
        for j in range(p):
            bb[j, 0] = x_shift[j]
            for q in range(1, m):
                bb[j, q] = 0.0
        for i in range(b * step, min(n, (b + 1) * step)):
            s = sw[i]
            accw[b] += s
            for t in range(k):
                ae[t] += s * (y[i, t] - y_shift[t])
            for a in range(np.uintp(indptr[i]), np.uintp(indptr[i + 1])):
                j = np.uintp(indices[a])
                d = data[a] - bb[j, 0]
                sd = s * d
                bb[j, 1] += sd
                bb[j, 2] += sd * d
                bb[j, 3] += s
                for t in range(k):
                    se = s * (y[i, t] - y_shift[t])
                    bb[j, 4 + 2 * t] += se * d
                    bb[j, 5 + 2 * t] += se
    W = 0.0
    E = np.zeros(k)
    for b in range(nb):
        W += accw[b]
        for t in range(k):
            E[t] += acce[b, t]
    for j in prange(p):
        s1 = 0.0
        s2 = 0.0
        sv = 0.0
        for b in range(nb):
            s1 += buf[b, j, 1]
            s2 += buf[b, j, 2]
            sv += buf[b, j, 3]
        rest = W - sv
        c = x_shift[j]
        sums[j] = s1 - c * rest
        sumsq[j] = s2 + c * c * rest
        for t in range(k):
            sx = 0.0
            su = 0.0
            for b in range(nb):
                sx += buf[b, j, 4 + 2 * t]
                su += buf[b, j, 5 + 2 * t]
            xty[t, j] = sx - c * (E[t] - su)
    return W


@njit(**PARALLEL)
def max_row_norm_sparse(data, indices, indptr, sw, x_mean, q):
    """``max_i s_i sum_j q_j (x_ij - xbar_j)^2`` in one pass:
    ``sum_stored q ((x - m)^2 - m^2) + sum_j q_j m_j^2``."""
    n = indptr.shape[0] - 1
    p = x_mean.shape[0]
    mm = 0.0
    for j in range(p):
        mm += q[j] * x_mean[j] * x_mean[j]
    nb = n_blocks(n, 1)
    step = (n + nb - 1) // nb
    best = np.zeros(nb)
    for b in prange(nb):
        m = 0.0
        for i in range(b * step, min(n, (b + 1) * step)):
            z = mm
            for a in range(np.uintp(indptr[i]), np.uintp(indptr[i + 1])):
                j = np.uintp(indices[a])
                c = x_mean[j]
                d = data[a] - c
                z += q[j] * (d * d - c * c)
            z = max(z, 0.0) * sw[i]
            if z > m:
                m = z
        best[b] = m
    return best.max()


@njit(**PARALLEL)
def raw_stats_sparse(data, indices, indptr, y, sw, y_shift, n_ranges, gram, xty, xsum):
    """Uncentred ``gram = X^T S X``, ``xty = X^T S (y - y_shift)``, ``xsum = X^T s``.

    Columns are split into ``n_ranges`` ranges (one per thread); each range's task scans every row
    and handles the stored values whose column is in its range, so every output
    entry is summed by one thread in row order (the same bits for any thread
    count).  Cost: ``sum_i nnz_i^2`` multiply-adds.
    """
    n = indptr.shape[0] - 1
    p = gram.shape[0]
    k = y.shape[1]
    nt = max(1, min(n_ranges, p))
    width = (p + nt - 1) // nt
    for c in prange(nt):
        lo = np.uintp(c * width)  # unsigned, like the column indices below
        hi = np.uintp(min(p, c * width + width))
        for j in range(lo, hi):
            xsum[j] = 0.0
            for l in range(p):
                gram[j, l] = 0.0
            for t in range(k):
                xty[j, t] = 0.0
        for i in range(n):
            s = sw[i]
            for a in range(np.uintp(indptr[i]), np.uintp(indptr[i + 1])):
                j = np.uintp(indices[a])
                if j < lo or j >= hi:
                    continue
                sx = s * data[a]
                xsum[j] += sx
                for t in range(k):
                    xty[j, t] += sx * (y[i, t] - y_shift[t])
                for e in range(np.uintp(indptr[i]), np.uintp(indptr[i + 1])):
                    gram[j, np.uintp(indices[e])] += sx * data[e]


def sufficient_stats_sparse(data, indices, indptr, y, sw, x_shift, y_shift, gram, xty, xsum, ysum, yty):
    """Sufficient statistics around ``x_shift`` (see :func:`ridgejit.kernels.sparse_stats.shifted_stats`)."""
    return shifted_stats(raw_stats_sparse, data, indices, indptr, y, sw, x_shift, y_shift,
                         gram, xty, xsum, ysum, yty)


#: Sparse statistics are accumulated in float64 anyway: the exact kernel serves.
sufficient_stats_lowp_sparse = sufficient_stats_sparse


@njit(**PARALLEL)
def fold_product_sparse(data, indices, indptr, train, sw, column_split, x_mean, P, out):
    """Centred training-set products of ``C`` systems in one pass (see the reference).

    ``out[:, c] = sum_i s_i train[i, split_c] q_ic (x_i - xbar_c)`` with
    ``q_ic = x_i.P[:, c] - xbar_c.P[:, c]``.  ``P`` is ``(p, C)`` so that a
    stored value's ``C`` coefficients are one contiguous read (the gather) and
    its ``C`` updates one contiguous write (the scatter): one pass over the
    stored values serves every fold and target.  Fixed row blocks with
    private ``(p, C)`` accumulators, added in block order: the same bits for
    any thread count.
    """
    n = indptr.shape[0] - 1
    p, C = P.shape
    offset = np.zeros(C)
    for j in range(p):
        for c in range(C):
            offset[c] -= x_mean[j, c] * P[j, c]
    nb = sparse_blocks(n, indptr[n] - indptr[0], C * (p + 1))
    step = (n + nb - 1) // nb
    acc = np.zeros((nb, 1, p * C))
    acc_r = np.zeros((nb, C))
    for b in prange(nb):
        g = acc[b, 0]
        for i in range(b * step, min(n, (b + 1) * step)):
            lo = np.uintp(indptr[i])
            hi = np.uintp(indptr[i + 1])
            s = sw[i]
            for c in range(C):  # c outer, a scalar accumulator: the row's P and g lines stay in L1
                m = train[i, column_split[c]]
                if m == 0:
                    continue
                r = offset[c]
                for a in range(lo, hi):
                    r += data[a] * P[np.uintp(indices[a]), c]
                r *= s * m
                acc_r[b, c] += r
                for a in range(lo, hi):
                    g[np.uintp(indices[a]) * np.uintp(C) + np.uintp(c)] += data[a] * r
    flat = np.empty((1, p * C))
    reduce_blocks(acc, flat)
    R = np.zeros(C)
    for b in range(nb):
        for c in range(C):
            R[c] += acc_r[b, c]
    for j in range(p):
        for c in range(C):
            out[j, c] = flat[0, j * C + c] - x_mean[j, c] * R[c]
