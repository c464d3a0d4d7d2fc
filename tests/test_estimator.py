"""ridgejit.Ridge as a scikit-learn estimator: conventions, input checks, dtypes, threads."""

import pickle
import threading

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.linear_model import Ridge as SkRidge
from sklearn.utils.estimator_checks import parametrize_with_checks

from conftest import assert_coef_close, make_data
from ridgejit import Ridge


@parametrize_with_checks([Ridge(), Ridge(solver="cg"), Ridge(solver="nesterov")])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["direct", "cg", "gd", "nesterov", "auto"])
def test_user_arrays_are_not_modified(solver):
    X, y, sw = make_data(n=80, p=5)
    X_f32 = X.astype(np.float32)
    copies = [a.copy() for a in (X, y, sw, X_f32)]
    Ridge(solver=solver, max_iter=50).fit(X, y, sample_weight=sw)
    Ridge(solver=solver, max_iter=50).fit(X_f32, y, sample_weight=sw)
    for original, copy in zip((X, y, sw, X_f32), copies):
        assert_array_equal(original, copy)


def test_float64_c_contiguous_x_is_not_copied(monkeypatch):
    """The kernels receive a view of the user's X, not a copy."""
    from ridgejit import problem as problem_module

    seen = []
    original = problem_module.readonly_view

    def spy(a):
        seen.append(a)
        return original(a)

    monkeypatch.setattr(problem_module, "readonly_view", spy)
    X, y, _ = make_data(n=50, p=4)
    Ridge().fit(X, y)
    assert np.shares_memory(seen[0], X)


@pytest.mark.parametrize("solver", ["direct", "cg"])
def test_float32_end_to_end(solver):
    X, y, sw = make_data(n=300, p=6)
    m32 = Ridge(solver=solver, tol=1e-10).fit(X.astype(np.float32), y, sample_weight=sw)
    m64 = Ridge(solver=solver, tol=1e-10).fit(X, y, sample_weight=sw)
    assert m32.coef_.dtype == np.float32
    assert m32.predict(X.astype(np.float32)).dtype == np.float32
    # X rounded to float32 is a different problem; 1e-4 relative is the documented accuracy.
    assert_coef_close(m32.coef_, m64.coef_, rtol=1e-4, atol=1e-5)


BAD_X = {
    "NaN": (lambda X: np.where(np.arange(X.size).reshape(X.shape) == 7, np.nan, X), "contains NaN"),
    "inf": (lambda X: np.where(np.arange(X.size).reshape(X.shape) == 7, np.inf, X), "infinity"),
    "complex": (lambda X: X + 1j, "[Cc]omplex"),
    "empty": (lambda X: X[:0], "0 sample"),
}


@pytest.mark.parametrize("solver", ["direct", "cg", "gd"])
@pytest.mark.parametrize("case", BAD_X)
def test_bad_x_raises_clear_error(solver, case):
    X, y, _ = make_data(n=40, p=3)
    bad, pattern = BAD_X[case]
    with pytest.raises(ValueError, match=pattern):
        Ridge(solver=solver).fit(bad(X), y[: len(bad(X))])


def test_bad_y_weights_alpha_and_shapes():
    X, y, sw = make_data(n=40, p=3)
    with pytest.raises(ValueError, match="y contains NaN"):
        Ridge().fit(X, np.where(np.arange(40) == 3, np.nan, y))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        Ridge().fit(X, y[:-1])
    with pytest.raises(ValueError, match="sample_weight"):
        Ridge().fit(X, y, sample_weight=np.where(np.arange(40) == 3, np.nan, sw))
    with pytest.raises(ValueError, match="[Nn]egative values in .*sample_weight"):
        Ridge().fit(X, y, sample_weight=-sw)
    with pytest.raises(ValueError, match="at least one non-zero"):
        Ridge().fit(X, y, sample_weight=np.zeros(40))
    with pytest.raises(ValueError, match="alpha"):
        Ridge(alpha=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="alpha has 2 values but y has 1 targets"):
        Ridge(alpha=np.array([1.0, 2.0])).fit(X, y)
    model = Ridge().fit(X, y)
    with pytest.raises(ValueError, match="3 features"):
        model.predict(X[:, :2])


