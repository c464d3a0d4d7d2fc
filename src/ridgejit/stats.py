"""Sufficient statistics of weighted least squares: accumulate, merge, subtract, centre, solve.

For rows ``x_i`` (``p`` features), targets ``y_i`` (``k``) and weights ``s_i``,
around a fixed provisional centre ``(c, e)``, :class:`SufficientStats` holds

    gram = D^T S D,  xty = D^T S E,  xsum = D^T s,  ysum = E^T s,  yty = E^T S E,
    weight_sum = sum_i s_i,  n_samples

with ``D = X - 1 c^T`` and ``E = Y - 1 e^T``.  Statistics of disjoint row sets
add (threads, chunks, Dask blocks) and subtract (a training set is the total
minus its test fold).  Centring them gives the normal equations of the ridge
objective,

    (Xc^T S Xc + alpha I) w = Xc^T S yc,

which :func:`solve_spd` solves by Cholesky for every target.  Used by the
direct solver, :func:`ridgejit.fit_chunks`, :mod:`ridgejit.cv` (leave-one-out,
k-fold, ``ridge_path``) and :mod:`ridgejit.dask`.  One pass over X fills them
(the ``sufficient_stats`` kernel); nothing here reads X again.
"""

import warnings
from typing import NamedTuple

import numpy as np
from scipy import linalg, sparse
from scipy.linalg import lapack

from .problem import bind, penalty_times, raise_if_not_finite, relative_gap


#: Reciprocal condition numbers below this are treated as singular.
RCOND_MIN = 1e-13


def solve_spd(A, B, alpha, forms=False, penalty=None):
    """Solve ``(A + alpha_t P) x_t = B[:, t]`` for every target; returns ``(k, m)``.

    ``P = diag(penalty)`` for per-feature penalty factors ``d_j >= 0`` (1-D),
    ``P = penalty`` for a penalty matrix (2-D), ``None`` the identity.

    One Cholesky factorization per distinct value in ``alpha``, then LAPACK's
    ``pocon`` estimate of the reciprocal condition number.  When the matrix
    is not positive definite or ``rcond < RCOND_MIN`` (``alpha = 0`` with
    dependent columns), the minimum-norm least-squares solution (SVD-based
    ``lstsq``, as scikit-learn's ``svd`` solver) is used, with a
    ``LinAlgWarning``.

    ``forms=True`` also returns ``q`` (k,): ``q_t = r_t^T (A + alpha_t P)^-1 r_t``
    for the computed solution's residual ``r_t = B[:, t] - (A + alpha_t P) x_t``
    (by the same factor, ``O(m^2)`` per target): ``q_t / (2n)`` is the objective
    gap of a solution of the normal equations (see :mod:`ridgejit.solvers.bounds`).
    """
    m, k = B.shape
    out = np.empty((k, m))
    q = np.empty(k)
    diag = np.arange(m)
    P = None if penalty is None or penalty.ndim == 1 else penalty
    factor = 1.0 if penalty is None else penalty  # the diagonal (unused for a matrix)

    def add(M, value):
        if P is None:
            M[diag, diag] += value * factor
        else:
            M += value * P
        return M

    for value in (alpha[:1] if k == 1 else np.unique(alpha)):
        cols = np.flatnonzero(alpha == value)
        M = add(A.copy(), value)
        anorm = float(np.abs(M).sum(axis=0).max())
        try:
            # LAPACK directly: scipy's cho_factor/cho_solve checks cost more than a 10 x 10 solve
            L, info = lapack.dpotrf(M, lower=1, clean=0, overwrite_a=1)
            if info != 0:
                raise linalg.LinAlgError(f"not positive definite (potrf info={info})")
            rcond, _ = lapack.dpocon(L, anorm, uplo="L")
            if not rcond >= RCOND_MIN:
                raise linalg.LinAlgError(f"rcond={rcond:.2e}")
            inverse = lambda R: lapack.dpotrs(L, R, lower=1)[0]  # noqa: E731
            out[cols] = inverse(B[:, cols]).T
        except linalg.LinAlgError as exc:
            warnings.warn(
                f"the normal equations with alpha={value:g} are singular or ill-conditioned "
                f"({exc}); returning the minimum-norm least-squares solution",
                linalg.LinAlgWarning,
                stacklevel=3,
            )
            M = add(A.copy(), value)
            out[cols] = linalg.lstsq(M, B[:, cols], check_finite=False)[0].T
            inverse = lambda R: linalg.lstsq(M, R, check_finite=False)[0]  # noqa: E731
        if forms:
            R = B[:, cols] - add(A.copy(), value) @ out[cols].T
            q[cols] = np.einsum("jt,jt->t", R, inverse(R))
    return (out, np.maximum(q, 0.0)) if forms else out


