"""Numerical edge cases of Ridge, each against scikit-learn or a closed form (every exact-capable solver)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import Ridge as SkRidge

from conftest import assert_coef_close, make_data
from ridgejit import Ridge

SOLVERS = ["direct", "cg", "auto"]
TIGHT = dict(tol=1e-12, max_iter=10_000)


def fit(solver, X, y, alpha=1.0, sw=None, **kw):
    return Ridge(alpha=alpha, solver=solver, **TIGHT, **kw).fit(X, y, sample_weight=sw)


def sk(X, y, alpha=1.0, sw=None, **kw):
    return SkRidge(alpha=alpha, solver="svd" if not kw.get("fit_intercept", True) else "cholesky",
                   **kw).fit(X, y, sample_weight=sw)


@pytest.mark.parametrize("solver", SOLVERS)
def test_one_row_and_one_column(solver):
    X, y, _ = make_data(n=40, p=1)
    assert_coef_close(fit(solver, X, y).coef_, sk(X, y).coef_, rtol=1e-8)
    one = fit(solver, X[:1], y[:1])
    assert_allclose(one.coef_, 0.0, atol=1e-12)  # one row, centred: nothing to fit
    assert one.intercept_ == pytest.approx(y[0])


@pytest.mark.parametrize("solver", SOLVERS)
def test_constant_column_gets_zero_weight(solver):
    X, y, _ = make_data(n=100, p=4)
    X[:, 2] = 7.5
    m = fit(solver, X, y)
    assert m.coef_[2] == pytest.approx(0.0, abs=1e-10)
    assert_coef_close(m.coef_, sk(X, y).coef_, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("solver", SOLVERS)
def test_duplicated_columns_and_rows(solver):
    X, y, _ = make_data(n=120, p=4)
    w = fit(solver, X, y, alpha=2.0).coef_
    # 0.5 * [X, X] with alpha / 2 gives [w, w]
    assert_coef_close(fit(solver, 0.5 * np.hstack([X, X]), y, alpha=1.0).coef_, np.r_[w, w], rtol=1e-8)
    # [X; X] with 2 * alpha gives w
    assert_coef_close(fit(solver, np.vstack([X, X]), np.r_[y, y], alpha=4.0).coef_, w, rtol=1e-8)


@pytest.mark.parametrize("solver", ["direct", "auto"])
def test_alpha_tiny_is_least_squares_and_huge_gives_weighted_mean(solver):
    X, y, sw = make_data(n=200, p=5)
    ls = np.linalg.lstsq(np.c_[X, np.ones(len(X))], y, rcond=None)[0]
    tiny = fit(solver, X, y, alpha=1e-10)
    assert_coef_close(tiny.coef_, ls[:-1], rtol=1e-7)
    huge = fit(solver, X, y, alpha=1e14, sw=sw)
    assert_allclose(huge.coef_, 0.0, atol=1e-9)
    assert huge.intercept_ == pytest.approx(np.average(y, weights=sw), rel=1e-8)


@pytest.mark.parametrize("solver", SOLVERS)
def test_constant_y(solver):
    X, _, _ = make_data(n=50, p=3)
    m = fit(solver, X, np.full(50, 3.25))
    assert_allclose(m.coef_, 0.0, atol=1e-12)
    assert m.intercept_ == pytest.approx(3.25)


@pytest.mark.parametrize("solver", SOLVERS)
def test_zero_weights_remove_rows_and_integer_weights_repeat_them(solver):
    X, y, _ = make_data(n=90, p=4)
    sw = np.r_[np.zeros(30), np.ones(60)]
    assert_coef_close(fit(solver, X, y, sw=sw).coef_, fit(solver, X[30:], y[30:]).coef_, rtol=1e-8)
    reps = np.arange(90) % 3 + 1
    rep = fit(solver, np.repeat(X, reps, axis=0), np.repeat(y, reps), alpha=1.0)
    assert_coef_close(fit(solver, X, y, sw=reps.astype(float)).coef_, rep.coef_, rtol=1e-8)


def test_integer_fortran_strided_and_pandas_inputs():
    pd = pytest.importorskip("pandas")
    X, y, _ = make_data(n=80, p=5)
    Xi, yi = np.round(X * 10).astype(np.int64), np.round(y).astype(np.int32)
    ref = Ridge().fit(Xi.astype(float), yi.astype(float))
    assert_coef_close(Ridge().fit(Xi, yi).coef_, ref.coef_, rtol=1e-12)
    base = Ridge().fit(X, y).coef_
    assert_coef_close(Ridge().fit(np.asfortranarray(X), y).coef_, base, rtol=1e-12)
    wide = np.hstack([X, X])[:, ::2]  # non-contiguous view of the same values
    assert_coef_close(Ridge().fit(wide, y).coef_, Ridge().fit(np.ascontiguousarray(wide), y).coef_, rtol=1e-12)
    df = pd.DataFrame(X, columns=[f"f{j}" for j in range(5)])
    m = Ridge().fit(df, pd.Series(y))
    assert_coef_close(m.coef_, base, rtol=1e-12)
    assert list(m.feature_names_in_) == list(df.columns)


def test_p_much_larger_than_n_matches_sklearn():
    X, y, sw = make_data(n=25, p=400)
    for solver in ("direct", "auto"):
        assert_coef_close(fit(solver, X, y, sw=sw).coef_, sk(X, y, sw=sw).coef_, rtol=1e-7, atol=1e-10)


def test_pipeline_gridsearch_processes_and_clone():
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y, _ = make_data(n=300, p=6)
    pipe = make_pipeline(StandardScaler(), Ridge())
    search = GridSearchCV(pipe, {"ridge__alpha": [0.1, 1.0, 10.0]}, cv=3, n_jobs=2).fit(X, y)
    ref = GridSearchCV(make_pipeline(StandardScaler(), SkRidge()), {"ridge__alpha": [0.1, 1.0, 10.0]},
                       cv=3).fit(X, y)
    assert search.best_params_ == ref.best_params_
    assert_allclose(search.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"], rtol=1e-8)
    assert_allclose(cross_val_score(clone(pipe), X, y, cv=3), cross_val_score(make_pipeline(StandardScaler(), SkRidge()), X, y, cv=3), rtol=1e-8)
