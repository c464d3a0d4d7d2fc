"""Ridge and SGDRidge on SciPy sparse X: the answer of the dense fit, X never densified."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from conftest import assert_coef_close
from sklearn.linear_model import Ridge as SkRidge

from ridgejit import Ridge, SGDRidge

EXACT = ["direct", "cg", "gd", "nesterov", "auto"]


def sparse_data(n=600, p=30, k=1, density=0.15, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=density, format="csr", random_state=rng, dtype=np.float64)
    X.data = (X.data * 4 + 1).astype(dtype)  # nonzero column means: the intercept matters
    W = rng.standard_normal((p, k))
    y = X.toarray() @ W + 0.1 * rng.standard_normal((n, k)) + 5.0
    return X, (y[:, 0] if k == 1 else y), rng.uniform(0.2, 3.0, n)


@pytest.mark.parametrize("solver", EXACT)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_csr_equals_dense_and_sklearn(solver, fit_intercept, weighted):
    X, y, sw = sparse_data()
    sw = sw if weighted else None
    kw = dict(alpha=2.0, fit_intercept=fit_intercept, solver=solver, tol=1e-24, max_iter=50000)
    a = Ridge(**kw).fit(X, y, sample_weight=sw)
    b = Ridge(**kw).fit(X.toarray(), y, sample_weight=sw)
    assert_coef_close(a.coef_, b.coef_, rtol=1e-8, atol=1e-10)
    assert_allclose(a.intercept_, b.intercept_, rtol=1e-8, atol=1e-10)
    sk = SkRidge(alpha=2.0, fit_intercept=fit_intercept, solver="cholesky").fit(X.toarray(), y, sample_weight=sw)
    assert_coef_close(a.coef_, sk.coef_, rtol=1e-7, atol=1e-9)
    assert_allclose(a.predict(X), b.predict(X.toarray()), rtol=1e-8)


def test_wide_sparse_multi_target_per_target_alpha():
    X, y, sw = sparse_data(n=80, p=300, k=3, density=0.05)
    alpha = np.array([0.5, 2.0, 10.0])
    for solver in ("direct", "cg", "auto"):
        a = Ridge(alpha=alpha, solver=solver, tol=1e-24).fit(X, y, sample_weight=sw)
        sk = SkRidge(alpha=alpha, solver="cholesky").fit(X.toarray(), y, sample_weight=sw)
        assert_coef_close(a.coef_, sk.coef_, rtol=1e-7, atol=1e-9)
        assert_allclose(a.intercept_, sk.intercept_, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("fmt", ["csc", "coo", "lil"])
def test_other_formats_are_converted_once(fmt):
    X, y, _ = sparse_data()
    a = Ridge(solver="direct").fit(X.asformat(fmt), y)
    b = Ridge(solver="direct").fit(X, y)
    assert_coef_close(a.coef_, b.coef_, rtol=1e-12)


def test_int64_indices_float32_and_sparse_array():
    X, y, _ = sparse_data(dtype=np.float32)
    X64 = X.copy()
    X64.indices = X64.indices.astype(np.int64)
    X64.indptr = X64.indptr.astype(np.int64)
    a = Ridge(solver="cg", tol=1e-12).fit(X64, y)
    b = Ridge(solver="cg", tol=1e-12).fit(sp.csr_array(X), y)
    assert a.coef_.dtype == np.float32 and a.predict(X).dtype == np.float32
    assert_coef_close(a.coef_, b.coef_, rtol=1e-6)
    ref = Ridge(solver="direct").fit(X.astype(np.float64), y)
    assert_coef_close(a.coef_, ref.coef_, rtol=1e-4, atol=1e-5)


def test_user_matrix_untouched_and_non_canonical_input():
    X, y, _ = sparse_data()
    # reverse each row's index order and split one value into a duplicate pair
    rows = [sp.csr_matrix(X[i]) for i in range(X.shape[0])]
    data, indices, indptr = [], [], [0]
    for r in rows:
        data += list(r.data[::-1])
        indices += list(r.indices[::-1])
        indptr.append(len(data))
    data[0] *= 0.5
    data.insert(0, data[0])
    indices.insert(0, indices[0])
    indptr = [0] + [v + 1 for v in indptr[1:]]
    Y = sp.csr_matrix((np.array(data), np.array(indices), np.array(indptr)), shape=X.shape)
    assert not Y.has_canonical_format
    before = (Y.data.copy(), Y.indices.copy(), Y.indptr.copy())
    a = Ridge(solver="direct").fit(Y, y)
    for u, v in zip(before, (Y.data, Y.indices, Y.indptr)):
        assert_array_equal(u, v)
    assert_coef_close(a.coef_, Ridge(solver="direct").fit(Y.toarray(), y).coef_, rtol=1e-10)


@pytest.mark.parametrize("solver", ["sgd", "minibatch", "sag", "saga", "svrg"])
def test_sgd_family_sparse_equals_dense(solver):
    # preconditioned sgd (the default) applies its penalty every ceil(p n / nnz) updates on
    # CSR X and every update on dense X: test_scaled_sgd.py covers it
    X, y, sw = sparse_data(n=500, p=20)
    kw = dict(solver=solver, alpha=3.0, max_iter=20, tol=None, random_state=0, precondition=False)
    a = SGDRidge(**kw).fit(X, y, sample_weight=sw)
    b = SGDRidge(**kw).fit(X.toarray(), y, sample_weight=sw)
    assert_coef_close(a.coef_, b.coef_, rtol=1e-8, atol=1e-10)
    assert_allclose(a.intercept_, b.intercept_, rtol=1e-8, atol=1e-10)


def test_sparse_partial_fit_and_converged_saga():
    X, y, _ = sparse_data(n=1500, p=10, density=0.3)
    m = SGDRidge(solver="saga", alpha=3.0, max_iter=500, tol=1e-12, random_state=0).fit(X, y)
    ref = Ridge(alpha=3.0, solver="direct").fit(X, y)
    assert_coef_close(m.coef_, ref.coef_, rtol=1e-6, atol=1e-8)
    s = SGDRidge(solver="sgd", random_state=0)
    s.partial_fit(X[:700], y[:700])
    s.partial_fit(X[700:], y[700:])
    assert s.t_ == 1 + 1500


def test_nan_and_inf_in_sparse_data_are_named():
    X, y, _ = sparse_data()
    for bad, word in ((np.nan, "NaN"), (np.inf, "infinity")):
        Z = X.copy()
        Z.data[3] = bad
        for solver in ("direct", "cg"):
            with pytest.raises(ValueError, match=word):
                Ridge(solver=solver).fit(Z, y)


def test_backend_without_sparse_kernels_says_so(monkeypatch):
    from ridgejit.kernels import Backend, get_backend

    dense_only = Backend("dense-only", {k: v for k, v in get_backend("numpy").functions.items()
                                        if not k.endswith("_sparse")})
    monkeypatch.setattr("ridgejit._validation.get_backend", lambda name: dense_only)
    X, y, _ = sparse_data()
    with pytest.raises(ValueError, match="no sparse kernels"):
        Ridge(solver="cg").fit(X, y)


@pytest.mark.parametrize("offset", [0.0, 1e5])
def test_sparse_column_moments_match_dense(offset, monkeypatch):
    # offset 0: one pass (no column cancels); 1e5: a column whose mean dominates
    # (var / sum s x^2 ~ 1e-10) must take the second pass around the means
    from ridgejit import problem as P
    from ridgejit.kernels import get_backend

    X, y, sw = sparse_data(n=400, p=6, density=0.5, seed=3)
    X = X.tolil()
    X[:, 2] = offset + np.random.default_rng(1).standard_normal((400, 1))
    X = X.tocsr()
    passes = []
    real = P.bind

    def counting(backend, name, X_):
        kernel = real(backend, name, X_)
        return (lambda *a: passes.append(1) or kernel(*a)) if name == "column_moments" else kernel

    monkeypatch.setattr(P, "bind", counting)
    be = get_backend("numba")
    sparse_p = P.Problem(X, y[:, None], sw, np.ones(1), True, be)
    dense_p = P.Problem(np.ascontiguousarray(X.toarray()), y[:, None], sw, np.ones(1), True, be)
    assert_allclose(sparse_p.x_mean, dense_p.x_mean, rtol=1e-13)
    assert_allclose(sparse_p.x_var_sum, dense_p.x_var_sum, rtol=1e-9)
    assert len(passes) == (2 if offset else 1) + 1  # the dense problem's one pass
