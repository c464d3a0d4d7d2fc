"""Paths that were checked only against ridgejit itself, now against scikit-learn directly.

``fit_chunks`` (in memory and from memmaps), fits of a memmap, ``ridge_path`` for
alpha > 0 on dense and CSR X, the stochastic solvers on CSR X, and ``ridgejit.dask``'s
``Ridge`` and ``SGDRidge``: each is compared with ``sklearn.linear_model.Ridge`` (solver
``cholesky`` on the dense data), never with another ridgejit estimator.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.linear_model import Ridge as SkRidge

from conftest import assert_coef_close, make_data, read_only_memmap, relative_gap
from ridgejit import Ridge, SGDRidge, fit_chunks, ridge_path


def sk(X, y, alpha, sw=None, fit_intercept=True):
    X = X.toarray() if sp.issparse(X) else np.asarray(X)
    return SkRidge(alpha=alpha, solver="cholesky", fit_intercept=fit_intercept).fit(X, y, sample_weight=sw)


def csr_data(n=500, p=12, seed=0):
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=0.3, format="csr", random_state=rng) * 3.0
    y = np.asarray(X @ rng.standard_normal(p)).ravel() + 0.2 * rng.standard_normal(n) + 1.0
    return X, y, rng.uniform(0.5, 2.0, n)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("k", [1, 3])
def test_fit_chunks_equals_scikit_learn_on_all_rows(fit_intercept, k):
    X, y, sw = make_data(n=900, p=6, k=k)
    chunks = ((X[lo:lo + 200], y[lo:lo + 200], sw[lo:lo + 200]) for lo in range(0, 900, 200))
    model = fit_chunks(chunks, alpha=2.0, fit_intercept=fit_intercept)
    ref = sk(X, y, 2.0, sw, fit_intercept)
    assert_coef_close(model.coef_, ref.coef_, rtol=1e-8)
    assert_allclose(model.intercept_, ref.intercept_, rtol=1e-8, atol=1e-10)


def test_memmap_fits_equal_scikit_learn(tmp_path):
    X, y, _ = make_data(n=800, p=5)
    ro = read_only_memmap(tmp_path / "X.dat", X)
    ref = sk(X, y, 1.0)
    for model in (Ridge(solver="direct").fit(ro, y), Ridge(solver="cg", tol=1e-14).fit(ro, y),
                  fit_chunks((ro[lo:lo + 300], y[lo:lo + 300]) for lo in range(0, 800, 300))):
        assert_coef_close(model.coef_, ref.coef_, rtol=1e-6)
        assert relative_gap(X, y, None, 1.0, model.coef_, model.intercept_) <= 1e-13


@pytest.mark.parametrize("sparse", [False, True])
def test_ridge_path_equals_scikit_learn_per_alpha(sparse):
    if sparse:
        X, y, sw = csr_data()
    else:
        X, y, sw = make_data(n=400, p=8)
    alphas = [0.01, 1.0, 30.0, 1000.0]
    coefs, intercepts = ridge_path(X, y, alphas, sample_weight=sw)
    for a, coef, b in zip(alphas, coefs, intercepts):
        ref = sk(X, y, a, sw)
        assert_coef_close(coef, ref.coef_, rtol=1e-7, atol=1e-10)
        assert_allclose(b, ref.intercept_, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("solver", ["sag", "saga", "svrg"])
def test_sparse_variance_reduced_solvers_reach_scikit_learn(solver):
    X, y, sw = csr_data(n=400, p=10, seed=1)
    m = SGDRidge(alpha=3.0, solver=solver, tol=1e-12, max_iter=5000, random_state=0).fit(X, y, sample_weight=sw)
    ref = sk(X, y, 3.0, sw)
    assert_coef_close(m.coef_, ref.coef_, rtol=1e-5)
    assert relative_gap(X, y, sw, 3.0, m.coef_, m.intercept_) <= 1e-11


def test_sparse_averaged_sgd_approaches_scikit_learn():
    X, y, sw = csr_data(n=2000, p=10, seed=2)
    m = SGDRidge(alpha=3.0, solver="sgd", max_iter=100, tol=None, random_state=0).fit(X, y, sample_weight=sw)
    ref = sk(X, y, 3.0, sw)
    assert_coef_close(m.coef_, ref.coef_, rtol=2e-2)
    assert relative_gap(X, y, sw, 3.0, m.coef_, m.intercept_) <= 1e-3


def test_dask_estimators_equal_scikit_learn(client):
    da = pytest.importorskip("dask.array")
    import ridgejit.dask as rjd

    X, y, sw = make_data(n=2000, p=6, seed=4)
    Xd, yd, wd = (da.from_array(a, chunks=500) for a in (X, y, sw))
    ref = sk(X, y, 2.0, sw)
    for model in (rjd.Ridge(alpha=2.0).fit(Xd, yd, sample_weight=wd),
                  rjd.Ridge(alpha=2.0, solver="cg", tol=1e-14).fit(Xd, yd, sample_weight=wd)):
        assert_coef_close(model.coef_, ref.coef_, rtol=1e-6)
        assert relative_gap(X, y, sw, 2.0, model.coef_, model.intercept_) <= 1e-12
    Z = (X - X.mean(0)) / X.std(0)  # stochastic solvers want scaled columns
    sgd = rjd.SGDRidge(alpha=2.0, max_iter=40, tol=None, random_state=0).fit(
        da.from_array(Z, chunks=500), yd, sample_weight=wd)
    assert relative_gap(Z, y, sw, 2.0, sgd.coef_, sgd.intercept_) <= 1e-3
