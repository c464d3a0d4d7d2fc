"""Numba SAG/SAGA and SVRG of ``k`` targets at once, dense and CSR (see ``reference_sgd``).

Each row read serves every target: its centred values (dense) or its stored
values and ``x.xbar`` (CSR) are loaded once, then each target takes the step
its single-target kernel (:mod:`.numba_sgd`, :mod:`.numba_sparse_sgd`) would,
with its own L2 rate ``lams[c]`` and the shared step.  Dense X: the targets
are independent given the rows, so consecutive runs of them go to the threads
(each thread reads every row once for its run; the bits do not depend on the
split); ``memory`` is (k, n), a target's entries contiguous.  On CSR X every target
keeps its own lazy representation (``w_c = (v_c + m_c xbar) / D_c``, its
just-in-time sums ``cum_c`` and ``last_c``), since ``D_c`` follows ``lam_c``.
``state`` holds one column per target (the single kernel's slots as rows).
"""

import numpy as np
from numba import get_num_threads, njit, prange

from .._config import JIT, PARALLEL
from . import layout as L
from ._intrinsics import prefetch_row, prefetch_targets
from .numba_sparse_sgd import catch_up, settle


def saga_epoch_multi(X, Y, sw, x_mean, order, W, state, memory, grad_avg, hyper, lams, factor):
    """SAGA/SAG pass of ``k`` targets: ``W``, ``grad_avg`` (k, p), ``memory`` (k, n),
    ``state`` (2, k) rows ``SAGA_B``, ``SAGA_GB``; ``lams`` (k,) (``hyper[SAGA_LAM]`` unused).

    The targets are independent given the rows, so they are split over the threads
    (:func:`target_parts`); each target's arithmetic is the same whatever the split.  A
    Python call: the thread count is read here, which a cached kernel cannot do."""
    return _saga_parts(X, Y, sw, x_mean, order, W, state, memory, grad_avg, hyper, lams, factor,
                       target_parts(W))


def target_parts(W):
    """Runs of targets for the threads: one per thread, at most one per target (row of ``W``)."""
    return max(1, min(W.shape[0], get_num_threads()))


@njit(inline="always", **JIT)
def total_in_order(losses):
    """The targets' losses added in target order: ``losses.sum()`` in a parallel kernel
    becomes a parallel reduction, whose order (so the bits) follows the thread count."""
    total = 0.0
    for c in range(losses.shape[0]):
        total += losses[c]
    return total


@njit(**PARALLEL)
def _saga_parts(X, Y, sw, x_mean, order, W, state, memory, grad_avg, hyper, lams, factor, parts):
    losses = np.zeros(W.shape[0])
    for part in prange(parts):
        _saga_targets(X, Y, sw, x_mean, order, W, state, memory, grad_avg, hyper, lams, factor, part, parts,
                      losses)
    return total_in_order(losses)


