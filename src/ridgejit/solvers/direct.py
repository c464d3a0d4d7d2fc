"""Exact solver: normal equations (primal) or kernel form (dual), Cholesky.

Primal (``n_samples >= n_features``), one pass over X
    ``sufficient_stats`` accumulates ``D^T S D``, ``D^T S E`` and the sums
    around a provisional centre (the first row), by blocked BLAS ``syrk``.
    The centred Gram ``Xc^T S Xc = D^T S D - W d d^T`` (``d = xbar - x_0``)
    then costs only ``p^2``; solve ``(Xc^T S Xc + alpha I) w = Xc^T S yc`` by
    Cholesky (scipy), once per distinct alpha.
Dual (``n_features > n_samples``), two passes over X
    Column means (one pass), then ``K = S^1/2 Xc Xc^T S^1/2`` by column-blocked
    ``syrk`` (one pass), ``(K + alpha I) a = S^1/2 yc`` by Cholesky and
    ``w = Xc^T S^1/2 a`` (a ``gemv``).
A singular system (``alpha = 0`` with dependent columns) falls back to the
minimum-norm least-squares solution (SVD), as scikit-learn does.
"""

import warnings

import numpy as np
from scipy import linalg
from scipy.linalg import lapack

from scipy import sparse

from ..problem import bind, raise_if_not_finite
from .base import History, Result


#: Reciprocal condition numbers below this are treated as singular.
RCOND_MIN = 1e-13


def solve_spd(A, B, alpha):
    """Solve ``(A + alpha_t I) x_t = B[:, t]`` for every target; returns ``(k, m)``.

    One Cholesky factorization per distinct value in ``alpha``, then LAPACK's
    ``pocon`` estimate of the reciprocal condition number.  When the matrix
    is not positive definite or ``rcond < RCOND_MIN`` (``alpha = 0`` with
    dependent columns), the minimum-norm least-squares solution (SVD-based
    ``lstsq``, as scikit-learn's ``svd`` solver) is used, with a
    ``LinAlgWarning``.
    """
    m, k = B.shape
    out = np.empty((k, m))
    diag = np.arange(m)
    for value in np.unique(alpha):
        cols = np.flatnonzero(alpha == value)
        M = A.copy()
        M[diag, diag] += value
        anorm = float(np.abs(M).sum(axis=0).max())
        try:
            factor = linalg.cho_factor(M, lower=True, overwrite_a=True, check_finite=False)
            rcond, _ = lapack.dpocon(factor[0], anorm, uplo="L")
            if not rcond >= RCOND_MIN:
                raise linalg.LinAlgError(f"rcond={rcond:.2e}")
            out[cols] = linalg.cho_solve(factor, B[:, cols], check_finite=False).T
        except linalg.LinAlgError as exc:
            warnings.warn(
                f"the normal equations with alpha={value:g} are singular or ill-conditioned "
                f"({exc}); returning the minimum-norm least-squares solution",
                linalg.LinAlgWarning,
                stacklevel=3,
            )
            M = A.copy()
            M[diag, diag] += value
            out[cols] = linalg.lstsq(M, B[:, cols], check_finite=False)[0].T
    return out


