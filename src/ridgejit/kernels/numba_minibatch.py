"""Numba mini-batch SGD of ``k`` targets, dense and CSR (see ``reference_sgd.minibatch_epoch``).

Every row read serves all ``k`` targets.  Dense X: each batch gradient is
summed in parallel over fixed row blocks (at most ``BATCH_MAX_BLOCKS`` per
batch, at least ``BATCH_MIN_ROWS`` rows each), or, for batches of one block,
runs of targets go to the threads; either way the bits do not depend on the
thread count.  CSR X: the batch residuals are computed in parallel (one
per row, no reduction), then the update is applied serially in O(nnz of the
batch) per target through the lazy representation of
:mod:`ridgejit.kernels.numba_sparse_sgd` (``w_c = (v_c + m_c xbar) / D_c``,
one divisor per target since ``D_c`` follows ``lam_c``).  ``state``/``hyper``
slots are named in :mod:`ridgejit.kernels.layout`.
"""

import numpy as np
from numba import njit, prange

from .._config import JIT, PARALLEL
from . import layout as L
from ._intrinsics import prefetch_targets
from .numba_sparse_sgd import fold
from .numba_vr_multi import target_parts, total_in_order


@njit(inline="always", **JIT)
def minibatch_slots(state, hyper):
    """``(eta, fit_b, batch size, average start, t)`` of ``minibatch_epoch``."""
    return (hyper[L.MB_ETA], hyper[L.MB_FIT_B] != 0.0, int(hyper[L.MB_BATCH]), hyper[L.MB_AVG_START],
            state[L.MB_T])