@njit(**JIT)
def _saga_targets(X, Y, sw, x_mean, order, W, state, memory, grad_avg, hyper, lams, factor, part, parts, losses):
    """:func:`saga_epoch_multi` for the ``part``-th of ``parts`` consecutive runs of targets
    (consecutive rows of ``W``: the threads share no cache line but at a run's ends); each
    target's loss into ``losses``."""
    n, p = X.shape
    k = W.shape[0]
    step, fit_b, saga = hyper[L.SAGA_STEP], hyper[L.SAGA_FIT_B] != 0.0, hyper[L.SAGA_UNBIASED] != 0.0
    scaled = factor.shape[0] > 0
    inv_n = 1.0 / n
    xc = np.empty(p)
    b_loc = state[L.SAGA_B].copy()  # private copies: no shared cache line written every row
    gb_loc = state[L.SAGA_GB].copy()
    loss = np.zeros(k)
    lo, hi = part * k // parts, (part + 1) * k // parts
    m = order.shape[0]
    for idx in range(m):
        prefetch_targets(X, Y, sw, order, idx)
        if idx + L.PREFETCH_AHEAD < m:  # a row's stored residuals: one line per target
            for c in range(lo, hi):
                prefetch_row(memory, c, order[idx + L.PREFETCH_AHEAD])
        i = order[idx]
        x = X[i]
        for j in range(p):
            xc[j] = x[j] - x_mean[j]
        s = sw[i]
        for c in range(lo, hi):
            w = W[c]
            ga = grad_avg[c]
            lam = lams[c]
            b = b_loc[c]
            gb = gb_loc[c]
            r = b - Y[i, c]
            for j in range(p):
                r += xc[j] * w[j]
            loss[c] += s * r * r
            phi = s * r
            delta = phi - memory[c, i]
            memory[c, i] = phi
            if saga:
                for j in range(p):
                    lj = lam * factor[j] if scaled else lam
                    w[j] -= step * (delta * xc[j] + ga[j] + lj * w[j])
                    ga[j] += delta * xc[j] * inv_n
                if fit_b:
                    b -= step * (delta + gb)
                gb += delta * inv_n
            else:
                for j in range(p):
                    ga[j] += delta * xc[j] * inv_n
                    lj = lam * factor[j] if scaled else lam
                    w[j] -= step * (ga[j] + lj * w[j])
                gb += delta * inv_n
                if fit_b:
                    b -= step * gb
            b_loc[c] = b
            gb_loc[c] = gb
    for c in range(lo, hi):
        state[L.SAGA_B, c] = b_loc[c]
        state[L.SAGA_GB, c] = gb_loc[c]
        losses[c] = loss[c]


def svrg_inner_multi(X, Y, sw, x_mean, order, W, snapshot, full_grad, state, hyper, lams, factor):
    """SVRG inner loop of ``k`` targets: ``W``, ``snapshot``, ``full_grad`` (k, p), ``state``
    (3, k) rows ``SVRG_B``, ``SVRG_B_SNAP``, ``SVRG_GB``; ``lams`` (k,); targets split over
    the threads as in :func:`saga_epoch_multi`."""
    return _svrg_parts(X, Y, sw, x_mean, order, W, snapshot, full_grad, state, hyper, lams, factor,
                       target_parts(W))


@njit(**PARALLEL)
def _svrg_parts(X, Y, sw, x_mean, order, W, snapshot, full_grad, state, hyper, lams, factor, parts):
    losses = np.zeros(W.shape[0])
    for part in prange(parts):
        _svrg_targets(X, Y, sw, x_mean, order, W, snapshot, full_grad, state, hyper, lams, factor, part, parts,
                      losses)
    return total_in_order(losses)


