"""RidgeClassifier and RidgeClassifierCV against scikit-learn's, and to_sklearn() (issue 21)."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits
from sklearn.linear_model import RidgeClassifier as SkRidgeClassifier
from sklearn.linear_model import RidgeClassifierCV as SkRidgeClassifierCV
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.utils.estimator_checks import parametrize_with_checks

from conftest import assert_coef_close, make_data
from ridgejit import Ridge, RidgeClassifier, RidgeClassifierCV, RidgeCV, SGDRidge


@parametrize_with_checks([RidgeClassifier()])  # Ridge(solver="cg") has its own in test_estimator
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


@pytest.mark.parametrize("class_weight", [None, "balanced", {0: 3.0, 5: 0.5}])
@pytest.mark.parametrize("sparse", [False, True])
def test_digits_equal_sklearn(digits, class_weight, sparse):
    X, y = digits
    Xf = sp.csr_matrix(X) if sparse else X
    sw = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    ours = RidgeClassifier(alpha=2.0, class_weight=class_weight).fit(Xf, y, sample_weight=sw)
    theirs = SkRidgeClassifier(alpha=2.0, class_weight=class_weight, solver="cholesky" if not sparse else "sparse_cg",
                               tol=1e-12).fit(Xf, y, sample_weight=sw)
    assert ours.coef_.shape == theirs.coef_.shape == (10, 64)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    assert_coef_close(ours.decision_function(X), theirs.decision_function(X), rtol=1e-8)
    np.testing.assert_array_equal(ours.predict(Xf), theirs.predict(Xf))


def test_binary_string_labels_and_multilabel():
    X, y, _ = make_data(n=200, p=5)
    labels = np.where(y > np.median(y), "high", "low")
    ours = RidgeClassifier().fit(X, labels)
    theirs = SkRidgeClassifier(solver="cholesky").fit(X, labels)
    assert ours.coef_.shape == (1, 5) and ours.intercept_.shape == (1,)
    assert_coef_close(ours.decision_function(X), theirs.decision_function(X), rtol=1e-8)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    Y = np.column_stack([y > 0, X[:, 0] > X[:, 0].mean(), X[:, 1] < 0]).astype(int)
    multi = RidgeClassifier().fit(X, Y)
    np.testing.assert_array_equal(multi.predict(X), SkRidgeClassifier(solver="cholesky").fit(X, Y).predict(X))
    assert not hasattr(RidgeClassifier(), "partial_fit")


def test_to_sklearn_predicts_the_same_numbers(digits):
    X, y, sw = make_data(n=300, p=6, k=2)
    for est in (Ridge(alpha=2.0, solver="cg"), Ridge(positive=True), RidgeCV(alphas=[0.1, 1.0, 10.0]),
                RidgeCV(alphas=[0.1, 1.0], cv=3)):
        sk = est.fit(X, y).to_sklearn()
        assert type(sk).__module__.startswith("sklearn.")
        np.testing.assert_allclose(sk.predict(X), est.predict(X), rtol=1e-12)
        pickle.loads(pickle.dumps(sk)).predict(X)
    sgd = SGDRidge(alpha=30.0, max_iter=5, tol=None).fit(X, y[:, 0])
    sk = sgd.to_sklearn()
    assert sk.alpha == pytest.approx(30.0 / 300)
    np.testing.assert_allclose(sk.predict(X), sgd.predict(X), rtol=1e-12)
    Xd, yd = digits
    clf = RidgeClassifier().fit(Xd, yd)
    skc = clf.to_sklearn()
    np.testing.assert_array_equal(skc.classes_, clf.classes_)
    np.testing.assert_array_equal(skc.predict(Xd), clf.predict(Xd))
    assert skc.score(Xd, yd) == clf.score(Xd, yd)


# -- RidgeClassifierCV ------------------------------------------------------------------------
@parametrize_with_checks([RidgeClassifierCV(), RidgeClassifierCV(cv=3)])
def test_sklearn_estimator_checks_cv(estimator, check):
    check(estimator)


@pytest.mark.parametrize("cv", [None, 3])
@pytest.mark.parametrize("class_weight", [None, "balanced"])
def test_classifier_cv_equals_sklearn(digits, cv, class_weight):
    X, y = digits
    alphas = np.logspace(-3, 2, 8)
    ours = RidgeClassifierCV(alphas=alphas, cv=cv, class_weight=class_weight).fit(X, y)
    theirs = SkRidgeClassifierCV(alphas=alphas, cv=cv, class_weight=class_weight).fit(X, y)
    assert ours.alpha_ == theirs.alpha_
    assert ours.best_score_ == pytest.approx(theirs.best_score_, rel=1e-9)
    assert_coef_close(ours.coef_, theirs.coef_, rtol=1e-8)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_array_equal(ours.to_sklearn().predict(X), ours.predict(X))


def test_classifier_cv_scorers_see_labels(digits):
    """A scorer gets the labels and a classifier whose predict gives labels: accuracy of the
    leave-one-out decision values, checked by hand for every alpha."""
    X, y = digits
    alphas = [0.01, 1.0, 100.0]
    ours = RidgeClassifierCV(alphas=alphas, scoring="accuracy", store_cv_results=True).fit(X, y)
    by_hand = [np.mean(np.argmax(ours.cv_results_[:, :, a], axis=1) == y) for a in range(3)]
    np.testing.assert_allclose(ours.mean_scores_, by_hand, rtol=1e-12)
    assert ours.best_score_ == max(by_hand)
    binary = y > 4
    two = RidgeClassifierCV(alphas=alphas, cv=GroupKFold(3)).fit(X, binary, groups=np.arange(len(y)) % 7)
    grid = GridSearchCV(SkRidgeClassifier(), {"alpha": alphas}, cv=GroupKFold(3)).fit(
        X, binary, groups=np.arange(len(y)) % 7)
    assert two.alpha_ == grid.best_params_["alpha"]
    np.testing.assert_allclose(two.mean_scores_, grid.cv_results_["mean_test_score"], rtol=1e-12)
