"""Validation scores for :class:`ridgejit.RidgeCV`, from statistics or from predictions.

Three kinds of scoring:

``"loo_mse"`` (``scoring=None`` with leave-one-out)
    scikit-learn's convention: ``-mean_i s_i e_i^2`` over samples (and
    targets), ``e_i`` the leave-one-out error: the mean over ``n``, not the
    weight sum.
``"stats"`` (``"r2"``, ``"neg_mean_squared_error"``, ``"neg_root_mean_squared_error"``;
``scoring=None`` with k-fold means ``"r2"``)
    computed from the weighted sums of squares ``SSE_t = sum_i s_i e_it^2``
    and ``SST_t = sum_i s_i (y_it - ybar_t)^2`` of the validation rows, with
    no predictions: exactly the numbers of scikit-learn's metrics with
    ``sample_weight`` (multi-output: the uniform average over targets).
``"scorer"`` (any other name or a callable)
    called as ``scorer(identity, predictions, y_true[, sample_weight=...])``,
    ``identity`` a regressor whose ``predict`` returns its input, the trick of
    scikit-learn's ``_RidgeGCV``: the predictions of all alphas come from one
    matrix product, and no model object is built per alpha.
"""

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model._base import LinearClassifierMixin
from sklearn.metrics import check_scoring, get_scorer

#: Scorer names computed from sums of squares (no predictions needed).
STATS_SCORERS = ("r2", "neg_mean_squared_error", "neg_root_mean_squared_error")


class PredictionsRegressor(RegressorMixin, BaseEstimator):
    """A regressor whose ``predict(X)`` returns ``X``: scorers get precomputed predictions."""

    def predict(self, X):
        """Return ``X`` unchanged (it holds the predictions)."""
        return X


class PredictionsClassifier(LinearClassifierMixin, BaseEstimator):
    """A classifier whose ``decision_function(X)`` returns ``X`` (the decision values of the
    ``{-1, +1}`` class columns) and whose ``predict`` decodes them with the fitted
    ``LabelBinarizer`` ``binarizer``, as :class:`ridgejit.RidgeClassifier` predicts."""

    def __init__(self, binarizer):
        self.binarizer = binarizer
        self.classes_ = binarizer.classes_

    def decision_function(self, X):
        """Return ``X`` (one column: its ravel, as a binary classifier's)."""
        return X[:, 0] if X.ndim == 2 and X.shape[1] == 1 else X

    def predict(self, X):
        """Labels: the sign of one column, else the argmax (multilabel: every positive column)."""
        return self.binarizer.inverse_transform(np.asarray(X).reshape(len(X), -1))


