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

from functools import partial

import numpy as np
from numba import get_num_threads, njit, prange, set_num_threads

from .._config import JIT, PARALLEL
from . import layout as L
from . import blas_stats
from .blas_stats import dual_gram  # noqa: F401  (BLAS syrk is faster)


@njit(**JIT)
def n_blocks(n_rows, width):
    """Number of row blocks for an ``n_rows`` pass with ``width`` accumulators per block.

    At least ``BLOCK_MIN_ROWS`` rows per block, at most ``MAX_BLOCKS`` blocks and
    ``MAX_BLOCK_DOUBLES`` accumulator doubles in all (:mod:`.layout`; the Cython
    kernels use the same rule from ``_layout.pxd``).
    """
    nb = min(L.MAX_BLOCKS, max(1, n_rows // L.BLOCK_MIN_ROWS))
    cap = max(1, L.MAX_BLOCK_DOUBLES // max(1, width))
    return min(nb, cap)


@njit(**PARALLEL)
def _row_pass(X, y, use_y, sw, V, offset):
    """The one row-streaming pass behind ``gradient`` and ``normal_product``.

    For every row ``i`` and target ``t``, ``r = x_i.V[t] + offset[t] - y[i, t]``
    (the ``y`` term only when ``use_y``).  Returns
    ``(sum_i s_i r x_i, sum_i s_i r, sum_i s_i r^2)`` of shapes ``(k, p)``,
    ``(k,)``, ``(k,)``: fixed row blocks in parallel, each with a private
    accumulator, then a serial sum in block order (same bits for any thread
    count).  X is read once.
    """
    n, p = X.shape
    k = V.shape[0]
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
                v = V[t]
                r = offset[t] - y[i, t] if use_y else offset[t]
                for j in range(p):
                    r += x[j] * v[j]
                sr = s * r
                acc_l[b, t] += sr * r
                acc_r[b, t] += sr
                a = acc[b, t]
                for j in range(p):
                    a[j] += sr * x[j]
    G = np.zeros((k, p))
    R = np.zeros(k)
    L = np.zeros(k)
    for b in range(nb):
        for t in range(k):
            R[t] += acc_r[b, t]
            L[t] += acc_l[b, t]
            for j in range(p):
                G[t, j] += acc[b, t, j]
    return G, R, L


@njit(**JIT)
def gradient(X, y, sw, coef, intercept, alpha, grad_coef, grad_intercept):
    """Fused objective and gradient in one pass over X (see the reference)."""
    G, R, L = _row_pass(X, y, True, sw, coef, intercept)
    return finish_gradient(G, R, L, coef, alpha, X.shape[0], grad_coef, grad_intercept)


@njit(**JIT)
def finish_gradient(G, R, L, coef, alpha, n, grad_coef, grad_intercept):
    """Gradient and objective from a row pass's sums (dense and CSR twins share it):
    ``grad = (G + alpha w) / n``, ``grad_b = R / n``, ``J = (L + alpha ||w||^2) / (2n)``."""
    k, p = coef.shape
    J = np.zeros(k)
    for t in range(k):
        pen = 0.0
        for j in range(p):
            grad_coef[t, j] = (G[t, j] + alpha[t] * coef[t, j]) / n
            pen += coef[t, j] * coef[t, j]
        grad_intercept[t] = R[t] / n
        J[t] = 0.5 * (L[t] + alpha[t] * pen) / n
    return J


def objective(X, y, sw, coef, intercept, alpha):
    """Objective of every target: the fused gradient pass, gradient discarded.

    The pass is memory bound (measured: the gradient pass takes the time of
    one ``X @ v``), so a separate objective-only loop would save nothing.
    """
    k, p = coef.shape
    return gradient(X, y, sw, coef, intercept, alpha, np.empty((k, p)), np.empty(k))


@njit(**JIT)
def normal_product(X, sw, x_mean, P, alpha, out):
    """``out[t] = (Xc^T S Xc + alpha_t I) P[t]`` in one pass over X (see the reference).

    With ``q_i = (x_i - xbar).P[t]``: ``Xc^T S Xc P[t] = sum_i s_i q_i x_i - xbar sum_i s_i q_i``.
    """
    k, p = P.shape
    offset = np.zeros(k)
    for t in range(k):
        for j in range(p):
            offset[t] -= x_mean[j] * P[t, j]
    G, R, _ = _row_pass(X, np.empty((0, k)), False, sw, P, offset)
    for t in range(k):
        for j in range(p):
            out[t, j] = G[t, j] - x_mean[j] * R[t] + alpha[t] * P[t, j]


@njit(**PARALLEL)
def column_moments(X, y, sw, x_shift, y_shift, sums, sumsq, xty):
    """Shifted column moments and cross moments with y in one pass (see the reference)."""
    n, p = X.shape
    k = y.shape[1]
    nb = n_blocks(n, (k + 2) * p + 1)
    step = (n + nb - 1) // nb
    acc1 = np.zeros((nb, p))
    acc2 = np.zeros((nb, p))
    accy = np.zeros((nb, k, p))
    accw = np.zeros(nb)
    for b in prange(nb):
        lo = b * step
        hi = min(n, lo + step)
        a1 = acc1[b]
        a2 = acc2[b]
        ay = accy[b]
        for i in range(lo, hi):
            s = sw[i]
            x = X[i]
            accw[b] += s
            for j in range(p):
                d = x[j] - x_shift[j]
                sd = s * d
                a1[j] += sd
                a2[j] += sd * d
            for t in range(k):
                se = s * (y[i, t] - y_shift[t])
                at = ay[t]
                for j in range(p):
                    at[j] += se * (x[j] - x_shift[j])
    W = 0.0
    for b in range(nb):
        W += accw[b]
    reduce_blocks(acc1.reshape((nb, 1, p)), sums.reshape((1, p)))
    reduce_blocks(acc2.reshape((nb, 1, p)), sumsq.reshape((1, p)))
    reduce_blocks(accy, xty)
    return W


@njit(**PARALLEL)
def reduce_blocks(acc, out):
    """``out[t, j] = sum_b acc[b, t, j]`` in block order (the same bits for any thread
    count), parallel over ``j``; dense and CSR kernels share it."""
    nb, k, p = acc.shape
    for j in prange(p):
        for t in range(k):
            s = 0.0
            for b in range(nb):
                s += acc[b, t, j]
            out[t, j] = s


def on_one_thread(call):
    """``call()`` with one Numba thread in the calling Python thread (Numba's count is
    thread-local), restored after."""
    before = get_num_threads()
    set_num_threads(1)
    try:
        return call()
    finally:
        set_num_threads(before)


#: The Gram-type kernels are blocked BLAS (compute bound: ``syrk`` beats a loop),
#: their column sums and cross moments this backend's ``column_moments`` (on one thread,
#: in or beside the Gram's chunk tasks where those run in parallel: ``blas_stats._raw_stats``).
sufficient_stats = partial(blas_stats.sufficient_stats, moments=column_moments, serial=on_one_thread)
sufficient_stats_lowp = partial(blas_stats.sufficient_stats_lowp, moments=column_moments, serial=on_one_thread)
