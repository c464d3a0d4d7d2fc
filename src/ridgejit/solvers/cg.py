"""Preconditioned conjugate gradient on the normal equations, stopped on a proven gap bound.

Solves ``A_t w_t = b_t`` with ``A_t = Xc^T S Xc + alpha_t I`` and
``b_t = Xc^T S yc`` for all ``k`` targets in lockstep: each iteration is ONE
fused pass over X (``normal_product`` computes ``A_t d_t`` for every target,
implicit centring included).  Jacobi preconditioner
``M_t = diag(A_t) = x_var_sum + alpha_t diag(D)`` (``D`` the penalty: ``I`` by
default, ``diag(d)`` for factors, a penalty matrix), which removes the effect of
column scales.  Set-up: the problem's single first pass (column moments and ``b``
together), none when they are known already.

Stops once the relative objective gap ``(J(w) - J*) / J(w)`` of some iterate is
proven at most ``tol`` for every target (:mod:`ridgejit.solvers.bounds`:
Gauss-Radau with the proven eigenvalue floor, and the Hestenes-Stiefel
decrease ``gamma_j r_j^T M^-1 r_j / (2n)`` from each iterate to the last) and
returns the latest iterate whose bound is within ``TIGHT`` of its true gap;
``history["gap_bound"]`` has the bound of each iterate as it was reached,
``Result.gap_bound`` the returned one's.  ``J(w)`` comes from scalars,
``(yc'S yc - b.w - r.w) / (2n)``: no pass.  The recursively updated residual
drifts from the true one by about ``eps`` times the size of the terms; when the
residual is within a few orders of that level (:data:`CONFIRM_BELOW`), the
bound is confirmed with one more pass on the true residual, and if it then
fails the iteration restarts from it.  ``max_iter`` defaults to
``max(100, 2 * n_features)``.
"""

import numpy as np

from ..problem import relative_gap
from .base import History, Result
from .bounds import CGCertificate, IterateWindow, require_curvature_floor, start_at_known_optima

#: Confirm with a true residual (one more pass) when ``||r|| <= CONFIRM_BELOW * ||b||``:
#: above it the recursive residual's drift (~1e-15 ||b|| per step) cannot matter.
CONFIRM_BELOW = 1e-7


def _dot(a, b):
    return np.einsum("tj,tj->t", a, b)


def solve_cg(problem, coef0, options):
    """Jacobi-preconditioned CG for all targets at once (see the module docstring).

    ``problem`` is any :class:`~ridgejit.solvers.base.NormalEquations`.
    """
    require_curvature_floor(problem, "cg")
    n, p = problem.n_samples, problem.n_features
    max_iter = options.max_iter if options.max_iter is not None else max(100, 2 * p)
    hist = History("cg", options.verbose)
    b = problem.rhs
    inv_m = 1.0 / (problem.x_var_sum[None, :] + problem.penalty_diag)
    inv_m[~np.isfinite(inv_m)] = 1.0  # zero column and alpha == 0
    c = problem.centred_target_ss  # 2n J(0), per target
    cert = CGCertificate(problem, 1.0 / inv_m)
    window = IterateWindow(b.shape, options.tol)
    w = np.array(start_at_known_optima(problem, coef0), dtype=np.float64)
    Ad = np.empty_like(w)

    def true_residual():
        problem.normal_product(w, Ad)
        return b - Ad

    def state(r, rz):
        """``(J, rounding scale of J, bound on J - J*)`` of the current iterate."""
        bw = _dot(b, w)
        J = (c - bw - _dot(r, w)) / (2 * n)
        return J, (c + np.abs(bw)) / (2 * n), cert.bound(rz, _dot(r, r)) / (2 * n)

    r = true_residual() if np.any(w) else b.copy()
    b_norms = np.maximum(problem.rhs_norms, np.sqrt(_dot(r, r)))
    z = inv_m * r
    d = z.copy()
    rz = _dot(r, z)
    drop = np.zeros(len(rz))
    n_iter, restarted_at, converged = 0, -1, False
    while True:
        J, scale, upper = state(r, rz)
        window.add(w, J, scale, drop)
        hist.add(J, np.linalg.norm(np.sqrt(_dot(r, r))) / n, relative_gap(upper, J, scale))
        coef, gap, done = window.select(upper)
        if done.all():
            if (np.sqrt(_dot(r, r)) > CONFIRM_BELOW * b_norms).all() or restarted_at == n_iter:
                converged = True
                break
            r_true = true_residual()  # the recursive residual may have drifted: check
            upper_true = cert.bound(_dot(r_true, inv_m * r_true), _dot(r_true, r_true)) / (2 * n)
            coef, gap, done = window.select(np.maximum(upper, upper_true))
            if done.all():
                converged = True
                break
            restarted_at = n_iter  # it drifted: restart from the true residual
            r = r_true
            z = inv_m * r
            d = z.copy()
            rz = _dot(r, z)
            cert = CGCertificate(problem, 1.0 / inv_m)
            continue
        if n_iter >= max_iter:
            break
        problem.normal_product(d, Ad)
        dAd = _dot(d, Ad)
        active = (~done) & (dAd > 0)
        step = np.where(active, rz / np.where(dAd > 0, dAd, 1.0), 0.0)
        drop = step * rz / (2 * n)  # Hestenes-Stiefel: J(w) - J(w + step d), exactly
        w += step[:, None] * d
        r -= step[:, None] * Ad
        z = inv_m * r
        rz_new = _dot(r, z)
        beta = np.where(active & (rz > 0), rz_new / np.where(rz > 0, rz, 1.0), 0.0)
        cert.step(step, beta, active)
        d = z + beta[:, None] * d
        rz = rz_new
        n_iter += 1
    return Result(coef, problem.intercept_for(coef), n_iter, converged, "cg", hist.data, gap)
