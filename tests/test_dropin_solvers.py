"""scikit-learn's Ridge solver names and ``positive=True`` (issue 21), against scikit-learn,
SciPy's NNLS and a NumPy solve."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import nnls
from sklearn.linear_model import Ridge as SkRidge
from sklearn.preprocessing import StandardScaler

from conftest import assert_coef_close, exact_ridge, make_data
from ridgejit import Ridge
from ridgejit.solvers.positive import box_qp

NAMES = {"cholesky": "direct", "svd": "direct", "lsqr": "cg", "sparse_cg": "cg", "sag": "sag", "saga": "saga"}

#: per-feature boxes with open sides (12 features)
LOWER = np.array([-0.5, -np.inf, 0.0, -1.0, 0.1, -np.inf, -0.2, 0.0, -np.inf, -3.0, 0.0, -1.0])
UPPER = np.array([0.5, 0.2, np.inf, 1.0, 0.3, np.inf, 0.0, 0.05, 0.1, 3.0, np.inf, -0.5])


def _standardized(n=300, p=8, k=1, seed=0):
    X, y, sw = make_data(n=n, p=p, k=k, seed=seed)
    return StandardScaler().fit_transform(X), y, sw


@pytest.mark.parametrize("name", sorted(NAMES))
@pytest.mark.parametrize("sparse", [False, True])
def test_sklearn_solver_names_reach_the_exact_optimum(name, sparse):
    X, y, sw = _standardized(k=2)
    Xf = sp.csr_matrix(X) if sparse else X
    model = Ridge(alpha=3.0, solver=name, tol=1e-15, max_iter=3000, random_state=0).fit(Xf, y, sw)
    assert model.solver_ == NAMES[name]
    coef, intercept = exact_ridge(X, y, sw, 3.0)
    assert_coef_close(model.coef_, coef, rtol=1e-8)
    assert_coef_close(model.intercept_, intercept, rtol=1e-8)


@pytest.mark.parametrize("name", sorted(NAMES))
def test_sklearn_solver_names_agree_with_sklearns_same_solver(name):
    X, y, _ = _standardized(seed=1)
    ours = Ridge(alpha=2.0, solver=name, tol=1e-15, max_iter=3000, random_state=0).fit(X, y)
    theirs = SkRidge(alpha=2.0, solver=name, tol=1e-12, max_iter=100_000, random_state=0).fit(X, y)
    assert_coef_close(ours.coef_, theirs.coef_, rtol=1e-8)


def test_sag_is_seeded():
    X, y, _ = _standardized(seed=2)
    a, b = (Ridge(solver="saga", random_state=7, tol=1e-10).fit(X, y) for _ in range(2))
    np.testing.assert_array_equal(a.coef_, b.coef_)


def test_solver_and_positive_combinations_are_checked():
    X, y, _ = make_data(n=50, p=3)
    with pytest.raises(ValueError, match="only when positive=True"):
        Ridge(solver="lbfgs").fit(X, y)
    for solver in ("cg", "svd", "lsqr"):
        with pytest.raises(ValueError, match="positive=True \\(or bounds\\) is solved exactly"):
            Ridge(solver=solver, positive=True).fit(X, y)
    with pytest.raises(ValueError, match="solver"):
        Ridge(solver="positive").fit(X, y)  # reached by positive=True, not by name


def _augmented(X, y, sw, alpha, fit_intercept):
    """``(A, rhs, xbar, ybar)``: ridge as least squares ``||A w - rhs||^2`` on the centred, weighted
    rows stacked over ``sqrt(alpha) I`` (NumPy, dense)."""
    X = X.toarray() if hasattr(X, "toarray") else np.asarray(X, dtype=np.float64)
    s = np.ones(len(X)) if sw is None else sw
    xm = s @ X / s.sum() if fit_intercept else np.zeros(X.shape[1])
    ym = s @ y / s.sum() if fit_intercept else 0.0
    root = np.sqrt(s)[:, None]
    A = np.vstack([root * (X - xm), np.sqrt(alpha) * np.eye(X.shape[1])])
    return A, np.concatenate([root[:, 0] * (y - ym), np.zeros(X.shape[1])]), xm, ym


def _nnls_ridge(X, y, sw, alpha, fit_intercept=True):
    """Non-negative ridge by SciPy's NNLS on the augmented least-squares problem (independent)."""
    A, rhs, xm, ym = _augmented(X, y, sw, alpha, fit_intercept)
    w = nnls(A, rhs, maxiter=100 * X.shape[1])[0]
    return w, ym - xm @ w