@njit(**JIT)
def _svrg_targets(X, Y, sw, x_mean, order, W, snapshot, full_grad, state, hyper, lams, factor, part, parts,
                  losses):
    """:func:`svrg_inner_multi` for the ``part``-th of ``parts`` consecutive runs of targets."""
    p = X.shape[1]
    k = W.shape[0]
    step, fit_b = hyper[L.SVRG_STEP], hyper[L.SVRG_FIT_B] != 0.0
    scaled = factor.shape[0] > 0
    xc = np.empty(p)
    b_loc = state[L.SVRG_B].copy()
    loss = np.zeros(k)
    for idx in range(order.shape[0]):
        prefetch_targets(X, Y, sw, order, idx)
        i = order[idx]
        x = X[i]
        for j in range(p):
            xc[j] = x[j] - x_mean[j]
        s = sw[i]
        for c in range(part * k // parts, (part + 1) * k // parts):
            w = W[c]
            snap = snapshot[c]
            fg = full_grad[c]
            lam = lams[c]
            r = b_loc[c] - Y[i, c]
            r_snap = state[L.SVRG_B_SNAP, c] - Y[i, c]
            for j in range(p):
                r += xc[j] * w[j]
                r_snap += xc[j] * snap[j]
            loss[c] += s * r * r
            d = s * (r - r_snap)
            for j in range(p):
                lj = lam * factor[j] if scaled else lam
                w[j] -= step * (d * xc[j] + lj * (w[j] - snap[j]) + fg[j])
            if fit_b:
                b_loc[c] -= step * (d + state[L.SVRG_GB, c])
    for c in range(part * k // parts, (part + 1) * k // parts):
        state[L.SVRG_B, c] = b_loc[c]
        losses[c] = loss[c]


@njit(**JIT)
def _fresh_scales(k, p):
    """``(last (k, p), cum, D, m (k,))``: every target's lazy representation at its start."""
    return np.zeros((k, p)), np.zeros(k), np.ones(k), np.zeros(k)


@njit(inline="always", **JIT)
def _row_dot(data, indices, lo, hi, v):
    """``x.v`` over the stored values ``lo:hi`` of one row."""
    dot = 0.0
    for e in range(lo, hi):
        dot += data[e] * v[np.uintp(indices[e])]
    return dot


@njit(**JIT)
def saga_epoch_multi_sparse(data, indices, indptr, Y, sw, x_mean, order, W, state, memory, grad_avg, hyper,
                            lams, factor):
    """CSR twin of :func:`saga_epoch_multi`, O(k nnz of the row) per step; ``factor`` must
    be empty (see ``numba_sparse_sgd.saga_epoch_sparse``, whose steps each target takes)."""
    n = indptr.shape[0] - 1
    p = x_mean.shape[0]
    k = W.shape[0]
    step, fit_b, saga = hyper[L.SAGA_STEP], hyper[L.SAGA_FIT_B] != 0.0, hyper[L.SAGA_UNBIASED] != 0.0
    inv_n = 1.0 / n
    G = np.empty((k, p))  # per target g = grad_avg + gb xbar, applied just in time
    Eg = np.zeros(k)  # xbar.g
    C = np.zeros(k)  # xbar.v
    rho = np.empty(k)
    mm = 0.0
    for j in range(p):
        mm += x_mean[j] * x_mean[j]
    for c in range(k):
        rho[c] = 1.0 - step * lams[c]
        for j in range(p):
            G[c, j] = grad_avg[c, j] + state[L.SAGA_GB, c] * x_mean[j]
            Eg[c] += x_mean[j] * G[c, j]
            C[c] += x_mean[j] * W[c, j]
    last, cum, D, M = _fresh_scales(k, p)
    loss = 0.0
    for idx in range(order.shape[0]):
        i = order[idx]
        lo = np.uintp(indptr[i])
        hi = np.uintp(indptr[i + 1])
        xx = _row_dot(data, indices, lo, hi, x_mean)
        s = sw[i]
        for c in range(k):
            v = W[c]
            g = G[c]
            catch_up(indices, lo, hi, v, g, cum[c], last[c])
            dv = 0.0
            for e in range(lo, hi):
                dv += data[e] * v[np.uintp(indices[e])]
            b = state[L.SAGA_B, c]
            gb = state[L.SAGA_GB, c]
            r = (dv + M[c] * xx - C[c] - M[c] * mm) / D[c] + b - Y[i, c]
            loss += s * r * r
            phi = s * r
            delta = phi - memory[c, i]
            memory[c, i] = phi
            D[c] = D[c] / rho[c]
            kappa = D[c] * step
            if saga:  # the step uses the old average, then the average moves
                for e in range(lo, hi):
                    j = np.uintp(indices[e])
                    v[j] -= kappa * (delta * data[e] + g[j])
                cum[c] += kappa
                for e in range(lo, hi):
                    last[c, np.uintp(indices[e])] = cum[c]
                C[c] -= kappa * (delta * xx + Eg[c])
                M[c] += kappa * (delta + gb)
                if fit_b:
                    b -= step * (delta + gb)
                for e in range(lo, hi):
                    g[np.uintp(indices[e])] += delta * data[e] * inv_n
                Eg[c] += delta * xx * inv_n
                gb += delta * inv_n
            else:  # SAG: the average moves first, then the step uses it
                for e in range(lo, hi):
                    g[np.uintp(indices[e])] += delta * data[e] * inv_n
                Eg[c] += delta * xx * inv_n
                gb += delta * inv_n
                cum[c] += kappa
                C[c] -= kappa * Eg[c]
                M[c] += kappa * gb
                if fit_b:
                    b -= step * gb
            state[L.SAGA_B, c] = b
            state[L.SAGA_GB, c] = gb
            if D[c] > 1e6:
                C[c] = settle(v, g, cum[c], last[c], M[c], x_mean, D[c])
                cum[c] = 0.0
                M[c] = 0.0
                D[c] = 1.0
    for c in range(k):
        settle(W[c], G[c], cum[c], last[c], M[c], x_mean, D[c])
        for j in range(p):
            grad_avg[c, j] = G[c, j] - state[L.SAGA_GB, c] * x_mean[j]
    return loss


@njit(**JIT)
def svrg_inner_multi_sparse(data, indices, indptr, Y, sw, x_mean, order, W, snapshot, full_grad, state, hyper,
                            lams, factor):
    """CSR twin of :func:`svrg_inner_multi`, O(k nnz of the row) per step; ``factor`` must be
    empty (see ``numba_sparse_sgd.svrg_inner_sparse``, whose steps each target takes)."""
    p = x_mean.shape[0]
    k = W.shape[0]
    step, fit_b = hyper[L.SVRG_STEP], hyper[L.SVRG_FIT_B] != 0.0
    minus_z = np.empty((k, p))  # catch_up subtracts: rate = -z
    xs = np.zeros(k)  # xbar.snapshot
    zx = np.zeros(k)  # xbar.z
    C = np.zeros(k)
    rho = np.empty(k)
    mm = 0.0
    for j in range(p):
        mm += x_mean[j] * x_mean[j]
    for c in range(k):
        rho[c] = 1.0 - step * lams[c]
        for j in range(p):
            minus_z[c, j] = step * (full_grad[c, j] - lams[c] * snapshot[c, j])
            xs[c] += x_mean[j] * snapshot[c, j]
            zx[c] -= x_mean[j] * minus_z[c, j]
            C[c] += x_mean[j] * W[c, j]
    last, cum, D, M = _fresh_scales(k, p)
    loss = 0.0
    for idx in range(order.shape[0]):
        i = order[idx]
        lo = np.uintp(indptr[i])
        hi = np.uintp(indptr[i + 1])
        xx = _row_dot(data, indices, lo, hi, x_mean)
        s = sw[i]
        for c in range(k):
            v = W[c]
            catch_up(indices, lo, hi, v, minus_z[c], cum[c], last[c])
            dv = 0.0
            ds = 0.0
            for e in range(lo, hi):
                j = np.uintp(indices[e])
                dv += data[e] * v[j]
                ds += data[e] * snapshot[c, j]
            r = (dv + M[c] * xx - C[c] - M[c] * mm) / D[c] + state[L.SVRG_B, c] - Y[i, c]
            r_snap = ds - xs[c] + state[L.SVRG_B_SNAP, c] - Y[i, c]
            loss += s * r * r
            d = s * (r - r_snap)
            D[c] = D[c] / rho[c]
            kappa = D[c] * step
            for e in range(lo, hi):
                v[np.uintp(indices[e])] -= kappa * d * data[e]
            M[c] += kappa * d
            C[c] -= kappa * d * xx
            cum[c] += D[c]
            C[c] += D[c] * zx[c]
            if fit_b:
                state[L.SVRG_B, c] -= step * (d + state[L.SVRG_GB, c])
            if D[c] > 1e6:
                C[c] = settle(v, minus_z[c], cum[c], last[c], M[c], x_mean, D[c])
                cum[c] = 0.0
                M[c] = 0.0
                D[c] = 1.0
    for c in range(k):
        settle(W[c], minus_z[c], cum[c], last[c], M[c], x_mean, D[c])
    return loss
