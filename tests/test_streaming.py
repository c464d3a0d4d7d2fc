"""fit_chunks (one-pass exact fit over chunks) and memmap input."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from conftest import assert_coef_close, make_data, read_only_memmap
from ridgejit import Ridge, fit_chunks


def _chunks(X, y, sw=None, size=97):
    for lo in range(0, len(X), size):
        part = (X[lo : lo + size], y[lo : lo + size])
        yield part if sw is None else part + (sw[lo : lo + size],)


@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_fit_chunks_equals_ridge_on_all_rows(k, weighted, fit_intercept):
    X, y, sw = make_data(n=1000, p=7, k=k, offset=50.0)
    sw = sw if weighted else None
    model = fit_chunks(_chunks(X, y, sw), alpha=2.0, fit_intercept=fit_intercept)
    ref = Ridge(alpha=2.0, solver="direct", fit_intercept=fit_intercept).fit(X, y, sample_weight=sw)
    # Without an intercept the Gram is uncentred: with column means ~50x the spread
    # it is ill-conditioned, and summing it in 11 chunks instead of 1 moves digit 10.
    rtol = 1e-10 if fit_intercept else 1e-8
    assert_coef_close(model.coef_, ref.coef_, rtol=rtol, atol=1e-12)
    assert_allclose(model.intercept_, ref.intercept_, rtol=1e-10, atol=1e-10)
    assert model.n_chunks_ == 11 and model.n_features_in_ == 7
    assert_allclose(model.predict(X), ref.predict(X), rtol=1e-10, atol=1e-10)


def test_fit_chunks_from_memmaps(tmp_path):
    X, y, _ = make_data(n=600, p=5)
    ro = read_only_memmap(tmp_path / "X.dat", X)
    model = fit_chunks(((ro[lo : lo + 200], y[lo : lo + 200]) for lo in range(0, 600, 200)))
    assert_coef_close(model.coef_, Ridge(solver="direct").fit(X, y).coef_, rtol=1e-10)


@pytest.mark.parametrize("solver", ["auto", "direct", "cg", "nesterov"])
def test_ridge_fits_a_read_only_memmap_without_copying_it(tmp_path, solver, monkeypatch):
    from ridgejit import problem as problem_module

    X, y, _ = make_data(n=400, p=6)
    ro = read_only_memmap(tmp_path / "X.dat", X)
    seen = []
    original = problem_module.readonly_view
    monkeypatch.setattr(problem_module, "readonly_view", lambda a: seen.append(a) or original(a))
    model = Ridge(solver=solver, tol=1e-10, max_iter=100_000).fit(ro, y)
    assert np.shares_memory(seen[0], ro)
    assert_coef_close(model.coef_, Ridge(solver="direct").fit(X, y).coef_, rtol=1e-6)


def test_fit_chunks_errors_name_the_chunk():
    X, y, _ = make_data(n=300, p=4)
    with pytest.raises(ValueError, match="no rows"):
        fit_chunks(iter([]))
    with pytest.raises(ValueError, match="chunk 1: X has 3 features"):
        fit_chunks([(X[:100], y[:100]), (X[100:200, :3], y[100:200])])
    bad = X[100:200].copy()
    bad[5, 2] = np.nan
    with pytest.raises(ValueError, match="chunk 1: Input X contains NaN"):
        fit_chunks([(X[:100], y[:100]), (bad, y[100:200])])
    with pytest.raises(ValueError, match=r"\(X, y\) or \(X, y, sample_weight\)"):
        fit_chunks([X[:10]])


def test_fit_chunks_float32_keeps_dtype():
    X, y, _ = make_data(n=500, p=4)
    model = fit_chunks(_chunks(X.astype(np.float32), y))
    assert model.coef_.dtype == np.float32
    assert_coef_close(model.coef_, Ridge().fit(X, y).coef_, rtol=1e-4, atol=1e-5)