def test_positive_agrees_with_sklearn_and_streams():
    X, y, _ = _standardized(n=500, p=10, k=2, seed=4)  # L-BFGS-B's own stopping is loose on unscaled X
    y[:, 1] -= 3 * X[:, 2]
    ours = Ridge(alpha=1.0, positive=True, solver="lbfgs").fit(X, y)
    theirs = SkRidge(alpha=1.0, positive=True, tol=1e-12).fit(X, y)
    assert_coef_close(ours.coef_, theirs.coef_, rtol=1e-6)
    streamed = Ridge(alpha=1.0, positive=True)
    for rows in np.array_split(np.arange(500), 5):
        streamed.partial_fit(X[rows], y[rows])
    assert streamed.solver_ == "positive"
    assert_coef_close(streamed.coef_, ours.coef_, rtol=1e-10)


@pytest.mark.parametrize("seed", range(6))
def test_box_qp_nonnegative_against_nnls(seed):
    """Random strictly convex QPs, half of the unconstrained solution negative, some ties."""
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((60, 40))
    M[:, 1] = M[:, 0]  # a duplicated column: degenerate exchanges
    t = rng.standard_normal(60)
    w, n_iter, ok = box_qp(M.T @ M + 0.1 * np.eye(40), M.T @ t, np.zeros(40), np.full(40, np.inf))
    ref = nnls(np.vstack([M, np.sqrt(0.1) * np.eye(40)]), np.concatenate([t, np.zeros(40)]))[0]
    assert ok and n_iter >= 1
    assert_coef_close(w, ref, rtol=1e-10)


def test_sag_falls_back_to_the_proven_step_when_the_large_one_diverges(monkeypatch):
    from ridgejit.solvers.variance_reduced import SAGMethod

    prepare, factors = SAGMethod.prepare, []

    def blow_up(self, problem, lam):  # make scikit-learn's step (factor 1) diverge
        factors.append(self.rate_factor)
        prepare(self, problem, lam)
        if self.rate_factor == 1.0:
            self.step *= 1e6

    monkeypatch.setattr(SAGMethod, "prepare", blow_up)
    X, y, _ = _standardized(seed=6)
    model = Ridge(alpha=2.0, solver="sag", tol=1e-12, max_iter=20000, random_state=0).fit(X, y)
    assert factors == [1.0, SAGMethod.rate_factor]  # the large step, then the proven one
    assert_coef_close(model.coef_, exact_ridge(X, y, None, 2.0)[0][0], rtol=1e-5)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("kind", ["positive", "bounds"])
def test_ridgecv_constrained_equals_a_grid_search_of_the_exact_qp(sparse, kind):
    """RidgeCV(positive=True) and RidgeCV(bounds=...) against GridSearchCV over the same Ridge on
    the same folds, and the refit against SciPy (NNLS / BVLS) on the augmented problem."""
    from sklearn.model_selection import GridSearchCV, KFold

    from ridgejit import RidgeCV

    X, y, _ = make_data(n=240, p=10, seed=7)
    y = y - 2.0 * X[:, 0] + 1.5 * X[:, 5]
    Xf = sp.csr_matrix(X) if sparse else X
    alphas = np.logspace(-2, 4, 9)
    box = (LOWER[:10], np.maximum(UPPER[:10], LOWER[:10]))
    constraint = {"positive": True} if kind == "positive" else {"bounds": box}
    grid = GridSearchCV(Ridge(**constraint), {"alpha": alphas}, cv=KFold(4)).fit(Xf, y)
    cv = RidgeCV(alphas=alphas, cv=KFold(4), **constraint).fit(Xf, y)
    assert cv.alpha_ == grid.best_params_["alpha"] and cv.solver_ == "positive"
    assert_coef_close(cv.fold_scores_, np.array([grid.cv_results_[f"split{s}_test_score"] for s in range(4)]),
                      rtol=1e-9)
    w, b = (_nnls_ridge(X, y, None, cv.alpha_, True) if kind == "positive"
            else _bounded_ridge(X, y, None, cv.alpha_, *box))
    assert_coef_close(cv.coef_, w, rtol=1e-9)
    with pytest.raises(ValueError, match="leave-one-out has no closed form"):
        RidgeCV(alphas=alphas, **constraint).fit(Xf, y)
    with pytest.raises(ValueError, match="no positive=True|no bounds"):
        cv.to_sklearn()


