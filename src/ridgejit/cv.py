"""Choosing alpha: :class:`RidgeCV` and :func:`ridge_path`.

Every alpha costs about as much as one fit, because the expensive work (the
passes over X) is shared by all alphas and all folds:

* ``cv=None`` (leave-one-out, :mod:`ridgejit.cv_loo`): one pass for the
  Gram, its eigendecomposition, one more pass for the leverages and
  residuals of every alpha (dual form when ``n_features >= n_samples``).
* ``cv=k`` or a splitter (:mod:`ridgejit.cv_kfold`): one pass for the
  statistics of every fold; each (alpha, fold) solve and score is ``O(p^2)``.
* :func:`ridge_path`: one pass (primal) or three (dual), then ``O(p^2)`` per alpha.

Scores follow :mod:`ridgejit.cv_scores`.
"""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin, _fit_context
from sklearn.metrics import get_scorer_names
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _assert_all_finite, _check_sample_weight, check_X_y

from ._threads import thread_limit
from .cv_eigen import DualEigen, PrimalEigen
from .cv_kfold import cross_validate
from .cv_loo import leave_one_out
from .cv_scores import Scoring, select_best
from .estimators import Ridge, fitted_shapes, prepare_fit
from .kernels import BACKENDS, get_backend
from .problem import readonly_view
from .solvers.direct import SufficientStats

SPARSE_ERROR = "sparse input to RidgeCV is not supported yet"


def check_alphas(alphas, *, strictly_positive):
    """``alphas`` as a non-empty 1-D float64 array; ValueError naming the bad value.

    Leave-one-out needs ``alpha > 0`` (scikit-learn's rule: ``(K + a I)``
    must be invertible); k-fold and :func:`ridge_path` accept ``alpha = 0``
    (the minimum-norm least-squares solution where the Gram is singular).
    """
    a = np.asarray(alphas, dtype=np.float64)
    if a.ndim > 1:
        raise ValueError(f"alphas must be a scalar or a 1-D sequence, got shape {a.shape}")
    a = a.reshape(-1)
    if a.size == 0:
        raise ValueError("alphas is empty: give at least one alpha")
    bound = "> 0.0" if strictly_positive else ">= 0.0"
    for i, value in enumerate(a):
        if not np.isfinite(value) or value < 0 or (strictly_positive and value == 0):
            raise ValueError(f"alphas[{i}] == {value}, must be {bound}" +
                             (" (leave-one-out, cv=None)" if strictly_positive else ""))
    return a


def _path(X, Y, sw, alphas, fit_intercept, backend):
    """``(coefs (A, k, p), intercepts (A, k), mode)`` for every alpha."""
    n, p = X.shape
    if n >= p:
        stats = SufficientStats.around_first_row(X, Y, fit_intercept)
        stats.add(backend, X, Y, sw)
        eig = PrimalEigen(stats, fit_intercept)
        coefs, x_mean, y_mean, mode = eig.coefs(alphas), eig.x_mean, eig.y_mean, "primal"
    else:
        dual = DualEigen(X, Y, sw, fit_intercept, backend)
        C = dual.dual_coefs(alphas)  # (n, A, k)
        A, k = C.shape[1:]
        coefs = dual.primal(X, C.reshape(n, A * k)).T.reshape(A, k, p)
        x_mean, y_mean, mode = dual.x_mean, dual.y_mean, "dual"
    return coefs, y_mean - coefs @ x_mean, mode


