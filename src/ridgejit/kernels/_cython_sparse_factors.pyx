# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Cython twins of :mod:`ridgejit.kernels.numba_sparse_factors`: SAG/SAGA and SVRG on CSR X
with per-feature penalty factors, one lazy scale per group of equal factors.

Same arguments and meaning as ``saga_epoch_sparse`` / ``svrg_inner_sparse`` with a
non-empty ``factor`` (those dispatch here); O(nnz of the row + G) per step for
``G`` distinct factors.
"""

import numpy as np

from cython cimport floating
from libc.stdint cimport int32_t, int64_t

from . cimport _layout as layout


ctypedef fused index_t:
    int32_t
    int64_t


def _groups(factor):
    """``(grp (p,) int64, values (G,))``: each feature's group of equal penalty factors."""
    values = np.unique(np.asarray(factor))
    return np.searchsorted(values, factor).astype(np.int64), values


cdef void _row_sums(const floating[::1] data, const index_t[::1] indices, Py_ssize_t lo, Py_ssize_t hi,
                    const int64_t[::1] grp, const double[::1] v, const double[::1] x_mean, double[::1] dvg,
                    double[::1] xxg) noexcept nogil:
    """Per group, the row's ``x.v`` and ``x.xbar`` over its stored values."""
    cdef Py_ssize_t e, j, q
    for q in range(dvg.shape[0]):
        dvg[q] = 0.0
        xxg[q] = 0.0
    for e in range(lo, hi):
        j = indices[e]
        q = grp[j]
        dvg[q] += data[e] * v[j]
        xxg[q] += data[e] * x_mean[j]


cdef double _residual(const double[::1] dvg, const double[::1] xxg, const double[::1] c, const double[::1] m,
                      const double[::1] mm, const double[::1] D, double b, double y) noexcept nogil:
    """``(x - xbar).w + b - y`` from the row's group sums and the lazy scales."""
    cdef Py_ssize_t q
    cdef double r = b - y
    for q in range(D.shape[0]):
        r = r + (dvg[q] + m[q] * xxg[q] - c[q] - m[q] * mm[q]) / D[q]
    return r


cdef void _catch_up(const index_t[::1] indices, Py_ssize_t lo, Py_ssize_t hi, double[::1] v,
                    const double[::1] rate, const double[::1] cum, double[::1] last,
                    const int64_t[::1] grp) noexcept nogil:
    """The row's features take their missed just-in-time steps ``rate_j (cum_g - last_j)``."""
    cdef Py_ssize_t e, j
    for e in range(lo, hi):
        j = indices[e]
        v[j] -= rate[j] * (cum[grp[j]] - last[j])
        last[j] = cum[grp[j]]


cdef void _settle(double[::1] v, const double[::1] rate, double[::1] cum, double[::1] last, double[::1] m,
                  const double[::1] x_mean, double[::1] D, const int64_t[::1] grp, double[::1] c) noexcept nogil:
    """Catch every feature up, fold ``m``, ``D`` in (``v`` becomes ``w``), ``c`` per group,
    and restart the scales."""
    cdef Py_ssize_t j, q
    for q in range(c.shape[0]):
        c[q] = 0.0
    for j in range(v.shape[0]):
        q = grp[j]
        v[j] -= rate[j] * (cum[q] - last[j])
        last[j] = 0.0
        v[j] = (v[j] + m[q] * x_mean[j]) / D[q]
        c[q] += x_mean[j] * v[j]
    for q in range(c.shape[0]):
        cum[q] = 0.0
        m[q] = 0.0
        D[q] = 1.0


def _group_sums(x_mean, grp, G, u):
    """``(sum_{j in g} xbar_j^2, sum_{j in g} xbar_j u_j)`` per group ``g``."""
    return (np.bincount(grp, weights=np.asarray(x_mean) ** 2, minlength=G),
            np.bincount(grp, weights=np.asarray(x_mean) * np.asarray(u), minlength=G))


