"""Solvers against scikit-learn's Ridge and closed forms."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import Ridge as SkRidge

from conftest import assert_coef_close, make_data
from ridgejit import Ridge
from ridgejit.kernels import get_backend
from ridgejit.problem import Problem
from ridgejit.solvers import SolverOptions
from ridgejit.solvers.direct import solve_direct

CASES = {
    "random": dict(n=300, p=8),
    "correlated": dict(n=300, p=8, correlated=True),
    "wide": dict(n=30, p=70),
    "multi-target": dict(n=200, p=6, k=3),
}


def _sk(X, y, sw, alpha, fit_intercept=True):
    return SkRidge(alpha=alpha, fit_intercept=fit_intercept, solver="cholesky").fit(X, y, sample_weight=sw)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("solver", ["direct", "auto"])
@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_exact_solvers_match_sklearn(case, weighted, fit_intercept, solver, backend):
    X, y, sw = make_data(**CASES[case])
    sw = sw if weighted else None
    ours = Ridge(alpha=0.7, solver=solver, fit_intercept=fit_intercept, backend=backend).fit(X, y, sample_weight=sw)
    sk = _sk(X, y, sw, 0.7, fit_intercept)
    assert_coef_close(ours.coef_, sk.coef_, rtol=1e-6, atol=1e-9 * np.abs(sk.coef_).max())
    assert_allclose(ours.intercept_, sk.intercept_, rtol=1e-6, atol=1e-8)
    assert ours.n_iter_ == 1 and ours.solver_ == "direct"


@pytest.mark.parametrize("case", ["random", "correlated", "multi-target"])
@pytest.mark.parametrize("solver", ["cg", "gd", "nesterov"])
def test_iterative_solvers_match_sklearn(case, solver):
    X, y, sw = make_data(**CASES[case])
    ours = Ridge(alpha=1.0, solver=solver, tol=1e-10, max_iter=200_000).fit(X, y, sample_weight=sw)
    sk = _sk(X, y, sw, 1.0)
    assert_coef_close(ours.coef_, sk.coef_, rtol=1e-5, atol=1e-6 * np.abs(sk.coef_).max())
    assert_allclose(ours.intercept_, sk.intercept_, rtol=1e-5, atol=1e-5 * np.std(y))


def _relative_gap(model, X, y, sw, alpha):
    prob = Problem(X, np.asarray(y, float).reshape(len(X), -1), sw, np.full(1, alpha), True, get_backend("numpy"))
    exact = solve_direct(prob, None, SolverOptions())
    J = prob.objective(np.atleast_2d(model.coef_).astype(float), np.atleast_1d(model.intercept_).astype(float)).sum()
    J_star = prob.objective(exact.coef, exact.intercept).sum()
    return (J - J_star) / J_star


@pytest.mark.parametrize("solver", ["gd", "nesterov"])
@pytest.mark.parametrize("case", ["random", "correlated"])
def test_gd_reaches_gap_1e8(solver, case):
    """Columns scaled by 10**U(-1, 1) (condition number ~1e4): tol=1e-8 suffices."""
    X, y, sw = make_data(**CASES[case])
    model = Ridge(alpha=1.0, solver=solver, tol=1e-8, max_iter=200_000).fit(X, y, sample_weight=sw)
    assert _relative_gap(model, X, y, sw, 1.0) <= 1e-8


def test_gd_default_tol_on_standardized_data():
    from sklearn.preprocessing import StandardScaler

    X, y, sw = make_data(**CASES["random"])
    X = StandardScaler().fit_transform(X)
    model = Ridge(alpha=1.0, solver="nesterov").fit(X, y, sample_weight=sw)
    assert _relative_gap(model, X, y, sw, 1.0) <= 1e-8


def test_nesterov_needs_fewer_iterations_than_gd():
    X, y, sw = make_data(**CASES["correlated"])
    gd = Ridge(solver="gd", max_iter=100_000).fit(X, y)
    nes = Ridge(solver="nesterov", max_iter=100_000).fit(X, y)
    assert nes.n_iter_ < gd.n_iter_ / 3


def test_diverging_learning_rate_raises_with_a_safe_rate():
    X, y, _ = make_data(n=200, p=5)
    with pytest.raises(ValueError, match=r"diverges with learning_rate=1000.*learning_rate <= [0-9.e-]+"):
        Ridge(solver="gd", learning_rate=1000.0).fit(X, y)


def test_safe_user_learning_rate_converges():
    X, y, _ = make_data(n=200, p=5, offset=0.0)
    from ridgejit.problem import Problem as P

    prob = P(X, y.reshape(-1, 1).copy(), np.ones(200), np.ones(1), True, get_backend("numpy"))
    eta = 0.9 / prob.lipschitz()[0]
    model = Ridge(solver="gd", learning_rate=eta, tol=1e-10, max_iter=200_000).fit(X, y)
    assert_coef_close(model.coef_, _sk(X, y, None, 1.0).coef_, rtol=1e-4)


def test_cg_hitting_max_iter_warns():
    from sklearn.exceptions import ConvergenceWarning

    X, y, _ = make_data(**CASES["correlated"])
    with pytest.warns(ConvergenceWarning, match=r"did not converge in 2 iterations"):
        Ridge(solver="cg", max_iter=2, tol=1e-12).fit(X, y)


@pytest.fixture
def default_cost_model(monkeypatch):
    """auto with the built-in cost model, whatever this machine's calibration file says."""
    from ridgejit.solvers import auto

    monkeypatch.setenv(auto.COST_MODEL_ENV, "/nonexistent/cost_model.json")
    auto.cost_model.cache_clear()
    yield auto.cost_model()
    auto.cost_model.cache_clear()