class Scoring:
    """How one ``RidgeCV.fit`` scores an alpha; see the module docstring.

    Parameters
    ----------
    estimator : RidgeCV
        Its ``scoring`` (None, a scorer name or a callable) is resolved here.
    loo : bool
        Leave-one-out (``scoring=None`` then means the mean squared LOO error).
    per_target : bool
        Score every target on its own (``alpha_per_target`` with 2-D y).
    weighted : bool
        The user gave sample weights: they are passed to scorers.
    labels : sklearn.preprocessing.LabelBinarizer or None, default=None
        A classifier's fitted label encoding (:class:`ridgejit.cv.RidgeClassifierCV`):
        ``y`` holds its ``{-1, +1}`` columns, k-fold scores default to accuracy,
        and scorers get :class:`PredictionsClassifier` and the decoded labels.
    """

    def __init__(self, estimator, *, loo, per_target, weighted, labels=None):
        scoring = estimator.scoring
        self.per_target, self.weighted, self.labels = per_target, weighted, labels
        self.scorer = None
        if scoring is None and labels is not None and not loo:  # GridSearchCV(RidgeClassifier)
            self.kind, self.name, self.scorer = "scorer", "accuracy", get_scorer("accuracy")
        elif scoring is None:
            self.kind, self.name = ("loo_mse", None) if loo else ("stats", "r2")
        elif isinstance(scoring, str) and scoring in STATS_SCORERS:
            self.kind, self.name = "stats", scoring
        else:
            self.kind, self.name = "scorer", scoring
            self.scorer = check_scoring(estimator, scoring=scoring)

    @property
    def needs_predictions(self):
        """True when scores need predictions (a pass over the validation rows)."""
        return self.kind == "scorer"

    def from_sums(self, sse, sst, weight_sum, n_samples):
        """Scores from sums of squares: ``sse`` ``(..., k)``, ``sst`` ``(k,)``.

        Returns ``(..., k)`` when ``per_target``, else ``(...)`` (the mean over
        targets, which is scikit-learn's uniform average for these metrics).
        """
        if self.kind == "loo_mse":
            per = -sse / n_samples
        elif self.name == "neg_mean_squared_error":
            per = -sse / weight_sum
        elif self.name == "neg_root_mean_squared_error":
            per = -np.sqrt(np.maximum(sse, 0.0) / weight_sum)
        else:  # r2, with scikit-learn's force_finite convention for constant y
            with np.errstate(divide="ignore", invalid="ignore"):
                per = 1.0 - sse / sst
            per = np.where(sst > 0, per, np.where(sse == 0, 1.0, 0.0))
        return per if self.per_target else per.mean(axis=-1)

    def from_predictions(self, P, y_true, sample_weight):
        """Scores of every alpha from predictions ``P`` ``(m, n_alphas, k)`` of validation rows.

        Returns ``(n_alphas,)`` or ``(n_alphas, k)`` (per target); statistics
        scorers sum squares, other scorers are called once per alpha.
        """
        if self.needs_predictions:
            return np.array([self.call(P[:, a], y_true, sample_weight) for a in range(P.shape[1])])
        Y = np.asarray(y_true, dtype=np.float64).reshape(len(P), -1)
        w = sample_weight
        y_mean = w @ Y / w.sum()
        sse = np.einsum("m,mak->ak", w, (Y[:, None, :] - P) ** 2)
        return self.from_sums(sse, w @ (Y - y_mean) ** 2, w.sum(), len(P))

    def call(self, predictions, y_true, sample_weight):
        """Score predictions ``(m, k)`` of one alpha against ``y_true`` (1-D or 2-D).

        Returns a float, or ``(k,)`` when ``per_target`` (the scorer is then
        called once per target column, as scikit-learn's ``_RidgeGCV`` does).
        """
        kw = {"sample_weight": sample_weight} if self.weighted else {}
        if self.labels is not None:
            truth = self.labels.inverse_transform(np.asarray(y_true).reshape(len(y_true), -1))
            return float(self.scorer(PredictionsClassifier(self.labels), predictions, truth, **kw))
        est = PredictionsRegressor()
        if not self.per_target:
            pred = predictions[:, 0] if y_true.ndim == 1 else predictions
            return float(self.scorer(est, pred, y_true, **kw))
        out = np.empty(y_true.shape[1])
        for t in range(y_true.shape[1]):
            try:
                value = self.scorer(est, predictions[:, t], y_true[:, t], **kw)
                out[t] = float(value)
            except Exception as exc:  # noqa: BLE001  (any failure: say which target mode)
                raise ValueError(
                    f"alpha_per_target=True scores each target on its own, but scoring="
                    f"{self.name!r} failed on a single target column: {exc}"
                ) from exc
        return out


def select_best(scores):
    """Index of the best alpha: ``scores`` ``(n_alphas,)`` -> int, ``(n_alphas, k)`` -> ``(k,)``.

    The first maximum wins, as in scikit-learn (``_RidgeGCV`` replaces the
    best only on a strictly greater score; ``GridSearchCV`` ranks with
    ``method="min"`` and takes the first of rank 1).  NaN scores never win
    unless every score is NaN (then the first alpha).
    """
    clean = np.where(np.isnan(scores), -np.inf, scores)
    return np.argmax(clean, axis=0)