class SufficientStats:
    """Weighted least-squares statistics accumulated around a fixed provisional centre.

    ``add`` folds in one block of rows with the ``sufficient_stats`` kernel
    (one pass over it); ``solve`` centres the totals and solves the normal
    equations.  With centre ``c`` and ``d = xbar - c``:
    ``Xc^T S Xc = sum_blocks D^T S D - W d d^T``; a centre near the means
    (the first row seen) keeps that subtraction free of cancellation.  Used by
    the direct solver (one block: the whole X) and by
    :func:`ridgejit.streaming.fit_chunks` (any number of blocks).
    """

    def __init__(self, x_shift, y_shift):
        p, k = len(x_shift), len(y_shift)
        self.x_shift = np.asarray(x_shift, dtype=np.float64)
        self.y_shift = np.asarray(y_shift, dtype=np.float64)
        self.gram, self.xty = np.zeros((p, p)), np.zeros((p, k))
        self.xsum, self.ysum, self.yty = np.zeros(p), np.zeros(k), np.zeros((k, k))
        self.weight_sum = 0.0
        self.n_samples = 0

    @classmethod
    def around_first_row(cls, X, Y, fit_intercept):
        """Statistics centred on the first row of ``X``/``Y`` (zeros without an intercept,
        where the statistics must stay uncentred, and for sparse X, whose zeros a
        shift would densify: see ``sparse_stats.shifted_stats``)."""
        if fit_intercept and sparse.issparse(X):
            return cls(np.zeros(X.shape[1]), np.array(Y[0], dtype=np.float64))
        if fit_intercept:
            return cls(np.array(X[0], dtype=np.float64), np.array(Y[0], dtype=np.float64))
        return cls(np.zeros(X.shape[1]), np.zeros(Y.shape[1]))

    def add(self, backend, X, y, sw, lowp=False):
        """Accumulate the rows of ``X`` (read-only view or CSR), ``y`` (n, k) and weights ``sw``.

        ``lowp``: the ``sufficient_stats_lowp`` kernel (float32 products for
        float32 X, about 1e-6 relative error; only for :func:`_refined`).
        """
        p, k = self.gram.shape[0], self.xty.shape[1]
        out = [np.empty((p, p)), np.empty((p, k)), np.empty(p), np.empty(k), np.empty((k, k))]
        kernel = "sufficient_stats_lowp" if lowp else "sufficient_stats"
        W = bind(backend, kernel, X)(y, sw, self.x_shift, self.y_shift, *out)
        raise_if_not_finite(X, np.diag(out[0]), out[2], out[4])
        for total, part in zip((self.gram, self.xty, self.xsum, self.ysum, self.yty), out):
            total += part
        self.weight_sum += W
        self.n_samples += X.shape[0]

    def merge(self, other):
        """Add the totals of ``other`` (statistics around the same centre) to ``self``.

        Partial statistics of disjoint row sets combine by addition, so blocks
        may be accumulated anywhere (threads, Dask workers) and merged in a
        fixed order; returns ``self``.
        """
        if not (np.array_equal(self.x_shift, other.x_shift)
                and np.array_equal(self.y_shift, other.y_shift)):
            raise ValueError("cannot merge sufficient statistics around different centres")
        for name in ("gram", "xty", "xsum", "ysum", "yty"):
            getattr(self, name)[...] += getattr(other, name)
        self.weight_sum += other.weight_sum
        self.n_samples += other.n_samples
        return self

    def centred(self, fit_intercept):
        """``(Xc^T S Xc, Xc^T S yc, yc^T S yc, x_mean, y_mean)`` from the totals (new arrays)."""
        W = self.weight_sum
        gram, xty, yty = self.gram.copy(), self.xty.copy(), self.yty.copy()
        if not fit_intercept:
            return gram, xty, yty, self.x_shift.copy(), self.y_shift.copy()
        d, e = self.xsum / W, self.ysum / W
        gram -= W * np.outer(d, d)
        xty -= W * np.outer(d, e)
        yty -= W * np.outer(e, e)
        return gram, xty, yty, self.x_shift + d, self.y_shift + e

    def solve(self, alpha, fit_intercept):
        """``(coef (k, p), intercept (k,), objective (k,), gradient (k, p))``.

        The objective and gradient at the solution come from the statistics,
        with no pass over X: ``2n J = yc'S yc - 2 w.Xc'S yc + w'(G + alpha I) w``.
        """
        n = self.n_samples
        gram, xty, yty, x_mean, y_mean = self.centred(fit_intercept)
        coef = solve_spd(gram, xty, alpha)
        Gw = coef @ gram + alpha[:, None] * coef
        grad = (Gw - xty.T) / n
        obj = (np.diag(yty) - 2 * np.einsum("tj,jt->t", coef, xty) + np.einsum("tj,tj->t", coef, Gw)) / (2 * n)
        return coef, y_mean - coef @ x_mean, obj, grad


def _primal(problem):
    stats = SufficientStats.around_first_row(problem.X, problem.y, problem.fit_intercept)
    stats.add(problem.backend, problem.X, problem.y, problem.sw)
    return stats.solve(problem.alpha, problem.fit_intercept)


#: Iterative refinement stops once its predicted remaining error is below this
#: (relative to the coefficients), or after MAX_REFINE passes.
REFINE_RTOL, MAX_REFINE = 1e-14, 8


def _refined(problem, hist):
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
    (typically two passes).  If the steps stop shrinking (``rho > 0.5``: the
    float32 Gram is too inaccurate for this ill-conditioned data) it returns
    ``None`` and the caller solves with exact float64 statistics instead.
    Returns ``(coef, intercept, n_passes)`` or ``None``.
    """
    n, k = problem.n_samples, problem.n_targets
    stats = SufficientStats.around_first_row(problem.X, problem.y, problem.fit_intercept)
    stats.add(problem.backend, problem.X, problem.y, problem.sw, lowp=True)
    gram, xty, _, x_mean, y_mean = stats.centred(problem.fit_intercept)
    coef = solve_spd(gram, xty, problem.alpha)
    b = y_mean - coef @ x_mean
    W = stats.weight_sum
    gradient = problem.kernel("gradient")
    grad, grad_b = np.empty_like(coef), np.empty(k)
    last = np.inf
    for passes in range(1, MAX_REFINE + 1):
        J = gradient(problem.y, problem.sw, coef, b, problem.alpha, grad, grad_b)
        hist.add(J, np.linalg.norm(grad))
        if not problem.fit_intercept:
            grad_b[:] = 0.0
        dw = solve_spd(gram, (-n * (grad - np.outer(grad_b, x_mean))).T, problem.alpha)
        db = -n * grad_b / W - dw @ x_mean
        coef += dw
        b += db
        size = np.linalg.norm(dw)
        rho = size / last if np.isfinite(last) else 1.0  # the first step gives no rate yet
        if rho * size <= REFINE_RTOL * np.linalg.norm(coef) or size == 0.0:
            return coef, (b if problem.fit_intercept else np.zeros(k)), passes
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


def solve_direct(problem, coef0, intercept0, options):
    """Exact ridge solution (see the module docstring); ``coef0`` is ignored."""
    hist = History("direct", options.verbose)
    if problem.X.dtype == np.float32 and not problem.sparse and problem.n_samples >= problem.n_features:
        refined = _refined(problem, hist)
        if refined is not None:
            coef, intercept, passes = refined
            return Result(coef, intercept, 1 + passes, True, "direct", hist.data)
    if problem.n_samples >= problem.n_features:
        coef, intercept, obj, grad = _primal(problem)
    else:
        coef, intercept = _dual(problem)
        grad = np.empty_like(coef)
        obj = problem.value_and_gradient(coef, grad)
    hist.add(obj, np.linalg.norm(grad))
    return Result(coef, intercept, 1, True, "direct", hist.data)