@njit(inline="always", **JIT)
def batch_blocks(size):
    """Row blocks of a batch of ``size`` rows: at most ``BATCH_MAX_BLOCKS``, at least
    ``BATCH_MIN_ROWS`` rows each (1: the batch is summed on one thread)."""
    return max(1, min(L.BATCH_MAX_BLOCKS, size // L.BATCH_MIN_ROWS))


def minibatch_epoch(X, Y, sw, x_mean, order, W, A, intercepts, lams, state, hyper):
    """Mini-batch SGD of ``k`` targets, each row read once per epoch (see
    ``reference_sgd.minibatch_epoch``); the same bits for any thread count.

    Batches of at least two blocks: each batch gradient in parallel over its fixed row
    blocks.  Smaller batches (``batch_size="auto"`` on 1e6 x 100: 37 rows) are summed on
    one thread, so several targets go to the threads in consecutive runs instead
    (:func:`ridgejit.kernels.numba_vr_multi.target_parts`), each thread reading every row
    for its run: the targets are independent given the rows.  A Python call: the thread
    count is read here, which a cached kernel cannot do.
    """
    if batch_blocks(int(hyper[L.MB_BATCH])) > 1 or W.shape[0] == 1:
        return _row_blocks(X, Y, sw, x_mean, order, W, A, intercepts, lams, state, hyper)
    return _target_runs(X, Y, sw, x_mean, order, W, A, intercepts, lams, state, hyper, target_parts(W))


@njit(inline="always", **JIT)
def _batch_block(X, Y, sw, x_mean, order, lo, hi, W, base, acc, accb, accl, blk, clo, chi):
    """One block of a batch, every target ``c`` in ``clo:chi``: ``acc[c] = sum s r_c (x -
    xbar)``, ``accb[blk, c] = sum s r_c``, ``accl[blk, c] = sum s r_c^2`` over the rows
    ``order[lo:hi]`` (``r_c = x.w_c + base_c - y_c``).  Each row is read
    once for all targets (measured here: grouping rows to reuse each ``W`` load was slower)."""
    p = W.shape[1]
    for c in range(clo, chi):
        accb[blk, c] = 0.0
        accl[blk, c] = 0.0
        for j in range(p):
            acc[c, j] = 0.0
    for idx in range(lo, hi):
        prefetch_targets(X, Y, sw, order, idx)
        i = order[idx]
        x = X[i]
        for c in range(clo, chi):
            rc = base[c] - Y[i, c]
            for j in range(p):
                rc += x[j] * W[c, j]
            s = sw[i] * rc
            accb[blk, c] += s
            accl[blk, c] += s * rc
            for j in range(p):
                acc[c, j] += s * (x[j] - x_mean[j])


@njit(inline="always", **JIT)
def _bases(W, intercepts, x_mean, base, clo, chi):
    """``base_c = b_c - xbar.w_c``: the residual's constant at the batch's start."""
    for c in range(clo, chi):
        base[c] = intercepts[0, c]
        for j in range(W.shape[1]):
            base[c] -= x_mean[j] * W[c, j]


@njit(inline="always", **JIT)
def _apply_batch(W, A, intercepts, acc, accb, accl, nb, count, eta, lams, fit_b, t, start, clo, chi, losses):
    """The update of targets ``clo:chi`` from a batch's block sums (added in block order),
    its averaging step, and each target's loss into ``losses``."""
    p = W.shape[1]
    scale = eta / count
    for c in range(clo, chi):
        shrink = 1.0 - eta * lams[c]
        gb = 0.0
        for blk in range(nb):
            gb += accb[blk, c]
            losses[c] += accl[blk, c]
        for j in range(p):
            g = 0.0
            for blk in range(nb):
                g += acc[blk, c, j]
            W[c, j] = shrink * W[c, j] - scale * g
        if fit_b:
            intercepts[0, c] -= scale * gb
    if t >= start:
        mu = 1.0 / (t - start + 1.0)
        for c in range(clo, chi):
            for j in range(p):
                A[c, j] += mu * (W[c, j] - A[c, j])
            intercepts[1, c] += mu * (intercepts[0, c] - intercepts[1, c])


@njit(**PARALLEL)
def _row_blocks(X, Y, sw, x_mean, order, W, A, intercepts, lams, state, hyper):
    """:func:`minibatch_epoch` with each batch's blocks in parallel."""
    k, p = W.shape
    m = order.shape[0]
    eta, fit_b, size, start, t = minibatch_slots(state, hyper)
    nb = batch_blocks(size)
    acc = np.zeros((nb, k, p))
    accb = np.zeros((nb, k))
    accl = np.zeros((nb, k))
    base = np.empty(k)
    losses = np.zeros(k)
    for lo in range(0, m, size):
        hi = min(m, lo + size)
        count = hi - lo
        step = (count + nb - 1) // nb
        _bases(W, intercepts, x_mean, base, 0, k)
        if nb == 1:  # small batches: no parallel launch (about 8 us a batch)
            _batch_block(X, Y, sw, x_mean, order, lo, hi, W, base, acc[0], accb, accl, 0, 0, k)
        else:
            for blk in prange(nb):
                _batch_block(X, Y, sw, x_mean, order, lo + blk * step, min(hi, lo + (blk + 1) * step),
                             W, base, acc[blk], accb, accl, blk, 0, k)
        _apply_batch(W, A, intercepts, acc, accb, accl, nb, count, eta, lams, fit_b, t, start, 0, k, losses)
        t += 1.0
    state[L.MB_T] = t
    return total_in_order(losses)


@njit(**PARALLEL)
def _target_runs(X, Y, sw, x_mean, order, W, A, intercepts, lams, state, hyper, parts):
    """:func:`minibatch_epoch` of one-block batches, runs of targets in parallel."""
    k = W.shape[0]
    losses = np.zeros(k)
    counts = np.empty(parts)
    for part in prange(parts):
        counts[part] = _targets_serial(X, Y, sw, x_mean, order, W, A, intercepts, lams, state, hyper,
                                       part * k // parts, (part + 1) * k // parts, losses)
    state[L.MB_T] = counts[0]  # every run counts the same batches
    return total_in_order(losses)


@njit(**JIT)
def _targets_serial(X, Y, sw, x_mean, order, W, A, intercepts, lams, state, hyper, clo, chi, losses):
    """One-block batches for the targets ``clo:chi`` (their intercepts kept in a private copy:
    no cache line shared with another run written every batch); returns the batch count."""
    k, p = W.shape
    m = order.shape[0]
    eta, fit_b, size, start, t = minibatch_slots(state, hyper)
    ic = intercepts.copy()
    acc = np.zeros((1, k, p))
    accb = np.zeros((1, k))
    accl = np.zeros((1, k))
    base = np.empty(k)
    for lo in range(0, m, size):
        hi = min(m, lo + size)
        _bases(W, ic, x_mean, base, clo, chi)
        _batch_block(X, Y, sw, x_mean, order, lo, hi, W, base, acc[0], accb, accl, 0, clo, chi)
        _apply_batch(W, A, ic, acc, accb, accl, 1, hi - lo, eta, lams, fit_b, t, start, clo, chi, losses)
        t += 1.0
    for c in range(clo, chi):
        intercepts[0, c] = ic[0, c]
        intercepts[1, c] = ic[1, c]
    return t


@njit(**PARALLEL)
def _batch_residuals(data, indices, indptr, Y, order, lo, hi, V, x_mean, C, M, mm, D, intercepts, R, xx):
    """Residuals ``R[q, c]`` of the batch rows ``order[lo:hi]`` at the batch's start, every
    target (in parallel over rows; each row on its own: the same bits for any thread count)."""
    k = V.shape[0]
    for q in prange(hi - lo):
        i = order[lo + q]
        a, z = np.uintp(indptr[i]), np.uintp(indptr[i + 1])
        dx = 0.0
        for e in range(a, z):
            dx += data[e] * x_mean[np.uintp(indices[e])]
        xx[q] = dx
        for c in range(k):
            dv = 0.0
            for e in range(a, z):
                dv += data[e] * V[c, np.uintp(indices[e])]
            R[q, c] = (dv + M[c] * dx - C[c] - M[c] * mm) / D[c] + intercepts[0, c] - Y[i, c]


@njit(**JIT)
def minibatch_epoch_sparse(data, indices, indptr, Y, sw, x_mean, order, W, A, intercepts, lams, state, hyper):
    """Mini-batch SGD of ``k`` targets (see ``reference_sgd.minibatch_epoch``), O(k nnz of the
    batch) per batch.

    Residuals of a batch are computed in parallel at its start; the update
    ``w_c <- (1 - eta lam_c) w_c - eta/|B| sum s r_c (x - xbar)`` and the running
    average then cost O(nnz of the batch) per target through ``v_c, m_c, D_c`` and
    ``a_c, na_c, A_c, F_c`` (the module docstring; one set per target, since
    ``D_c`` follows ``lam_c``).
    """
    k, p = W.shape
    n_rows = order.shape[0]
    eta, fit_b, size, start, t = minibatch_slots(state, hyper)
    V = W
    mm = 0.0
    for j in range(p):
        mm += x_mean[j] * x_mean[j]
    C = np.zeros(k)
    for c in range(k):
        for j in range(p):
            C[c] += x_mean[j] * V[c, j]
    D = np.ones(k)
    M = np.zeros(k)
    S = np.ones(k)  # the average's divisor (A in the module docstring)
    F = np.zeros(k)
    na = np.zeros(k)
    R = np.empty((size, k))
    xx = np.empty(size)
    total = np.empty(k)
    gb = np.empty(k)
    loss = 0.0
    for lo in range(0, n_rows, size):
        hi = min(n_rows, lo + size)
        count = hi - lo
        _batch_residuals(data, indices, indptr, Y, order, lo, hi, V, x_mean, C, M, mm, D, intercepts, R, xx)
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
            a0, z0 = np.uintp(indptr[i]), np.uintp(indptr[i + 1])
            for c in range(k):
                sr = sw[i] * R[q, c]
                loss += sr * R[q, c]
                gb[c] += sr
                step = eta * sr * D[c] / count
                total[c] += step
                C[c] -= step * xx[q]
                coef_a = F[c] * step
                for e in range(a0, z0):
                    j = np.uintp(indices[e])
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
                _fold_average(A[c], V[c], na[c], F[c], M[c], S[c], x_mean)
                C[c] = fold(V[c], M[c], x_mean, D[c])
                M[c] = 0.0
                na[c] = 0.0
                D[c] = 1.0
                S[c] = 1.0
                F[c] = 0.0
        t += 1.0
    # the dense kernel keeps w and the average explicitly
    for c in range(k):
        _fold_average(A[c], V[c], na[c], F[c], M[c], S[c], x_mean)
        fold(V[c], M[c], x_mean, D[c])
    state[L.MB_T] = t
    return loss


@njit(**JIT)
def _fold_average(a, v, na, F, m, S, x_mean):
    """``a <- (a + na xbar + F (v + m xbar)) / S``: the explicit average of one target."""
    for j in range(a.shape[0]):
        a[j] = (a[j] + na * x_mean[j] + F * (v[j] + m * x_mean[j])) / S
