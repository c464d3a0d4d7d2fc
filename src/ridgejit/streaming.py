"""Exact ridge on data streamed in chunks: one pass, memory independent of n.

:class:`ExactStream` gives :class:`ridgejit.Ridge` its ``partial_fit``: each call adds
a chunk's sufficient statistics ``X^T S X``, ``X^T S y``, the column and target sums
and the weight sum (blocked BLAS, around the first row seen, so large column means
cost no digits), and the normal equations are solved when a fitted attribute is next
read (:func:`ridgejit.ridge.fit_chunks` is a loop over it).  Memory: ``O((p + k)^2)`` plus one
chunk.  The result equals ``Ridge(alpha, solver="direct")`` on the concatenated data
(same objective: ``n`` is the total row count).  For streaming SGD see
:meth:`ridgejit.SGDRidge.partial_fit`.
"""

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.base import _fit_context
from sklearn.utils._available_if import available_if

from ._threads import thread_limit
from ._validation import check_alpha, check_bounds, check_penalty, fitted_shapes, prepare_fit
from .inference import ridge_covariance
from .problem import readonly_view, stored_values
from .solvers import resolve_solver
from .solvers.base import History
from .solvers.positive import exact_from_stats
from .stats import SufficientStats

#: What ``partial_fit`` can run (after :func:`~ridgejit.solvers.resolve_solver`): they need
#: only the ``p x p`` statistics.
STREAMING_SOLVERS = frozenset({"direct", "positive"})

#: What a ``partial_fit`` stream computes on first access after each call.
_SOLVED = ("coef_", "intercept_", "n_iter_", "solver_", "history_", "gap_bound_", "covariance_", "bse_",
           "sigma2_", "effective_dof_", "cov_type_")


@dataclass
class _Stream:
    """The state of a ``partial_fit`` stream: the statistics and what the first call fixed."""

    stats: SufficientStats
    y_ndim: int
    dtype: np.dtype
    pending: bool = True