def ridge_path(X, y, alphas, *, fit_intercept=True, sample_weight=None, backend="auto", n_jobs=None):
    """Ridge coefficients and intercepts for every alpha, from one decomposition.

    For each ``a`` in ``alphas`` this is the minimizer of
    ``sum_i s_i (x_i.w + b - y_i)^2 + a ||w||^2``, i.e. ``Ridge(alpha=a).fit``:

    * ``n_samples >= n_features`` (primal): one pass over X (``sufficient_stats``)
      gives ``Xc^T S Xc = V diag(l) V^T`` and ``Xc^T S yc``; then
      ``w(a) = V diag(1 / (l + a)) V^T Xc^T S yc``, ``O(p^2)`` per alpha.
    * ``n_features > n_samples`` (dual): the column means (pass 1), the kernel
      ``K = S^1/2 Xc Xc^T S^1/2 = Q diag(l) Q^T`` (pass 2), the dual
      coefficients ``c(a) = Q diag(1/(l + a)) Q^T S^1/2 yc`` of every alpha,
      and ``w(a) = Xc^T S^1/2 c(a)`` for all alphas in one product (pass 3).

    The intercept is ``b(a) = ybar - xbar.w(a)`` (weighted means).  An alpha
    of 0 gives the minimum-norm least-squares solution.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Dense, float32 or float64 (kept as given when C-contiguous).
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
    alphas : float or array-like of shape (n_alphas,)
        Non-negative, in :class:`ridgejit.Ridge` units.
    fit_intercept : bool, default=True
    sample_weight : float or array-like of shape (n_samples,), default=None
    backend : {"auto", "numba", "numpy", "cython"}, default="auto"
    n_jobs : int, default=None
        Threads for the kernels and BLAS during the call.

    Returns
    -------
    coefs : ndarray of shape (n_alphas, n_features) or (n_alphas, n_targets, n_features)
        Float64; 2-D exactly when ``y`` is 1-D.
    intercepts : ndarray of shape (n_alphas,) or (n_alphas, n_targets)
    """
    if sp.issparse(X):
        raise TypeError("sparse input to ridge_path is not supported yet")
    X, y = check_X_y(X, y, dtype=[np.float64, np.float32], order="C", multi_output=True,
                     y_numeric=True, ensure_all_finite=False)
    _assert_all_finite(y, input_name="y")
    Y = np.array(y, dtype=np.float64, order="C", copy=True).reshape(X.shape[0], -1)
    sw = np.array(_check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True))
    alphas = check_alphas(alphas, strictly_positive=False)
    be = get_backend(backend)
    with thread_limit(n_jobs, be.name):
        coefs, intercepts, _ = _path(readonly_view(X), Y, sw, alphas, fit_intercept, be)
    if y.ndim == 1:
        return coefs[:, 0], intercepts[:, 0]
    return coefs, intercepts


