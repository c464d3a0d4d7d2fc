"""Preconditioned conjugate gradient on the normal equations.

Solves ``A_t w_t = b_t`` with ``A_t = Xc^T S Xc + alpha_t I`` and
``b_t = Xc^T S yc`` for all ``k`` targets in lockstep: each iteration is ONE
fused pass over X (``normal_product`` computes ``A_t d_t`` for every target,
implicit centring included).  Jacobi preconditioner
``M_t = diag(A_t) = x_var_sum + alpha_t``, which removes the effect of column
scales.  Set-up: one pass for the column moments, one for ``b``.

Stops when ``||b_t - A_t w_t|| <= tol * ||b_t||`` for every target (this
equals ``||grad J_t(w)|| <= tol * ||grad J_t(0)||``; the first residual
replaces ``||b_t||`` when it is larger, e.g. ``b_t = 0`` from a non-zero start).  The recursively updated
residual drifts from the true one, so convergence is confirmed with one more
pass on the true residual; if that fails the iteration restarts from it.
``max_iter`` defaults to ``max(100, 2 * n_features)``.
"""

import numpy as np

from .base import History, Result


def _dot(a, b):
    return np.einsum("tj,tj->t", a, b)


def solve_cg(problem, coef0, options):
    """Jacobi-preconditioned CG for all targets at once (see the module docstring).

    ``problem`` is any :class:`~ridgejit.solvers.base.NormalEquations`.
    """
    n, p = problem.n_samples, problem.n_features
    max_iter = options.max_iter if options.max_iter is not None else max(100, 2 * p)
    hist = History("cg", options.verbose)
    b = problem.rhs
    inv_m = 1.0 / (problem.x_var_sum[None, :] + problem.alpha[:, None])
    inv_m[~np.isfinite(inv_m)] = 1.0  # zero column and alpha == 0
    yc_norm2 = problem.centred_target_ss  # 2n J(0), per target
    w = np.array(coef0, dtype=np.float64, copy=True)
    Ad = np.empty_like(w)

    def true_residual():
        problem.normal_product(w, Ad)
        return b - Ad

    r = true_residual() if np.any(w) else b.copy()
    # relative to ||b||, or to the first residual when larger (b = 0: constant y, one row)
    target = options.tol * np.maximum(problem.rhs_norms, np.sqrt(_dot(r, r)))
    z = inv_m * r
    d = z.copy()
    rz = _dot(r, z)
    n_iter = 0
    converged = False
    while True:
        rnorm = np.sqrt(_dot(r, r))
        done = rnorm <= target
        # J(w) = (yc'S yc - b.w - r.w) / (2n), from scalars: no pass over X.
        hist.add((yc_norm2 - _dot(b, w) - _dot(r, w)) / (2 * n), np.linalg.norm(rnorm) / n)
        if done.all():
            r_true = true_residual()
            if (np.sqrt(_dot(r_true, r_true)) <= target).all():
                converged = True
                break
            r = r_true  # the recursive residual drifted: restart from the true one
            z = inv_m * r
            d = z.copy()
            rz = _dot(r, z)
            continue
        if n_iter >= max_iter:
            break
        problem.normal_product(d, Ad)
        dAd = _dot(d, Ad)
        active = (~done) & (dAd > 0)
        step = np.where(active, rz / np.where(dAd > 0, dAd, 1.0), 0.0)
        w += step[:, None] * d
        r -= step[:, None] * Ad
        z = inv_m * r
        rz_new = _dot(r, z)
        beta = np.where(active & (rz > 0), rz_new / np.where(rz > 0, rz, 1.0), 0.0)
        d = z + beta[:, None] * d
        rz = rz_new
        n_iter += 1
    return Result(w, problem.intercept_for(w), n_iter, converged, "cg", hist.data)
