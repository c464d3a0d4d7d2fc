"""RidgeCV and ridge_path against scikit-learn's RidgeCV, GridSearchCV and Ridge."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import Ridge as SkRidge
from sklearn.linear_model import RidgeCV as SkRidgeCV
from sklearn.metrics import make_scorer, mean_absolute_error
from sklearn.model_selection import GridSearchCV, KFold, ShuffleSplit, TimeSeriesSplit
from sklearn.utils.estimator_checks import parametrize_with_checks

from conftest import assert_coef_close, make_data
from ridgejit import Ridge, RidgeCV, ridge_path
from ridgejit.cv import eigen as cv_eigen

ALPHAS = np.logspace(-3, 3, 9)
RTOL = 1e-6

#: name -> make_data arguments (n <= 400, p <= 30)
DATA = {
    "tall": dict(n=120, p=8),
    "wide": dict(n=24, p=30),
    "multi": dict(n=150, p=10, k=3),
    "offset": dict(n=200, p=12, correlated=True, offset=1e4),
}


def data(name, seed=0, fit_intercept=True):
    """Seeded data; without an intercept the columns are moved near 1 (at 1e4 with
    no intercept the problem is ill-conditioned for every implementation)."""
    X, y, sw = make_data(seed=seed, **DATA[name])
    if not fit_intercept:
        X = X - X.mean(axis=0) + 1.0
    return X, y, sw


def mae_scorer():
    return make_scorer(mean_absolute_error, greater_is_better=False)


def median_scorer(est, X, y):
    """A plain callable scorer: minus the median absolute error."""
    return -float(np.median(np.abs(est.predict(X) - y)))


@parametrize_with_checks([RidgeCV(), RidgeCV(cv=3), RidgeCV(alphas=[0.5, 5.0], cv=2, solver="cholesky")])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# --- leave-one-out (cv=None) ------------------------------------------------------


def assert_same_fit(ours, ref, rtol=RTOL):
    assert_allclose(ours.alpha_, ref.alpha_, rtol=0)
    assert_allclose(ours.best_score_, ref.best_score_, rtol=rtol)
    assert np.shape(ours.best_score_) == np.shape(ref.best_score_)
    assert_coef_close(ours.coef_, ref.coef_, rtol=rtol, atol=1e-12)
    assert_allclose(ours.intercept_, ref.intercept_, rtol=rtol, atol=1e-12)
    assert np.shape(ours.coef_) == np.shape(ref.coef_)
    assert np.shape(ours.intercept_) == np.shape(ref.intercept_)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("name", list(DATA))
def test_loo_matches_sklearn(name, fit_intercept, weighted):
    X, y, sw = data(name, fit_intercept=fit_intercept)
    w = sw if weighted else None
    kw = dict(alphas=ALPHAS, fit_intercept=fit_intercept, store_cv_results=True)
    ours = RidgeCV(**kw).fit(X, y, sample_weight=w)
    ref = SkRidgeCV(**kw).fit(X, y, sample_weight=w)
    assert_same_fit(ours, ref)
    assert ours.cv_results_.shape == ref.cv_results_.shape
    assert_allclose(ours.cv_results_, ref.cv_results_, rtol=RTOL, atol=1e-12)
    assert ours.gcv_mode_ == ("gram" if X.shape[0] <= X.shape[1] else "cov")
    assert ours.mean_scores_.shape == (len(ALPHAS),)


@pytest.mark.parametrize("scoring", [None, "r2", "neg_mean_squared_error"])
@pytest.mark.parametrize("name", ["multi", "wide"])
def test_loo_alpha_per_target(name, scoring):
    X, y, sw = data(name)
    if y.ndim == 1:
        y = np.column_stack([y, np.sin(y) + X[:, 0]])
    kw = dict(alphas=ALPHAS, alpha_per_target=True, scoring=scoring, store_cv_results=True)
    ours = RidgeCV(**kw).fit(X, y, sample_weight=sw)
    ref = SkRidgeCV(**kw).fit(X, y, sample_weight=sw)
    assert_same_fit(ours, ref)
    assert_allclose(ours.cv_results_, ref.cv_results_, rtol=RTOL, atol=1e-12)
    assert ours.alpha_.shape == (y.shape[1],)
    assert ours.mean_scores_.shape == (y.shape[1], len(ALPHAS))


def test_loo_single_column_y_shapes():
    X, y, _ = data("tall")
    Y = y[:, None]
    for per_target in (False, True):
        kw = dict(alphas=ALPHAS, alpha_per_target=per_target, store_cv_results=True)
        ours, ref = RidgeCV(**kw).fit(X, Y), SkRidgeCV(**kw).fit(X, Y)
        assert_same_fit(ours, ref)
        assert ours.cv_results_.shape == ref.cv_results_.shape == (len(y), 1, len(ALPHAS))


@pytest.mark.parametrize("scoring", ["neg_mean_squared_error", "r2", "neg_root_mean_squared_error",
                                     "neg_mean_absolute_error", "callable"])
@pytest.mark.parametrize("name", ["tall", "wide", "multi"])
def test_loo_scorers_match_sklearn(name, scoring):
    X, y, sw = data(name)
    scoring = mae_scorer() if scoring == "callable" else scoring
    kw = dict(alphas=ALPHAS, scoring=scoring, store_cv_results=True)
    ours = RidgeCV(**kw).fit(X, y, sample_weight=sw)
    ref = SkRidgeCV(**kw).fit(X, y, sample_weight=sw)
    assert_same_fit(ours, ref)
    assert_allclose(ours.cv_results_, ref.cv_results_, rtol=RTOL)


@pytest.mark.parametrize("name", ["tall", "wide"])
def test_loo_equals_brute_force_refits(name):
    """Each stored s_i e_i^2 is the squared error of a fit without sample i."""
    X, y, sw = data(name)
    alphas = [1e-3, 1.0, 100.0]
    ours = RidgeCV(alphas=alphas, store_cv_results=True).fit(X, y, sample_weight=sw)
    ref = np.empty((len(y), len(alphas)))
    for j, a in enumerate(alphas):
        for i in range(len(y)):
            keep = np.arange(len(y)) != i
            m = SkRidge(alpha=a, solver="svd").fit(X[keep], y[keep], sample_weight=sw[keep])
            ref[i, j] = sw[i] * (y[i] - m.predict(X[i : i + 1])[0]) ** 2
    assert_allclose(ours.cv_results_, ref, rtol=1e-8)


def test_loo_in_many_blocks_and_float32(monkeypatch):
    X, y, sw = data("offset")
    monkeypatch.setattr(cv_eigen, "BLOCK_BYTES", 8 * 12 * 7)  # 64-row blocks (the floor)
    blocks = RidgeCV(alphas=ALPHAS, scoring="r2").fit(X, y, sample_weight=sw)
    ref = SkRidgeCV(alphas=ALPHAS, scoring="r2").fit(X, y, sample_weight=sw)
    assert_same_fit(blocks, ref)
    X, y, sw = data("tall")  # float32 X at 1e4 would be another problem
    f64 = RidgeCV(alphas=ALPHAS).fit(X, y, sample_weight=sw)
    f32 = RidgeCV(alphas=ALPHAS).fit(X.astype(np.float32), y, sample_weight=sw)
    assert f32.coef_.dtype == np.float32
    assert f32.alpha_ == f64.alpha_
    assert_coef_close(f32.coef_, f64.coef_, rtol=1e-4, atol=1e-5)


# --- k-fold (cv = int or splitter) ------------------------------------------------


def grid_search(X, y, cv, scoring, fit_intercept=True, alphas=ALPHAS):
    g = GridSearchCV(SkRidge(fit_intercept=fit_intercept), {"alpha": alphas}, cv=cv, scoring=scoring)
    return g.fit(X, y)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("scoring", ["neg_mean_squared_error", "r2", None, "callable", "plain_callable"])
@pytest.mark.parametrize("name", ["tall", "multi", "offset", "wide"])
def test_kfold_matches_grid_search(name, scoring, fit_intercept):
    X, y, _ = data(name, fit_intercept=fit_intercept)
    scoring = {"callable": mae_scorer(), "plain_callable": median_scorer}.get(scoring, scoring)
    ours = RidgeCV(alphas=ALPHAS, cv=KFold(5), scoring=scoring, fit_intercept=fit_intercept).fit(X, y)
    ref = grid_search(X, y, KFold(5), scoring, fit_intercept)
    assert ours.alpha_ == ref.best_params_["alpha"]
    assert_allclose(ours.mean_scores_, ref.cv_results_["mean_test_score"], rtol=RTOL)
    assert_allclose(ours.best_score_, ref.best_score_, rtol=RTOL)
    folds = np.array([ref.cv_results_[f"split{s}_test_score"] for s in range(5)])
    assert_allclose(ours.fold_scores_, folds, rtol=RTOL)
    assert_coef_close(ours.coef_, ref.best_estimator_.coef_, rtol=RTOL, atol=1e-10)
    assert_allclose(ours.intercept_, ref.best_estimator_.intercept_, rtol=RTOL, atol=1e-10)
    assert ours.gcv_mode_ == "folds" and ours.solver_ == "eigen"


@pytest.mark.parametrize("cv", [KFold(4, shuffle=True, random_state=0), ShuffleSplit(4, random_state=0),
                                TimeSeriesSplit(4), 3])
def test_other_splitters_match_grid_search(cv):
    X, y, _ = data("multi")
    ours = RidgeCV(alphas=ALPHAS, cv=cv, scoring="neg_mean_squared_error").fit(X, y)
    ref = grid_search(X, y, cv, "neg_mean_squared_error")
    assert ours.alpha_ == ref.best_params_["alpha"]
    assert_allclose(ours.mean_scores_, ref.cv_results_["mean_test_score"], rtol=RTOL)
    partition = not isinstance(cv, (ShuffleSplit, TimeSeriesSplit))
    assert ours.gcv_mode_ == ("folds" if partition else "splits")


@pytest.mark.parametrize("scoring", ["neg_mean_squared_error", "r2", "callable"])
def test_weighted_kfold_matches_routed_grid_search(scoring):
    """Weights in the training fits and in the validation scores (metadata routing)."""
    import sklearn

    X, y, sw = data("tall")
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = mae_scorer() if scoring == "callable" else sklearn.metrics.get_scorer(scoring)
        scorer = scorer.set_score_request(sample_weight=True)
        est = SkRidge().set_fit_request(sample_weight=True)
        ref = GridSearchCV(est, {"alpha": ALPHAS}, cv=KFold(5), scoring=scorer).fit(X, y, sample_weight=sw)
    ours = RidgeCV(alphas=ALPHAS, cv=KFold(5), scoring=mae_scorer() if scoring == "callable" else scoring)
    ours.fit(X, y, sample_weight=sw)
    assert ours.alpha_ == ref.best_params_["alpha"]
    assert_allclose(ours.mean_scores_, ref.cv_results_["mean_test_score"], rtol=RTOL)
    assert_coef_close(ours.coef_, ref.best_estimator_.coef_, rtol=RTOL)


@pytest.mark.parametrize("scoring", ["r2", "callable"])
def test_kfold_alpha_per_target_is_grid_search_per_target(scoring):
    X, y, _ = data("multi")
    y = y * np.array([1.0, 30.0, 0.1]) + np.array([0, 1, 2]) * np.sin(X[:, :1] * 3)
    scoring = mae_scorer() if scoring == "callable" else scoring
    ours = RidgeCV(alphas=ALPHAS, cv=5, scoring=scoring, alpha_per_target=True).fit(X, y)
    for t in range(y.shape[1]):
        ref = grid_search(X, y[:, t], 5, scoring)
        assert ours.alpha_[t] == ref.best_params_["alpha"]
        assert_allclose(ours.mean_scores_[t], ref.cv_results_["mean_test_score"], rtol=RTOL)
        assert_coef_close(ours.coef_[t], ref.best_estimator_.coef_, rtol=RTOL)


def test_cholesky_solver_equals_eigen():
    X, y, sw = data("offset")
    a = RidgeCV(alphas=ALPHAS, cv=5, solver="eigen").fit(X, y, sample_weight=sw)
    b = RidgeCV(alphas=ALPHAS, cv=5, solver="cholesky").fit(X, y, sample_weight=sw)
    assert b.solver_ == "cholesky" and a.alpha_ == b.alpha_
    assert_allclose(a.fold_scores_, b.fold_scores_, rtol=1e-9)
    assert_coef_close(a.coef_, b.coef_, rtol=1e-10)


def test_ties_pick_the_first_alpha_like_sklearn():
    X, _, _ = data("tall")
    y = np.full(len(X), 3.0)  # every alpha predicts y exactly: all scores tie
    alphas = [10.0, 1.0, 0.1]
    assert RidgeCV(alphas=alphas).fit(X, y).alpha_ == SkRidgeCV(alphas=alphas).fit(X, y).alpha_ == 10.0
    for scoring in ("neg_mean_squared_error", "r2"):
        ours = RidgeCV(alphas=alphas, cv=3, scoring=scoring).fit(X, y)
        ref = grid_search(X, y, 3, scoring, alphas=alphas)
        assert ours.alpha_ == ref.best_params_["alpha"] == 10.0
        assert_allclose(ours.mean_scores_, ref.cv_results_["mean_test_score"])


# --- ridge_path -------------------------------------------------------------------


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("name", list(DATA))
def test_ridge_path_equals_ridge_per_alpha(name, fit_intercept):
    X, y, sw = data(name, fit_intercept=fit_intercept)
    coefs, intercepts = ridge_path(X, y, ALPHAS, fit_intercept=fit_intercept, sample_weight=sw)
    k = 1 if y.ndim == 1 else y.shape[1]
    assert coefs.shape == ((len(ALPHAS), X.shape[1]) if k == 1 else (len(ALPHAS), k, X.shape[1]))
    assert intercepts.shape == ((len(ALPHAS),) if k == 1 else (len(ALPHAS), k))
    for a, coef, b in zip(ALPHAS, coefs, intercepts):
        m = Ridge(alpha=a, fit_intercept=fit_intercept, solver="direct").fit(X, y, sample_weight=sw)
        assert_coef_close(coef, m.coef_, rtol=1e-7, atol=1e-10)
        assert_allclose(b, m.intercept_, rtol=1e-7, atol=1e-9)


def test_ridge_path_alpha_zero_is_least_squares():
    X, y, _ = data("tall")
    coefs, intercepts = ridge_path(X, y, [0.0, 1.0])
    Xa = np.column_stack([X, np.ones(len(X))])
    sol = np.linalg.lstsq(Xa, y, rcond=None)[0]
    assert_coef_close(coefs[0], sol[:-1], rtol=1e-8)
    assert_allclose(intercepts[0], sol[-1], rtol=1e-8)


# --- bad input --------------------------------------------------------------------


def test_bad_input_raises_clear_errors():
    X, y, sw = data("tall")
    with pytest.raises(ValueError, match="alphas is empty"):
        RidgeCV(alphas=[]).fit(X, y)
    with pytest.raises(ValueError, match=r"alphas\[1\] == -1.0, must be > 0.0"):
        RidgeCV(alphas=[1.0, -1.0]).fit(X, y)
    with pytest.raises(ValueError, match=r"alphas\[0\] == 0.0, must be > 0.0"):
        RidgeCV(alphas=[0.0, 1.0]).fit(X, y)
    with pytest.raises(ValueError, match=r"alphas\[1\] == nan"):
        RidgeCV(alphas=[1.0, np.nan], cv=3).fit(X, y)
    with pytest.raises(ValueError, match="alpha"):
        RidgeCV(alphas=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="n_splits=500 greater than the number of samples"):
        RidgeCV(cv=500).fit(X, y)
    zero_fold = sw.copy()
    zero_fold[:24] = 0.0  # KFold(5) puts rows 0..23 in fold 0
    with pytest.raises(ValueError, match="fold 0 .* zero total sample weight"):
        RidgeCV(cv=5).fit(X, y, sample_weight=zero_fold)
    with pytest.raises(ValueError, match="store_cv_results"):
        RidgeCV(cv=5, store_cv_results=True).fit(X, y)
    with pytest.raises(ValueError, match="solver='cholesky' needs cv"):
        RidgeCV(solver="cholesky").fit(X, y)
    with pytest.raises(ValueError, match="solver='cg' needs cv"):
        RidgeCV(solver="cg").fit(sp.csr_matrix(X), y)
    with pytest.raises(ValueError, match="alphas"):
        ridge_path(X, y, [-1.0])


def test_alpha_per_target_with_a_scorer_that_cannot_score_one_target():
    X, y, _ = make_data(n=100, p=5, k=2)

    def needs_two_targets(est, X_, y_):
        return -float(np.mean((est.predict(X_) - y_)[:, 1] ** 2))

    for cv in (None, 4):
        with pytest.raises(ValueError, match="alpha_per_target=True scores each target on its own"):
            RidgeCV(cv=cv, scoring=needs_two_targets, alpha_per_target=True).fit(X, y)
    # without alpha_per_target the same scorer works
    assert RidgeCV(cv=4, scoring=needs_two_targets).fit(X, y).alpha_ in (0.1, 1.0, 10.0)


def test_user_arrays_are_not_modified_and_predict_works():
    X, y, sw = data("multi")
    copies = [a.copy() for a in (X, y, sw)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = RidgeCV(alphas=ALPHAS).fit(X, y, sample_weight=sw)
        RidgeCV(alphas=ALPHAS, cv=3, scoring=mae_scorer()).fit(X, y, sample_weight=sw)
    for original, copy in zip((X, y, sw), copies):
        assert_array_equal(original, copy)
    assert_allclose(m.predict(X), X @ m.coef_.T + m.intercept_)


def test_each_mode_reads_x_the_documented_number_of_times(monkeypatch):
    """k-fold statistics: every row once in total; leave-one-out pass 1: every row once."""
    from ridgejit.kernels import Backend, get_backend

    seen = []
    real = get_backend("numpy")

    def counting(X, *args, **kwargs):
        seen.append(X.shape[0])
        return real.sufficient_stats(X, *args, **kwargs)

    spy = Backend("numpy", dict(real.functions, sufficient_stats=counting))
    monkeypatch.setattr("ridgejit._validation.get_backend", lambda name: spy)
    X, y, sw = data("multi")
    for cv in (None, 5, KFold(4, shuffle=True, random_state=1)):
        seen.clear()
        RidgeCV(alphas=ALPHAS, cv=cv).fit(X, y, sample_weight=sw)
        assert sum(seen) == len(X)