def saga_epoch_sparse_factors(const floating[::1] data, const index_t[::1] indices, const index_t[::1] indptr,
                              const double[::1] y, const double[::1] sw, const double[::1] x_mean,
                              const int64_t[::1] order, double[::1] w, double[::1] state, double[::1] memory,
                              double[::1] grad_avg, const double[::1] hyper, const double[::1] factor):
    """SAGA/SAG pass with penalty factors (see numba_sparse_factors.saga_epoch_sparse_factors)."""
    cdef Py_ssize_t n = indptr.shape[0] - 1, p = x_mean.shape[0], idx, i, j, e, lo, hi, q, G
    cdef double step = hyper[layout.SAGA_STEP], lam = hyper[layout.SAGA_LAM]
    cdef bint fit_b = hyper[layout.SAGA_FIT_B] != 0.0, saga = hyper[layout.SAGA_UNBIASED] != 0.0
    cdef double b = state[layout.SAGA_B], gb = state[layout.SAGA_GB], inv_n = 1.0 / n, loss = 0.0
    cdef double r, s, phi, delta, kappa, D_max
    grp_np, values = _groups(factor)
    G = values.shape[0]
    g_np = np.asarray(grad_avg) + gb * np.asarray(x_mean)
    mm_np, c_np = _group_sums(x_mean, grp_np, G, w)
    _, Eg_np = _group_sums(x_mean, grp_np, G, g_np)
    cdef const int64_t[::1] grp = grp_np
    cdef double[::1] rho = 1.0 - step * lam * values, g = g_np, mm = mm_np, c = c_np, Eg = Eg_np
    cdef double[::1] last, cum, D, m, dvg, xxg
    last, cum, D, m, dvg, xxg = np.zeros(p), np.zeros(G), np.ones(G), np.zeros(G), np.empty(G), np.empty(G)
    with nogil:
        for idx in range(order.shape[0]):
            i = order[idx]
            lo = indptr[i]
            hi = indptr[i + 1]
            _catch_up(indices, lo, hi, w, g, cum, last, grp)
            _row_sums(data, indices, lo, hi, grp, w, x_mean, dvg, xxg)
            r = _residual(dvg, xxg, c, m, mm, D, b, y[i])
            s = sw[i]
            loss += s * r * r
            phi = s * r
            delta = phi - memory[i]
            memory[i] = phi
            D_max = 0.0
            for q in range(G):
                D[q] = D[q] / rho[q]
                D_max = max(D_max, D[q])
            if saga:
                for e in range(lo, hi):
                    j = indices[e]
                    w[j] -= D[grp[j]] * step * (delta * data[e] + g[j])
                for q in range(G):
                    kappa = D[q] * step
                    cum[q] += kappa
                    c[q] -= kappa * (delta * xxg[q] + Eg[q])
                    m[q] += kappa * (delta + gb)
                for e in range(lo, hi):
                    j = indices[e]
                    last[j] = cum[grp[j]]
                    g[j] += delta * data[e] * inv_n
                if fit_b:
                    b -= step * (delta + gb)
                for q in range(G):
                    Eg[q] += delta * xxg[q] * inv_n
                gb += delta * inv_n
            else:
                for e in range(lo, hi):
                    g[indices[e]] += delta * data[e] * inv_n
                gb += delta * inv_n
                for q in range(G):
                    Eg[q] += delta * xxg[q] * inv_n
                    kappa = D[q] * step
                    cum[q] += kappa
                    c[q] -= kappa * Eg[q]
                    m[q] += kappa * gb
                if fit_b:
                    b -= step * gb
            if D_max > 1e6:
                _settle(w, g, cum, last, m, x_mean, D, grp, c)
        _settle(w, g, cum, last, m, x_mean, D, grp, c)
        for j in range(p):
            grad_avg[j] = g[j] - gb * x_mean[j]
    state[layout.SAGA_B] = b
    state[layout.SAGA_GB] = gb
    return loss


def svrg_inner_sparse_factors(const floating[::1] data, const index_t[::1] indices, const index_t[::1] indptr,
                              const double[::1] y, const double[::1] sw, const double[::1] x_mean,
                              const int64_t[::1] order, double[::1] w, const double[::1] snapshot,
                              const double[::1] full_grad, double[::1] state, const double[::1] hyper,
                              const double[::1] factor):
    """SVRG inner loop with penalty factors (see numba_sparse_factors.svrg_inner_sparse_factors)."""
    cdef Py_ssize_t p = x_mean.shape[0], idx, i, j, e, lo, hi, q, G
    cdef double step = hyper[layout.SVRG_STEP], lam = hyper[layout.SVRG_LAM]
    cdef bint fit_b = hyper[layout.SVRG_FIT_B] != 0.0
    cdef double b = state[layout.SVRG_B], b_snap = state[layout.SVRG_B_SNAP], gb = state[layout.SVRG_GB]
    cdef double loss = 0.0, xs, ds, r, r_snap, s, d, kappa, D_max
    grp_np, values = _groups(factor)
    G = values.shape[0]
    minus_z_np = step * (np.asarray(full_grad) - lam * np.asarray(factor) * np.asarray(snapshot))
    xs = float(np.asarray(x_mean) @ np.asarray(snapshot))
    mm_np, c_np = _group_sums(x_mean, grp_np, G, w)
    _, zx_np = _group_sums(x_mean, grp_np, G, -minus_z_np)
    cdef const int64_t[::1] grp = grp_np
    cdef double[::1] rho = 1.0 - step * lam * values, minus_z = minus_z_np, mm = mm_np, c = c_np, zx = zx_np
    cdef double[::1] last, cum, D, m, dvg, xxg
    last, cum, D, m, dvg, xxg = np.zeros(p), np.zeros(G), np.ones(G), np.zeros(G), np.empty(G), np.empty(G)
    with nogil:
        for idx in range(order.shape[0]):
            i = order[idx]
            lo = indptr[i]
            hi = indptr[i + 1]
            _catch_up(indices, lo, hi, w, minus_z, cum, last, grp)
            _row_sums(data, indices, lo, hi, grp, w, x_mean, dvg, xxg)
            ds = 0.0
            for e in range(lo, hi):
                ds = ds + data[e] * snapshot[indices[e]]
            r = _residual(dvg, xxg, c, m, mm, D, b, y[i])
            r_snap = ds - xs + b_snap - y[i]
            s = sw[i]
            loss += s * r * r
            d = s * (r - r_snap)
            D_max = 0.0
            for q in range(G):
                D[q] = D[q] / rho[q]
                D_max = max(D_max, D[q])
            for e in range(lo, hi):
                j = indices[e]
                w[j] -= D[grp[j]] * step * d * data[e]
            for q in range(G):
                kappa = D[q] * step
                m[q] += kappa * d
                c[q] -= kappa * d * xxg[q]
                cum[q] += D[q]
                c[q] += D[q] * zx[q]
            if fit_b:
                b -= step * (d + gb)
            if D_max > 1e6:
                _settle(w, minus_z, cum, last, m, x_mean, D, grp, c)
        _settle(w, minus_z, cum, last, m, x_mean, D, grp, c)
    state[layout.SVRG_B] = b
    return loss
