"""``RidgeClassifier``: classification by ridge regression on +-1 targets, one column per class.

scikit-learn's semantics (``sklearn.linear_model.RidgeClassifier``): the labels
are binarized to ``{-1, +1}`` (one column for two classes, one per class
otherwise, the indicator matrix for multilabel y), ``class_weight`` multiplies
the sample weights, and :class:`ridgejit.Ridge` fits every column in one pass
(the multi-target engine: one set of statistics, one factorization per alpha).
Validation and bookkeeping only.
"""

import numpy as np
from sklearn.linear_model._base import LinearClassifierMixin
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, column_or_1d, validate_data

from ._validation import fitted_copy
from .ridge import Ridge, sklearn_solver


class LabelsAsTargets(LinearClassifierMixin):
    """What the ridge classifiers share: labels to ``{-1, +1}`` columns, and back.

    :meth:`_binarize` validates the labels, fits the ``LabelBinarizer`` and folds
    ``class_weight`` into the sample weights; :meth:`_as_classifier` reshapes the
    fitted regression to scikit-learn's classifier shapes; :meth:`predict` maps
    decision values to labels.  Used by :class:`RidgeClassifier` and
    :class:`ridgejit.cv.RidgeClassifierCV`.
    """

    def _binarize(self, X, y, sample_weight):
        """``(Y (n, k) float64 in {-1, +1}, weights)``; sets ``classes_``."""
        _, y = validate_data(self, X, y, accept_sparse="csr", multi_output=True, y_numeric=False,
                             ensure_all_finite=False, skip_check_array=True)
        check_classification_targets(y)
        binarizer = LabelBinarizer(pos_label=1, neg_label=-1)
        Y = binarizer.fit_transform(y).astype(np.float64)
        if not binarizer.y_type_.startswith("multilabel"):
            y = column_or_1d(y, warn=True)
        sw = _check_sample_weight(sample_weight, Y, dtype=np.float64, ensure_non_negative=True)
        if self.class_weight:
            sw = sw * compute_sample_weight(self.class_weight, y)
        self._label_binarizer = binarizer
        self.classes_ = binarizer.classes_
        return Y, sw

    def _as_classifier(self, k):
        """``coef_`` as ``(k, p)`` and ``intercept_`` as ``(k,)``, scikit-learn's classifier shapes."""
        self.coef_ = self.coef_.reshape(k, -1)
        self.intercept_ = np.asarray(self.intercept_, dtype=self.coef_.dtype).reshape(k)
        return self

    def predict(self, X):
        """The class of the largest decision value (multilabel: every label with a positive one).

        Parameters
        ----------
        X : array-like or CSR matrix of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_labels)
        """
        check_is_fitted(self, attributes=["_label_binarizer"])
        if self._label_binarizer.y_type_.startswith("multilabel"):
            scores = 2.0 * (self.decision_function(X) > 0) - 1.0
            return self._label_binarizer.inverse_transform(scores)
        return super().predict(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class RidgeClassifier(LabelsAsTargets, Ridge):
    """Ridge regression on ``{-1, +1}`` class indicators: the classifier of ``Ridge``.

    For each class column ``t`` (one column when there are two classes) it
    minimizes ``J_t(w, b) = 1/(2n) sum_i s_i (x_i.w + b - Y_it)^2 +
    alpha/(2n) ||w||^2`` with ``Y_it = +1`` if sample ``i`` is in class ``t``,
    else ``-1``, and ``s_i`` the sample weight times its class weight; it
    predicts the class of the largest decision value (the sign of the one
    column for two classes).  Same model as
    ``sklearn.linear_model.RidgeClassifier(alpha=alpha)``.

    Parameters
    ----------
    alpha : float, default=1.0
        L2 strength, as :class:`ridgejit.Ridge`'s (scikit-learn's) alpha.
    class_weight : dict, "balanced" or None, default=None
        Weights per class, multiplied into the sample weights
        (``"balanced"``: ``n / (n_classes * count(class))``).
    fit_intercept, solver, tol, max_iter, learning_rate, init, random_state, backend, n_jobs, verbose, positive
        As :class:`ridgejit.Ridge`.

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    classes_ : ndarray of shape (n_classes,)
    n_iter_, solver_, history_, gap_bound_, n_features_in_, feature_names_in_
        As :class:`ridgejit.Ridge` (over the class columns).
    """

    _parameter_constraints = {**Ridge._parameter_constraints, "class_weight": [dict, str, None]}

    def __init__(self, alpha=1.0, *, fit_intercept=True, class_weight=None, solver="auto", tol=None,
                 max_iter=None, learning_rate=None, init="zeros", random_state=None, backend="auto",
                 n_jobs=None, verbose=0, positive=False):
        super().__init__(alpha, fit_intercept=fit_intercept, solver=solver, tol=tol, max_iter=max_iter,
                         learning_rate=learning_rate, init=init, random_state=random_state, backend=backend,
                         n_jobs=n_jobs, verbose=verbose, positive=positive)
        self.class_weight = class_weight

    def _check_partial_fit(self):
        raise AttributeError("RidgeClassifier has no partial_fit (as scikit-learn's): the classes "
                             "must be known before the first chunk; use Ridge.partial_fit on +-1 columns")

    def fit(self, X, y, sample_weight=None):
        """Fit one ridge regression per class column of the binarized labels.

        Parameters
        ----------
        X : array-like or CSR matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels (any hashable values), or a multilabel indicator matrix.
        sample_weight : float or array-like of shape (n_samples,), default=None

        Returns
        -------
        self : RidgeClassifier
        """
        Y, sw = self._binarize(X, y, sample_weight)
        super().fit(X, Y, sample_weight=sw)
        return self._as_classifier(Y.shape[1])

    def to_sklearn(self):
        """The equivalent fitted ``sklearn.linear_model.RidgeClassifier`` (for tools that check types).

        Returns
        -------
        sklearn.linear_model.RidgeClassifier
            Same hyperparameters that exist there, this model's ``coef_``,
            ``intercept_`` and label binarizer (hence ``classes_``).
        """
        from sklearn.linear_model import RidgeClassifier as SkRidgeClassifier

        out = SkRidgeClassifier(alpha=self.alpha, fit_intercept=self.fit_intercept, class_weight=self.class_weight,
                                positive=self.positive, solver=sklearn_solver(self.solver),
                                random_state=self.random_state)
        return fitted_copy(self, out, ("_label_binarizer", "classes_"))
