"""Choosing alpha: :class:`RidgeCV`, the estimator, and the scheme it runs.

Every alpha costs about as much as one fit, because the expensive work (the
passes over X) is shared by all alphas and all folds:

* ``cv=None`` (leave-one-out, :mod:`ridgejit.cv.leave_one_out`, dense or CSR X): one pass for the
  Gram, its eigendecomposition, one more pass for the leverages and
  residuals of every alpha (dual form when ``n_features >= n_samples``).
* ``cv=k`` or a splitter (:mod:`ridgejit.cv.kfold`): one pass for the
  statistics of every fold; each (alpha, fold) solve and score is ``O(p^2)``.
* CSR X with ``cv=k`` or a splitter (:mod:`ridgejit.cv.sparse_kfold`): one
  multi-shift CG for every alpha, fold and target together, one pass over
  the stored values per iteration; one more pass for the validation scores.
* :func:`ridge_path`: one pass (primal) or three (dual), then ``O(p^2)`` per
  alpha; for CSR X, one multi-shift CG.

Scores follow :mod:`ridgejit.cv.scores`.
"""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin, _fit_context, is_classifier
from sklearn.metrics import get_scorer_names
from sklearn.utils._param_validation import Interval, StrOptions

from .._threads import thread_limit
from .kfold import AlphaSolves
from .modes import AlphaModes
from .routing import SplitterRouting
from .scores import Scoring
from .._validation import check_bounds, check_penalty, fitted_copy, prepare_fit
from ..ridge import Ridge
from ..kernels import BACKENDS
from ..problem import stored_values
from .path import check_alphas

