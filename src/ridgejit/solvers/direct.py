"""Exact solver: normal equations (primal) or kernel form (dual), Cholesky.

Primal (``n_samples >= n_features``), one pass over X
    ``sufficient_stats`` accumulates ``D^T S D``, ``D^T S E`` and the sums
    around a provisional centre (the first row), by blocked BLAS ``syrk``.
    The centred Gram ``Xc^T S Xc = D^T S D - W d d^T`` (``d = xbar - x_0``)
    then costs only ``p^2``; solve ``(Xc^T S Xc + alpha I) w = Xc^T S yc`` by
    Cholesky (scipy), once per distinct alpha.
Dual (``n_features > n_samples``, plain ``alpha I``), two passes over X
    Column means (one pass), then ``K = S^1/2 Xc Xc^T S^1/2`` by column-blocked
    ``syrk`` (one pass), ``(K + alpha I) a = S^1/2 yc`` by Cholesky and
    ``w = Xc^T S^1/2 a`` (a ``gemv``).
A penalty ``D`` (factors or a matrix) replaces ``alpha I`` by ``alpha D``, always in
the primal form (an unpenalized direction has no dual).  A singular system
(``alpha = 0`` with dependent columns) falls back to the
minimum-norm least-squares solution (SVD), as scikit-learn does.

``Result.gap_bound``: primal, ``r^T A^-1 r / (2n J)`` for the computed solution's
residual of the normal equations, by the same Cholesky factor (rounding only);
dual, the gradient bound ``n ||grad J||^2 / (2 alpha J)`` (for ``p > n``,
``lambda_min(A) = alpha`` exactly, so it is tight); float32 refinement, the last
step's ``r^T A~^-1 r`` times the measured contraction squared (an estimate).
"""

import numpy as np

from ..problem import raise_if_not_finite, relative_gap
from ..stats import SufficientStats, solve_spd
from .base import History, Result
from .bounds import full_gradient_bound, gradient_bound


def _primal(problem):
    stats = SufficientStats.of_rows(problem.backend, problem.X, problem.y, problem.sw, problem.fit_intercept)
    return stats.solve(problem.alpha, problem.fit_intercept, problem.penalty)


#: A ``tol`` at or below this asks for the exact (float64) answer: the float32 refinement
#: then runs to REFINE_RTOL; a looser one stops as soon as its proven bound reaches ``tol``.
EXACT_TOL = 1e-12

#: Iterative refinement stops once its predicted remaining error is below this
#: (relative to the coefficients), or after MAX_REFINE passes.
REFINE_RTOL, MAX_REFINE = 1e-14, 8


def _refined(problem, hist, tol):
    """Mixed precision for float32 X: float32 Gram, float64-exact answer.

    The statistics come from float32 BLAS products per chunk (about twice the
    speed of float64; totals in float64), good to about 1e-6.  Each
    refinement pass then computes the exact gradient ``(g_w, g_b)`` of
    ``J(w, b)`` with the fused kernel (float64 accumulation over the float32
    values) and takes the Newton step of the approximate system, in Schur
    form: ``(Gc + alpha I) dw = -n (g_w - xbar g_b)``,
    ``db = -n g_b / W - xbar.dw``.  Its fixed point is ``grad J = 0`` exactly;
    the approximation only sets the contraction rate ``rho`` (about
    ``cond * 1e-6``).  It stops when ``rho * ||dw|| <= REFINE_RTOL ||w||``
    (typically two passes); with ``tol`` above :data:`EXACT_TOL`, as soon as the
    proven bound on the current iterate's gap
    (:func:`ridgejit.solvers.bounds.full_gradient_bound`, from the pass's
    gradient) is at most ``tol``: a loose ``tol`` costs one pass.
    If the steps stop shrinking (``rho > 0.5``: the
    float32 Gram is too inaccurate for this ill-conditioned data) it returns
    ``None`` and the caller solves with exact float64 statistics instead.
    Returns ``(coef, intercept, n_passes, gap estimate)`` or ``None``.
    """
    n, k = problem.n_samples, problem.n_targets
    stats = SufficientStats.of_rows(problem.backend, problem.X, problem.y, problem.sw, problem.fit_intercept,
                                    lowp=True)
    gram, xty, _, x_mean, y_mean = stats.centred(problem.fit_intercept)
    coef = solve_spd(gram, xty, problem.alpha, penalty=problem.penalty)
    b = y_mean - coef @ x_mean
    W = stats.weight_sum
    grad, grad_b = np.empty_like(coef), np.empty(k)
    last = np.inf
    for passes in range(1, MAX_REFINE + 1):
        J = problem.gradient_at(coef, b, grad, grad_b)
        if not problem.fit_intercept:
            grad_b[:] = 0.0
        proven = full_gradient_bound(J, grad, grad_b, x_mean, W, n, problem.strong_convexity,
                                     problem.fit_intercept)
        hist.add(J, np.linalg.norm(grad), proven)
        if tol > EXACT_TOL and np.all(proven <= tol):
            return coef, (b if problem.fit_intercept else np.zeros(k)), passes, proven
        residual = -n * (grad - np.outer(grad_b, x_mean))
        dw = solve_spd(gram, residual.T, problem.alpha, penalty=problem.penalty)
        db = -n * grad_b / W - dw @ x_mean
        coef += dw
        b += db
        size = np.linalg.norm(dw)
        rho = size / last if np.isfinite(last) else 1.0  # the first step gives no rate yet
        if rho * size <= REFINE_RTOL * np.linalg.norm(coef) or size == 0.0:
            # r' A~^-1 r = r.dw before the step; the step contracts it by rho^2
            gap = relative_gap(rho * rho * np.abs(np.einsum("tj,tj->t", residual, dw)) / (2 * n), J, J)
            return coef, (b if problem.fit_intercept else np.zeros(k)), passes, gap
        if np.isfinite(last) and rho > 0.5:
            return None
        last = size
    return None


def _dual(problem):
    X, sw = problem.X, problem.sw
    n = X.shape[0]
    x_mean, y_mean = problem.x_mean, problem.y_mean
    K = np.empty((n, n))
    problem.kernel("dual_gram")(sw, x_mean, K)
    raise_if_not_finite(X, np.diag(K))
    root = np.sqrt(sw)[:, None]
    a = solve_spd(K, root * (problem.y - y_mean), problem.alpha).T  # (n, k)
    v = root * a
    coef = (X.T @ v).T - np.outer(v.sum(axis=0), x_mean)
    return coef, y_mean - coef @ x_mean


def solve_direct(problem, coef0, options):
    """Exact ridge solution (see the module docstring); ``coef0`` is ignored."""
    hist = History("direct", options.verbose)
    if problem.X.dtype == np.float32 and not problem.sparse and problem.n_samples >= problem.n_features:
        refined = _refined(problem, hist, options.tol)
        if refined is not None:
            coef, intercept, passes, gap = refined
            return Result(coef, intercept, 1 + passes, True, "direct", hist.data, gap)
    if problem.n_samples >= problem.n_features or problem.penalty is not None:
        coef, intercept, obj, grad, gap = _primal(problem)
    else:
        coef, intercept = _dual(problem)
        grad = np.empty_like(coef)
        obj = problem.value_and_gradient(coef, grad)
        n = problem.n_samples
        gap = relative_gap(gradient_bound(np.einsum("tj,tj->t", grad, grad), n, problem.alpha), obj, obj)
    hist.add(obj, np.linalg.norm(grad), gap)
    return Result(coef, intercept, 1, True, "direct", hist.data, gap)
