"""The stochastic solvers' after-epoch evaluation from the p x p statistics (no pass over X)."""

import numpy as np
import pytest
import scipy.sparse as sp

from conftest import make_data, numpy_objective
from ridgejit import SGDRidge
from ridgejit.problem import Problem
from ridgejit.solvers.epochs import evaluation_stats
from ridgejit.stats import SufficientStats


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_residual_sums_equal_a_direct_numpy_evaluation(compiled, fit_intercept):
    X, Y, sw = make_data(n=400, p=6, k=3, seed=1)  # column offsets up to ~9, scales 0.1-10
    rng = np.random.default_rng(0)
    C, b = rng.standard_normal((3, 6)), rng.standard_normal(3)
    stats = SufficientStats.of_rows(compiled, X, Y, sw, fit_intercept)
    L, G, R = stats.residual_sums(C, b)
    r = X @ C.T + b - Y  # (n, k): independent of the statistics
    np.testing.assert_allclose(L, sw @ (r * r), rtol=1e-10)
    np.testing.assert_allclose(G, (sw[:, None] * r).T @ X, rtol=1e-10, atol=1e-9 * np.abs(G).max())
    np.testing.assert_allclose(R, sw @ r, rtol=1e-10, atol=1e-10 * np.abs(sw @ np.abs(r)).max())


@pytest.mark.parametrize("penalty", [None, "factors"])
def test_gradient_from_statistics_equals_the_row_pass(compiled, penalty):
    X, Y, sw = make_data(n=300, p=5, k=2, seed=2)
    alpha = np.array([0.5, 30.0])
    d = None if penalty is None else np.array([0.0, 1.0, 2.0, 0.5, 3.0])
    pb = Problem(X, Y, sw, alpha, True, compiled, d)
    stats = SufficientStats.of_rows(compiled, X, Y, sw, True)
    rng = np.random.default_rng(3)
    C, b = rng.standard_normal((2, 5)), rng.standard_normal(2)
    outs = []
    for st in (None, stats):
        g, gb = np.empty((2, 5)), np.empty(2)
        outs.append((pb.gradient_at(C, b, g, gb, st), g, gb))
    (J0, g0, gb0), (J1, g1, gb1) = outs
    np.testing.assert_allclose(J1, J0, rtol=1e-11)
    np.testing.assert_allclose(g1, g0, rtol=1e-9, atol=1e-11 * np.abs(g0).max())
    np.testing.assert_allclose(gb1, gb0, rtol=1e-9, atol=1e-11 * np.abs(gb0).max())
    Jd = [numpy_objective(X, Y[:, t], sw, 0.0, C[t], b[t]) for t in range(2)]
    pen = alpha * ((C * C) if d is None else (C * C * d)).sum(axis=1) / (2 * X.shape[0])
    np.testing.assert_allclose(J1, np.array(Jd) + pen, rtol=1e-11)


def test_statistics_are_taken_only_where_they_are_repaid(compiled):
    X, Y, sw = make_data(n=200, p=24, k=2, seed=4)
    pb = Problem(X, Y, sw, np.ones(2), True, compiled)
    assert isinstance(evaluation_stats(pb, 10), SufficientStats)  # p = 12 k
    assert evaluation_stats(pb, 2) is None  # too few epochs to repay them
    one = Problem(X, Y[:, :1], sw, np.ones(1), True, compiled)
    assert evaluation_stats(one, 10) is None  # p = 24 k: a pass per epoch is cheaper
    csr = Problem(sp.csr_matrix(X), Y, sw, np.ones(2), True, compiled)
    assert evaluation_stats(csr, 10) is None


@pytest.mark.parametrize("solver", ["sgd", "minibatch", "sag", "saga", "svrg"])
def test_history_from_statistics_is_the_objective_at_each_epoch(solver):
    """Several targets at p <= 12 k are evaluated from the statistics: the history's last
    objective is the NumPy objective at the model returned (max_iter epochs, no early stop)."""
    X, Y, sw = make_data(n=500, p=8, k=4, seed=5)
    m = SGDRidge(solver=solver, alpha=2.0, max_iter=4, tol=None, n_iter_no_change=10,
                 random_state=0).fit(X, Y, sample_weight=sw)
    assert m.n_iter_ == 4
    J = sum(numpy_objective(X, Y[:, t], sw, 2.0, m.coef_[t], m.intercept_[t]) for t in range(4))
    np.testing.assert_allclose(m.history_["objective"][-1], J, rtol=1e-10)
