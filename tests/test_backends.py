"""Whole fits agree across backends: Cython and Numba to rtol 1e-10, and both with NumPy."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.linear_model import Ridge as SkRidge
from sklearn.preprocessing import StandardScaler

from conftest import assert_coef_close, make_data, relative_gap
from ridgejit import Ridge, SGDRidge
from ridgejit.kernels import backend_status

pytestmark = pytest.mark.skipif(not backend_status()["cython"][0],
                                reason=backend_status()["cython"][1] or "cython available")


def _pair(make, X, y, sw=None):
    fits = {b: make(b).fit(X, y, sample_weight=sw) for b in ("numba", "cython", "numpy")}
    return fits


@pytest.mark.parametrize("solver", ["direct", "cg", "nesterov", "auto"])
def test_ridge_backends_agree(solver):
    """Agreement alone would pass if both backends were wrong the same way (the exact path
    runs one shared BLAS Gram on both): each must also reach the optimum of an independent
    NumPy solve."""
    X, y, sw = make_data(n=600, p=12, k=2)
    fits = _pair(lambda b: Ridge(solver=solver, backend=b, tol=1e-10, max_iter=20000), X, y, sw)
    for other in ("cython", "numpy"):
        assert_coef_close(fits[other].coef_, fits["numba"].coef_, rtol=1e-10, atol=1e-12)
        assert_allclose(fits[other].intercept_, fits["numba"].intercept_, rtol=1e-10, atol=1e-12)
    for fit in fits.values():
        assert relative_gap(X, y, sw, 1.0, fit.coef_, fit.intercept_) <= 1e-10


@pytest.mark.parametrize("solver", ["direct", "cg", "auto"])
def test_cython_on_csr_end_to_end_matches_scikit_learn(solver):
    """The Cython sparse kernels through Ridge and SGDRidge (not only kernel by kernel),
    against scikit-learn's cholesky on the dense twin."""
    rng = np.random.default_rng(3)
    X = sp.random(400, 15, density=0.3, format="csr", random_state=rng) * 4 + 0.0
    y = np.asarray(X @ rng.standard_normal(15)).ravel() + 0.1 * rng.standard_normal(400) + 2.0
    sw = rng.uniform(0.5, 2.0, 400)
    sk = SkRidge(alpha=2.0, solver="cholesky").fit(X.toarray(), y, sample_weight=sw)
    ours = Ridge(alpha=2.0, solver=solver, backend="cython", tol=1e-12).fit(X, y, sample_weight=sw)
    # a gap of 1e-12 leaves coefficients to about sqrt(1e-12 cond): compare gaps tightly
    assert relative_gap(X, y, sw, 2.0, ours.coef_, ours.intercept_) <= 1e-12
    assert_coef_close(ours.coef_, sk.coef_, rtol=1e-6)
    assert_allclose(ours.intercept_, sk.intercept_, rtol=1e-6)
    saga = SGDRidge(alpha=2.0, solver="saga", backend="cython", tol=1e-12, max_iter=5000,
                    random_state=0).fit(X, y, sample_weight=sw)
    assert_coef_close(saga.coef_, sk.coef_, rtol=1e-5)


@pytest.mark.parametrize("solver,average", [("sgd", False), ("sgd", True), ("minibatch", False),
                                            ("sag", False), ("saga", False), ("svrg", False)])
def test_sgdridge_backends_agree_with_the_same_seed(solver, average):
    X, y, sw = make_data(n=800, p=6)
    X = StandardScaler().fit_transform(X)
    fits = _pair(lambda b: SGDRidge(solver=solver, average=average, backend=b, max_iter=5, tol=None,
                                    random_state=0), X, y, sw)
    for other in ("cython", "numpy"):
        assert_coef_close(fits[other].coef_, fits["numba"].coef_, rtol=1e-10, atol=1e-12)
        assert_allclose(fits[other].intercept_, fits["numba"].intercept_, rtol=1e-10, atol=1e-12)


def test_cython_float32():
    X, y, _ = make_data(n=500, p=5)
    a = Ridge(solver="cg", backend="cython", tol=1e-10).fit(X.astype(np.float32), y)
    b = Ridge(solver="cg", backend="numba", tol=1e-10).fit(X.astype(np.float32), y)
    assert a.coef_.dtype == np.float32
    assert_coef_close(a.coef_, b.coef_, rtol=1e-6)
