"""``Ridge``: the scikit-learn estimator of the batch solvers, and ``fit_chunks``.

Validation and bookkeeping only: the numerics live in :mod:`ridgejit.solvers`
and :mod:`ridgejit.kernels`.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._threads import thread_limit
from ._validation import (check_alpha, check_bounds, check_penalty, fitted_copy, fitted_shapes,
                          non_finite_error, prepare_fit)
from .inference import COV_TYPES, CoefficientTable, solve_with_covariance
from .initializers import INITIALIZERS, initial_coef
from .kernels import BACKENDS
from .problem import Problem, stored_values
from .solvers import (DEFAULT_TOL, ITERATIVE, RIDGE_SOLVER_NAMES, SKLEARN_SOLVERS, SOLVERS, SolverOptions,
                      resolve_solver)
from .solvers.bounds import rounded_bound
from .streaming import ExactStream

def sklearn_solver(name):
    """scikit-learn's name for ``Ridge(solver=name)`` (its own if it has one, else ``"auto"``)."""
    return name if name in SKLEARN_SOLVERS or name in ("auto", "sag", "saga") else "auto"


class Ridge(ExactStream, CoefficientTable, RegressorMixin, BaseEstimator):
    """Ridge regression (L2-regularized least squares) with compiled kernels.

    Minimizes, for each target ``t``,

        J(w, b) = 1/(2n) * sum_i s_i (x_i.w + b - y_it)^2 + alpha/(2n) * ||w||^2

    over the coefficients ``w`` and the unpenalized intercept ``b`` (``s_i``
    sample weights, ``n`` rows; with ``penalty_factor`` the penalty is
    ``alpha/(2n) * sum_j d_j w_j^2``, with ``penalty_matrix`` ``alpha/(2n) * w^T P w``).  This has the same minimizer as
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
        every target in one pass, seeded by ``random_state``
        (:mod:`ridgejit.solvers.stochastic_batch`); ``auto``: ``direct`` or
        ``cg`` by a cost model measured on this machine (see
        :mod:`ridgejit.solvers.auto`).  scikit-learn's names run the solver
        that computes the same thing, and ``solver_`` records it:

        - ``"cholesky"``, ``"svd"``: ``direct`` (exact; ``svd``'s minimum-norm
          answer when singular);
        - ``"lsqr"``, ``"sparse_cg"``: ``cg``;
        - ``"sag"``, ``"saga"``: ``sag``, ``saga``;
        - ``"lbfgs"`` (``positive=True``): ``positive``, the exact QP.
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
        with ``solver`` ``"auto"``, ``"direct"``, ``"cholesky"`` or ``"lbfgs"``;
        ``"gd"``/``"nesterov"`` take projected steps instead (no ``p x p`` Gram:
        for wide X), and ``"sag"``/``"saga"`` projected epochs (dense X;
        :mod:`ridgejit.solvers.stochastic_batch`), all stopping on the gap bound
        of the projected gradient; other solvers raise ``ValueError``.  ``gap_bound_`` is the constrained
        problem's bound.
    bounds : tuple (lower, upper), default=None
        Box constraints ``lower_j <= w_j <= upper_j`` (the intercept stays free):
        each side a scalar or one value per feature, ``-np.inf``/``np.inf``
        leaving it open; the same exact QP (or projected ``gd``/``nesterov``/``sag``/``saga``) as
        ``positive=True``, which is ``bounds=(0, np.inf)`` (give one of them), with
        the same solvers, at no extra pass over X.  scikit-learn has no equivalent (its #31031).
    cov_type : {None, "classical", "HC0", "HC1", "HC2", "HC3", "cluster"}, default=None
        Also compute the covariance of ``(intercept_, coef_)`` (see
        :mod:`ridgejit.inference.covariance`): ``classical`` from the fit's own
        ``p x p`` statistics (no extra pass; ``partial_fit`` too), the sandwich
        types with one or two more passes (``cluster`` needs ``fit(..., groups=)``).
        Exact solvers only (``auto``/``direct``/``cholesky``/``svd``, not positive).
    penalty_factor : array-like of shape (n_features,), default=None
        Per-feature factors ``d_j >= 0`` of the penalty ``alpha/(2n) sum_j d_j w_j^2``:
        0 leaves feature ``j`` unpenalized, 2 penalizes it twice as hard (glmnet's
        ``penalty.factor``; ``None``: all ones).  The exact solvers add
        ``alpha diag(d)`` to the Gram (always in the primal, ``p x p`` form) and
        ``cg`` uses ``diag(G) + alpha d`` as its preconditioner; ``cg``, ``gd`` and
        ``nesterov`` need every ``d_j > 0`` (their proven gap bound stands on
        ``alpha min_j d_j``) and ``sag``/``saga`` refuse it, with a ``ValueError``
        that says so.  The covariance types honour it.
    penalty_matrix : array-like of shape (n_features, n_features), default=None
        A symmetric positive semi-definite Tikhonov matrix ``P``: the penalty
        becomes ``alpha/(2n) w^T P w`` (difference penalties ``P = L^T L`` for
        smooth coefficient profiles).  Validated (shape, symmetry, PSD: a clear
        ``ValueError`` otherwise); exact solvers add ``alpha P`` to the Gram,
        ``cg``/``gd``/``nesterov`` need ``P`` positive definite (their node is
        ``alpha lambda_min(P)``).  Not with ``penalty_factor``.

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

    # groups (for cov_type="cluster") is not requested by default: with metadata routing, a
    # splitter's groups must not make Ridge.fit inside GridSearchCV or cross_validate raise
    __metadata_request__fit = {"groups": False}

    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="left"), np.ndarray],
        "fit_intercept": ["boolean"],
        "solver": [StrOptions(set(RIDGE_SOLVER_NAMES))],
        "positive": ["boolean"],
        "bounds": [tuple, list, None],
        "cov_type": [StrOptions(set(COV_TYPES)), None],
        "penalty_factor": ["array-like", None],
        "penalty_matrix": ["array-like", None],
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
        penalty_factor=None,
        penalty_matrix=None,
        bounds=None,
    ):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.positive = positive
        self.bounds = bounds
        self.cov_type = cov_type
        self.penalty_factor = penalty_factor
        self.penalty_matrix = penalty_matrix
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
        bounds = check_bounds(self.bounds, self.positive, p)
        solver = resolve_solver(self.solver, bounds is not None)
        if self.cov_type is not None and bounds is not None:
            raise ValueError("cov_type needs the unconstrained exact fit: not with positive=True or bounds "
                             "(a constrained estimator's covariance has no such closed form)")
        if self.cov_type is not None and solver not in ("auto", "direct"):
            raise ValueError(f"cov_type needs the exact statistics: solver='auto' or 'direct', "
                             f"not solver={self.solver!r}")
        penalty = check_penalty(self.penalty_factor, self.penalty_matrix, p)
        problem = Problem(X, Y, sw, alpha, self.fit_intercept, backend, penalty)
        tol = DEFAULT_TOL[solver] if self.tol is None else self.tol
        options = SolverOptions(
            tol=tol, max_iter=self.max_iter, learning_rate=self.learning_rate,
            verbose=self.verbose, random_state=self.random_state, bounds=bounds,
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

    def to_sklearn(self):
        """The equivalent fitted ``sklearn.linear_model.Ridge`` (for tools that check types).

        Raises ``ValueError`` with ``bounds``, ``penalty_factor`` or ``penalty_matrix``
        (scikit-learn has no equivalent).

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


