"""Whole fits agree across backends: Cython and Numba to rtol 1e-10, and both with NumPy."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.preprocessing import StandardScaler

from conftest import assert_coef_close, make_data
from ridgejit import Ridge, SGDRidge
from ridgejit.kernels import backend_status

pytestmark = pytest.mark.skipif(not backend_status()["cython"][0],
                                reason=backend_status()["cython"][1] or "cython available")


def _pair(make, X, y, sw=None):
    fits = {b: make(b).fit(X, y, sample_weight=sw) for b in ("numba", "cython", "numpy")}
    return fits


@pytest.mark.parametrize("solver", ["direct", "cg", "nesterov", "auto"])
def test_ridge_backends_agree(solver):
    X, y, sw = make_data(n=600, p=12, k=2)
    fits = _pair(lambda b: Ridge(solver=solver, backend=b, tol=1e-10, max_iter=20000), X, y, sw)
    for other in ("cython", "numpy"):
        assert_coef_close(fits[other].coef_, fits["numba"].coef_, rtol=1e-10, atol=1e-12)
        assert_allclose(fits[other].intercept_, fits["numba"].intercept_, rtol=1e-10, atol=1e-12)


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
