"""Exact ridge with bounded coefficients: a bound-constrained QP on the p x p statistics.

``Ridge(positive=True)`` minimizes ``J(w, b)`` subject to ``w >= 0`` (the
intercept stays free); ``Ridge(bounds=(lower, upper))`` subject to
``lower <= w <= upper`` (:func:`box_qp`; below, the non-negative case).  One pass over X fills the centred statistics
(:class:`ridgejit.stats.SufficientStats`), after which the problem is, per target,

    min_w  1/2 w^T A w - c^T w   subject to  w >= 0,
    A = Xc^T S Xc + alpha I,   c = Xc^T S yc,   b = ybar - xbar.w,

a strictly convex QP (for ``alpha > 0``) whose KKT conditions are a linear
complementarity problem: ``g = A w - c``, ``w >= 0``, ``g >= 0``, ``w_j g_j = 0``.
:func:`box_qp` (``lower = 0, upper = inf``) solves it by block principal pivoting (Judice and Pires,
1994; Kim and Park, SIAM J. Sci. Comput. 2011, for NNLS): guess the free set
``F``, solve ``A_FF w_F = c_F`` by Cholesky, and exchange every index that breaks
a sign condition at once; when exchanges stop reducing the number of broken
conditions, three more full exchanges are allowed, then one index at a time
(Murty's rule, finite).  Typically a handful of ``|F| x |F|`` solves: no further
pass over X, whatever ``n``.  scikit-learn runs L-BFGS-B on the data instead,
two passes over X per iteration.

``gap_bound``: a strongly convex ``J`` (modulus ``alpha / n``) over the
orthant satisfies ``J(w) - J* <= n ||g_min||^2 / (2 alpha)`` with ``g_min`` the
least-norm element of ``grad J + N(w)`` (``N`` the normal cone): ``g_j`` where
``w_j > 0``, ``min(g_j, 0)`` where ``w_j = 0``.
"""

import warnings

import numpy as np
from scipy import linalg
from sklearn.exceptions import ConvergenceWarning

from ..problem import penalty_matrix_of, penalty_range, relative_gap
from ..stats import SufficientStats
from .base import History, Result
from .bounds import gradient_bound, least_norm

#: Full exchanges allowed after the broken-condition count stops falling, before Murty's rule.
BACKUP_EXCHANGES = 3


def _solve_free(A, c, free, w):
    """``w`` with ``A_FF w_F = c_F - A_FB w_B`` (``w_B`` the bounds held; least squares if
    ``A_FF`` is singular)."""
    w = w.copy()
    if free.any():
        rhs = c[free] - A[np.ix_(free, ~free)] @ w[~free]
        sub = A[np.ix_(free, free)]
        try:
            w[free] = linalg.solve(sub, rhs, assume_a="pos", check_finite=False)
        except linalg.LinAlgError:
            w[free] = linalg.lstsq(sub, rhs, check_finite=False)[0]
    return w


def box_qp(A, c, lower, upper, max_iter=None):
    """Minimize ``1/2 w^T A w - c^T w`` over ``lower <= w <= upper`` (``A`` symmetric positive definite).

    Block principal pivoting (see the module docstring) over three states per
    coordinate: free (``A_FF w_F = c_F - A_FB w_B``), held at its lower bound
    (``g_j = (A w - c)_j >= 0`` must hold) or at its upper bound (``g_j <= 0``).
    A broken condition (a free coordinate out of its bounds, a held one whose
    gradient points inside) exchanges; it counts as broken when it fails by
    more than the rounding of ``g`` (``64 eps (|A| |w| + |c|)`` per component).
    Infinite bounds are never held.  ``lower = 0, upper = inf`` is
    ``positive=True``.

    Parameters
    ----------
    A : ndarray of shape (p, p)
    c : ndarray of shape (p,)
    lower, upper : ndarray of shape (p,)
        ``-inf <= lower <= upper <= inf``.
    max_iter : int, default=None
        Exchanges at most (``None``: ``10 p + 100``).

    Returns
    -------
    w : ndarray of shape (p,), within the bounds
    n_iter : int
        Exchanges made (Cholesky solves).
    converged : bool
    """
    p = len(c)
    max_iter = 10 * p + 100 if max_iter is None else max_iter
    # start with every coordinate held at its bound nearest 0 (free when both are infinite)
    at_lower = np.isfinite(lower) & (lower >= 0)
    at_upper = np.isfinite(upper) & (upper <= 0) & ~at_lower
    free = ~(at_lower | at_upper)
    w = np.where(at_lower, lower, np.where(at_upper, upper, 0.0))
    w = _solve_free(A, c, free, w) if free.any() else w
    best, backup = p + 1, BACKUP_EXCHANGES
    absA, absc = np.abs(A), np.abs(c)
    eps = 64 * np.finfo(np.float64).eps
    for it in range(max_iter + 1):
        g = A @ w - c
        slack = eps * (absA @ np.abs(w) + absc)
        low_out, high_out = free & (w < lower), free & (w > upper)
        leave_lower, leave_upper = at_lower & (g < -slack), at_upper & (g > slack)
        broken = low_out | high_out | leave_lower | leave_upper
        count = int(broken.sum())
        if count == 0:
            return np.clip(w, lower, upper), it, True
        if it == max_iter:
            break
        if count < best:
            best, backup = count, BACKUP_EXCHANGES
        elif backup > 0:
            backup -= 1
        else:  # Murty's rule: only the last broken index (finite)
            j = np.flatnonzero(broken)[-1]
            keep = np.zeros(p, dtype=bool)
            keep[j] = True
            low_out, high_out, leave_lower, leave_upper = (low_out & keep, high_out & keep,
                                                           leave_lower & keep, leave_upper & keep)
        at_lower = (at_lower & ~leave_lower) | low_out
        at_upper = (at_upper & ~leave_upper) | high_out
        free = ~(at_lower | at_upper)
        w = np.where(at_lower, lower, np.where(at_upper, upper, w))
        w = _solve_free(A, c, free, w)
    return np.clip(w, lower, upper), max_iter, False