class RidgeCV(MultiOutputMixin, RegressorMixin, BaseEstimator):
    """Ridge regression with the alpha chosen by cross-validation, all alphas in one pass.

    Fits ``ridgejit.Ridge(alpha=alpha_)`` where ``alpha_`` maximizes the
    cross-validated score among ``alphas``; the same selection, scores and
    model as ``sklearn.linear_model.RidgeCV``.  What each mode computes:

    ``cv=None`` (efficient leave-one-out)
        The LOO error of sample ``i`` is ``e_i = r_i / (1 - h_ii)``, ``r_i``
        the residual of the fit on all data and
        ``h_ii = s_i xc_i^T (Xc^T S Xc + a I)^-1 xc_i + s_i / W`` its
        leverage (``+ s_i / W``: the intercept).  Pass 1 computes the
        centred Gram (``sufficient_stats`` kernel), ``V diag(l) V^T`` its
        eigendecomposition; pass 2 reads X in row blocks and gets every
        alpha's ``h_ii = s_i sum_j (xc_i.v_j)^2 / (l_j + a)`` and residuals
        from ``Z = Xc_block V``.  With ``n_features >= n_samples`` the dual
        form uses the kernel ``S^1/2 Xc Xc^T S^1/2`` (``dual_gram``).
        ``scoring=None`` scores ``-mean_i s_i e_i^2``.
    ``cv`` an int, a splitter or an iterable of splits
        Pass 1 accumulates every fold's sufficient statistics around one
        centre; a training set's are the total minus its fold's.  Each
        (alpha, fold) model and its validation sum of squares come from
        ``p x p`` statistics; a scorer that needs predictions reads each
        fold's test rows once more (all alphas in one product).
        ``scoring=None`` means R^2.  Sample weights weight the training
        *and* the validation scores (scikit-learn's ``GridSearchCV`` weights
        only the training unless metadata routing asks for more).

    In both modes the final ``coef_`` and ``intercept_`` come from the total
    statistics with ``alpha_`` (no extra pass, except the dual form's one
    ``X^T v`` product).

    Parameters
    ----------
    alphas : array-like of shape (n_alphas,), default=(0.1, 1.0, 10.0)
        Candidate L2 strengths in :class:`ridgejit.Ridge` (= scikit-learn)
        units; > 0 for ``cv=None``, >= 0 otherwise.  Ties go to the first.
    fit_intercept : bool, default=True
    scoring : str, callable or None, default=None
        A scikit-learn scorer name or ``scorer(estimator, X, y)``.  ``r2``,
        ``neg_mean_squared_error`` and ``neg_root_mean_squared_error`` are
        computed from statistics; other scorers receive precomputed
        predictions through an identity regressor (as scikit-learn's
        leave-one-out does), so a callable must use ``estimator.predict(X)``.
    cv : int, cross-validation generator, iterable or None, default=None
        ``None``: leave-one-out; an int ``k``: ``KFold(k)``.
    gcv_mode : {"auto", "svd", "eigen"} or None, default=None
        Accepted for scikit-learn compatibility; the decomposition is always
        the eigendecomposition of ``X^T X`` (``n_samples > n_features``) or
        ``X X^T``, which is what ``"eigen"`` does (``"svd"`` gives the same
        numbers).  ``gcv_mode_`` records the one used.
    store_cv_results : bool, default=False
        Leave-one-out only: keep ``cv_results_``.
    alpha_per_target : bool, default=False
        Choose an alpha per target (2-D y).  Also allowed with k-fold here
        (scikit-learn supports it only for ``cv=None``).
    solver : {"auto", "eigen", "cholesky"}, default="auto"
        k-fold solves: ``eigen`` (one eigendecomposition per fold, then every
        alpha in ``O(p^2)``) or ``cholesky`` (one per alpha and fold);
        ``auto`` is ``eigen``.  Leave-one-out always uses ``eigen``.
    tol : float, default=1e-6
        Reserved for the iterative (sparse) modes; the dense modes are exact.
    backend : {"auto", "numba", "numpy", "cython"}, default="auto"
    n_jobs : int, default=None
        Threads for the kernels and BLAS during ``fit``.
    verbose : int, default=0
        Print the scores of each fold (k-fold) or alpha.

    Attributes
    ----------
    alpha_ : float or ndarray of shape (n_targets,)
    best_score_ : float or ndarray of shape (n_targets,)
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
    cv_results_ : ndarray of shape (n_samples, n_alphas) or (n_samples, n_targets, n_alphas)
        Only with ``store_cv_results=True``: ``s_i e_i^2`` when
        ``scoring=None``, else the leave-one-out predictions.
    alphas_ : ndarray of shape (n_alphas,)
    mean_scores_ : ndarray of shape (n_alphas,) or (n_targets, n_alphas)
        The score of every alpha (mean over folds; per target with
        ``alpha_per_target``).
    fold_scores_ : ndarray of shape (n_splits, n_alphas) or (n_splits, n_targets, n_alphas)
        k-fold only (None for leave-one-out).
    gcv_mode_ : {"cov", "gram", "folds", "splits"}
        Leave-one-out from ``X^T X`` (cov) or ``X X^T`` (gram); k-fold in one
        pass (folds: a partition) or a pass per split (splits).
    solver_ : {"eigen", "cholesky"}
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Notes
    -----
    Sparse X raises ``TypeError`` for now.
    """

    _parameter_constraints = {
        "alphas": ["array-like", Interval(Real, 0, None, closed="neither")],
        "fit_intercept": ["boolean"],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "cv": ["cv_object"],
        "gcv_mode": [StrOptions({"auto", "svd", "eigen"}), None],
        "store_cv_results": ["boolean"],
        "alpha_per_target": ["boolean"],
        "solver": [StrOptions({"auto", "eigen", "cholesky"})],
        "tol": [Interval(Real, 0, None, closed="left")],
        "backend": [StrOptions(set(BACKENDS))],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(self, alphas=(0.1, 1.0, 10.0), *, fit_intercept=True, scoring=None, cv=None,
                 gcv_mode=None, store_cv_results=False, alpha_per_target=False, solver="auto",
                 tol=1e-6, backend="auto", n_jobs=None, verbose=0):
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.scoring = scoring
        self.cv = cv
        self.gcv_mode = gcv_mode
        self.store_cv_results = store_cv_results
        self.alpha_per_target = alpha_per_target
        self.solver = solver
        self.tol = tol
        self.backend = backend
        self.n_jobs = n_jobs
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Choose ``alpha_`` by cross-validation and fit with it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Dense; float32/float64 C-contiguous X is used without a copy.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : float or array-like of shape (n_samples,), default=None
            Non-negative; weights the fits and the validation scores (passed
            to scorers as ``sample_weight``).

        Returns
        -------
        self : RidgeCV
        """
        if sp.issparse(X):
            raise TypeError(SPARSE_ERROR)
        loo = self.cv is None
        if not loo and self.store_cv_results:
            raise ValueError("cv!=None and store_cv_results=True are incompatible")
        if loo and self.solver == "cholesky":
            raise ValueError("solver='cholesky' needs cv != None: leave-one-out uses the eigendecomposition")
        X, y, Y, sw, backend = prepare_fit(self, X, y, sample_weight, reset=True, multi_output=True)
        alphas = check_alphas(self.alphas, strictly_positive=loo)
        per_target = bool(self.alpha_per_target) and y.ndim == 2
        scoring = Scoring(self, loo=loo, per_target=per_target, weighted=sample_weight is not None)
        with thread_limit(self.n_jobs, backend.name), np.errstate(over="ignore", invalid="ignore"):
            if loo:
                coef, intercept, scores = self._fit_loo(X, y, Y, sw, alphas, scoring, backend)
            else:
                coef, intercept, scores = self._fit_kfold(X, y, Y, sw, alphas, scoring, backend)
        best = select_best(scores)
        self.alphas_ = alphas
        self.mean_scores_ = scores.T if per_target else scores
        if per_target:
            self.best_score_ = scores[best, np.arange(scores.shape[1])]
            self.alpha_ = alphas[best] if Y.shape[1] > 1 else float(alphas[best[0]])
        else:
            self.best_score_ = float(scores[best])
            self.alpha_ = float(alphas[best])
        if not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
            raise ValueError("RidgeCV produced non-finite coefficients: rescale X and y")
        self.coef_, self.intercept_ = fitted_shapes(coef, intercept, X.dtype, y.ndim)
        if not self.fit_intercept:
            self.intercept_ = 0.0  # scikit-learn's RidgeCV (and LinearModel) convention
        return self

    def _alpha_vector(self, scores, alphas, k):
        best = select_best(scores)
        return alphas[best] if scores.ndim == 2 else np.full(k, alphas[best])

    def _fit_loo(self, X, y, Y, sw, alphas, scoring, backend):
        keep = None
        if self.store_cv_results:
            keep = "squared" if scoring.kind == "loo_mse" else "predictions"
        elif scoring.needs_predictions:
            keep = "predictions"
        tally, coef_for, x_mean, y_mean, mode = leave_one_out(
            X, Y, sw, alphas, self.fit_intercept, backend, keep)
        if scoring.needs_predictions:
            scores = np.array([scoring.call(tally.stored[:, :, a], y, sw) for a in range(len(alphas))])
        else:
            ybar = sw @ Y / sw.sum()
            sst = sw @ (Y - ybar) ** 2
            scores = scoring.from_sums(tally.sse, sst, sw.sum(), X.shape[0])
        if self.verbose:
            for a, s in zip(alphas, scores):
                print(f"[RidgeCV] alpha={a:.6g} leave-one-out score {s}")
        if self.store_cv_results:
            stored = tally.stored[:, 0, :] if y.ndim == 1 else tally.stored
            self.cv_results_ = stored.astype(X.dtype, copy=False)  # scikit-learn: X's dtype
        self.gcv_mode_, self.solver_, self.fold_scores_ = mode, "eigen", None
        coef = coef_for(self._alpha_vector(scores, alphas, Y.shape[1]))
        return coef, y_mean - coef @ x_mean, scores

    def _fit_kfold(self, X, y, Y, sw, alphas, scoring, backend):
        splits = list(check_cv(self.cv).split(X, y))
        solver = "eigen" if self.solver == "auto" else self.solver
        fold_scores, total, mode = cross_validate(
            X, y, Y, sw, alphas, splits, fit_intercept=self.fit_intercept, solver=solver,
            scoring=scoring, backend=backend, verbose=self.verbose)
        scores = fold_scores.mean(axis=0)
        self.fold_scores_ = fold_scores.transpose(0, 2, 1) if fold_scores.ndim == 3 else fold_scores
        self.gcv_mode_, self.solver_ = mode, solver
        coef, intercept = total.solve(self._alpha_vector(scores, alphas, Y.shape[1]), self.fit_intercept)[:2]
        return coef, intercept, scores

    predict = Ridge.predict