def _plan(n, p, tol=1e-12, dtype=np.float64):
    from ridgejit.solvers.auto import plan

    X = np.empty((n, p), dtype=dtype)
    return plan(Problem(X, np.zeros((n, 1)), np.ones(n), np.ones(1), True, get_backend("numba")), tol)


def test_auto_plan_prices_the_exact_and_the_cg_route(default_cost_model):
    # small and tall: the Gram is cheap, the fixed costs of 28+ CG iterations are not
    assert _plan(200, 10) == ("direct", 0) and _plan(1_000_000, 100) == ("direct", 0)
    # n close to p: CG needs ~70 iterations, more than the exact solve is worth
    assert _plan(1000, 500) == ("direct", 0)
    # wide dense data: the dual's n x n system beats a badly conditioned CG
    assert _plan(2000, 5000)[0] == "direct"
    # large p, tall: the n p^2 Gram costs many passes; CG gets a cap worth the exact solve
    route, cap = _plan(50_000, 2000)
    assert route == "cg" and cap > default_cost_model.iterations(1e-12, 50_000, 2000)
    # a loose gap needs fewer iterations: CG wins where the exact solve won at 1e-12
    assert _plan(10_000, 800, tol=1e-12)[0] == "direct" and _plan(10_000, 800, tol=1e-3)[0] == "cg"