def positive_from_stats(stats, alpha, fit_intercept, max_iter=None, penalty=None, bounds=None):
    """Bounded coefficients of every target from :class:`~ridgejit.stats.SufficientStats`.

    ``bounds``: ``(lower, upper)`` arrays of shape ``(p,)`` (:func:`box_qp`), ``None``
    for ``w >= 0``.  ``penalty``: per-feature factors ``d`` or a penalty matrix
    (``alpha I`` becomes ``alpha diag(d)`` or ``alpha P``).

    Returns ``(coef (k, p), intercept (k,), objective (k,), projected gradient norm, gap
    bound (k,), exchanges, converged)``; no pass over X.
    """
    n = stats.n_samples
    gram, xty, yty, x_mean, y_mean = stats.centred(fit_intercept)
    p, k = xty.shape
    lower, upper = (np.zeros(p), np.full(p, np.inf)) if bounds is None else bounds
    coef, obj, g_sq = np.empty((k, p)), np.empty(k), np.empty(k)
    n_iter, converged = 0, True
    D = penalty_matrix_of(penalty, p)
    for t in range(k):
        A = gram.copy()
        A += alpha[t] * D
        coef[t], it, ok = box_qp(A, xty[:, t], lower, upper, max_iter)
        n_iter, converged = max(n_iter, it), converged and ok
        g = least_norm(A @ coef[t] - xty[:, t], coef[t], (lower, upper)) / n
        g_sq[t] = g @ g
        obj[t] = (yty[t, t] - 2 * coef[t] @ xty[:, t] + coef[t] @ A @ coef[t]) / (2 * n)
    if not converged:
        warnings.warn(f"the bound-constrained QP did not converge in {n_iter} exchanges; its "
                      "gap_bound_ says how far it got", ConvergenceWarning, stacklevel=3)
    gap = relative_gap(gradient_bound(g_sq, n, alpha * penalty_range(penalty)[0]), obj, np.diag(yty))
    return coef, y_mean - coef @ x_mean, obj, float(np.sqrt(g_sq.sum())), gap, max(n_iter, 1), converged


def exact_from_stats(stats, alpha, fit_intercept, *, penalty=None, max_iter=None, bounds=None):
    """The exact fit from statistics alone, bounded or not: ``(coef, intercept, objective,
    gradient norm, gap bound)`` (:func:`positive_from_stats` for ``bounds = (lower, upper)``,
    ``positive=True`` being ``(0, inf)``; else :meth:`ridgejit.stats.SufficientStats.solve`);
    no pass over X."""
    if bounds is not None:
        return positive_from_stats(stats, alpha, fit_intercept, max_iter, penalty, bounds)[:5]
    coef, intercept, obj, grad, gap = stats.solve(alpha, fit_intercept, penalty)
    return coef, intercept, obj, float(np.linalg.norm(grad)), gap


def solve_positive(problem, coef0, options):
    """Exact bounded ridge (see the module docstring): one pass over X; ``coef0`` is ignored;
    ``options.bounds`` the box (``None``: ``w >= 0``)."""
    hist = History("positive", options.verbose)
    stats = SufficientStats.of_rows(problem.backend, problem.X, problem.y, problem.sw, problem.fit_intercept)
    coef, intercept, obj, g_norm, gap, n_iter, converged = positive_from_stats(
        stats, problem.alpha, problem.fit_intercept, options.max_iter, problem.penalty, options.bounds)
    hist.add(obj, g_norm, gap)
    return Result(coef, intercept, n_iter, converged, "positive", hist.data, gap)
