"""Distributed ridge solvers: the exact one-pass solver and CG on the normal equations.

Both minimise, per target ``t``,

    J_t(w, b) = 1/(2n) * sum_i s_i (x_i.w + b - y_it)^2 + alpha_t/(2n) * ||w||^2

over all rows of all blocks, with the intercept by implicit centring, exactly
as :class:`ridgejit.Ridge` does on one machine.

``direct`` (one pass, nothing persisted: blocks stream through the workers)
    1. the provisional centre ``c = x_0`` (first row of the first block,
       and ``y_0``): one small task;
    2. per block, on its worker: the ``sufficient_stats`` kernel around
       ``c`` (``D^T S D``, ``D^T S E``, ``D^T s``, ``E^T s``, ``E^T S E``,
       ``sum s``), i.e. one ``(p + k + 1)^2`` matrix leaves the worker;
    3. a tree reduction in fixed block order adds the statistics;
    4. the client centres them and solves ``(Xc^T S Xc + alpha I) w =
       Xc^T S yc`` by Cholesky (:meth:`SufficientStats.solve`).

``cg`` (X persisted on the workers; one pass per iteration)
    Setup: one pass of column moments (``x_mean``, the Jacobi diagonal
    ``diag(Xc^T S Xc)``, ``y_mean``), one pass for ``b = Xc^T S yc``.  Each
    iteration: the search direction ``d`` (``k x p``) is broadcast once,
    every block computes ``X_bc^T S_b X_bc d`` with the ``normal_product``
    kernel around the global mean, the ``k x p`` results are tree-summed and
    the client adds ``alpha d`` and takes the CG step.  The iteration itself
    is :func:`ridgejit.solvers.cg.solve_cg`, run on the client against
    :class:`BlockProblem`.
"""

import dask
import numpy as np

from ..problem import penalty_diagonal, penalty_range, penalty_times, row_norms_checked
from ..solvers import SKLEARN_SOLVERS
from ..solvers.base import History, Result
from ..solvers.cg import solve_cg
from ..solvers.positive import exact_from_stats
from . import tasks
from .blocks import first_row, persist_prepared, share, sum_over_blocks, tree_reduce

#: ``auto`` picks ``direct`` while the ``p x p`` Gram matrix takes at most this many bytes
#: (p <= 8192); wider data goes to ``cg``.
DIRECT_MAX_GRAM_BYTES = 512 * 2**20


def choose_solver(solver, n_features, penalty=None):
    """``direct`` or ``cg`` for ``solver`` in ``{"auto", "direct", "cg"}`` (or scikit-learn's
    ``cholesky``/``svd``/``lsqr``/``sparse_cg``, as :class:`ridgejit.Ridge` maps them); ValueError otherwise.
    ``auto`` is ``direct`` when the penalty has a null space (CG's gap bound needs none)."""
    solver = SKLEARN_SOLVERS.get(solver, solver)
    if solver == "auto":
        unpenalized = penalty is not None and not penalty_range(penalty)[0] > 0
        return "direct" if unpenalized or 8 * n_features**2 <= DIRECT_MAX_GRAM_BYTES else "cg"
    if solver not in ("direct", "cg"):
        raise ValueError(f"solver={solver!r} is not available on dask collections; use 'auto', "
                         "'direct' or 'cg' (or fit NumPy data)")
    return solver


def centre(rb, fit_intercept):
    """The provisional centre ``(x_0, y_0)`` (zeros without an intercept: no task)."""
    if not fit_intercept:
        return np.zeros(rb.n_features), np.zeros(rb.n_targets)
    return first_row(rb)


def fit_direct(rb, alpha, fit_intercept, backend, n_jobs, verbose=0, penalty=None, bounds=None):
    """Exact fit in one pass over the blocks (see the module docstring).

    Returns ``(result, stats)``: a ``Result`` and the merged
    :class:`ridgejit.stats.SufficientStats` (for the classical covariance).

    Parameters
    ----------
    rb : RowBlocks
    alpha : ndarray of shape (k,)
    fit_intercept : bool
    backend : str
        Kernel backend name, resolved on each worker.
    n_jobs : int or None
        Kernel threads inside each task.
    penalty : ndarray of shape (p,) or None
        Per-feature penalty factors (``alpha I`` becomes ``alpha diag(d)``).
    bounds : tuple of two ndarrays of shape (p,) or None
        ``lower <= w <= upper`` (``positive=True``: ``(0, inf)``): the bound-constrained
        QP on the merged statistics (:func:`ridgejit.solvers.positive.box_qp`), on the client.

    Raises
    ------
    ValueError
        From the block that failed validation (named), or when the weights sum to zero.
    """
    hist = History("dask-direct", verbose)
    x_shift, y_shift = centre(rb, fit_intercept)
    parts = [dask.delayed(tasks.stats)(*rb.raw(b), x_shift, y_shift, backend, n_jobs)
             for b in range(len(rb))]
    (stats,) = dask.compute(tree_reduce(parts, tasks.merge_stats))
    _check_weight_sum(stats.weight_sum)
    with np.errstate(over="ignore", invalid="ignore"):
        coef, intercept, obj, g_norm, gap = exact_from_stats(stats, alpha, fit_intercept, penalty=penalty,
                                                             bounds=bounds)
    hist.add(obj, g_norm, gap)
    return Result(coef, intercept, 1, True, "direct" if bounds is None else "positive", hist.data, gap), stats


