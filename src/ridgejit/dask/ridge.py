"""``ridgejit.dask.Ridge``: :class:`ridgejit.Ridge` on Dask arrays and dataframes.

The estimator is ``ridgejit.Ridge`` (same parameters, attributes and
objective) whose ``fit``, ``predict`` and ``score`` keep a Dask collection
distributed; NumPy (and pandas, SciPy) input takes the single-machine path
unchanged.  Fitting is in :mod:`ridgejit.dask.solvers`.
"""

import warnings

import dask
import numpy as np
from sklearn.base import _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from .._validation import check_alpha, check_bounds, check_penalty, fitted_shapes
from ..inference import covariance_bread, merge_cluster_sums, ridge_covariance
from ..ridge import Ridge as _Ridge
from ..initializers import initial_coef
from ..kernels import get_backend
from ..solvers import DEFAULT_TOL, SolverOptions
from . import tasks
from .blocks import as_matrix, feature_names, row_blocks, tree_reduce
from .solvers import choose_solver, fit_cg, fit_direct


def local(*objs):
    """Each of ``objs`` computed when it is a dask collection (for the single-machine path)."""
    return tuple(o.compute() if dask.is_dask_collection(o) else o for o in objs)


def r2_from_parts(ss_tot, ss_res):
    """scikit-learn's ``r2_score`` (uniform average over targets) from the sums of squares.

    ``R^2_t = 1 - ss_res_t / ss_tot_t``; a constant target scores 1 when
    predicted exactly, else 0 (``force_finite=True``).
    """
    ss_tot, ss_res = np.atleast_1d(ss_tot), np.atleast_1d(ss_res)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(ss_tot > 0, 1.0 - ss_res / ss_tot, np.where(ss_res == 0, 1.0, 0.0))
    return float(np.mean(r2))


