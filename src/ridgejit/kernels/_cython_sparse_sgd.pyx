# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Cython twins of the Numba CSR stochastic kernels :mod:`ridgejit.kernels.numba_sparse_sgd`.

Same names, arguments and meaning as :mod:`ridgejit.kernels.reference_sgd`
with ``data, indices, indptr`` in place of ``X`` (``floating`` data,
``index_t`` indices and pointers, read-only); O(nnz of the row) per update.
The lazy representations are those of the Numba kernels: ``w = (v + m xbar) / D``
(Bottou's divisor ``D``, every multiple of ``xbar`` in the scalar ``m``), the
average ``(a + na xbar + F (v + m xbar)) / A``, and just-in-time dense steps
(a running sum ``cum`` and, per feature, the ``cum`` of its last update).
(Mini-batch: ``_cython_minibatch``.)  All is folded back into dense vectors at the end of a call and
whenever a divisor passes 1e6.
"""

import numpy as np

from cython cimport floating
from libc.math cimport pow
from libc.stdint cimport int32_t, int64_t

from . cimport _layout as layout
from ._cython_sparse_factors import saga_epoch_sparse_factors, svrg_inner_sparse_factors


ctypedef fused index_t:
    int32_t
    int64_t


cdef inline void _dot2(const floating[::1] data, const index_t[::1] indices, Py_ssize_t lo,
                       Py_ssize_t hi, const double[::1] v, const double[::1] x_mean,
                       double *dv, double *dx) noexcept nogil:
    """``(x.v, x.xbar)`` for the stored values ``lo:hi`` of one row."""
    cdef Py_ssize_t e, j
    cdef double sv = 0.0, sx = 0.0
    for e in range(lo, hi):
        j = indices[e]
        sv = sv + data[e] * v[j]
        sx = sx + data[e] * x_mean[j]
    dv[0] = sv
    dx[0] = sx


cdef inline double _fold(double[::1] v, double m, const double[::1] x_mean, double D) noexcept nogil:
    """``v <- (v + m xbar) / D``; returns ``xbar.v`` of the result."""
    cdef Py_ssize_t j
    cdef double c = 0.0
    for j in range(v.shape[0]):
        v[j] = (v[j] + m * x_mean[j]) / D
        c = c + x_mean[j] * v[j]
    return c


cdef inline void _catch_up(const index_t[::1] indices, Py_ssize_t lo, Py_ssize_t hi, double[::1] v,
                           const double[::1] rate, double cum, double[::1] last) noexcept nogil:
    """Apply the missed just-in-time steps ``v_j -= rate_j (cum - last_j)`` to a row's features."""
    cdef Py_ssize_t e, j
    for e in range(lo, hi):
        j = indices[e]
        v[j] -= rate[j] * (cum - last[j])
        last[j] = cum


cdef double _settle(double[::1] v, const double[::1] rate, double cum, double[::1] last, double m,
                    const double[::1] x_mean, double D) noexcept nogil:
    """Catch every feature up, fold ``m`` and ``D`` in: ``v`` becomes ``w``; returns ``xbar.w``."""
    cdef Py_ssize_t j
    for j in range(v.shape[0]):
        v[j] -= rate[j] * (cum - last[j])
        last[j] = 0.0
    return _fold(v, m, x_mean, D)


def sgd_epoch_sparse(const floating[::1] data, const index_t[::1] indices, const index_t[::1] indptr,
                     const double[::1] y, const double[::1] sw, const double[::1] x_mean,
                     const int64_t[::1] order, double[::1] v, double[::1] a, double[::1] state,
                     int schedule, const double[::1] hyper):
    """One plain/averaged SGD pass over the rows ``order`` (see ``reference_sgd.sgd_epoch``)."""
    cdef Py_ssize_t p = x_mean.shape[0], idx, i, j, e, lo, hi
    cdef double t = state[layout.T], D = state[layout.WDIV], A = state[layout.ADIV], F = state[layout.WFRAC]
    cdef double b = state[layout.B], bbar = state[layout.BAVG]
    cdef double eta0 = hyper[layout.ETA0], power_t = hyper[layout.POWER_T], lam = hyper[layout.LAM], t0 = hyper[layout.T0], start = hyper[layout.AVG_START]
    cdef bint fit_b = hyper[layout.FIT_B] != 0.0
    cdef double mm = 0.0, c = 0.0, m = 0.0, na = 0.0, loss = 0.0
    cdef double eta, dv, xx, r, s, g, step, mu, coef_a
    cdef bint averaging, first
    with nogil:
        for j in range(p):
            mm = mm + x_mean[j] * x_mean[j]
            c = c + x_mean[j] * v[j]
        for idx in range(order.shape[0]):
            i = order[idx]
            if schedule == layout.INVSCALING:
                eta = eta0 / pow(t + 1.0, power_t)
            elif schedule == layout.OPTIMAL:
                eta = 1.0 / (lam * (t0 + t))
            else:
                eta = eta0
            lo = indptr[i]
            hi = indptr[i + 1]
            _dot2(data, indices, lo, hi, v, x_mean, &dv, &xx)
            r = (dv + m * xx - c - m * mm) / D + b - y[i]
            s = sw[i]
            loss += s * r * r
            g = eta * s * r
            D = D / (1.0 - eta * lam)
            step = g * D
            averaging = t >= start
            first = False
            mu = 0.0
            coef_a = 0.0
            if averaging:
                mu = 1.0 / (t - start + 1.0)
                first = mu >= 1.0
                if not first:
                    coef_a = F * step
                    A = A / (1.0 - mu)
            for e in range(lo, hi):
                v[indices[e]] -= step * data[e]
            m += step
            c -= step * xx
            if fit_b:
                b -= g
            if averaging:
                if first:  # the average starts as the current iterate
                    for j in range(p):
                        a[j] = 0.0
                    na = 0.0
                    A = D
                    F = 1.0
                else:
                    for e in range(lo, hi):
                        a[indices[e]] += coef_a * data[e]
                    na -= coef_a
                    F = F + mu * A / D
                bbar += mu * (b - bbar)
            t += 1.0
            if D > 1e6 or A > 1e6:
                c = _fold(v, m, x_mean, D)
                if t > start:
                    for j in range(p):
                        a[j] = (a[j] + na * x_mean[j] + F * v[j] * D) / A
                m = 0.0
                na = 0.0
                D = 1.0
                A = 1.0
                F = 0.0
        # back to the dense kernels' representation: w = v / D, average (a + F v) / A
        for j in range(p):
            v[j] += m * x_mean[j]
            a[j] += na * x_mean[j]
    np.asarray(state)[:6] = (t, D, A, F, b, bbar)
    return loss


def saga_epoch_sparse(const floating[::1] data, const index_t[::1] indices, const index_t[::1] indptr,
                      const double[::1] y, const double[::1] sw, const double[::1] x_mean,
                      const int64_t[::1] order, double[::1] w, double[::1] state, double[::1] memory,
                      double[::1] grad_avg, const double[::1] hyper, const double[::1] factor,
                      const double[:, ::1] box):
    """SAGA/SAG pass (see ``reference_sgd.saga_epoch``), O(nnz of the row) per step;
    penalty factors go to ``_cython_sparse_factors``; ``box`` must be empty (see
    ``numba_sparse_sgd.saga_epoch_sparse``).

    ``grad_avg = g - gb xbar`` with ``g = (1/n) sum_i memory_i x_i`` sparse in
    its updates; ``-step g`` is applied just in time, ``+step gb xbar`` through ``m``.
    """
    if factor.shape[0] > 0:
        return saga_epoch_sparse_factors(data, indices, indptr, y, sw, x_mean, order, w, state, memory, grad_avg,
                                         hyper, factor)
    cdef Py_ssize_t n = indptr.shape[0] - 1, p = x_mean.shape[0], idx, i, j, e, lo, hi
    cdef double step = hyper[layout.SAGA_STEP], lam = hyper[layout.SAGA_LAM]
    cdef bint fit_b = hyper[layout.SAGA_FIT_B] != 0.0, saga = hyper[layout.SAGA_UNBIASED] != 0.0
    cdef double b = state[layout.SAGA_B], gb = state[layout.SAGA_GB]
    cdef double inv_n = 1.0 / n, rho = 1.0 - step * lam
    cdef double mm = 0.0, e_g = 0.0, cum = 0.0, c = 0.0, D = 1.0, m = 0.0, loss = 0.0
    cdef double dv, xx, r, s, phi, delta, kappa
    cdef double[::1] g = np.empty(p), last = np.zeros(p)
    with nogil:
        for j in range(p):
            g[j] = grad_avg[j] + gb * x_mean[j]
            mm = mm + x_mean[j] * x_mean[j]
            e_g = e_g + x_mean[j] * g[j]
            c = c + x_mean[j] * w[j]  # w is updated in place as v: w = (v + m xbar) / D once settled
        for idx in range(order.shape[0]):
            i = order[idx]
            lo = indptr[i]
            hi = indptr[i + 1]
            _catch_up(indices, lo, hi, w, g, cum, last)
            _dot2(data, indices, lo, hi, w, x_mean, &dv, &xx)
            r = (dv + m * xx - c - m * mm) / D + b - y[i]
            s = sw[i]
            loss += s * r * r
            phi = s * r
            delta = phi - memory[i]
            memory[i] = phi
            D = D / rho
            kappa = D * step
            if saga:  # the step uses the old average, then the average moves
                for e in range(lo, hi):
                    j = indices[e]
                    w[j] -= kappa * (delta * data[e] + g[j])
                cum += kappa
                for e in range(lo, hi):
                    last[indices[e]] = cum
                c -= kappa * (delta * xx + e_g)
                m += kappa * (delta + gb)
                if fit_b:
                    b -= step * (delta + gb)
                for e in range(lo, hi):
                    g[indices[e]] += delta * data[e] * inv_n
                e_g += delta * xx * inv_n
                gb += delta * inv_n
            else:  # SAG: the average moves first, then the step uses it
                for e in range(lo, hi):
                    g[indices[e]] += delta * data[e] * inv_n
                e_g += delta * xx * inv_n
                gb += delta * inv_n
                cum += kappa
                c -= kappa * e_g
                m += kappa * gb
                if fit_b:
                    b -= step * gb
            if D > 1e6:
                c = _settle(w, g, cum, last, m, x_mean, D)
                cum = 0.0
                m = 0.0
                D = 1.0
        _settle(w, g, cum, last, m, x_mean, D)
        for j in range(p):
            grad_avg[j] = g[j] - gb * x_mean[j]
    np.asarray(state)[:2] = (b, gb)
    return loss


def svrg_inner_sparse(const floating[::1] data, const index_t[::1] indices, const index_t[::1] indptr,
                      const double[::1] y, const double[::1] sw, const double[::1] x_mean,
                      const int64_t[::1] order, double[::1] w, const double[::1] snapshot,
                      const double[::1] full_grad, double[::1] state, const double[::1] hyper,
                      const double[::1] factor):
    """SVRG inner loop (see ``reference_sgd.svrg_inner``), O(nnz of the row) per step;
    penalty factors go to ``_cython_sparse_factors``.

    The constant ``z = step (lam snapshot - full_grad)`` added every step is
    applied just in time; ``step d xbar`` goes into ``m``.
    """
    if factor.shape[0] > 0:
        return svrg_inner_sparse_factors(data, indices, indptr, y, sw, x_mean, order, w, snapshot, full_grad,
                                         state, hyper, factor)
    cdef Py_ssize_t p = x_mean.shape[0], idx, i, j, e, lo, hi
    cdef double step = hyper[layout.SVRG_STEP], lam = hyper[layout.SVRG_LAM]
    cdef bint fit_b = hyper[layout.SVRG_FIT_B] != 0.0
    cdef double b = state[layout.SVRG_B], b_snap = state[layout.SVRG_B_SNAP], gb = state[layout.SVRG_GB]
    cdef double rho = 1.0 - step * lam
    cdef double mm = 0.0, xs = 0.0, zx = 0.0, c = 0.0, cum = 0.0, D = 1.0, m = 0.0, loss = 0.0
    cdef double dv, xx, ds, r, r_snap, s, d, kappa
    cdef double[::1] minus_z = np.empty(p), last = np.zeros(p)  # _catch_up subtracts: rate = -z
    with nogil:
        for j in range(p):
            minus_z[j] = step * (full_grad[j] - lam * snapshot[j])
            mm = mm + x_mean[j] * x_mean[j]
            xs = xs + x_mean[j] * snapshot[j]
            zx = zx - x_mean[j] * minus_z[j]
            c = c + x_mean[j] * w[j]
        for idx in range(order.shape[0]):
            i = order[idx]
            lo = indptr[i]
            hi = indptr[i + 1]
            _catch_up(indices, lo, hi, w, minus_z, cum, last)
            _dot2(data, indices, lo, hi, w, x_mean, &dv, &xx)
            ds = 0.0
            for e in range(lo, hi):
                ds = ds + data[e] * snapshot[indices[e]]
            r = (dv + m * xx - c - m * mm) / D + b - y[i]
            r_snap = ds - xs + b_snap - y[i]
            s = sw[i]
            loss += s * r * r
            d = s * (r - r_snap)
            D = D / rho
            kappa = D * step
            for e in range(lo, hi):
                w[indices[e]] -= kappa * d * data[e]
            m += kappa * d
            c -= kappa * d * xx
            cum += D
            c += D * zx
            if fit_b:
                b -= step * (d + gb)
            if D > 1e6:
                c = _settle(w, minus_z, cum, last, m, x_mean, D)
                cum = 0.0
                m = 0.0
                D = 1.0
        _settle(w, minus_z, cum, last, m, x_mean, D)
    state[layout.SVRG_B] = b
    return loss
