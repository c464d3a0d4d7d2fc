"""Ridge.partial_fit: an exact fit streamed in chunks (issue 21), against scikit-learn and NumPy."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import Ridge as SkRidge

from conftest import assert_coef_close, exact_ridge, make_data
from ridgejit import Ridge, fit_chunks
from ridgejit.stats import SufficientStats


def _split(n, parts, seed=0):
    """Uneven chunk boundaries (some chunks of one row)."""
    cuts = np.sort(np.random.default_rng(seed).choice(np.arange(1, n), parts - 1, replace=False))
    return np.split(np.arange(n), cuts)


@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_twenty_mixed_chunks_equal_sklearn_on_all_rows(k, weighted, fit_intercept):
    """Dense and CSR chunks alternate; the result is scikit-learn's Ridge on the whole data."""
    X, y, sw = make_data(n=400, p=6, k=k, seed=k)
    sw = sw if weighted else None
    model = Ridge(alpha=2.0, fit_intercept=fit_intercept)
    for i, rows in enumerate(_split(len(X), 20)):
        Xi = sp.csr_matrix(X[rows]) if i % 2 else X[rows]
        model.partial_fit(Xi, y[rows], None if sw is None else sw[rows])
    ref = SkRidge(alpha=2.0, fit_intercept=fit_intercept, solver="cholesky").fit(X, y, sample_weight=sw)
    assert model.coef_.shape == ref.coef_.shape
    assert_coef_close(model.coef_, ref.coef_, rtol=1e-10)
    assert_coef_close(model.intercept_, np.broadcast_to(ref.intercept_, np.shape(model.intercept_)),
                      rtol=1e-10, atol=1e-12)
    assert model.n_samples_seen_ == len(X)


def test_solution_is_lazy_and_follows_every_call():
    """No solve per chunk: the coefficients are solved on the first read after a call."""
    X, y, sw = make_data(n=300, p=5)
    model = Ridge(alpha=1.0).partial_fit(X[:100], y[:100])
    assert "coef_" not in vars(model)
    first = model.coef_.copy()
    assert_coef_close(first, exact_ridge(X[:100], y[:100], None, 1.0)[0][0], rtol=1e-10)
    model.partial_fit(X[100:], y[100:])
    assert "coef_" not in vars(model)
    assert_coef_close(model.predict(X[:3]), X[:3] @ exact_ridge(X, y, None, 1.0)[0][0]
                      + exact_ridge(X, y, None, 1.0)[1][0], rtol=1e-10)


def test_pickled_mid_stream_continues_to_the_same_bits():
    X, y, sw = make_data(n=600, p=7, k=2)
    parts = _split(len(X), 10, seed=3)
    whole = Ridge(alpha=0.5)
    half = Ridge(alpha=0.5)
    for i, rows in enumerate(parts):
        whole.partial_fit(X[rows], y[rows], sw[rows])
        if i < 5:
            half.partial_fit(X[rows], y[rows], sw[rows])
    half = pickle.loads(pickle.dumps(half))
    for rows in parts[5:]:
        half.partial_fit(X[rows], y[rows], sw[rows])
    np.testing.assert_array_equal(half.coef_, whole.coef_)
    np.testing.assert_array_equal(half.intercept_, whole.intercept_)


def test_float32_chunks_are_read_as_they_are(monkeypatch):
    X, y, _ = make_data(n=400, p=5, dtype=np.float32)
    seen = []
    add = SufficientStats.add
    monkeypatch.setattr(SufficientStats, "add", lambda self, be, Xi, *a, **kw: (seen.append(Xi), add(self, be, Xi, *a, **kw))[1])
    model = Ridge().partial_fit(X[:200], y[:200]).partial_fit(X[200:], y[200:])
    assert all(s.dtype == np.float32 for s in seen)
    assert np.shares_memory(seen[0], X) and np.shares_memory(seen[1], X)
    assert model.coef_.dtype == np.float32
    ref = SkRidge(alpha=1.0).fit(X.astype(np.float64), y)
    assert_coef_close(model.coef_, ref.coef_, rtol=1e-6)


def test_mismatched_chunks_and_solvers_are_refused():
    X, y, _ = make_data(n=200, p=4, k=2)
    model = Ridge().partial_fit(X[:100], y[:100])
    with pytest.raises(ValueError, match="X has 3 features, but Ridge is expecting 4"):
        model.partial_fit(X[100:, :3], y[100:])
    with pytest.raises(ValueError, match="y has 1 targets but the first partial_fit call had 2"):
        model.partial_fit(X[100:], y[100:, 0])
    assert not hasattr(Ridge(solver="cg"), "partial_fit")
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as info:
        Ridge(solver="cg").partial_fit(X, y)
    assert "solver='cg' does not solve" in str(info.value.__cause__)
    with pytest.raises(AttributeError, match="has no attribute 'coef_'"):
        Ridge().coef_
    fitted = Ridge().fit(X, y)
    with pytest.warns(UserWarning, match="starts a new stream"):
        fitted.partial_fit(X[:100], y[:100])
    assert fitted.n_samples_seen_ == 100
    assert_coef_close(fitted.coef_, model.coef_, rtol=1e-10)  # model holds the same 100 rows
    with pytest.raises(ValueError, match="at least one non-zero"):
        Ridge().partial_fit(X[:10], y[:10], np.zeros(10))


def test_fit_after_partial_fit_starts_over():
    X, y, _ = make_data(n=200, p=4)
    model = Ridge().partial_fit(X[:100], y[:100]).fit(X[100:], y[100:])
    assert not hasattr(model, "n_samples_seen_")
    assert_coef_close(model.coef_, exact_ridge(X[100:], y[100:], None, 1.0)[0][0], rtol=1e-10)


def test_fit_chunks_is_partial_fit_over_the_chunks():
    X, y, sw = make_data(n=500, p=5)
    parts = _split(len(X), 7)
    model = fit_chunks((X[r], y[r], sw[r]) for r in parts)
    loop = Ridge(solver="direct")
    for r in parts:
        loop.partial_fit(X[r], y[r], sw[r])
    np.testing.assert_array_equal(model.coef_, loop.coef_)
    assert model.n_chunks_ == len(parts) and model.n_samples_seen_ == len(X)


def test_a_refused_first_chunk_leaves_no_stream():
    X, y, _ = make_data(n=200, p=4)
    bad = X[:100].copy()
    bad[3, 1] = np.inf
    model = Ridge()
    with pytest.raises(ValueError, match="infinity"):
        model.partial_fit(bad, y[:100])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not "after fit()": nothing was fitted
        model.partial_fit(X[100:], y[100:])
    assert model.n_samples_seen_ == 100
    assert_coef_close(model.coef_, exact_ridge(X[100:], y[100:], None, 1.0)[0][0], rtol=1e-10)