def test_huge_values_raise_instead_of_nan_coefficients():
    X, y, _ = make_data(n=40, p=3)
    for solver in ("direct", "cg", "gd"):
        with pytest.raises(ValueError, match="overflow|infinity"):
            Ridge(solver=solver).fit(X * 1e200, y)


def test_unavailable_backend_is_a_clear_error(monkeypatch):
    import sys

    from ridgejit import kernels

    monkeypatch.setitem(sys.modules, "ridgejit.kernels._cython_dense", None)
    monkeypatch.delitem(sys.modules, "ridgejit.kernels.cython_backend", raising=False)
    monkeypatch.setattr(kernels, "_cache", {})
    X, y, _ = make_data(n=40, p=3)
    with pytest.raises(ValueError, match="backend 'cython' is unavailable"):
        Ridge(backend="cython").fit(X, y)


def test_n_jobs_sets_and_restores_threads():
    import numba
    from threadpoolctl import threadpool_info

    X, y, _ = make_data(n=400, p=5)
    before_numba = numba.get_num_threads()
    before_blas = [d["num_threads"] for d in threadpool_info()]
    m1 = Ridge(solver="cg", n_jobs=1, tol=1e-12).fit(X, y)
    m2 = Ridge(solver="cg", n_jobs=-1, tol=1e-12).fit(X, y)
    assert numba.get_num_threads() == before_numba
    assert [d["num_threads"] for d in threadpool_info()] == before_blas
    assert_coef_close(m1.coef_, m2.coef_, rtol=1e-10)


@pytest.mark.parametrize("n_jobs", [1, 2])
@pytest.mark.parametrize("estimator", ["ridge", "sgd"])
def test_n_jobs_is_the_thread_count_the_kernels_run_with(monkeypatch, n_jobs, estimator):
    """Inside every kernel call of a fit, Numba's and the BLAS's thread counts are ``n_jobs``
    (capped by Numba's pool); a fit that ignored ``n_jobs`` would run them with the defaults."""
    import numba
    from threadpoolctl import threadpool_info

    from ridgejit import SGDRidge
    from ridgejit import problem as problem_module

    if n_jobs > numba.config.NUMBA_NUM_THREADS:
        pytest.skip("Numba's pool has one thread here: n_jobs=2 cannot differ from 1")
    seen = []
    bind = problem_module.bind

    def spying_bind(backend, name, X):
        fn = bind(backend, name, X)

        def call(*args, **kwargs):
            if threading.current_thread() is threading.main_thread():  # not SGD's evaluation thread
                blas = {d["num_threads"] for d in threadpool_info()}
                seen.append((name, numba.get_num_threads(), blas))
            return fn(*args, **kwargs)

        return call

    monkeypatch.setattr(problem_module, "bind", spying_bind)
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    X, y, _ = make_data(n=400, p=5)
    if estimator == "ridge":
        Ridge(solver="cg", n_jobs=n_jobs, tol=1e-12).fit(X, y)
    else:
        SGDRidge(n_jobs=n_jobs, max_iter=2, tol=None).fit(X, y)
    assert seen
    for name, threads, blas in seen:
        assert threads == n_jobs and blas == {n_jobs}, (name, threads, blas)


def test_pickle_roundtrip_and_multi_target_shapes():
    X, y, _ = make_data(n=60, p=4, k=2)
    m = Ridge().fit(X, y)
    assert m.coef_.shape == (2, 4) and m.intercept_.shape == (2,)
    m2 = pickle.loads(pickle.dumps(m))
    assert_array_equal(m.predict(X), m2.predict(X))
    single = Ridge().fit(X, y[:, 0])
    assert single.coef_.shape == (4,) and isinstance(single.intercept_, float)
    column = Ridge().fit(X, y[:, :1])
    sk = SkRidge().fit(X, y[:, :1])
    assert column.coef_.shape == sk.coef_.shape == (4,)
    assert np.shape(column.intercept_) == np.shape(sk.intercept_) == (1,)


def test_warm_init_restarts_from_previous_coef():
    X, y, _ = make_data(n=300, p=8, correlated=True)
    m = Ridge(solver="nesterov", init="warm", tol=1e-8).fit(X, y)
    first = m.n_iter_
    m.fit(X, y)
    assert m.n_iter_ < first