class ExactStream:
    """``partial_fit`` for :class:`ridgejit.Ridge`: statistics added chunk by chunk, solved on read.

    A mixin: it reads the estimator's ``alpha``, ``penalty_factor``, ``penalty_matrix``, ``fit_intercept``, ``solver``,
    ``positive``, ``bounds``, ``cov_type``, ``max_iter`` and ``n_jobs``.
    """

    def _check_partial_fit(self):
        bounded = self.positive or self.bounds is not None
        solver = "auto" if self.solver == "auto" else resolve_solver(self.solver, bounded)
        if self.cov_type not in (None, "classical") or (self.cov_type and bounded):
            raise AttributeError(f"partial_fit keeps only the p x p statistics: cov_type={self.cov_type!r} "
                                 "reads X again (or has positive=True); use cov_type='classical' or fit()")
        if solver not in STREAMING_SOLVERS | {"auto"}:
            raise AttributeError(f"partial_fit sums the p x p statistics, which solver={self.solver!r} does "
                                 "not solve; use solver='auto', 'direct' or 'cholesky' (or positive=True)")
        return True

    @available_if(lambda self: self._check_partial_fit())  # a subclass may refuse
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Add a chunk of rows to an exact fit: one pass over the chunk, then ``O(p^2)`` memory.

        After any number of calls, ``coef_`` and ``intercept_`` are the exact
        minimizer of ``J`` over all rows seen (``n`` their total): the same model
        as :meth:`fit` on the concatenated chunks, to rounding.  Each call adds
        the chunk's weighted statistics ``D^T S D``, ``D^T S E`` and sums (float64
        accumulation; float32 chunks are read as float32, not converted) around
        the centre the first call fixed (its first row; zero for CSR or without
        an intercept, see :mod:`ridgejit.stats`).  The normal equations are solved
        when a fitted attribute (``coef_``, ``intercept_``, ``predict``, ...) is
        first read after a call: ``O(p^3)`` once per read, not per chunk.  The
        state pickles mid-stream.

        Parameters
        ----------
        X : array-like or CSR matrix of shape (n_chunk, n_features)
            Dense and CSR chunks may be mixed; the first call fixes
            ``n_features``.
        y : array-like of shape (n_chunk,) or (n_chunk, n_targets)
            The first call fixes the target count and whether ``coef_`` is 1-D.
        sample_weight : float or array-like of shape (n_chunk,), default=None

        Returns
        -------
        self : Ridge

        Raises
        ------
        AttributeError
            A solver that needs the rows themselves: only ``auto`` and
            ``direct`` stream, and the method does not exist for others.
        ValueError
            A chunk whose feature or target count differs
            from the first's, NaN/inf.

        Warns
        -----
        UserWarning
            On a model fitted by :meth:`fit`, which keeps no statistics: the
            stream starts over (scikit-learn's estimators accept ``partial_fit``
            after ``fit``; this one says that the rows given to ``fit`` are
            dropped).
        """
        stream = self.__dict__.get("_stream")
        if stream is None and "coef_" in vars(self):  # fitted by fit() (not a failed first chunk)
            warnings.warn("partial_fit after fit() starts a new stream: fit() keeps no statistics, so "
                          "the rows given to fit are not part of the model; call partial_fit for "
                          "every chunk instead", UserWarning, stacklevel=2)
        X, y, Y, sw, backend = prepare_fit(self, X, y, sample_weight, reset=stream is None, multi_output=True)
        if stream is None:
            stream = _Stream(SufficientStats.around_first_row(X, Y, self.fit_intercept), y.ndim, X.dtype)
        k = stream.stats.xty.shape[1]
        if Y.shape[1] != k:
            raise ValueError(f"y has {Y.shape[1]} targets but the first partial_fit call had {k}")
        with thread_limit(self.n_jobs, backend.name, stored_values(X).size), \
                np.errstate(over="ignore", invalid="ignore"):
            stream.stats.add(backend, X if sparse.issparse(X) else readonly_view(X), Y, sw)
        for name in _SOLVED:  # solved again on the next read (see __getattr__)
            self.__dict__.pop(name, None)
        stream.pending = True
        self._stream = stream
        self.n_samples_seen_ = stream.stats.n_samples
        return self

    def __getattr__(self, name):
        # Only reached when normal lookup fails: a partial_fit stream's pending solution.
        stream = self.__dict__.get("_stream")
        if name in _SOLVED and stream is not None and stream.pending:
            self._solve_stream(stream)
        return object.__getattribute__(self, name)  # raises the lookup's own AttributeError again

    def _solve_stream(self, stream):
        stats = stream.stats  # weights are positive somewhere: every chunk's are (prepare_fit)
        alpha = check_alpha(self.alpha, stats.xty.shape[1])
        p = stats.xty.shape[0]
        penalty = check_penalty(self.penalty_factor, self.penalty_matrix, p)
        bounds = check_bounds(self.bounds, self.positive, p)
        with np.errstate(over="ignore", invalid="ignore"):
            coef, intercept, obj, g_norm, gap = exact_from_stats(stats, alpha, self.fit_intercept, penalty=penalty,
                                                                 max_iter=self.max_iter, bounds=bounds)
        if not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
            raise ValueError("the statistics summed by partial_fit give non-finite coefficients: "
                             "rescale X and y (e.g. sklearn.preprocessing.StandardScaler)")
        hist = History("partial_fit")
        hist.add(obj, g_norm, gap)
        self.coef_, self.intercept_ = fitted_shapes(coef, intercept, stream.dtype, stream.y_ndim)
        self.n_iter_, self.history_ = 1, hist.data
        self.solver_ = "direct" if bounds is None else "positive"
        if self.cov_type == "classical" and self.solver_ == "direct":
            self._set_covariance(ridge_covariance(stats, coef, intercept, alpha, self.fit_intercept, "classical",
                                                  penalty=penalty),
                                 "classical", stats.n_samples, stream.y_ndim)
        self.gap_bound_ = float(np.max(gap))
        stream.pending = False