def _bounded_ridge(X, y, sw, alpha, lower, upper, fit_intercept=True):
    """Box-constrained ridge by SciPy's bounded-variable least squares on the augmented problem."""
    from scipy.optimize import lsq_linear

    A, rhs, xm, ym = _augmented(X, y, sw, alpha, fit_intercept)
    w = lsq_linear(A, rhs, bounds=(lower, upper), method="bvls", tol=1e-15).x
    return w, ym - xm @ w


@pytest.mark.parametrize("kind", ["positive", "bounds"])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_constrained_fits_equal_scipy_on_the_augmented_problem(kind, sparse, weighted, fit_intercept):
    """positive=True against NNLS, bounds against BVLS: some coefficients held at each bound."""
    X, y, sw = make_data(n=400, p=12, seed=3)
    y = y - 2.0 * X[:, 0] + 1.5 * X[:, 5]  # some coefficients want to be negative
    sw = sw if weighted else None
    lower, upper = (np.zeros(12), np.full(12, np.inf)) if kind == "positive" else (LOWER, UPPER)
    constraint = {"positive": True} if kind == "positive" else {"bounds": (LOWER, UPPER)}
    model = Ridge(alpha=5.0, fit_intercept=fit_intercept, **constraint).fit(sp.csr_matrix(X) if sparse else X, y, sw)
    if kind == "positive":
        w, b = _nnls_ridge(X, y, sw, 5.0, fit_intercept)
    else:
        w, b = _bounded_ridge(X, y, sw, 5.0, lower, upper, fit_intercept)
        assert np.isclose(model.coef_, upper).sum() > 0
    assert model.solver_ == "positive"
    assert ((model.coef_ >= lower) & (model.coef_ <= upper)).all() and np.isclose(model.coef_, lower).sum() > 0
    assert_coef_close(model.coef_, w, rtol=1e-9)
    assert abs(model.intercept_ - b) <= 1e-9 * (1 + abs(b))
    assert model.gap_bound_ <= 1e-10


def test_bounds_are_checked_stream_and_reach_dask_shapes():
    X, y, _ = make_data(n=300, p=4, k=2, seed=9)
    box = (-0.3, np.array([0.5, np.inf, 0.2, 1.0]))
    whole = Ridge(alpha=2.0, bounds=box).fit(X, y)
    assert_coef_close(Ridge(alpha=2.0, bounds=(0, np.inf)).fit(X, y).coef_,
                      Ridge(alpha=2.0, positive=True).fit(X, y).coef_, rtol=0)
    streamed = Ridge(alpha=2.0, bounds=box)
    for rows in np.array_split(np.arange(300), 4):
        streamed.partial_fit(X[rows], y[rows])
    assert_coef_close(streamed.coef_, whole.coef_, rtol=1e-10)
    for bad, match in (((0, 1, 2), "a pair"), ((np.zeros(3), 1.0), "one value per feature"),
                       ((1.0, 0.0), "lower 1 above upper 0"), ((np.nan, 1.0), "NaN"),
                       ((np.inf, np.inf), "no feasible value")):
        with pytest.raises(ValueError, match=match):
            Ridge(bounds=bad).fit(X, y)
    with pytest.raises(ValueError, match="not both"):
        Ridge(bounds=(0, 1), positive=True).fit(X, y)
    with pytest.raises(ValueError, match="solved exactly"):
        Ridge(bounds=(0, 1), solver="cg").fit(X, y)
    with pytest.raises(ValueError, match="no bounds"):
        whole.to_sklearn()
    with pytest.raises(ValueError, match="unconstrained exact fit"):
        Ridge(bounds=box, cov_type="HC0").fit(X, y)


