"""Initializers: shapes, scales, determinism, and that every start reaches the optimum."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import Ridge as SkRidge

from conftest import assert_coef_close, make_data
from ridgejit import Ridge, initializers
from ridgejit.initializers import INITIALIZERS, initial_coef

NAMED = sorted(INITIALIZERS)
FACTORIES = {
    "constant": initializers.constant(0.5),
    "normal(0.3)": initializers.normal(0.3),
    "uniform(2)": initializers.uniform(2.0),
    "perturbed": initializers.perturbed(np.ones(8), scale=0.1),
}


@pytest.mark.parametrize("name", NAMED)
def test_named_initializers_shape_dtype_and_seed(name):
    init = INITIALIZERS[name]
    a = init(300, 2, np.float32, 0)
    assert a.shape == (2, 300) and a.dtype == np.float32
    assert np.array_equal(a, init(300, 2, np.float32, 0))


@pytest.mark.parametrize(
    "name,expected_std",
    [
        ("glorot_normal", np.sqrt(2 / 1001)),
        ("glorot_uniform", np.sqrt(6 / 1001) / np.sqrt(3)),
        ("he_normal", np.sqrt(2 / 1000)),
        ("he_uniform", np.sqrt(6 / 1000) / np.sqrt(3)),
        ("lecun_normal", np.sqrt(1 / 1000)),
        ("lecun_uniform", np.sqrt(3 / 1000) / np.sqrt(3)),
        ("normal", 0.01),
        ("uniform", 0.05 / np.sqrt(3)),
    ],
)
def test_variance_scaling(name, expected_std):
    a = INITIALIZERS[name](1000, 1, np.float64, 0)
    assert a.std() == pytest.approx(expected_std, rel=0.08)
    assert abs(a.mean()) < 4 * expected_std / np.sqrt(1000)


def test_perturbed_is_guess_plus_small_noise():
    base = np.arange(5.0)
    a = initializers.perturbed(base, scale=1e-3)(5, 2, np.float64, 1)
    assert a.shape == (2, 5)
    assert_allclose(a, np.tile(base, (2, 1)), atol=5e-3)
    assert not np.array_equal(a, np.tile(base, (2, 1)))


def test_initial_coef_validation():
    with pytest.raises(ValueError, match="unknown init 'xavier'"):
        initial_coef("xavier", 3, 1, None)
    with pytest.raises(ValueError, match="init has shape"):
        initial_coef(np.ones(4), 3, 1, None)
    with pytest.raises(ValueError, match="NaN"):
        initial_coef(np.array([1.0, np.nan, 0.0]), 3, 1, None)
    assert initial_coef("warm", 3, 1, None, previous=None).tolist() == [[0.0, 0.0, 0.0]]


@pytest.mark.parametrize("init", NAMED + list(FACTORIES) + ["array"])
@pytest.mark.parametrize("solver", ["cg", "nesterov"])
def test_every_initializer_reaches_the_same_optimum(init, solver):
    X, y, sw = make_data(n=300, p=8)
    start = FACTORIES.get(init, INITIALIZERS.get(init, np.linspace(-1, 1, 8)))
    model = Ridge(solver=solver, init=start, random_state=0, tol=1e-10, max_iter=100_000).fit(X, y, sample_weight=sw)
    sk = SkRidge(alpha=1.0).fit(X, y, sample_weight=sw)
    assert_coef_close(model.coef_, sk.coef_, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("solver", ["cg", "gd", "nesterov"])
def test_good_init_needs_fewer_iterations(solver):
    # 60 correlated, standardized features: CG needs dozens of iterations from
    # zero (not <= p trivially) and gd converges within max_iter from both starts.
    from sklearn.preprocessing import StandardScaler

    X, y, _ = make_data(n=600, p=60, correlated=True)
    X = StandardScaler().fit_transform(X)
    exact = SkRidge(alpha=1.0).fit(X, y).coef_
    cold = Ridge(solver=solver, tol=1e-8, max_iter=100_000).fit(X, y)
    good = Ridge(solver=solver, tol=1e-8, max_iter=100_000, random_state=0,
                 init=initializers.perturbed(exact, scale=1e-4)).fit(X, y)
    assert cold.n_iter_ < 100_000  # converged, so the comparison means something
    assert good.n_iter_ < cold.n_iter_