class RidgeCV(AlphaModes, SplitterRouting, MultiOutputMixin, RegressorMixin, BaseEstimator):
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
    CSR X with ``cv`` an int, a splitter or splits (``solver="cg"``)
        No ``p x p`` matrix: one multi-shift conjugate-gradient run solves
        the implicitly centred normal equations of every (alpha, split,
        target) and of all rows together, each iteration one pass over the
        stored values for all of them (:mod:`ridgejit.cv.sparse_kfold`); one more
        pass predicts each split's test rows for every alpha.  Memory
        ``O(nnz + p n_alphas (n_splits + 1) n_targets)``.

    In the dense modes the final ``coef_`` and ``intercept_`` come from the total
    statistics with ``alpha_`` (no extra pass, except the dual form's one
    ``X^T v`` product); with CSR X, from the all-rows systems of the CG run.

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
    solver : {"auto", "eigen", "cholesky", "cg"}, default="auto"
        k-fold solves: ``eigen`` (one eigendecomposition per fold, then every
        alpha in ``O(p^2)``) or ``cholesky`` (one per alpha and fold) for
        dense X; ``cg`` (multi-shift conjugate gradients) for CSR X.
        ``auto`` is ``eigen`` for dense X and ``cg`` for CSR X.
        Leave-one-out always uses ``eigen``.
    tol : float, default=1e-6
        ``solver="cg"``: the relative residual ``||b - (G + a I) w|| / ||b||``
        at which every (alpha, split, target) system stops.  The dense
        modes are exact.
    max_iter : int, default=None
        ``solver="cg"``: passes at most (None: 1000); ``ConvergenceWarning``
        when a system has not reached ``tol`` by then.
    backend : {"auto", "numba", "numpy", "cython"}, default="auto"
    n_jobs : int, default=None
        Threads for the kernels and BLAS during ``fit``.
    verbose : int, default=0
        Print the scores of each fold (k-fold) or alpha.
    penalty_factor : array-like of shape (n_features,), default=None
        Per-feature penalty factors ``d_j >= 0`` as in :class:`ridgejit.Ridge`
        (``a I`` becomes ``a diag(d)``; 0 leaves a feature unpenalized).
        Leave-one-out and k-fold then use the primal ``p x p`` form with
        :func:`ridgejit.cv.eigen.penalized_eigh` (the implicit column scaling
        ``1/sqrt(d_j)``, the unpenalized features profiled out exactly), for
        dense and CSR X alike (CSR k-fold: the ``p x p`` fold statistics, not
        multi-shift CG, whose shifts must be ``a I``; ``solver="cg"`` raises).
    positive : bool, default=False
        Non-negative coefficients, as ``Ridge(positive=True)``: every (alpha, fold)
        model is the exact non-negative QP on the ``p x p`` fold statistics (no
        extra pass over X: all alphas and folds from the one pass; scikit-learn's
        RidgeCV has no such option).  k-fold only (``cv`` an int or splitter,
        dense or CSR X); leave-one-out raises, as it has no closed form then.
    bounds : tuple (lower, upper), default=None
        Box constraints as ``Ridge(bounds=...)`` (``positive=True`` is
        ``(0, inf)``; give one of them): every (alpha, fold) model is the exact
        bound-constrained QP on the fold statistics, k-fold only, as ``positive``.
    penalty_matrix : array-like of shape (n_features, n_features), default=None
        A Tikhonov penalty ``a w^T P w`` as in :class:`ridgejit.Ridge`: the same
        paths as ``penalty_factor`` in the eigenbasis of ``P`` (its null space
        unpenalized, exactly).

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
    gcv_mode_ : {"cov", "gram", "folds", "splits", "multishift"}
        Leave-one-out from ``X^T X`` (cov) or ``X X^T`` (gram); k-fold in one
        pass (folds: a partition) or a pass per split (splits); multi-shift
        CG over all splits (multishift, CSR X).
    solver_ : {"eigen", "cholesky", "cg", "positive"}
    n_iter_ : int
        CG iterations (passes over X) when ``solver_ == "cg"``; 1 for the
        exact (dense) modes.
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Notes
    -----
    Leave-one-out on CSR X forms the dense ``p x p`` Gram (or ``n x n`` kernel when
    ``n_features >= n_samples``) from the sparse kernels, never densifying X; it
    raises ``ValueError`` when that matrix would exceed
    :data:`ridgejit.cv.leave_one_out.LOO_MEMORY_BUDGET`
    (then pass ``cv=5``).  No randomized (estimated) leave-one-out is offered.
    """

    _parameter_constraints = {
        "alphas": ["array-like", Interval(Real, 0, None, closed="neither")],
        "fit_intercept": ["boolean"],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "cv": ["cv_object"],
        "gcv_mode": [StrOptions({"auto", "svd", "eigen"}), None],
        "store_cv_results": ["boolean"],
        "alpha_per_target": ["boolean"],
        "solver": [StrOptions({"auto", "eigen", "cholesky", "cg"})],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left"), None],
        "backend": [StrOptions(set(BACKENDS))],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
        "penalty_factor": ["array-like", None],
        "penalty_matrix": ["array-like", None],
        "positive": ["boolean"],
        "bounds": [tuple, list, None],
    }

    def __init__(self, alphas=(0.1, 1.0, 10.0), *, fit_intercept=True, scoring=None, cv=None,
                 gcv_mode=None, store_cv_results=False, alpha_per_target=False, solver="auto",
                 tol=1e-6, max_iter=None, backend="auto", n_jobs=None, verbose=0, penalty_factor=None,
                 penalty_matrix=None, positive=False, bounds=None):
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.scoring = scoring
        self.cv = cv
        self.gcv_mode = gcv_mode
        self.store_cv_results = store_cv_results
        self.alpha_per_target = alpha_per_target
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.backend = backend
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.penalty_factor = penalty_factor
        self.penalty_matrix = penalty_matrix
        self.positive = positive
        self.bounds = bounds

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.sparse = self.solver in (("auto", "eigen") if self.cv is None else ("auto", "cg"))
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, **params):
        """Choose ``alpha_`` by cross-validation and fit with it.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            float32/float64 C-contiguous or canonical CSR X is used without a
            copy (CSC/COO are converted to CSR once).
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : float or array-like of shape (n_samples,), default=None
            Non-negative; weights the fits and the validation scores (passed
            to scorers as ``sample_weight``).
        **params : dict
            Metadata for the splitter and the scorer (see
            :meth:`get_metadata_routing`): ``groups`` for a group splitter
            (always accepted); with metadata routing enabled, whatever the
            splitter requests.

        Returns
        -------
        self : RidgeCV
        """
        split_params = self._route(sample_weight, params)
        loo = self.cv is None
        if not loo and self.store_cv_results:
            raise ValueError("cv!=None and store_cv_results=True are incompatible")
        if loo and self.solver in ("cholesky", "cg"):
            raise ValueError(f"solver={self.solver!r} needs cv != None: leave-one-out uses the "
                             "eigendecomposition (solver='auto' or 'eigen'), for dense and CSR X")
        X, y, Y, sw, backend = prepare_fit(self, X, y, sample_weight, reset=True, multi_output=True)
        if not loo and (self.solver == "cg") != sp.issparse(X) and self.solver != "auto":
            raise ValueError(f"solver={self.solver!r} needs {'CSR' if self.solver == 'cg' else 'dense'} X: "
                             "'cg' (multi-shift CG) is the sparse solver, 'eigen'/'cholesky' the dense ones")
        alphas = check_alphas(self.alphas, strictly_positive=loo)
        penalty = check_penalty(self.penalty_factor, self.penalty_matrix, X.shape[1])
        bounds = check_bounds(self.bounds, self.positive, X.shape[1])
        if (penalty is not None or bounds is not None) and self.solver == "cg":
            raise ValueError("solver='cg' (multi-shift CG) solves unconstrained shifts a I, not a D "
                             "(penalty_factor, penalty_matrix) or positive=True (bounds): use solver='auto' "
                             "(the p x p fold statistics)")
        if bounds is not None and loo:
            raise ValueError("positive=True (or bounds) needs cv != None (e.g. cv=5): leave-one-out has no "
                             "closed form for constrained fits")
        per_target = bool(self.alpha_per_target) and y.ndim == 2
        scoring = Scoring(self, loo=loo, per_target=per_target, weighted=sample_weight is not None,
                          labels=self._label_binarizer if is_classifier(self) else None)
        with thread_limit(self.n_jobs, backend.name, stored_values(X).size), \
                np.errstate(over="ignore", invalid="ignore"):
            self.n_iter_ = 1  # the exact modes; the CG mode counts its passes
            if loo:
                coef, intercept, scores = self._fit_loo(X, y, Y, sw, alphas, scoring, backend, penalty)
            elif sp.issparse(X) and penalty is None and bounds is None:
                coef, intercept, scores = self._fit_sparse(X, y, Y, sw, alphas, scoring, backend, split_params)
            else:
                solves = AlphaSolves("eigen" if self.solver == "auto" else self.solver, penalty, bounds)
                coef, intercept, scores = self._fit_kfold(X, y, Y, sw, alphas, scoring, backend, split_params,
                                                          solves)
        return self._store(alphas, scores, coef, intercept, X.dtype, y.ndim)

    predict = Ridge.predict

    def to_sklearn(self):
        """The equivalent fitted ``sklearn.linear_model.RidgeCV`` (for tools that check types).

        Raises ``ValueError`` for ``positive``, ``bounds``, ``penalty_factor`` or
        ``penalty_matrix`` (scikit-learn's RidgeCV has none of them).

        Returns
        -------
        sklearn.linear_model.RidgeCV
            The same ``alphas``, ``cv``, ``scoring`` and flags, with this model's
            ``alpha_``, ``best_score_``, ``coef_``, ``intercept_`` (and ``cv_results_``).
        """
        from sklearn.linear_model import RidgeCV as SkRidgeCV

        out = SkRidgeCV(alphas=self.alphas, fit_intercept=self.fit_intercept, scoring=self.scoring, cv=self.cv,
                        gcv_mode=self.gcv_mode, store_cv_results=self.store_cv_results,
                        alpha_per_target=self.alpha_per_target)
        return fitted_copy(self, out, ("alpha_", "best_score_", "cv_results_"))