class DaskRegressorMixin:
    """``predict`` and ``score`` that stay distributed on dask collections.

    The estimator provides ``_linear_model() -> (coef, intercept)`` with
    ``predict(X) = X @ coef.T + intercept``.  NumPy input goes to the
    single-machine methods.
    """

    def _remember_columns(self, rb):
        self.n_features_in_ = rb.n_features
        if rb.feature_names is not None:
            self.feature_names_in_ = rb.feature_names
        else:
            self.__dict__.pop("feature_names_in_", None)

    def _check_columns(self, X, n_features):
        if n_features != self.n_features_in_:
            raise ValueError(f"X has {n_features} features, but {type(self).__name__} is "
                             f"expecting {self.n_features_in_} features as input.")
        fitted, given = getattr(self, "feature_names_in_", None), feature_names(X)
        if fitted is not None and given is not None and not np.array_equal(fitted, given):
            raise ValueError("The feature names should match those that were passed during fit.")

    def predict(self, X):
        """Predict ``X @ coef_.T + intercept_``; lazy on a dask collection.

        On a dask array or dataframe the result is a dask array (same row
        chunks, possibly of unknown size; 1-D for one target) built by
        ``map_blocks``: one task per row block computes ``X_b @ coef_.T +
        intercept_`` on its worker, and only the coefficients are sent.  NumPy
        input returns NumPy (single-machine ``predict``).
        """
        if not dask.is_dask_collection(X):
            return super().predict(X)
        check_is_fitted(self)
        A = as_matrix(X)
        self._check_columns(X, A.shape[1])
        coef, intercept = self._linear_model()
        dtype = A.dtype if A.dtype in (np.float32, np.float64) else np.dtype(np.float64)
        if coef.ndim == 1:
            return A.map_blocks(tasks.predict_block, coef, intercept, drop_axis=1, dtype=dtype)
        return A.map_blocks(tasks.predict_block, coef, intercept, chunks=(A.chunks[0], (coef.shape[0],)),
                            dtype=dtype)

    def residual_sums(self, X, y, sample_weight=None):
        """Weighted sums of the targets and residuals over all rows of a dask collection.

        One pass: one task per row block returns its weighted sum, mean,
        centred sum of squares and residual sum of squares (``4k`` floats),
        merged in block order by Chan's update (:func:`tasks.merge_r2`);
        nothing else travels.

        Returns
        -------
        weight_sum : float
            ``W = sum_i s_i`` (the number of rows with unit weights).
        ss_tot : ndarray of shape (n_targets,)
            ``sum_i s_i (y_it - ybar_t)^2``.
        ss_res : ndarray of shape (n_targets,)
            ``sum_i s_i (y_it - x_i.w_t - b_t)^2``, in squared target units.
        """
        check_is_fitted(self)
        rb = row_blocks(X, y, sample_weight)
        self._check_columns(X, rb.n_features)
        coef, intercept = self._linear_model()
        parts = [dask.delayed(tasks.r2_parts)(*rb.raw(b), coef, intercept) for b in range(len(rb))]
        (W, _, ss_tot, ss_res), = dask.compute(tree_reduce(parts, tasks.merge_r2))
        return float(W), np.atleast_1d(ss_tot), np.atleast_1d(ss_res)

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination ``R^2`` (scikit-learn's, uniform average over targets).

        On dask collections: ``1 - ss_res / ss_tot`` from one pass of
        :meth:`residual_sums`.
        """
        if not dask.is_dask_collection(X):
            return super().score(X, *local(y, sample_weight))
        _, ss_tot, ss_res = self.residual_sums(X, y, sample_weight)
        return r2_from_parts(ss_tot, ss_res)


class Ridge(DaskRegressorMixin, _Ridge):
    """Ridge regression on Dask arrays and dataframes (and NumPy, on one machine).

    Minimizes, for each target ``t``, over all rows of all blocks,

        J(w, b) = 1/(2n) * sum_i s_i (x_i.w + b - y_it)^2 + alpha/(2n) * ||w||^2

    exactly as :class:`ridgejit.Ridge` (same parameters, attributes and
    solution).  On a dask collection the solver is:

    ``direct`` (``auto`` when the ``p x p`` Gram matrix takes <= 512 MiB)
        One pass, nothing persisted.  Each row-block task runs the compiled
        ``sufficient_stats`` kernel around a provisional centre (the first
        row, computed first) and returns ``(p + k + 1)^2`` floats; a tree of
        tasks adds them in fixed block order; the client solves the ``p x p``
        system by Cholesky.  Deterministic: two fits give the same bits.
    ``cg`` (``auto`` for wider data)
        Jacobi-preconditioned conjugate gradient on the normal equations with
        X persisted on the workers: each iteration broadcasts the direction
        (``k x p``) once, each block returns ``X_bc^T S X_bc d`` (``normal_product``
        kernel), tree-summed.  Stops when the certified relative objective gap is
        at most ``tol`` (as :class:`ridgejit.Ridge`'s ``cg``).

    Other solvers (``gd``, ``nesterov``) are single-machine only and raise
    ``ValueError`` on dask input.  See :mod:`ridgejit.dask` for inputs.

    Parameters
    ----------
    alpha, fit_intercept, solver, tol, max_iter, learning_rate, init, random_state, backend, n_jobs, verbose, positive, cov_type, penalty_factor, penalty_matrix, bounds
        As :class:`ridgejit.Ridge` (the penalties on both solvers; ``auto`` is
        ``direct`` when the penalty has a null space).  On dask input:

        - ``positive`` and ``bounds`` solve the QP on the merged statistics, on the
          client (``solver`` ``auto``/``direct``);
        - ``cov_type`` needs ``solver="direct"``: ``"classical"`` comes from the merged
          statistics (no extra pass), ``"HC0"``-``"HC3"`` from one more pass in which
          each block's meat is summed on its worker (``(k, q, q)`` floats leave it),
          ``"cluster"`` (``fit(..., groups=...)``) from one more pass whose per-group
          sums merge by label;
        - ``n_jobs`` is the kernel threads inside each task (``None``: the worker's
          setting), and the backend is resolved on the client, then used by every worker.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        NumPy, X's dtype (float32 or float64).
    intercept_ : float or ndarray of shape (n_targets,)
    n_iter_ : int
    solver_ : str
    history_ : dict of lists
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X is a dataframe with string column names.

    Raises
    ------
    ValueError
        From ``fit``, before any attribute is stored: X and y (or weights)
        chunked differently along rows, NaN/inf in a block, a block with
        another number of columns (each naming the block), weights summing
        to zero.
    """

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, groups=None):
        """Fit on a dask collection (distributed) or on NumPy data (single machine).

        Parameters
        ----------
        X : dask array of shape (n_samples, n_features), dask dataframe, or array-like
            Rows may be chunked any way (sizes may be unknown); column chunks
            are merged per row block.
        y : dask array / series / dataframe of shape (n_samples,) or (n_samples, n_targets)
            Chunked like the rows of X (a NumPy array is accepted when X's
            row chunks are known).
        sample_weight : float, dask array / series of shape (n_samples,), or None
            Non-negative weights ``s_i``, chunked like the rows of X.
        groups : dask array / series of shape (n_samples,), or None
            Cluster labels for ``cov_type="cluster"``, chunked like the rows of X.

        Returns
        -------
        self : Ridge
        """
        if not dask.is_dask_collection(X):
            return super().fit(X, *local(y, sample_weight, groups))
        rb = row_blocks(X, y, sample_weight, groups if self.cov_type == "cluster" else None)
        p, k = rb.n_features, rb.n_targets
        alpha = check_alpha(self.alpha, k)
        penalty = check_penalty(self.penalty_factor, self.penalty_matrix, p)
        backend = get_backend(self.backend).name
        bounds = check_bounds(self.bounds, self.positive, p)
        solver = choose_solver("direct" if bounds is not None and self.solver in ("auto", "lbfgs") else self.solver,
                               p, penalty)
        if bounds is not None and solver != "direct":
            raise ValueError(f"positive=True and bounds are solved on the merged p x p statistics: use "
                             f"solver='auto' or 'direct' on dask input, not solver={self.solver!r}")
        if self.cov_type is not None and bounds is not None:
            raise ValueError("cov_type needs the unconstrained exact fit: not with positive=True or bounds "
                             "(a constrained estimator's covariance has no such closed form)")
        if self.cov_type is not None and solver != "direct":
            raise ValueError(f"on dask input the covariance comes from the merged statistics of solver='direct' "
                             f"(the sandwich types: one more pass over the blocks), not with solver={solver!r}")
        if self.cov_type == "cluster" and groups is None:
            raise ValueError("cov_type='cluster' needs fit(X, y, groups=...): cluster labels chunked like the "
                             "rows of X")
        try:
            if solver == "direct":
                result, stats = fit_direct(rb, alpha, self.fit_intercept, backend, self.n_jobs, self.verbose,
                                           penalty, bounds)
            else:
                tol = DEFAULT_TOL[solver] if self.tol is None else self.tol
                options = SolverOptions(tol=tol, max_iter=self.max_iter, verbose=self.verbose)
                coef0 = initial_coef(self.init, p, k, self.random_state, previous=getattr(self, "coef_", None))
                result = fit_cg(rb, alpha, self.fit_intercept, backend, self.n_jobs, coef0, options, penalty)
        except FloatingPointError:
            result = None
        if result is None or not (np.isfinite(result.coef).all() and np.isfinite(result.intercept).all()):
            raise ValueError("the fit produced non-finite statistics or coefficients: the data "
                             "overflow float64 arithmetic; rescale X and y and fit again")
        if result.solver == "cg" and not result.converged:
            warnings.warn(f"solver='cg' did not converge in {result.n_iter} iterations "
                          f"(tol={tol:g}: reached a gap bound of {np.max(result.gap_bound):.2g}); "
                          "increase max_iter or tol, or use solver='direct'",
                          ConvergenceWarning, stacklevel=2)
        self.coef_, self.intercept_ = fitted_shapes(result.coef, result.intercept, rb.dtype, rb.y_ndim)
        self.n_iter_ = int(result.n_iter)
        self.solver_ = result.solver
        self.history_ = result.history
        self.gap_bound_ = float(np.max(result.gap_bound))
        for attr in ("covariance_", "bse_", "sigma2_", "effective_dof_", "cov_type_"):  # this fit's only
            self.__dict__.pop(attr, None)
        if self.cov_type is not None:
            meat = cluster = None
            if self.cov_type != "classical":  # one more pass: each block's meat or group sums, tree-merged
                bread = covariance_bread(stats, result.coef, alpha, self.fit_intercept, penalty)
                fitted = dask.delayed((result.coef, result.intercept, bread), pure=True)  # one key, sent once
                if self.cov_type == "cluster":
                    parts = [dask.delayed(tasks.cluster_part)(*rb.raw(b), rb.groups[b], fitted) for b in range(len(rb))]
                    (cluster,) = dask.compute(tree_reduce(parts, merge_cluster_sums))
                else:
                    parts = [dask.delayed(tasks.covariance_meat)(*rb.raw(b), fitted, self.cov_type, backend,
                                                                self.n_jobs) for b in range(len(rb))]
                    (meat,) = dask.compute(tree_reduce(parts, tasks.add))
            covariance = ridge_covariance(stats, result.coef, result.intercept, alpha, self.fit_intercept,
                                          self.cov_type, penalty=penalty, meat=meat, cluster=cluster)
            self._set_covariance(covariance, self.cov_type, stats.n_samples, rb.y_ndim)
        self._remember_columns(rb)
        return self

    def _check_partial_fit(self):
        raise AttributeError("ridgejit.dask.Ridge has no partial_fit: fit reads every block of a dask "
                             "collection in one pass; for chunks on one machine use ridgejit.Ridge.partial_fit")

    def _linear_model(self):
        return self.coef_, self.intercept_
