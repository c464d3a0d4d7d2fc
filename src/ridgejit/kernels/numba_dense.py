"""Numba kernels for dense X (the default backend).

Every kernel has the signature and meaning of its twin in
:mod:`ridgejit.kernels.reference`.  The row-streaming kernels split the rows
into a fixed number of blocks (:func:`n_blocks`, a function of the shape
only), give each block a private float64 accumulator, run the blocks with
``prange`` and then add the block results serially in block order.  The
result is therefore the same bits whatever the thread count or scheduling.
X is read exactly once per call; float32 X is widened element by element,
never copied.  Compile options come from :mod:`ridgejit._config`.
"""

import numpy as np
from numba import njit, prange

from .._config import JIT, PARALLEL
from .blas_stats import dual_gram, sufficient_stats  # noqa: F401  (BLAS syrk is faster)


@njit(**JIT)
def n_blocks(n_rows, width):
    """Number of row blocks for an ``n_rows`` pass with ``width`` accumulators per block.

    At least 256 rows per block, at most 64 blocks (enough for 64 threads), and
    at most ``2**23`` accumulator doubles in all (64 MiB).
    """
    nb = min(64, max(1, n_rows // 256))
    cap = max(1, (1 << 23) // max(1, width))
    return min(nb, cap)


@njit(**PARALLEL)
def gradient(X, y, sw, coef, intercept, alpha, grad_coef, grad_intercept):
    """Fused objective and gradient in one pass over X (see the reference)."""
    n, p = X.shape
    k = coef.shape[0]
    nb = n_blocks(n, k * (p + 2))
    step = (n + nb - 1) // nb
    acc = np.zeros((nb, k, p))
    acc_r = np.zeros((nb, k))
    acc_l = np.zeros((nb, k))
    for b in prange(nb):
        lo = b * step
        hi = min(n, lo + step)
        for i in range(lo, hi):
            s = sw[i]
            x = X[i]
            for t in range(k):
                w = coef[t]
                r = intercept[t] - y[i, t]
                for j in range(p):
                    r += x[j] * w[j]
                sr = s * r
                acc_l[b, t] += sr * r
                acc_r[b, t] += sr
                a = acc[b, t]
                for j in range(p):
                    a[j] += sr * x[j]
    inv_n = 1.0 / n
    J = np.zeros(k)
    for t in range(k):
        loss = 0.0
        rsum = 0.0
        for b in range(nb):
            loss += acc_l[b, t]
            rsum += acc_r[b, t]
        pen = 0.0
        for j in range(p):
            g = 0.0
            for b in range(nb):
                g += acc[b, t, j]
            grad_coef[t, j] = (g + alpha[t] * coef[t, j]) * inv_n
            pen += coef[t, j] * coef[t, j]
        grad_intercept[t] = rsum * inv_n
        J[t] = 0.5 * (loss + alpha[t] * pen) * inv_n
    return J


@njit(**PARALLEL)
def objective(X, y, sw, coef, intercept, alpha):
    """Objective of every target in one pass over X (see the reference)."""
    n, p = X.shape
    k = coef.shape[0]
    nb = n_blocks(n, k)
    step = (n + nb - 1) // nb
    acc_l = np.zeros((nb, k))
    for b in prange(nb):
        lo = b * step
        hi = min(n, lo + step)
        for i in range(lo, hi):
            x = X[i]
            for t in range(k):
                w = coef[t]
                r = intercept[t] - y[i, t]
                for j in range(p):
                    r += x[j] * w[j]
                acc_l[b, t] += sw[i] * r * r
    J = np.zeros(k)
    for t in range(k):
        loss = 0.0
        for b in range(nb):
            loss += acc_l[b, t]
        pen = 0.0
        for j in range(p):
            pen += coef[t, j] * coef[t, j]
        J[t] = 0.5 * (loss + alpha[t] * pen) / n
    return J


@njit(**PARALLEL)
def normal_product(X, sw, x_mean, P, alpha, out):
    """``out[t] = (Xc^T S Xc + alpha_t I) P[t]`` in one pass over X (see the reference)."""
    n, p = X.shape
    k = P.shape[0]
    nb = n_blocks(n, k * (p + 1))
    step = (n + nb - 1) // nb
    c = np.zeros(k)
    for t in range(k):
        for j in range(p):
            c[t] += x_mean[j] * P[t, j]
    acc = np.zeros((nb, k, p))
    acc_q = np.zeros((nb, k))
    for b in prange(nb):
        lo = b * step
        hi = min(n, lo + step)
        for i in range(lo, hi):
            s = sw[i]
            x = X[i]
            for t in range(k):
                v = P[t]
                q = -c[t]
                for j in range(p):
                    q += x[j] * v[j]
                sq = s * q
                acc_q[b, t] += sq
                a = acc[b, t]
                for j in range(p):
                    a[j] += sq * x[j]
    for t in range(k):
        qsum = 0.0
        for b in range(nb):
            qsum += acc_q[b, t]
        for j in range(p):
            g = 0.0
            for b in range(nb):
                g += acc[b, t, j]
            out[t, j] = g - x_mean[j] * qsum + alpha[t] * P[t, j]


@njit(**PARALLEL)
def column_moments(X, sw, shift, sums, sumsq):
    """Shifted weighted column sums and sums of squares in one pass (see the reference)."""
    n, p = X.shape
    nb = n_blocks(n, 2 * p + 1)
    step = (n + nb - 1) // nb
    acc1 = np.zeros((nb, p))
    acc2 = np.zeros((nb, p))
    accw = np.zeros(nb)
    for b in prange(nb):
        lo = b * step
        hi = min(n, lo + step)
        a1 = acc1[b]
        a2 = acc2[b]
        for i in range(lo, hi):
            s = sw[i]
            x = X[i]
            accw[b] += s
            for j in range(p):
                d = x[j] - shift[j]
                sd = s * d
                a1[j] += sd
                a2[j] += sd * d
    W = 0.0
    for b in range(nb):
        W += accw[b]
    for j in range(p):
        u = 0.0
        v = 0.0
        for b in range(nb):
            u += acc1[b, j]
            v += acc2[b, j]
        sums[j] = u
        sumsq[j] = v
    return W