def _check_weight_sum(W):
    if not W > 0:
        raise ValueError("sample weights sum to zero over all blocks")


class BlockProblem:
    """The distributed data of a CG fit: a :class:`ridgejit.solvers.base.NormalEquations`.

    Holds persisted blocks and the small global statistics (``O(p k)``, on the
    client); implements :meth:`normal_product` as one distributed pass.
    Construction runs ONE setup pass: the column moments, the right-hand side
    ``Xc^T S yc`` and ``yc^T S yc`` together, around the provisional centre
    ``(x_0, y_0)`` (zeros without an intercept), centred on the client.
    """

    def __init__(self, blocks, alpha, fit_intercept, backend, n_jobs, x_shift, y_shift, penalty=None):
        self.blocks, self.alpha, self.fit_intercept = blocks, alpha, bool(fit_intercept)
        self.backend, self.n_jobs = backend, n_jobs
        self.n_features, self.n_targets = len(x_shift), len(alpha)
        self.penalty = penalty
        self.penalty_diag = penalty_diagonal(alpha, penalty, self.n_features)
        self.penalty_floor = penalty_range(penalty)[0]
        sums, sumsq, counts, xty, ysum, yss = sum_over_blocks(tasks.moments, blocks, x_shift, y_shift,
                                                              backend, n_jobs)
        W, self.n_samples = float(counts[0]), int(counts[1])
        _check_weight_sum(W)
        self.weight_sum = W
        if fit_intercept:
            d, e = sums / W, ysum / W
            self.x_mean, self.x_var_sum = x_shift + d, np.maximum(sumsq - sums * d, 0.0)
            self.y_mean = y_shift + e
            # sum s (x - xbar)(y - ybar) = xty - W d e (the shifts make it free of cancellation)
            self.rhs = xty - W * np.outer(e, d)
            self.centred_target_ss = np.maximum(yss - ysum * e, 0.0)
        else:
            self.x_mean, self.x_var_sum = np.zeros(self.n_features), sumsq
            self.y_mean = np.zeros(self.n_targets)
            self.rhs, self.centred_target_ss = xty, yss
        self.rhs_norms = row_norms_checked(self.rhs)
        self._x_mean = share(self.x_mean)

    def intercept_for(self, coef):
        """Optimal intercept ``b*(w) = ybar - xbar.w`` for ``coef`` of shape (k, p)."""
        if not self.fit_intercept:
            return np.zeros(self.n_targets)
        return self.y_mean - coef @ self.x_mean

    def normal_product(self, P, out, alpha=None):
        """``out[t] = (Xc^T S Xc + alpha_t D) P[t]``: one distributed pass.

        ``P`` (``k x p``) is broadcast to the workers once; each block returns
        its ``k x p`` share; the client adds the penalty's ``alpha_t D P[t]``
        (``alpha`` given: ``alpha_t P[t]``).
        """
        P = np.ascontiguousarray(P, dtype=np.float64)
        total = sum_over_blocks(tasks.normal_product, self.blocks, self._x_mean, share(P),
                                self.backend, self.n_jobs)
        out[...] = total + (penalty_times(self.alpha, self.penalty, P) if alpha is None else alpha[:, None] * P)
        return out


def fit_cg(rb, alpha, fit_intercept, backend, n_jobs, coef0, options, penalty=None):
    """Distributed Jacobi-preconditioned CG (see the module docstring); returns a ``Result``.

    X is persisted on the workers for the duration of the fit (validated and
    converted once) and released afterwards.  ``options`` is a
    :class:`ridgejit.solvers.SolverOptions` (``tol``: the relative objective gap
    the certified bound must reach, see :mod:`ridgejit.solvers.bounds`; ``max_iter``).
    """
    x_shift, y_shift = centre(rb, fit_intercept)
    problem = BlockProblem(persist_prepared(rb), alpha, fit_intercept, backend, n_jobs, x_shift, y_shift,
                           penalty)
    with np.errstate(over="ignore", invalid="ignore"):
        return solve_cg(problem, coef0, options)


def objective_and_gradient(blocks, n, coef, intercept, alpha, backend, n_jobs):
    """``(J, ||grad J||)`` of one target at ``(coef, intercept)``: one distributed pass.

    Each block returns ``(X_b^T S r, s^T r, r^T S r)`` (:func:`tasks.gradient_part`);
    ``J = (r^T S r + alpha ||w||^2) / (2n)`` and ``grad = ((X^T S r + alpha w) / n, s^T r / n)``.
    """
    w = np.asarray(coef, dtype=np.float64).reshape(1, -1)
    xtr, sr, rss = sum_over_blocks(tasks.gradient_part, blocks, share(w), np.array([intercept]),
                                   backend, n_jobs)
    ww = float(w[0] @ w[0])
    J = (float(rss[0]) + alpha * ww) / (2 * n)
    g = (xtr[0] + alpha * w[0]) / n
    return J, float(np.hypot(np.linalg.norm(g), sr[0] / n))

