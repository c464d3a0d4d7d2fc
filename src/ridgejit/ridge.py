"""``Ridge``: the scikit-learn estimator of the batch solvers.

Validation and bookkeeping only: the numerics live in :mod:`ridgejit.solvers`
and :mod:`ridgejit.kernels`.
"""

import warnings
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._threads import thread_limit
from ._validation import check_alpha, fitted_copy, fitted_shapes, non_finite_error, prepare_fit
from .inference import COV_TYPES, CoefficientTable, ridge_covariance, solve_with_covariance
from .initializers import INITIALIZERS, initial_coef
from .kernels import BACKENDS
from .problem import Problem, readonly_view, stored_values
from .solvers import (DEFAULT_TOL, ITERATIVE, RIDGE_SOLVER_NAMES, SKLEARN_SOLVERS, SOLVERS, SolverOptions,
                      resolve_solver)
from .solvers.base import History
from .solvers.bounds import rounded_bound
from .solvers.positive import positive_from_stats
from .stats import SufficientStats

#: What ``partial_fit`` can run (after :func:`~ridgejit.solvers.resolve_solver`): they need
#: only the ``p x p`` statistics.
STREAMING_SOLVERS = frozenset({"direct", "positive"})

#: What a ``partial_fit`` stream computes on first access after each call.
_SOLVED = ("coef_", "intercept_", "n_iter_", "solver_", "history_", "gap_bound_", "covariance_", "bse_",
           "sigma2_", "effective_dof_", "cov_type_")


def sklearn_solver(name):
    """scikit-learn's name for ``Ridge(solver=name)`` (its own if it has one, else ``"auto"``)."""
    return name if name in SKLEARN_SOLVERS or name in ("auto", "sag", "saga") else "auto"


@dataclass
class _Stream:
    """The state of a ``partial_fit`` stream: the statistics and what the first call fixed."""

    stats: SufficientStats
    y_ndim: int
    dtype: np.dtype
    pending: bool = True