def test_auto_plan_counts_csr_iterations_of_their_own(default_cost_model):
    """CSR data (uncorrelated columns) converge in far fewer CG iterations than dense
    make_regression data: 9 to 1e-12 on 2e5 x 2000 at density 0.01, where CG took 0.15 s and
    the exact solve 0.82 s (the map's cell that auto sent to the exact solve with dense counts)."""
    from scipy import sparse

    from ridgejit.solvers.auto import plan

    n, p, per_row = 200_000, 2000, 20
    indices = np.tile(np.arange(per_row, dtype=np.int32) * (p // per_row), n)
    X = sparse.csr_matrix((np.ones(n * per_row), indices, np.arange(0, n * per_row + 1, per_row)), shape=(n, p))
    problem = Problem(X, np.zeros((n, 1)), np.ones(n), np.ones(1), True, get_backend("numba"))
    assert plan(problem, 1e-12)[0] == "cg"
    assert default_cost_model.iterations(1e-12, n, p, sparse=True) < 15 < default_cost_model.iterations(1e-12, n, p)


def test_cost_model_is_read_from_the_calibration_file(tmp_path, monkeypatch):
    from ridgejit.solvers import auto

    path = tmp_path / "cost_model.json"
    path.write_text('{"fixed_direct": 5.0, "pass_bytes": [1e12, 1e12], "unknown": 1}')
    monkeypatch.setenv(auto.COST_MODEL_ENV, str(path))
    auto.cost_model.cache_clear()
    try:
        m = auto.cost_model()
        assert m.fixed_direct == 5.0 and m.pass_bytes == (1e12, 1e12)
        assert _plan(200, 10)[0] == "cg"  # an exact solve priced at 5 s
        path.write_text("not json")
        auto.cost_model.cache_clear()
        assert auto.cost_model() == auto.CostModel()
    finally:
        auto.cost_model.cache_clear()


def test_auto_uses_cg_for_wide_feature_sets_and_falls_back_to_direct(default_cost_model, monkeypatch):
    from ridgejit.solvers import auto

    # large p (priced: 5000 x 1200, a loose gap): CG, certified at that gap
    X, y, sw = make_data(n=6000, p=1200, offset=0.0)
    assert _plan(6000, 1200, tol=1e-4)[0] == "cg"
    ours = Ridge(alpha=1.0, tol=1e-4).fit(X, y)
    assert ours.solver_ == "cg" and ours.gap_bound_ <= 1e-4
    assert ours.n_iter_ < 30
    # Ill-conditioned: CG exhausts its cap (here made small), auto falls back to the exact solve.
    monkeypatch.setattr(auto, "plan", lambda problem, tol, model=None: ("cg", 5))
    Xc, yc, _ = make_data(n=4000, p=520, correlated=True, offset=50.0)
    Xc[:, 1] = Xc[:, 0] + 1e-6 * Xc[:, 2]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = Ridge(alpha=1e-6).fit(Xc, yc)
    assert model.solver_ == "direct" and model.n_iter_ == 6  # 5 CG iterations, then the exact solve
    sk = _sk(Xc, yc, None, 1e-6)
    # Columns 0 and 1 are nearly equal: only their sum is determined in float64.
    assert_coef_close(model.coef_[2:], sk.coef_[2:], rtol=1e-4, atol=1e-6)
    assert model.coef_[0] + model.coef_[1] == pytest.approx(sk.coef_[0] + sk.coef_[1], rel=1e-6)
    ones = np.ones(len(Xc))
    prob = Problem(Xc, yc.reshape(-1, 1).copy(), ones, np.full(1, 1e-6), True, get_backend("numpy"))
    J = prob.objective(model.coef_[None, :], np.atleast_1d(model.intercept_))[0]
    J_sk = prob.objective(sk.coef_[None, :], np.atleast_1d(sk.intercept_))[0]
    assert J <= J_sk * (1 + 1e-10)


def test_history_records_every_iteration():
    X, y, _ = make_data()
    m = Ridge(solver="nesterov").fit(X, y)
    h = m.history_
    assert len(h["objective"]) == len(h["grad_norm"]) == len(h["time"]) == m.n_iter_ + 1
    assert np.all(np.diff(h["time"]) >= 0)
    assert h["objective"][-1] <= h["objective"][0]


def test_alpha_per_target():
    X, y, sw = make_data(n=100, p=5, k=3)
    alpha = np.array([0.1, 1.0, 10.0])
    for solver in ("direct", "cg"):
        ours = Ridge(alpha=alpha, solver=solver, tol=1e-10).fit(X, y)
        assert_coef_close(ours.coef_, SkRidge(alpha=alpha).fit(X, y).coef_, rtol=1e-6)


def test_alpha_zero_singular_gives_min_norm_solution():
    X, y, _ = make_data(n=50, p=4)
    X = np.hstack([X, X[:, :1]])  # duplicated column: singular normal equations
    from scipy.linalg import LinAlgWarning

    with pytest.warns(LinAlgWarning, match="singular"):
        ours = Ridge(alpha=0.0, solver="direct").fit(X, y)
    sk = SkRidge(alpha=0.0, solver="svd").fit(X, y)
    assert_allclose(ours.predict(X), sk.predict(X), rtol=1e-6)
    assert_coef_close(ours.coef_[0], ours.coef_[-1], rtol=1e-6)