def fit_chunks(chunks, alpha=1.0, *, fit_intercept=True, backend="auto", n_jobs=None):
    """Fit ridge regression exactly on an iterable of chunks, in one pass.

    Minimizes ``J(w, b) = 1/(2n) sum_i s_i (x_i.w + b - y_i)^2 + alpha/(2n) ||w||^2``
    over all rows of all chunks (``n`` their total), i.e. the solution of
    ``Ridge(alpha=alpha, solver="direct")`` on the concatenated data.  A loop of
    :meth:`ridgejit.Ridge.partial_fit` (one solve at the end), naming the chunk
    in its errors.

    Parameters
    ----------
    chunks : iterable of tuples
        ``(X, y)`` or ``(X, y, sample_weight)``; X of shape ``(m, p)``
        (float32/float64 arrays, memmaps or CSR matrices; the same ``p`` in
        every chunk), y of shape ``(m,)`` or ``(m, k)``.  Consumed once; chunks
        with no rows are skipped.
    alpha : float or array of shape (k,), default=1.0
        L2 strength in :class:`ridgejit.Ridge` units.
    fit_intercept : bool, default=True
    backend : {"auto", "numba", "numpy", "cython"}, default="auto"
    n_jobs : int, default=None
        Threads for BLAS during the pass.

    Returns
    -------
    model : ridgejit.Ridge
        Fitted (``coef_``, ``intercept_``, ``n_features_in_``, ``n_iter_ = 1``,
        ``solver_ = "direct"``, ``history_``, ``n_samples_seen_``, ``n_chunks_``);
        ``coef_`` has the dtype of the first chunk's X.

    Raises
    ------
    ValueError
        No chunks or no rows, a chunk with another feature count or target
        count, NaN/inf in a chunk (named by its index), a negative weight.
    """
    model = Ridge(alpha=alpha, fit_intercept=fit_intercept, solver="direct", backend=backend, n_jobs=n_jobs)
    n_chunks = 0
    for index, chunk in enumerate(chunks):
        if not isinstance(chunk, (tuple, list)) or len(chunk) not in (2, 3):
            raise ValueError(f"chunk {index} must be (X, y) or (X, y, sample_weight), "
                             f"got {type(chunk).__name__}")
        if np.shape(chunk[0])[:1] == (0,):
            continue
        try:
            model.partial_fit(*chunk)
        except ValueError as exc:
            raise ValueError(f"chunk {index}: {exc}") from None
        n_chunks += 1
    if n_chunks == 0:
        raise ValueError("fit_chunks got no rows: the iterable of chunks was empty")
    model.coef_  # solve now, so that its errors are raised here  # noqa: B018
    model.n_chunks_ = n_chunks
    return model
