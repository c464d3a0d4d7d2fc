"""Per-feature penalty factors and Tikhonov matrices (issue 22): ``alpha/(2n) sum_j d_j w_j^2``
and ``alpha/(2n) w^T P w``.

The reference is an independent least-squares solve of the augmented system
``[S^1/2 X, S^1/2 1; diag(sqrt(alpha d)), 0] (w, b) = [S^1/2 y; 0]`` by NumPy's
SVD-based ``lstsq`` (no normal equations, no centring, zero factors exact);
RidgeCV is checked against scikit-learn's GridSearchCV over ``Ridge(penalty_factor=...)``.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy.optimize import nnls
from sklearn.model_selection import GridSearchCV, KFold, LeaveOneOut

import ridgejit
from ridgejit import Ridge, RidgeCV, ridge_path

from conftest import augmented_ridge as augmented, make_data

D = np.array([0.0, 1.0, 2.0, 0.5, 0.0, 3.0, 1.0, 0.25])


def objective(X, y, sw, alpha, d, coef, b):
    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    r = X @ coef + b - y
    return (sw @ (r * r) + alpha * d @ (coef * coef)) / (2 * len(y))


@pytest.mark.parametrize("solver", ["auto", "direct", "cholesky", "svd"])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_exact_solvers_equal_the_closed_form_with_zero_factors(solver, fmt, fit_intercept):
    X, y, sw = make_data(n=200, p=8, seed=1)
    Xf = sp.csr_matrix(X) if fmt == "csr" else X
    w, b = augmented(X, y, sw, 7.0, D, fit_intercept)
    m = Ridge(7.0, penalty_factor=D, solver=solver, fit_intercept=fit_intercept).fit(Xf, y, sample_weight=sw)
    assert_allclose(m.coef_, w, rtol=1e-10, atol=1e-10 * np.abs(w).max())
    assert m.intercept_ == pytest.approx(b, rel=1e-10, abs=1e-10)
    assert m.solver_ == "direct" and m.gap_bound_ <= 1e-12
    # the reported objective is the penalized one
    assert m.history_["objective"][-1] == pytest.approx(objective(X, y, sw, 7.0, D, w, b), rel=1e-10)


@pytest.mark.parametrize("solver", ["cg", "gd", "nesterov"])
def test_iterative_solvers_reach_the_penalized_optimum(solver):
    X, y, sw = make_data(n=300, p=8, seed=2, offset=1.0)
    d = D + 0.5  # every factor > 0: the gap bound stands on alpha * min(d)
    w, b = augmented(X, y, sw, 3.0, d)
    J_star = objective(X, y, sw, 3.0, d, w, b)
    m = Ridge(3.0, penalty_factor=d, solver=solver, tol=1e-10, max_iter=100000).fit(X, y, sample_weight=sw)
    gap = (objective(X, y, sw, 3.0, d, m.coef_, m.intercept_) - J_star) / J_star
    # the bound holds in exact arithmetic; evaluating J here rounds at ~1e-16 relative
    assert -1e-14 <= gap <= m.gap_bound_ + 1e-14 and m.gap_bound_ <= 1e-10
    # equal to plain ridge on the columns scaled by 1/sqrt(d) (the implicit scaling), by scikit-learn
    from sklearn.linear_model import Ridge as SkRidge

    sk = SkRidge(3.0, solver="cholesky").fit(X / np.sqrt(d), y, sample_weight=sw)
    assert_allclose(m.coef_, sk.coef_ / np.sqrt(d), rtol=1e-4)


def test_float32_wide_positive_and_streams():
    X, y, sw = make_data(n=200, p=8, seed=3)
    w, b = augmented(X, y, sw, 2.0, D)
    m32 = Ridge(2.0, penalty_factor=D).fit(X.astype(np.float32), y, sample_weight=sw)
    w32, _ = augmented(X.astype(np.float32), y, sw, 2.0, D)
    assert m32.coef_.dtype == np.float32
    assert_allclose(m32.coef_, w32, rtol=1e-6, atol=1e-6 * np.abs(w32).max())
    stream = Ridge(2.0, penalty_factor=D)
    for lo in range(0, 200, 70):
        stream.partial_fit(X[lo:lo + 70], y[lo:lo + 70], sample_weight=sw[lo:lo + 70])
    assert_allclose(stream.coef_, w, rtol=1e-10)
    chunks = ridgejit.fit_chunks([(X[:90], y[:90], sw[:90]), (X[90:], y[90:], sw[90:])], 2.0)
    assert not np.allclose(chunks.coef_, w)  # fit_chunks has no penalty_factor: plain ridge
    # n < p takes the primal form (no dual for zero factors)
    rng = np.random.default_rng(0)
    Xw, yw = rng.standard_normal((30, 60)), rng.standard_normal(30)
    dw = rng.uniform(0, 3, 60)
    dw[:4] = 0
    ww, bw = augmented(Xw, yw, None, 0.5, dw)
    mw = Ridge(0.5, penalty_factor=dw).fit(Xw, yw)
    assert_allclose(mw.coef_, ww, rtol=1e-9, atol=1e-9 * np.abs(ww).max())
    # positive: NNLS of the augmented problem (the intercept freed by centring first)
    Xc, yc = X - sw @ X / sw.sum(), y - sw @ y / sw.sum()
    lhs = np.vstack([np.sqrt(sw)[:, None] * Xc, np.diag(np.sqrt(2.0 * D))])
    ref = nnls(lhs, np.concatenate([np.sqrt(sw) * yc, np.zeros(8)]))[0]
    mp = Ridge(2.0, penalty_factor=D, positive=True).fit(X, y, sample_weight=sw)
    assert_allclose(mp.coef_, ref, rtol=1e-8, atol=1e-10)


def test_classical_covariance_uses_the_penalized_normal_matrix():
    X, y, sw = make_data(n=150, p=8, seed=4)
    m = Ridge(4.0, penalty_factor=D, cov_type="classical").fit(X, y, sample_weight=sw)
    xm = sw @ X / sw.sum()
    Xc = X - xm
    G = Xc.T @ (sw[:, None] * Xc)
    Minv = np.linalg.inv(G + 4.0 * np.diag(D))
    r = y - m.predict(X)
    df = np.trace(Minv @ G) + 1
    sigma2 = sw @ (r * r) / (len(y) - df)
    assert m.effective_dof_ == pytest.approx(df, rel=1e-10)
    assert_allclose(m.covariance_[1:, 1:], sigma2 * Minv @ G @ Minv, rtol=1e-9)


@pytest.mark.parametrize("bad, match", [
    ([1.0, 2.0], "one value per feature"),
    ([np.nan] + [1.0] * 7, "NaN or infinity"),
    ([-1.0] + [1.0] * 7, ">= 0"),
    (np.ones(8) * 1j, "complex"),
])
def test_bad_factors_raise_naming_the_problem(bad, match):
    X, y, _ = make_data(n=50, p=8)
    with pytest.raises(ValueError, match=match):
        Ridge(penalty_factor=bad).fit(X, y)
    with pytest.raises(ValueError, match=match):
        RidgeCV(penalty_factor=bad).fit(X, y)


def test_solvers_that_cannot_honour_it_say_so():
    X, y, _ = make_data(n=60, p=8)
    for solver in ("cg", "gd", "nesterov"):
        with pytest.raises(ValueError, match="needs every penalty_factor > 0"):
            Ridge(penalty_factor=D, solver=solver).fit(X, y)
    with pytest.raises(ValueError, match="does not take penalty_factor"):
        Ridge(penalty_factor=D + 1, solver="sag").fit(X, y)
    with pytest.raises(ValueError, match="multi-shift CG"):
        RidgeCV(penalty_factor=D, cv=3, solver="cg").fit(sp.csr_matrix(X), y)
    with pytest.raises(ValueError, match="no penalty_factor"):
        Ridge(penalty_factor=D).fit(X, y).to_sklearn()
    Xdup = np.hstack([X, X[:, :1]])
    with pytest.raises(ValueError, match="unpenalized features .* linearly dependent"):
        RidgeCV(penalty_factor=np.r_[0.0, np.ones(7), 0.0]).fit(Xdup, y)


def test_leave_one_out_equals_an_explicit_grid_search():
    X, y, sw = make_data(n=60, p=8, seed=5)
    alphas = np.logspace(-2, 3, 12)
    gs = GridSearchCV(Ridge(penalty_factor=D, solver="direct"), {"alpha": alphas}, cv=LeaveOneOut(),
                      scoring="neg_mean_squared_error").fit(X, y)
    for Xf in (X, sp.csr_matrix(X)):
        cv = RidgeCV(alphas=alphas, penalty_factor=D, store_cv_results=True).fit(Xf, y)
        assert cv.alpha_ == gs.best_params_["alpha"]
        assert_allclose(cv.cv_results_.mean(axis=0), -gs.cv_results_["mean_test_score"], rtol=1e-9)
        assert_allclose(cv.coef_, augmented(X, y, None, cv.alpha_, D)[0], rtol=1e-9)
    # wider than tall, two unpenalized columns
    rng = np.random.default_rng(1)
    Xw, yw = rng.standard_normal((20, 40)), rng.standard_normal(20)
    dw = np.r_[0.0, 0.0, np.full(38, 2.0)]
    gs = GridSearchCV(Ridge(penalty_factor=dw, solver="direct"), {"alpha": alphas}, cv=LeaveOneOut(),
                      scoring="neg_mean_squared_error").fit(Xw, yw)
    cv = RidgeCV(alphas=alphas, penalty_factor=dw).fit(Xw, yw)
    assert cv.alpha_ == gs.best_params_["alpha"]
    assert cv.best_score_ == pytest.approx(gs.best_score_, rel=1e-9)


@pytest.mark.parametrize("fmt, solver", [("dense", "auto"), ("dense", "cholesky"), ("csr", "auto")])
def test_kfold_equals_an_explicit_grid_search(fmt, solver):
    X, y, sw = make_data(n=120, p=8, seed=6)
    Xf = sp.csr_matrix(X) if fmt == "csr" else X
    alphas = np.logspace(-2, 3, 9)
    gs = GridSearchCV(Ridge(penalty_factor=D, solver="direct"), {"alpha": alphas}, cv=KFold(4)).fit(Xf, y)
    cv = RidgeCV(alphas=alphas, penalty_factor=D, cv=KFold(4), solver=solver).fit(Xf, y)
    assert cv.alpha_ == gs.best_params_["alpha"]
    assert_allclose(cv.fold_scores_, np.array([gs.cv_results_[f"split{s}_test_score"] for s in range(4)]),
                    rtol=1e-9)
    assert_allclose(cv.coef_, augmented(X, y, None, cv.alpha_, D)[0], rtol=1e-9)


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_ridge_path_with_factors(fmt):
    X, y, _ = make_data(n=80, p=8, seed=7)
    alphas = np.array([0.01, 1.0, 100.0])
    coefs, intercepts = ridge_path(sp.csr_matrix(X) if fmt == "csr" else X, y, alphas, penalty_factor=D)
    for a, c, b in zip(alphas, coefs, intercepts):
        w, b_ref = augmented(X, y, None, a, D)
        assert_allclose(c, w, rtol=1e-9, atol=1e-12)
        assert b == pytest.approx(b_ref, rel=1e-9)


def test_dask_estimators_take_the_penalties_and_positive(client):
    da = pytest.importorskip("dask.array")
    import ridgejit.dask as rjd

    X, y, sw = make_data(n=400, p=8, seed=8)
    Xd, yd, wd = da.from_array(X, chunks=(100, 8)), da.from_array(y, chunks=100), da.from_array(sw, chunks=100)
    w, b = augmented(X, y, sw, 5.0, D)
    direct = rjd.Ridge(5.0, penalty_factor=D).fit(Xd, yd, sample_weight=wd)
    assert direct.solver_ == "direct"
    assert_allclose(direct.coef_, w, rtol=1e-10)
    w1, b1 = augmented(X, y, sw, 5.0, D + 1)
    cg = rjd.Ridge(5.0, penalty_factor=D + 1, solver="cg").fit(Xd, yd, sample_weight=wd)
    assert_allclose(cg.coef_, w1, rtol=1e-5)
    cv = rjd.RidgeCV(alphas=[0.1, 10.0, 1000.0], cv=2, penalty_factor=D).fit(Xd, yd)
    assert_allclose(cv.coef_, augmented(X, y, None, cv.alpha_, D)[0], rtol=1e-9)
    nonneg = rjd.RidgeCV(alphas=[0.1, 10.0, 1000.0], cv=2, positive=True).fit(Xd, yd)
    assert nonneg.solver_ == "positive" and (nonneg.coef_ >= 0).all()
    assert_allclose(nonneg.coef_, Ridge(nonneg.alpha_, positive=True).fit(X, y).coef_, rtol=1e-10, atol=1e-12)
    tikhonov = rjd.Ridge(5.0, penalty_matrix=DIFF2).fit(Xd, yd, sample_weight=wd)
    assert tikhonov.solver_ == "direct"
    assert_allclose(tikhonov.coef_, augmented(X, y, sw, 5.0, DIFF2)[0], rtol=1e-10)


#: a second-difference (smoothness) penalty: singular, its null space the constant and linear profiles
DIFF2 = (lambda L: L.T @ L)(np.diff(np.eye(8), 2, axis=0))


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_penalty_matrix_equals_the_closed_form(fmt):
    X, y, sw = make_data(n=200, p=8, seed=9)
    Xf = sp.csr_matrix(X) if fmt == "csr" else X
    w, b = augmented(X, y, sw, 20.0, DIFF2)
    for solver in ("auto", "direct"):
        m = Ridge(20.0, penalty_matrix=DIFF2, solver=solver).fit(Xf, y, sample_weight=sw)
        assert_allclose(m.coef_, w, rtol=1e-10, atol=1e-10 * np.abs(w).max())
        assert m.intercept_ == pytest.approx(b, rel=1e-10)
        assert m.history_["objective"][-1] == pytest.approx(
            (sw @ (X @ w + b - y) ** 2 + 20.0 * w @ DIFF2 @ w) / (2 * len(y)), rel=1e-10)
    P = DIFF2 + 0.05 * np.eye(8)  # positive definite: cg, gd, nesterov certify their gap
    w, b = augmented(X, y, sw, 20.0, P)
    J = lambda c, i: (sw @ (X @ c + i - y) ** 2 + 20.0 * c @ P @ c) / (2 * len(y))  # noqa: E731
    for solver in ("cg", "gd", "nesterov"):
        m = Ridge(20.0, penalty_matrix=P, solver=solver, tol=1e-10, max_iter=100000).fit(Xf, y, sample_weight=sw)
        gap = (J(m.coef_, m.intercept_) - J(w, b)) / J(w, b)  # J rounds at ~1e-16 relative here
        assert -1e-14 <= gap <= m.gap_bound_ + 1e-14 and m.gap_bound_ <= 1e-10
    m = Ridge(20.0, penalty_matrix=DIFF2, cov_type="classical").fit(X, y, sample_weight=sw)
    Xc = X - sw @ X / sw.sum()
    G = Xc.T @ (sw[:, None] * Xc)
    Minv = np.linalg.inv(G + 20.0 * DIFF2)
    assert_allclose(m.covariance_[1:, 1:] / m.sigma2_, Minv @ G @ Minv, rtol=1e-8)


def test_penalty_matrix_in_cross_validation_and_paths():
    X, y, _ = make_data(n=60, p=8, seed=10)
    alphas = np.logspace(-2, 4, 10)
    gs = GridSearchCV(Ridge(penalty_matrix=DIFF2, solver="direct"), {"alpha": alphas}, cv=LeaveOneOut(),
                      scoring="neg_mean_squared_error").fit(X, y)
    cv = RidgeCV(alphas=alphas, penalty_matrix=DIFF2).fit(X, y)
    assert cv.alpha_ == gs.best_params_["alpha"]
    assert cv.best_score_ == pytest.approx(gs.best_score_, rel=1e-9)
    cv5 = RidgeCV(alphas=alphas, penalty_matrix=DIFF2, cv=KFold(5)).fit(X, y)
    gs5 = GridSearchCV(Ridge(penalty_matrix=DIFF2, solver="direct"), {"alpha": alphas}, cv=KFold(5)).fit(X, y)
    assert cv5.alpha_ == gs5.best_params_["alpha"]
    coefs, _ = ridge_path(X, y, alphas[:3], penalty_matrix=DIFF2)
    for a, c in zip(alphas[:3], coefs):
        assert_allclose(c, augmented(X, y, None, a, DIFF2)[0], rtol=1e-9, atol=1e-12)


def test_penalty_matrix_validation():
    X, y, _ = make_data(n=50, p=8)
    cases = [(DIFF2[:3], "n_features x n_features"), (DIFF2 + np.triu(np.ones((8, 8)), 1), "symmetric"),
             (-DIFF2, "positive semi-definite"), (np.diag(-1.0 - D), "positive semi-definite"),
             (DIFF2 * np.nan, "NaN or infinity"), (DIFF2 * 1j, "complex")]
    for bad, match in cases:
        with pytest.raises(ValueError, match=match):
            Ridge(penalty_matrix=bad).fit(X, y)
    with pytest.raises(ValueError, match="not both"):
        Ridge(penalty_factor=D, penalty_matrix=DIFF2).fit(X, y)
    with pytest.raises(ValueError, match="positive definite penalty_matrix"):
        Ridge(penalty_matrix=DIFF2, solver="cg").fit(X, y)
    # a diagonal matrix is the factors on its diagonal
    assert_allclose(Ridge(penalty_matrix=np.diag(D)).fit(X, y).coef_, Ridge(penalty_factor=D).fit(X, y).coef_,
                    rtol=1e-13)
