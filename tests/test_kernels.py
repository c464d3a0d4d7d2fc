"""Every backend's kernels against the NumPy reference (the spec)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from ridgejit.kernels import BackendUnavailableError, get_backend
from ridgejit.kernels.reference import gradient as ref_gradient
from ridgejit.kernels.reference import objective as ref_objective
from ridgejit.problem import readonly_view

REF = get_backend("numpy")


def _case(n, p, k, dtype, seed=0):
    rng = np.random.default_rng(seed)
    X = readonly_view((rng.standard_normal((n, p)) * 2 + 1).astype(dtype))
    y = rng.standard_normal((n, k))
    sw = rng.uniform(0, 2, n)
    coef = rng.standard_normal((k, p))
    b = rng.standard_normal(k)
    alpha = rng.uniform(0.1, 3, k)
    return X, y, sw, coef, b, alpha


SHAPES = [(1, 1, 1), (7, 3, 1), (257, 5, 2), (1000, 17, 3), (300, 40, 1)]


@pytest.mark.parametrize("n,p,k", SHAPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_objective_and_gradient(compiled, n, p, k, dtype):
    X, y, sw, coef, b, alpha = _case(n, p, k, dtype)
    g, gb = np.empty((k, p)), np.empty(k)
    J = compiled.gradient(X, y, sw, coef, b, alpha, g, gb)
    g0, gb0 = np.empty((k, p)), np.empty(k)
    J0 = REF.gradient(X, y, sw, coef, b, alpha, g0, gb0)
    assert_allclose(J, J0, rtol=1e-12)
    assert_allclose(g, g0, rtol=1e-10, atol=1e-12 * np.abs(g0).max())
    assert_allclose(gb, gb0, rtol=1e-10, atol=1e-12)
    assert_allclose(compiled.objective(X, y, sw, coef, b, alpha), J0, rtol=1e-12)


@pytest.mark.parametrize("n,p,k", SHAPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_normal_product(compiled, n, p, k, dtype):
    X, y, sw, P, b, alpha = _case(n, p, k, dtype)
    mean = np.asarray(X, dtype=np.float64).mean(axis=0)
    out, out0 = np.empty((k, p)), np.empty((k, p))
    compiled.normal_product(X, sw, mean, P, alpha, out)
    REF.normal_product(X, sw, mean, P, alpha, out0)
    assert_allclose(out, out0, rtol=1e-10, atol=1e-11 * np.abs(out0).max())


@pytest.mark.parametrize("n,p,k", SHAPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("unit", [True, False])
def test_moments_and_sufficient_stats(compiled, n, p, k, dtype, unit):
    X, y, sw, *_ = _case(n, p, k, dtype)
    if unit:
        sw = np.ones(n)
    shift = np.asarray(X[0], dtype=np.float64)
    yshift = y.mean(axis=0)
    got = [np.empty(p), np.empty(p), np.empty((k, p))]
    want = [np.empty(p), np.empty(p), np.empty((k, p))]
    W = compiled.column_moments(X, y, sw, shift, yshift, *got)
    W0 = REF.column_moments(X, y, sw, shift, yshift, *want)
    assert W == pytest.approx(W0, rel=1e-12)
    for a, b in zip(got, want):
        assert_allclose(a, b, rtol=1e-10, atol=1e-10 * max(1, np.abs(b).max()))

    def stats(be):
        out = [np.empty((p, p)), np.empty((p, k)), np.empty(p), np.empty(k), np.empty((k, k))]
        return be.sufficient_stats(X, y, sw, shift, y[0].copy(), *out), out

    (W, got), (W0, want) = stats(compiled), stats(REF)
    assert W == pytest.approx(W0, rel=1e-12)
    for a, b in zip(got, want):
        assert_allclose(a, b, rtol=1e-9, atol=1e-10 * max(1.0, np.abs(b).max()))


@pytest.mark.parametrize("n,p", [(5, 9), (20, 64)])
def test_dual_gram(compiled, n, p):
    X, _, sw, *_ = _case(n, p, 1, np.float64)
    mean = np.asarray(X).mean(axis=0)
    K, K0 = np.empty((n, n)), np.empty((n, n))
    compiled.dual_gram(X, sw, mean, K)
    REF.dual_gram(X, sw, mean, K0)
    assert_allclose(K, K0, rtol=1e-10, atol=1e-12 * np.abs(K0).max())


def test_sufficient_stats_large_offsets_are_exact(backend):
    """Columns whose mean dwarfs their spread (timestamps, say) keep their digits."""
    rng = np.random.default_rng(1)
    n, p = 5000, 4
    Z = rng.standard_normal((n, p))
    X = readonly_view(Z + np.array([1e9, -1e7, 0.0, 5.0]))
    y = rng.standard_normal((n, 1))
    sw = np.ones(n)
    out = [np.empty((p, p)), np.empty((p, 1)), np.empty(p), np.empty(1), np.empty((1, 1))]
    W = backend.sufficient_stats(X, y, sw, np.asarray(X[0], float), y[0].copy(), *out)
    gram, xsum = out[0], out[2]
    centred = gram - np.outer(xsum, xsum) / W
    Zc = Z - Z.mean(axis=0)
    assert_allclose(centred, Zc.T @ Zc, rtol=1e-6)


def test_gradient_matches_finite_differences():
    X, y, sw, coef, b, alpha = _case(60, 4, 2, np.float64, seed=3)
    g, gb = np.empty_like(coef), np.empty(2)
    ref_gradient(X, y, sw, coef, b, alpha, g, gb)
    h = 1e-6
    for t in range(2):
        for j in range(4):
            e = np.zeros_like(coef)
            e[t, j] = h
            fd = (ref_objective(X, y, sw, coef + e, b, alpha) - ref_objective(X, y, sw, coef - e, b, alpha))[t] / (2 * h)
            assert fd == pytest.approx(g[t, j], rel=1e-6, abs=1e-8)
        e = np.zeros(2)
        e[t] = h
        fd = (ref_objective(X, y, sw, coef, b + e, alpha) - ref_objective(X, y, sw, coef, b - e, alpha))[t] / (2 * h)
        assert fd == pytest.approx(gb[t], rel=1e-6, abs=1e-8)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 300),
    p=st.integers(1, 12),
    k=st.integers(1, 3),
    f32=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_numba_gradient_property(n, p, k, f32, seed):
    backend = get_backend("numba")
    X, y, sw, coef, b, alpha = _case(n, p, k, np.float32 if f32 else np.float64, seed)
    g, gb, g0, gb0 = np.empty((k, p)), np.empty(k), np.empty((k, p)), np.empty(k)
    J = backend.gradient(X, y, sw, coef, b, alpha, g, gb)
    J0 = REF.gradient(X, y, sw, coef, b, alpha, g0, gb0)
    assert_allclose(J, J0, rtol=1e-11)
    assert_allclose(g, g0, rtol=1e-9, atol=1e-11 * max(1, np.abs(g0).max()))


def test_numba_gradient_independent_of_thread_count():
    import numba

    backend = get_backend("numba")
    X, y, sw, coef, b, alpha = _case(20000, 7, 2, np.float64)
    results = []
    before = numba.get_num_threads()
    try:
        for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
            numba.set_num_threads(threads)
            g, gb = np.empty((2, 7)), np.empty(2)
            J = backend.gradient(X, y, sw, coef, b, alpha, g, gb)
            results.append((J, g, gb))
    finally:
        numba.set_num_threads(before)
    for J, g, gb in results[1:]:
        assert np.array_equal(J, results[0][0])  # same bits: blocks do not depend on threads
        assert np.array_equal(g, results[0][1])


def test_unknown_and_unbuilt_backends_say_why(monkeypatch):
    import sys

    from ridgejit import kernels

    with pytest.raises(BackendUnavailableError, match="unknown backend 'fortran'"):
        get_backend("fortran")
    # an extension that was not built: the error names the module and the cause
    monkeypatch.setitem(sys.modules, "ridgejit.kernels._cython_dense", None)
    monkeypatch.delitem(sys.modules, "ridgejit.kernels.cython_backend", raising=False)
    monkeypatch.setattr(kernels, "_cache", {})
    with pytest.raises(BackendUnavailableError, match="backend 'cython' is unavailable.*not built"):
        get_backend("cython")


def test_cython_is_built_when_required():
    """CI sets RIDGEJIT_REQUIRE_CYTHON=1: the slow path must never ship silently."""
    import os

    from ridgejit.kernels import backend_status

    if os.environ.get("RIDGEJIT_REQUIRE_CYTHON", "") in ("", "0"):
        pytest.skip("RIDGEJIT_REQUIRE_CYTHON is not set")
    available, reason = backend_status()["cython"]
    assert available, reason


def test_env_var_forces_default(monkeypatch):
    monkeypatch.setenv("RIDGEJIT_BACKEND", "numpy")
    assert get_backend("auto").name == "numpy"
    monkeypatch.delenv("RIDGEJIT_BACKEND")
    assert get_backend("auto").name == "numba"


@pytest.mark.parametrize("unit, moments_by_chunk", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_row_parallel_gram_gives_the_same_bits_on_any_thread_count(compiled, monkeypatch, unit, moments_by_chunk,
                                                                   dtype):
    """The Gram's chunk products run on a pool of 1, 2 or 3 Python threads (BLAS on one
    thread each) and are summed in chunk order: identical statistics, equal to the NumPy
    reference to rounding; the BLAS limit is back as it was afterwards.  Unit weights: the
    column moments chunk by chunk (4 chunks) or in one task beside the chunks."""
    from ridgejit._threads import BLAS_LIMITS
    from ridgejit.kernels import blas_stats

    if not moments_by_chunk:
        monkeypatch.setattr(blas_stats, "PER_CHUNK_MOMENTS_MAX_CHUNKS", 3)
    rng = np.random.default_rng(5)
    n, p, k = blas_stats.PARALLEL_CHUNK_ROWS * 3 + 77, 5, 2  # 4 chunks on views, more copied
    X = (rng.standard_normal((n, p)) * [0.1, 1, 10, 1, 2] + [3.0, -1, 5, 0, 2]).astype(dtype)
    y = X.astype(np.float64) @ rng.standard_normal((p, k)) + rng.standard_normal((n, k))
    sw = np.ones(n) if unit else rng.uniform(0.5, 2, n)
    c, e = X[3].astype(np.float64), y[3].copy()
    runs = {}
    for threads in (1, 2, 3):
        monkeypatch.setattr(blas_stats, "fit_threads", lambda: threads)
        out = [np.empty((p, p)), np.empty((p, k)), np.empty(p), np.empty(k), np.empty((k, k))]
        W = compiled.sufficient_stats(X, y, sw, c, e, *out)
        runs[threads] = [np.array(W), *out]
        assert BLAS_LIMITS.current is None
    for threads in (2, 3):
        for a, b in zip(runs[threads], runs[1]):
            assert_array_equal(a, b)
    want = [np.empty((p, p)), np.empty((p, k)), np.empty(p), np.empty(k), np.empty((k, k))]
    REF.sufficient_stats(X, y, sw, c, e, *want)
    for a, b in zip(runs[1][1:], want):
        assert_allclose(a, b, rtol=1e-9, atol=1e-9 * max(1.0, np.abs(b).max()))


@pytest.mark.parametrize("n, rows", [(1, 7), (7, 7), (8, 7), (100_000, 32768), (65537, 32768)])
def test_gram_chunks_are_equal_cover_the_rows_and_share_one_pool(n, rows):
    """The chunks of a Gram pass: ``ceil(n / rows)`` consecutive, lengths within one row of each
    other and at most ``rows``, a function of ``(n, rows)`` only; the thread pool is kept."""
    from ridgejit.kernels import blas_stats

    bounds = blas_stats._chunk_bounds(n, rows)
    lengths = [hi - lo for lo, hi in bounds]
    assert len(bounds) == -(-n // rows) and bounds[0][0] == 0 and bounds[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
    assert max(lengths) <= rows and max(lengths) - min(lengths) <= 1
    assert blas_stats._pool(2, 1) is blas_stats._pool(2, 1) and blas_stats._pool(2, 1) is not blas_stats._pool(2, 2)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("unit", [True, False])
@pytest.mark.parametrize("ratio", ["small", "large"])
@pytest.mark.parametrize("rows", ["chunks", "one"])
def test_sufficient_stats_on_more_rows_than_a_chunk(compiled, dtype, unit, ratio, rows):
    """More rows than a BLAS chunk: the zero-copy syrk path (unit weights) with its moments pass
    and the shift after the fact, or the copied chunks (weights, a mean that dominates a
    column, or one chunk), against the reference.  float32's lowp variant only preconditions a refinement:
    its Gram to ~1e-3 of the raw moments, the rest exact."""
    from ridgejit._config import GRAM_CHUNK_ROWS

    rng = np.random.default_rng(4)
    n, p, k = (GRAM_CHUNK_ROWS * 2 + 123 if rows == "chunks" else 40), 6, 2
    X = rng.standard_normal((n, p)) * [0.1, 1, 10, 1, 1, 0.5] + [3.0, -1, 5, 0, 2, 1]
    if ratio == "large":
        X[:, 1] += 1e3  # raw / centred second moment ~1e6: the shift after the fact is refused
    X = X.astype(dtype)
    y = X.astype(np.float64) @ rng.standard_normal((p, k)) + rng.standard_normal((n, k)) + 7.0
    sw = np.ones(n) if unit else rng.uniform(0.5, 2, n)
    c, e = X[5].astype(np.float64), y[5].copy()

    def stats(kernel):
        out = [np.empty((p, p)), np.empty((p, k)), np.empty(p), np.empty(k), np.empty((k, k))]
        return kernel(X, y, sw, c, e, *out), out

    W0, want = stats(REF.sufficient_stats)
    W, got = stats(compiled.sufficient_stats)
    assert W == pytest.approx(W0, rel=1e-12)
    for label, a, b in zip(("gram", "xty", "xsum", "ysum", "yty"), got, want):
        assert_allclose(a, b, rtol=1e-9, atol=1e-9 * max(1.0, np.abs(b).max()), err_msg=label)
    W, got = stats(compiled.sufficient_stats_lowp)
    if dtype == np.float64:  # exact for float64 X
        for a, b in zip(got, want):
            assert_allclose(a, b, rtol=1e-9, atol=1e-9 * max(1.0, np.abs(b).max()))
        return
    # float32 products (copied chunks: every statistic; views: the Gram alone), each chunk
    # summed in float32: within ~1e-5 of the raw magnitudes, far inside what the refinement
    # of the direct solver needs
    raw = np.abs(X.astype(np.float64) - c)
    scale = {"gram": (raw.T @ raw).max(), "xty": (raw.T @ np.abs(y - e)).max(), "xsum": raw.sum(0).max(),
             "ysum": np.abs(y - e).sum(0).max(), "yty": ((y - e) ** 2).sum(0).max()}
    assert W == pytest.approx(W0, rel=1e-5)
    for label, a, b in zip(("gram", "xty", "xsum", "ysum", "yty"), got, want):
        assert np.abs(a - b).max() <= 1e-4 * scale[label], label
