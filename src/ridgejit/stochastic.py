"""``SGDRidge``: the ridge objective by stochastic solvers (validation and bookkeeping only)."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._threads import thread_limit
from ._validation import (check_alpha, check_one_pass, check_penalty_factor, fitted_copy, holdout,
                          n_targets_of, overflow_is_value_error, prepare_fit, warm_coef)
from .initializers import INITIALIZERS, initial_coef
from .kernels import BACKENDS
from .problem import Problem, stored_values
from .solvers import STOCHASTIC_METHODS, SGDOptions, run_epochs, stochastic_method
from .solvers.bounds import rounded_bound
from .solvers.sgd import SCHEDULES

STOCHASTIC_SOLVERS = tuple(STOCHASTIC_METHODS)


class SGDRidge(RegressorMixin, BaseEstimator):
    """Ridge regression by stochastic gradient descent (compiled epochs).

    Minimizes the same objective as :class:`ridgejit.Ridge`,

        J(w, b) = 1/(2n) * sum_i s_i (x_i.w + b - y_i)^2 + alpha/(2n) * ||w||^2,

    so ``SGDRidge(alpha=a)`` converges to ``Ridge(alpha=a)``.  Per sample this is
    ``s_i r_i^2 / 2 + lam ||w||^2 / 2`` with ``lam = alpha / n``;
    scikit-learn's ``SGDRegressor(alpha=a_sgd)`` uses ``lam = a_sgd``, i.e.
    ``alpha = a_sgd * n_samples`` here.  ``n`` is the number of rows of each
    ``fit`` or ``partial_fit`` call: every call minimizes ``J`` over the rows it
    is given.

    Parameters
    ----------
    alpha : float or array-like of shape (n_targets,), default=1.0
        L2 strength in :class:`ridgejit.Ridge` units (>= 0); one per target for
        2-D y.
    solver : {"sgd", "minibatch", "sag", "saga", "svrg"}, default="sgd"
        ``sgd``: one sample per update, L2 shrink by a lazy scale (O(p) per
        update), optionally averaged.  ``minibatch``: ``batch_size`` rows per
        update, their gradient computed in parallel (deterministic), rate from
        the batch's expected smoothness (:mod:`ridgejit.solvers.minibatch`);
        ``partial_fit`` works for both.  ``sag``/``saga``: one stored residual
        per sample; ``svrg``: full gradient per epoch by the fused parallel
        kernel plus a compiled inner loop.  The variance-reduced solvers
        converge to the exact optimum with a constant step
        (see :mod:`ridgejit.solvers.variance_reduced`); they support
        ``learning_rate`` ``auto``/``constant`` only, no averaging, and no
        ``partial_fit``.
    learning_rate : {"auto", "constant", "invscaling", "optimal", "adaptive"}, default="auto"
        Step-size schedule (see :mod:`ridgejit.solvers.sgd`); ``auto``, from
        the largest per-sample curvature ``max_i s_i (||x_i - xbar||^2 + 1)``,
        never diverges, scaled data or not.
    eta0 : float, default=None
        Base rate of ``constant``/``invscaling``/``adaptive`` (``None``: the
        ``auto`` rate), in units of 1 / (y units squared per unit of J).
    power_t : float, default=0.25
        Exponent of ``invscaling``.
    batch_size : int or "auto", default="auto"
        Rows per update of ``minibatch`` (unused by the other solvers).
        ``"auto"``: ``floor(L_max / (4 L))`` (at least 1, at most 4096) from the
        largest per-sample curvature ``L_max`` and the Lipschitz constant ``L``
        of ``grad J``: below ``L_max / L`` a batch of ``B`` rows allows a
        ``B``-fold step, and at a quarter of it an epoch makes at least 80 % of
        the progress of single-row updates (:mod:`ridgejit.solvers.minibatch`).
    average : bool, int or "auto", default="auto"
        Return the average of the iterates (from the first update if True,
        from update ``average`` if an int).  ``"auto"``: True for ``sgd`` and
        ``minibatch`` with a constant step (``learning_rate`` ``"auto"`` or
        ``"constant"``), False otherwise.  A constant step leaves the plain
        iterate at a noise floor (standardized 20000 x 50: a relative gap of
        0.2 after 10 epochs); its average converges (Bach and Moulines,
        NIPS 2013: 1e-4 there).  ``SGDRegressor`` decays its default step
        (``invscaling``) instead and does not average by default.
    max_iter : int, default=1000
        Epochs at most.
    tol : float or None, default=1e-4
        ``sgd``: stop when the criterion fails to improve by ``tol`` for
        ``n_iter_no_change`` epochs: relative decrease of the exact objective
        ``J`` (after every epoch), or absolute increase of the validation R^2
        with ``early_stopping``.  ``sag``/``saga``/``svrg`` (without early
        stopping): stop when a proven bound on the relative objective gap
        ``(J(w) - J*) / J(w)`` is at most ``tol``, as ``Ridge``'s iterative
        solvers (the gradient bound of :mod:`ridgejit.solvers.bounds`, checked
        after every epoch; ``gap_bound_`` reports it).  ``None`` runs
        ``max_iter`` epochs.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows and stop on their R^2.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=5
    precondition : {"auto", True, False}, default="auto"
        ``True``: ``sgd`` steps in implicitly standardized columns (a diagonal
        preconditioner from the first pass's column moments, X never copied;
        :mod:`ridgejit.solvers.scaled_sgd`): predictions and epochs needed do
        not depend on the columns' units (5 of 20 columns times 1e3: R^2 0.95
        after 20 epochs, 0.13 without).  The penalty is applied by its proximal
        step every update (dense X) or every ``ceil(p n / nnz)`` (CSR X).
        Needs a constant step (``eta0`` is then in standardized units).
        ``"auto"``: True for ``solver="sgd"`` with ``learning_rate="auto"``.
    penalty_factor : array-like of shape (n_features,), default=None
        Per-feature penalty factors ``d_j >= 0``: the penalty becomes
        ``alpha/(2n) sum_j d_j w_j^2`` (0 leaves feature j unpenalized), as in
        :class:`ridgejit.Ridge`.  Preconditioned ``sgd`` (its proximal step is
        per coordinate anyway; updates stay O(nnz)) and, with every ``d_j > 0``,
        ``sag``/``saga``/``svrg`` (``lam d_j w_j``; CSR: one target at a time).
    shuffle : {"blocks", True, False}, default="blocks"
        The order of the rows in each epoch (see :mod:`ridgejit.solvers.order`).
        ``"blocks"``: blocks of consecutive rows in a fresh random order, rows
        shuffled within buffers of 1024 blocks spanning 16 L2 caches: memory
        is read almost in order, and data that fits one buffer gets a full shuffle.  ``True``: a
        fresh uniform permutation every epoch (random reads: up to 2-3x slower
        epochs on data larger than the caches).  ``False``: the rows as given.
    fit_intercept : bool, default=True
    init : str, array or callable, default="zeros"
        Initial coefficients (see :mod:`ridgejit.initializers`).
    random_state : int, RandomState or None, default=None
        Seeds shuffling, the validation split and random initializers; the
        same seed gives the same bits.
    warm_start : bool, default=False
        ``fit`` starts from the previous ``coef_``/``intercept_``.
    backend : {"auto", "numba", "numpy", "cython"}, default="auto"
    n_jobs : int, default=None
        Threads for the parallel passes (objective, row norms) during ``fit``.
    verbose : int, default=0

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features), dtype of X
    intercept_ : ndarray of shape (1,) or (n_targets,)
    n_iter_ : int
        Epochs run (summed over ``partial_fit`` calls).
    t_ : float
        Updates done plus one (scikit-learn's convention); ``partial_fit``
        continues the schedule from it.
    history_ : dict of lists
        ``objective`` (exact ``J`` after each epoch), ``grad_norm``, ``gap_bound``,
        ``time`` (seconds), and ``validation_score`` with early stopping.
    gap_bound_ : float
        A proven bound on the relative objective gap ``(J(w) - J*) / J(w)`` of
        ``coef_`` and ``intercept_`` as returned (the gradient bound of
        :mod:`ridgejit.solvers.bounds` after the last epoch, plus the rounding to
        float32 for float32 X); ``inf`` when no epoch ran.
    n_features_in_ : int
    """

    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="left"), "array-like"],
        "solver": [StrOptions(set(STOCHASTIC_SOLVERS))],
        "learning_rate": [StrOptions(set(SCHEDULES))],
        "eta0": [Interval(Real, 0, None, closed="neither"), None],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "average": [Interval(Integral, 0, None, closed="left"), "boolean", StrOptions({"auto"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean", StrOptions({"blocks"})],
        "precondition": ["boolean", StrOptions({"auto"})],
        "penalty_factor": ["array-like", None],
        "fit_intercept": ["boolean"],
        "init": [StrOptions({*INITIALIZERS, "warm"}), "array-like", callable],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "backend": [StrOptions(set(BACKENDS))],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(self, alpha=1.0, *, solver="sgd", learning_rate="auto", eta0=None, power_t=0.25,
                 batch_size="auto", average="auto", max_iter=1000, tol=1e-4, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=5, shuffle="blocks", precondition="auto",
                 penalty_factor=None, fit_intercept=True, init="zeros", random_state=None, warm_start=False, backend="auto",
                 n_jobs=None, verbose=0):
        self.alpha = alpha
        self.solver = solver
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.batch_size = batch_size
        self.average = average
        self.max_iter = max_iter
        self.tol = tol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.shuffle = shuffle
        self.precondition = precondition
        self.penalty_factor = penalty_factor
        self.fit_intercept = fit_intercept
        self.init = init
        self.random_state = random_state
        self.warm_start = warm_start
        self.backend = backend
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _average(self):
        """``average`` with ``"auto"`` resolved: averaging for constant steps of sgd and minibatch."""
        if isinstance(self.average, str):
            return self.solver in ("sgd", "minibatch") and self.learning_rate in ("auto", "constant")
        return self.average

    def _precondition(self):
        """``precondition`` with ``"auto"`` resolved: on for ``sgd`` with the ``auto`` rate."""
        if isinstance(self.precondition, str):
            return self.solver == "sgd" and self.learning_rate == "auto"
        return bool(self.precondition)

    def _options(self, tol):
        return SGDOptions(
            learning_rate=self.learning_rate, eta0=self.eta0, power_t=self.power_t,
            average=self._average(),
            max_iter=self.max_iter, tol=tol,
            n_iter_no_change=self.n_iter_no_change, shuffle=self.shuffle, batch_size=self.batch_size,
            precondition=self._precondition(), verbose=self.verbose,
        )

    def _new_state(self, problem, rng, warm, options):
        p, k = problem.n_features, problem.n_targets
        if warm:
            coef0, intercept0 = warm_coef(self.coef_, self.intercept_, k, p)
        else:
            coef0 = initial_coef(self.init, p, k, rng)
            intercept0 = problem.y_mean - coef0 @ problem.x_mean if problem.fit_intercept else np.zeros(k)
        if k == 1:
            coef0, intercept0 = coef0[0], float(intercept0[0])
        method = stochastic_method(self.solver, options)
        return method(coef0, intercept0, problem.x_mean, options, problem.n_samples)

    def _multi_output(self):
        """Whether 2-D y is taken as several targets (else a column y warns and is raveled)."""
        return self.solver != "sgd" or self._precondition()

    def _prepare(self, X, y, sample_weight, *, reset):
        check_one_pass(self, n_targets_of(y), self.solver == "sgd" and self._precondition())
        X, _, Y, sw, backend = prepare_fit(self, X, y, sample_weight, reset=reset,
                                           multi_output=self._multi_output())
        return X, Y, sw, backend

    def _run(self, X, Y, sw, backend, *, partial):
        alpha = check_alpha(self.alpha, Y.shape[1])
        penalty = check_penalty_factor(self.penalty_factor, X.shape[1])
        check_one_pass(self, Y.shape[1], self.solver == "sgd" and self._precondition(), penalty, X)
        problem = Problem(X, Y, sw, alpha, self.fit_intercept, backend, penalty)
        options = self._options(None if partial else self.tol)
        # Everything that runs kernels (the state needs the column means) stays
        # inside thread_limit, which also guards Numba's workqueue layer.
        with thread_limit(self.n_jobs, backend.name, stored_values(X).size), \
                np.errstate(over="ignore", invalid="ignore"), \
                overflow_is_value_error(X, Y):
            if partial and hasattr(self, "_sgd_state"):
                st, rng = self._sgd_state, self._rng
            else:
                rng = check_random_state(self.random_state)
                warm = self.warm_start and hasattr(self, "coef_") and not partial
                st = self._new_state(problem, rng, warm, options)
            train, validation = None, None
            if self.early_stopping and not partial:
                train, validation = holdout(X, Y[:, 0], sw, self.validation_fraction, rng)
            result = run_epochs(problem, st, options, rng, 1 if partial else self.max_iter, train, validation)
            gap = rounded_bound(problem, result.coef, result.intercept, np.asarray(result.gap_bound), X.dtype)
        if not partial and self.tol is not None and not result.converged:
            warnings.warn(
                f"SGDRidge: maximum number of epochs ({self.max_iter}) reached before the "
                f"objective stopped improving by tol={self.tol:g}; increase max_iter",
                ConvergenceWarning, stacklevel=3,
            )
        self._sgd_state, self._rng, self._rows = st, rng, problem.n_samples
        self.coef_ = (result.coef[0] if result.coef.shape[0] == 1 else result.coef).astype(X.dtype)
        self.intercept_ = result.intercept.astype(X.dtype)
        self.n_iter_ = result.n_iter + (getattr(self, "n_iter_", 0) if partial else 0)
        self.t_ = float(st.t) + 1.0
        self.gap_bound_ = float(np.max(gap))
        if partial and hasattr(self, "history_"):
            for key, values in result.history.items():
                self.history_.setdefault(key, []).extend(values)
        else:
            self.history_ = result.history
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = self._multi_output()
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit by up to ``max_iter`` epochs (from ``init``, or the last fit with ``warm_start``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Several targets (``sgd`` needs ``precondition``): each row read
            updates all, each as its own fit with the same seed would (a stopped
            one frozen; sag/saga/svrg: until every gap <= ``tol``); one
            ``alpha`` per target: the step of the largest.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : SGDRidge
        """
        X, Y, sw, backend = self._prepare(X, y, sample_weight, reset=True)
        for attr in ("_sgd_state", "_rng"):
            self.__dict__.pop(attr, None)
        return self._run(X, Y, sw, backend, partial=False)

    def _check_partial_fit(self):
        if self.solver not in ("sgd", "minibatch"):
            raise AttributeError(f"partial_fit needs solver='sgd' or 'minibatch' (solver="
                                 f"{self.solver!r} keeps per-sample memory of one data set)")
        return True

    @available_if(_check_partial_fit)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``(X, y)``, continuing the learning-rate schedule (``t_``).

        Only with ``solver="sgd"`` or ``"minibatch"`` (the attribute does not
        exist otherwise).

        The first call fixes the features (a later call with another count
        raises ``ValueError``), the centring point and the random generator.

        Returns
        -------
        self : SGDRidge
        """
        first = not hasattr(self, "_sgd_state")
        X, Y, sw, backend = self._prepare(X, y, sample_weight, reset=first)
        seen = None if first else getattr(self._sgd_state, "W", np.empty((1, 0))).shape[0]
        if seen is not None and Y.shape[1] != seen:
            raise ValueError(f"y has {Y.shape[1]} targets; the first partial_fit call had {seen}")
        return self._run(X, Y, sw, backend, partial=True)

    def to_sklearn(self):
        """The equivalent fitted ``sklearn.linear_model.SGDRegressor`` (for tools that check types).

        scikit-learn's per-sample ``alpha`` is ``alpha / n`` with ``n`` the rows of
        the last ``fit``/``partial_fit`` call (the same objective); the ``auto``
        learning rate, which scikit-learn lacks, maps to its ``invscaling`` default.

        Returns
        -------
        sklearn.linear_model.SGDRegressor
            With this model's ``coef_``, ``intercept_``, ``t_`` and ``n_iter_``.
        """
        from sklearn.linear_model import SGDRegressor

        check_is_fitted(self)
        if np.ndim(self.coef_) == 2:
            raise ValueError("SGDRegressor fits one target; this model has "
                             f"{self.coef_.shape[0]}: convert one target at a time")
        rate = self.learning_rate if self.learning_rate != "auto" else "invscaling"
        out = SGDRegressor(loss="squared_error", penalty="l2", alpha=self.alpha / self._rows,
                           fit_intercept=self.fit_intercept, max_iter=self.max_iter, tol=self.tol,
                           shuffle=bool(self.shuffle), random_state=self.random_state, learning_rate=rate,
                           eta0=self.eta0 if self.eta0 is not None else 0.01, power_t=self.power_t,
                           early_stopping=self.early_stopping, validation_fraction=self.validation_fraction,
                           n_iter_no_change=self.n_iter_no_change, warm_start=self.warm_start,
                           average=self._average())
        return fitted_copy(self, out, ("t_", "n_iter_"))

    def predict(self, X):
        """``X @ coef_ + intercept_``: shape (n_samples,), or (n_samples, k) for k targets; dtype of
        ``coef_``."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], accept_sparse="csr",
                          accept_large_sparse=True, reset=False)
        coef = self.coef_.astype(X.dtype, copy=False)
        if coef.ndim == 2:
            return np.asarray(X @ coef.T) + self.intercept_
        return np.asarray(X @ coef) + self.intercept_[0]

