"""``RidgeClassifierCV``: :class:`ridgejit.RidgeClassifier` with alpha chosen as :class:`RidgeCV` does.

scikit-learn's semantics (``sklearn.linear_model.RidgeClassifierCV``): labels to
``{-1, +1}`` columns and ``class_weight`` into the weights (shared with
:class:`ridgejit.RidgeClassifier`), then every alpha and fold from the passes
of :class:`ridgejit.RidgeCV`.  ``scoring=None`` is the leave-one-out squared
error of the columns (``cv=None``) or accuracy (k-fold, as scikit-learn's
``GridSearchCV(RidgeClassifier())``); a scorer sees the decision values through
a classifier whose ``predict`` gives labels, and the true labels.
"""

from .._validation import fitted_copy
from ..classifier import LabelsAsTargets
from .ridgecv import RidgeCV


class RidgeClassifierCV(LabelsAsTargets, RidgeCV):
    """Ridge classifier with built-in cross-validation of alpha, every alpha from shared passes.

    Minimizes, for the chosen ``alpha_`` and each class column ``t``,
    ``1/(2n) sum_i s_i (x_i.w + b - Y_it)^2 + alpha/(2n) ||w||^2`` with
    ``Y_it = +-1`` (see :class:`ridgejit.RidgeClassifier`); ``alpha_`` maximizes
    the cross-validated score among ``alphas`` (see :class:`ridgejit.RidgeCV`
    for what each ``cv`` mode computes and costs).

    Parameters
    ----------
    alphas : array-like of shape (n_alphas,), default=(0.1, 1.0, 10.0)
    fit_intercept : bool, default=True
    scoring : str, callable or None, default=None
        ``None``: mean squared leave-one-out error of the ``+-1`` columns with
        ``cv=None``, accuracy with k-fold.  Unlike scikit-learn 1.9, a scorer
        with ``cv=None`` and two classes scores the sign of the one column
        (scikit-learn's takes an argmax over that single column, which gives
        every alpha the same score).
    cv : int, cross-validation generator, iterable or None, default=None
    class_weight : dict, "balanced" or None, default=None
    store_cv_results : bool, default=False
    solver, tol, max_iter, backend, n_jobs, verbose
        As :class:`ridgejit.RidgeCV`.

    Attributes
    ----------
    alpha_ : float
    best_score_ : float
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    classes_ : ndarray of shape (n_classes,)
    cv_results_, alphas_, mean_scores_, fold_scores_, gcv_mode_, solver_, n_iter_, n_features_in_
        As :class:`ridgejit.RidgeCV`.
    """

    _parameter_constraints = {**RidgeCV._parameter_constraints, "class_weight": [dict, str, None]}

    def __init__(self, alphas=(0.1, 1.0, 10.0), *, fit_intercept=True, scoring=None, cv=None, class_weight=None,
                 store_cv_results=False, solver="auto", tol=1e-6, max_iter=None, backend="auto", n_jobs=None,
                 verbose=0):
        super().__init__(alphas, fit_intercept=fit_intercept, scoring=scoring, cv=cv,
                         store_cv_results=store_cv_results, solver=solver, tol=tol, max_iter=max_iter,
                         backend=backend, n_jobs=n_jobs, verbose=verbose)
        self.class_weight = class_weight

    def fit(self, X, y, sample_weight=None, **params):
        """Binarize the labels, choose ``alpha_`` and fit every class column with it.

        Parameters
        ----------
        X : array-like or CSR matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a multilabel indicator matrix.
        sample_weight : float or array-like of shape (n_samples,), default=None
        **params : dict
            Metadata for the splitter (``groups``), as :meth:`ridgejit.RidgeCV.fit`.

        Returns
        -------
        self : RidgeClassifierCV
        """
        Y, sw = self._binarize(X, y, sample_weight)
        super().fit(X, Y, sample_weight=sw, **params)
        return self._as_classifier(Y.shape[1])

    def to_sklearn(self):
        """The equivalent fitted ``sklearn.linear_model.RidgeClassifierCV`` (for tools that check types).

        Returns
        -------
        sklearn.linear_model.RidgeClassifierCV
            The same ``alphas``, ``cv``, ``scoring``, ``class_weight``, with this
            model's ``alpha_``, ``best_score_``, ``coef_``, ``intercept_`` and labels.
        """
        from sklearn.linear_model import RidgeClassifierCV as SkRidgeClassifierCV

        out = SkRidgeClassifierCV(alphas=self.alphas, fit_intercept=self.fit_intercept, scoring=self.scoring,
                                  cv=self.cv, class_weight=self.class_weight,
                                  store_cv_results=self.store_cv_results)
        return fitted_copy(self, out, ("alpha_", "best_score_", "cv_results_", "_label_binarizer", "classes_"))