class SufficientStats:
    """Weighted least-squares statistics accumulated around a fixed provisional centre.

    ``add`` folds in one block of rows with the ``sufficient_stats`` kernel
    (one pass over it); ``solve`` centres the totals and solves the normal
    equations.  With centre ``c`` and ``d = xbar - c``:
    ``Xc^T S Xc = sum_blocks D^T S D - W d d^T``; a centre near the means
    (the first row seen) keeps that subtraction free of cancellation.  Used by
    the direct solver (one block: the whole X) and by
    :func:`ridgejit.fit_chunks` and ``Ridge.partial_fit`` (any number of blocks), by
    cross-validation (per-fold statistics, training = total - fold) and by the
    Dask estimators (per-block statistics, tree-merged).
    """

    #: the summed statistics (``weight_sum`` and ``n_samples`` are scalars beside them)
    FIELDS = ("gram", "xty", "xsum", "ysum", "yty")

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

    @classmethod
    def of_rows(cls, backend, X, Y, sw, fit_intercept, lowp=False):
        """The statistics of all rows of ``X`` (one pass), around the first row (see
        :meth:`around_first_row`); ``lowp`` as in :meth:`add`."""
        stats = cls.around_first_row(X, Y, fit_intercept)
        stats.add(backend, X, Y, sw, lowp=lowp)
        return stats

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
        if self.n_samples == 0 and self.weight_sum == 0.0:  # the first block: its arrays are the totals
            self.gram, self.xty, self.xsum, self.ysum, self.yty = out
        else:
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
        self._check_same_centre(other, "merge")
        for name in self.FIELDS:
            getattr(self, name)[...] += getattr(other, name)
        self.weight_sum += other.weight_sum
        self.n_samples += other.n_samples
        return self

    def subtract(self, part):
        """Statistics of the rows counted here but not in ``part`` (around the same centre).

        All statistics are sums over rows, so a training set's are the total's
        minus its test fold's.  Around a centre inside the data (the first row)
        the terms are of the size of the data's spread, so the subtraction loses
        no more digits than the centring itself.  Returns a new object.
        """
        self._check_same_centre(part, "subtract")
        out = SufficientStats(self.x_shift, self.y_shift)
        for name in self.FIELDS:
            setattr(out, name, getattr(self, name) - getattr(part, name))
        out.weight_sum = self.weight_sum - part.weight_sum
        out.n_samples = self.n_samples - part.n_samples
        return out

    def _check_same_centre(self, other, verb):
        if not (np.array_equal(self.x_shift, other.x_shift)
                and np.array_equal(self.y_shift, other.y_shift)):
            raise ValueError(f"cannot {verb} sufficient statistics around different centres")

    def centred(self, fit_intercept):
        """``(Xc^T S Xc, Xc^T S yc, yc^T S yc, x_mean, y_mean)`` from the totals (new arrays)."""
        W = self.weight_sum
        gram, xty, yty = self.gram.copy(), self.xty.copy(), self.yty.copy()
        if not fit_intercept:
            return gram, xty, yty, self.x_shift.copy(), self.y_shift.copy()
        d, e = self.xsum / W, self.ysum / W
        gram -= np.outer(W * d, d)
        xty -= np.outer(W * d, e)
        yty -= np.outer(W * e, e)
        return gram, xty, yty, self.x_shift + d, self.y_shift + e

    def residual_sums(self, coef, intercept):
        """``(L, G, R)`` of the residuals ``r_ti = x_i.w_t + b_t - y_it`` from the totals, with
        no pass over X: ``L_t = sum_i s_i r_ti^2`` (k,), ``G_t = sum_i s_i r_ti x_i`` (k, p) and
        ``R_t = sum_i s_i r_ti`` (k,), the sums of the ``gradient`` kernel's row pass.

        With ``D = X - 1 c^T``, ``E = Y - 1 e^T`` and ``delta_t = c.w_t + b_t - e_t`` the
        residual is ``D w_t + delta_t - E_t``, so

            L_t = w_t'(D'SD) w_t - 2 w_t.(D'SE)_t + (E'SE)_tt + 2 delta_t (xsum.w_t - ysum_t) + W delta_t^2
            R_t = xsum.w_t + W delta_t - ysum_t
            G_t = (D'SD) w_t - (D'SE)_t + delta_t xsum + R_t c

        ``O(k p^2)``.  ``L`` is a difference of terms of the size of ``(E'SE)_tt``: its
        rounding error is about ``eps (E'SE)_tt``, i.e. relative ``eps / (1 - R^2)``.
        """
        C = np.atleast_2d(coef)
        b = np.atleast_1d(np.asarray(intercept, dtype=np.float64))
        W = self.weight_sum
        delta = C @ self.x_shift + b - self.y_shift
        GC = C @ self.gram
        xw = C @ self.xsum
        R = xw + W * delta - self.ysum
        L = (np.einsum("tj,tj->t", GC, C) - 2.0 * np.einsum("tj,jt->t", C, self.xty) + np.diag(self.yty)
             + 2.0 * delta * (xw - self.ysum) + W * delta * delta)
        G = GC - self.xty.T + np.outer(delta, self.xsum) + np.outer(R, self.x_shift)
        return np.maximum(L, 0.0), G, R

    def solve(self, alpha, fit_intercept, penalty=None):
        """The exact solution from the statistics, with no pass over X: a :class:`Solution`.

        ``penalty``: per-feature factors ``d`` or a penalty matrix ``P`` (the penalty is
        ``alpha w^T D w`` with ``D = diag(d)`` or ``P``; ``None``: ``D = I``), so ``I`` below is ``D``.
        ``2n J = yc'S yc - 2 w.Xc'S yc + w'(G + alpha I) w`` and the gradient come
        from the statistics; ``gap_bound`` is the relative objective gap of the
        computed solution, ``r^T (G + alpha I)^-1 r / (2n J)`` with ``r`` the
        residual of the normal equations (rounding only).
        """
        n = self.n_samples
        gram, xty, yty, x_mean, y_mean = self.centred(fit_intercept)
        coef, q = solve_spd(gram, xty, alpha, forms=True, penalty=penalty)
        Gw = coef @ gram + penalty_times(alpha, penalty, coef)
        grad = (Gw - xty.T) / n
        bx = np.einsum("tj,jt->t", coef, xty)
        obj = (np.diag(yty) - 2 * bx + np.einsum("tj,tj->t", coef, Gw)) / (2 * n)
        gap = relative_gap(q / (2 * n), obj, (np.diag(yty) + 2 * np.abs(bx)) / (2 * n))
        return Solution(coef, y_mean - coef @ x_mean, obj, grad, gap)


class Solution(NamedTuple):
    """What :meth:`SufficientStats.solve` returns (arrays over the ``k`` targets)."""

    coef: np.ndarray  #: (k, p)
    intercept: np.ndarray  #: (k,)
    objective: np.ndarray  #: (k,) ``J_t`` at the solution
    gradient: np.ndarray  #: (k, p) ``grad_w J_t`` at the solution
    gap_bound: np.ndarray  #: (k,) relative objective gap of the computed solution