class Ridge(CoefficientTable, RegressorMixin, BaseEstimator):
    """Ridge regression (L2-regularized least squares) with compiled kernels.

    Minimizes, for each target ``t``,

        J(w, b) = 1/(2n) * sum_i s_i (x_i.w + b - y_it)^2 + alpha/(2n) * ||w||^2

    over the coefficients ``w`` and the unpenalized intercept ``b`` (``s_i``
    sample weights, ``n`` rows).  This has the same minimizer as
    ``sklearn.linear_model.Ridge(alpha=alpha)`` (which minimizes ``2n J``) and
    ``alpha`` is the textbook ``lambda`` of
    ``1/(2m) sum (h(x) - y)^2 + lambda/(2m) sum theta^2``.  The intercept is
    fitted by implicit centring: no centred copy of X is ever made.

    Parameters
    ----------
    alpha : float or array of shape (n_targets,), default=1.0
        L2 strength (>= 0), in the units of ``sum_i s_i (x_i.w - y_i)^2 / ||w||^2``.
    fit_intercept : bool, default=True
    solver : str, default="auto"
        ``direct``: Cholesky on the normal equations (dual form when
        ``n_features > n_samples``); ``cg``: Jacobi-preconditioned conjugate
        gradient; ``gd`` / ``nesterov``: gradient descent, plain or
        accelerated; ``sag`` / ``saga``: ridgejit's variance-reduced epochs,
        one target at a time, seeded by ``random_state``
        (:mod:`ridgejit.solvers.stochastic_batch`); ``auto``: ``direct`` or
        ``cg`` by a cost model measured on this machine (see
        :mod:`ridgejit.solvers.auto`).  scikit-learn's names run the solver
        that computes the same thing, and ``solver_`` records it:

        ==============================  ===================================
        ``solver=``                     runs
        ==============================  ===================================
        ``"cholesky"``, ``"svd"``        ``direct`` (exact; ``svd``'s
                                        minimum-norm answer when singular)
        ``"lsqr"``, ``"sparse_cg"``      ``cg``
        ``"sag"``, ``"saga"``            ``sag``, ``saga``
        ``"lbfgs"`` (``positive=True``)  ``positive``, the exact QP
        ==============================  ===================================
    tol : float, default=None
        The relative objective gap ``(J(w) - J*) / J(w)`` to reach: iterative
        solvers stop when a bound on it is at most ``tol`` for every target
        (:mod:`ridgejit.solvers.bounds`), and ``auto`` returns a gap of at most
        ``tol`` by the cheaper route.  ``None`` is each solver's default
        (:data:`ridgejit.solvers.DEFAULT_TOL`: ``1e-12`` for ``auto``, ``cg`` and
        ``direct``, as good as an exact solve; ``1e-8`` for ``gd``/``nesterov``).
        The gap is scale-free: ``tol=1e-6`` means the objective is within a
        millionth of the optimum's, whatever the units of X and y.
    max_iter : int, default=None
        Iteration cap for iterative solvers (``None``: the solver's default).
    learning_rate : float, default=None
        Step of ``gd``/``nesterov``; ``None`` uses ``1/L`` from power
        iteration, which never diverges.  A rate that diverges raises
        ``ValueError`` naming a safe one.
    init : str, array of shape (n_features,) or (n_targets, n_features), or callable, default="zeros"
        Starting point of iterative solvers (see :mod:`ridgejit.initializers`);
        ``"warm"`` starts from the previous ``coef_``.  ``direct`` ignores it.
    random_state : int, RandomState or None, default=None
        Seeds the random initializers.
    backend : {"auto", "numba", "numpy", "cython"}, default="auto"
        Kernel backend.  An unavailable one raises ``ValueError`` saying why.
    n_jobs : int, default=None
        Threads for the kernels and BLAS during ``fit`` (restored afterwards);
        ``None`` leaves the current setting, ``-1`` uses all cores.
    verbose : int, default=0
        Print one line per iteration.
    positive : bool, default=False
        Constrain every coefficient to be ``>= 0`` (the intercept stays free):
        an exact bound-constrained QP on the ``p x p`` statistics, one pass over
        X whatever the number of exchanges (:mod:`ridgejit.solvers.positive`);
        with ``solver`` ``"auto"``, ``"direct"``, ``"cholesky"`` or ``"lbfgs"``
        (other solvers raise ``ValueError``).  ``gap_bound_`` is the
        constrained problem's bound.
    cov_type : {None, "classical", "HC0", "HC1", "HC2", "HC3", "cluster"}, default=None
        Also compute the covariance of ``(intercept_, coef_)`` (see
        :mod:`ridgejit.inference.covariance`): ``classical`` from the fit's own
        ``p x p`` statistics (no extra pass; ``partial_fit`` too), the sandwich
        types with one or two more passes (``cluster`` needs ``fit(..., groups=)``).
        Exact solvers only (``auto``/``direct``/``cholesky``/``svd``, not positive).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Same dtype as X (float32 or float64).
    intercept_ : float or ndarray of shape (n_targets,)
    n_iter_ : int
        Iterations of the solver (1 for ``direct``; epochs for ``sag``/``saga``;
        principal-pivoting exchanges for ``positive``).
    solver_ : str
        Solver that produced ``coef_`` (what ``auto`` chose).
    history_ : dict of lists
        ``objective``, ``grad_norm``, ``gap_bound`` and ``time`` (seconds) per
        iteration.
    gap_bound_ : float
        A bound on the relative objective gap of ``coef_`` and ``intercept_`` as
        returned (the largest over targets); see ``tol``.  For float32 X it includes
        the rounding of the float64 solution to float32 (one more pass over X), which
        puts a floor of about 1e-13 to 1e-10 under it that no ``tol`` goes below.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X has string column names.
    n_samples_seen_ : int
        Rows summed by :meth:`partial_fit` so far (only after ``partial_fit``).
    covariance_, bse_, sigma2_, effective_dof_, cov_type_
        With ``cov_type``: covariance (``(q, q)``, or ``(k, q, q)``; intercept first),
        standard errors, ``RSS / (n - df)`` and ``df = tr(H)``; see :meth:`coef_table`.

    Notes
    -----
    X is used as given when it is C-contiguous float32/float64 or a canonical
    SciPy CSR matrix (int32 or int64 indices); other layouts and dtypes are
    converted once (CSC and COO to CSR).  Sparse X is never densified: the
    intercept comes from implicit centring, and the ``*_sparse`` kernels cost
    O(nnz) per pass.
    """

    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="left"), np.ndarray],
        "fit_intercept": ["boolean"],
        "solver": [StrOptions(set(RIDGE_SOLVER_NAMES))],
        "positive": ["boolean"],
        "cov_type": [StrOptions(set(COV_TYPES)), None],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left"), None],
        "learning_rate": [Interval(Real, 0, None, closed="neither"), None],
        "init": [StrOptions({*INITIALIZERS, "warm"}), "array-like", callable],
        "random_state": ["random_state"],
        "backend": [StrOptions(set(BACKENDS))],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        alpha=1.0,
        *,
        fit_intercept=True,
        solver="auto",
        tol=None,
        max_iter=None,
        learning_rate=None,
        init="zeros",
        random_state=None,
        backend="auto",
        n_jobs=None,
        verbose=0,
        positive=False,
        cov_type=None,
    ):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.positive = positive
        self.cov_type = cov_type
        self.tol = tol
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.init = init
        self.random_state = random_state
        self.backend = backend
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.sparse = True
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, groups=None):
        """Fit the model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : float or array-like of shape (n_samples,), default=None
            Non-negative weights ``s_i``; ``None`` means all ones.
        groups : array-like of shape (n_samples,), default=None
            Cluster labels for ``cov_type="cluster"`` (ignored otherwise).

        Returns
        -------
        self : Ridge
        """
        X, y, Y, sw, backend = prepare_fit(self, X, y, sample_weight, reset=True, multi_output=True)
        for attr in ("_stream", "n_samples_seen_", "covariance_", "bse_", "sigma2_", "effective_dof_",
                     "cov_type_"):  # fit starts over
            self.__dict__.pop(attr, None)
        n, p = X.shape
        k = Y.shape[1]
        alpha = check_alpha(self.alpha, k)
        solver = resolve_solver(self.solver, self.positive)
        if self.cov_type is not None and solver not in ("auto", "direct"):
            raise ValueError(f"cov_type needs the exact statistics: solver='auto' or 'direct' without "
                             f"positive, not solver={self.solver!r}")
        problem = Problem(X, Y, sw, alpha, self.fit_intercept, backend)
        tol = DEFAULT_TOL[solver] if self.tol is None else self.tol
        options = SolverOptions(
            tol=tol, max_iter=self.max_iter, learning_rate=self.learning_rate,
            verbose=self.verbose, random_state=self.random_state,
        )
        previous = getattr(self, "coef_", None)
        coef0 = initial_coef(self.init, p, k, self.random_state, previous=previous)
        with thread_limit(self.n_jobs, backend.name, stored_values(X).size), \
                np.errstate(over="ignore", invalid="ignore"):
            try:
                if self.cov_type is None:
                    result = SOLVERS[solver](problem, coef0, options)
                else:
                    result, covariance = solve_with_covariance(problem, self.cov_type, groups, self.verbose)
            except FloatingPointError:
                raise non_finite_error(X, Y, "statistic") from None
            # float32 X: coef_ is float32, and its rounding counts in the reported bound
            gap = rounded_bound(problem, result.coef, result.intercept, np.asarray(result.gap_bound),
                                X.dtype)
        if not (np.isfinite(result.coef).all() and np.isfinite(result.intercept).all()):
            raise non_finite_error(X, Y, "coefficient")
        if result.solver in ITERATIVE and not result.converged:
            warnings.warn(
                f"solver={result.solver!r} did not converge in {result.n_iter} iterations "
                f"(tol={tol:g}: reached a gap bound of {np.max(result.gap_bound):.2g}); increase "
                "max_iter or tol, or use solver='direct'",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.coef_, self.intercept_ = fitted_shapes(result.coef, result.intercept, X.dtype, y.ndim)
        self.n_iter_ = int(result.n_iter)
        self.solver_ = result.solver
        self.history_ = result.history
        self.gap_bound_ = float(np.max(gap))
        if self.cov_type is not None:
            self._set_covariance(covariance, self.cov_type, n, y.ndim)
        return self

    def _check_partial_fit(self):
        solver = "auto" if self.solver == "auto" else resolve_solver(self.solver, self.positive)
        if self.cov_type not in (None, "classical") or (self.cov_type and self.positive):
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
        with np.errstate(over="ignore", invalid="ignore"):
            if self.positive:
                coef, intercept, obj, g_norm, gap, _, _ = positive_from_stats(stats, alpha, self.fit_intercept,
                                                                             self.max_iter)
            else:
                coef, intercept, obj, grad, gap = stats.solve(alpha, self.fit_intercept)
                g_norm = np.linalg.norm(grad)
        if not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
            raise ValueError("the statistics summed by partial_fit give non-finite coefficients: "
                             "rescale X and y (e.g. sklearn.preprocessing.StandardScaler)")
        hist = History("partial_fit")
        hist.add(obj, g_norm, gap)
        self.coef_, self.intercept_ = fitted_shapes(coef, intercept, stream.dtype, stream.y_ndim)
        self.n_iter_, self.history_ = 1, hist.data
        self.solver_ = "positive" if self.positive else "direct"
        if self.cov_type == "classical" and not self.positive:
            self._set_covariance(ridge_covariance(stats, coef, intercept, alpha, self.fit_intercept, "classical"),
                                 "classical", stats.n_samples, stream.y_ndim)
        self.gap_bound_ = float(np.max(gap))
        stream.pending = False

    def to_sklearn(self):
        """The equivalent fitted ``sklearn.linear_model.Ridge`` (for tools that check types).

        Returns
        -------
        sklearn.linear_model.Ridge
            ``alpha``, ``fit_intercept``, ``positive`` and the solver's scikit-learn
            name, with this model's ``coef_``, ``intercept_``, ``n_features_in_``
            (and ``feature_names_in_``); ``solver_`` is scikit-learn's name of what ran.
        """
        from sklearn.linear_model import Ridge as SkRidge

        out = SkRidge(alpha=self.alpha, fit_intercept=self.fit_intercept, positive=self.positive,
                      solver=sklearn_solver(self.solver), random_state=self.random_state)
        fitted_copy(self, out)
        out.n_iter_ = None
        out.solver_ = {"direct": "cholesky", "cg": "sparse_cg", "positive": "lbfgs"}.get(self.solver_, self.solver_)
        return out

    def predict(self, X):
        """Predict ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Same dtype as ``coef_``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], accept_sparse="csr",
                          accept_large_sparse=True, reset=False)
        return np.asarray(X @ self.coef_.T.astype(X.dtype, copy=False)) + self.intercept_