@pytest.mark.parametrize("seed", range(4))
def test_box_qp_against_bvls(seed):
    """Random strictly convex QPs with boxes (some sides open), degenerate ties included."""
    from scipy.optimize import lsq_linear


    rng = np.random.default_rng(seed)
    M = rng.standard_normal((60, 40))
    M[:, 1] = M[:, 0]
    t = 3 * rng.standard_normal(60)
    lower = np.where(rng.random(40) < 0.2, -np.inf, -rng.uniform(0, 0.3, 40))
    upper = np.where(rng.random(40) < 0.2, np.inf, rng.uniform(0, 0.3, 40))
    w, n_iter, ok = box_qp(M.T @ M + 0.1 * np.eye(40), M.T @ t, lower, upper)
    ref = lsq_linear(np.vstack([M, np.sqrt(0.1) * np.eye(40)]), np.concatenate([t, np.zeros(40)]),
                     bounds=(lower, upper), method="bvls", tol=1e-15).x
    assert ok
    assert_coef_close(w, ref, rtol=1e-9)


@pytest.mark.parametrize("solver", ["gd", "nesterov"])
@pytest.mark.parametrize("kind", ["positive", "bounds"])
@pytest.mark.parametrize("sparse", [False, True])
def test_projected_gradient_solvers_reach_the_constrained_optimum(solver, kind, sparse):
    """gd/nesterov with positive=True or bounds: projected steps, certified on the projected
    gradient; against SciPy (NNLS / BVLS) on the augmented problem."""
    X, y, sw = make_data(n=300, p=12, seed=15)
    X = StandardScaler().fit_transform(X)
    y = y - 2.0 * X[:, 0] + 1.5 * X[:, 5]
    constraint = {"positive": True} if kind == "positive" else {"bounds": (LOWER, UPPER)}
    lower, upper = (np.zeros(12), np.full(12, np.inf)) if kind == "positive" else (LOWER, UPPER)
    model = Ridge(alpha=20.0, solver=solver, tol=1e-13, max_iter=20000, **constraint).fit(
        sp.csr_matrix(X) if sparse else X, y, sw)
    w, b = (_nnls_ridge(X, y, sw, 20.0) if kind == "positive" else _bounded_ridge(X, y, sw, 20.0, lower, upper))
    assert model.solver_ == solver and model.gap_bound_ <= 1e-13
    assert ((model.coef_ >= lower) & (model.coef_ <= upper)).all() and np.isclose(model.coef_, lower).sum() > 0
    assert_coef_close(model.coef_, w, rtol=1e-6)
    assert abs(model.intercept_ - b) <= 1e-6 * (1 + abs(b))


@pytest.mark.parametrize("solver", ["sag", "saga"])
@pytest.mark.parametrize("kind", ["positive", "bounds"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_projected_variance_reduced_epochs_reach_the_constrained_optimum(solver, kind, fit_intercept):
    """sag/saga with positive=True or bounds: every step projected, certified on the projected
    gradient; two targets (each its own run), weighted; against SciPy's NNLS / BVLS."""
    X, y, sw = make_data(n=400, p=12, seed=16)
    X = StandardScaler().fit_transform(X) + 0.5  # off-centre columns: the intercept matters
    Y = np.column_stack([y - 2.0 * X[:, 0] + 1.5 * X[:, 5], -y])
    constraint = {"positive": True} if kind == "positive" else {"bounds": (LOWER, UPPER)}
    lower, upper = (np.zeros(12), np.full(12, np.inf)) if kind == "positive" else (LOWER, UPPER)
    model = Ridge(alpha=20.0, solver=solver, tol=1e-13, max_iter=5000, random_state=0,
                  fit_intercept=fit_intercept, **constraint).fit(X, Y, sw)
    assert model.solver_ == solver and model.gap_bound_ <= 1e-13
    for t in range(2):
        w, b = (_nnls_ridge(X, Y[:, t], sw, 20.0, fit_intercept) if kind == "positive"
                else _bounded_ridge(X, Y[:, t], sw, 20.0, lower, upper, fit_intercept))
        coef = model.coef_[t]
        assert ((coef >= lower) & (coef <= upper)).all() and np.isclose(coef, lower).sum() > 0
        assert_coef_close(coef, w, rtol=1e-6)
        assert abs(model.intercept_[t] - b) <= 1e-6 * (1 + abs(b))


def test_projected_variance_reduced_epochs_refuse_csr():
    X, y, _ = make_data(n=100, p=5)
    with pytest.raises(ValueError, match="needs dense X.*solver='auto'"):
        Ridge(solver="saga", positive=True).fit(sp.csr_matrix(X), y)
