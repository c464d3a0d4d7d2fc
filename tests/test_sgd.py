"""SGDRidge and the SGD kernels."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge as SkRidge
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from conftest import assert_coef_close, make_data
from ridgejit import Ridge, SGDRidge
from ridgejit.kernels import get_backend
from ridgejit.kernels import layout as L
from ridgejit.problem import Problem, readonly_view

REF = get_backend("numpy")

# scikit-learn gives SGDRegressor the same exemption: a stochastic pass over
# repeated rows is not the same as a pass with doubled weights.
SW_EXEMPT = {
    "check_sample_weight_equivalence_on_dense_data":
        "SGD visits a repeated row twice, a weight-2 row once: same optimum, other iterates",
    "check_sample_weight_equivalence_on_sparse_data":
        "SGD visits a repeated row twice, a weight-2 row once: same optimum, other iterates",
}


@parametrize_with_checks(
    [SGDRidge(random_state=0), SGDRidge(average=False, shuffle=True, random_state=0),
     SGDRidge(solver="minibatch", batch_size=16, random_state=0)],
    expected_failed_checks=lambda est: SW_EXEMPT,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("schedule", [L.CONSTANT, L.INVSCALING, L.OPTIMAL])
@pytest.mark.parametrize("avg_start", [np.inf, 0.0, 150.0])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sgd_epoch_matches_reference(compiled, schedule, avg_start, dtype):
    rng = np.random.default_rng(0)
    n, p = 300, 5
    X = readonly_view((rng.standard_normal((n, p)) + 1).astype(dtype))
    y, sw = rng.standard_normal(n), rng.uniform(0.5, 2, n)
    mean = np.asarray(X, dtype=np.float64).mean(axis=0)
    hyper = np.zeros(L.HYPER_SIZE)
    hyper[[L.ETA0, L.POWER_T, L.LAM, L.T0, L.AVG_START, L.FIT_B]] = [0.02, 0.3, 0.01, 500.0, avg_start, 1.0]
    results = []
    for be in (compiled, REF):
        v, a, st = np.zeros(p), np.zeros(p), L.new_state(0.5)
        losses = [be.sgd_epoch(X, y, sw, mean, rng_order(n, e), v, a, st, schedule, hyper) for e in range(3)]
        results.append((L.to_coef(v, a, st, False), L.to_coef(v, a, st, avg_start < np.inf), losses, st[L.T]))
    (w, b), (wa, ba), loss, t = results[0]
    (w0, b0), (wa0, ba0), loss0, t0 = results[1]
    assert t == t0 == 900
    assert_allclose(w, w0, rtol=1e-10, atol=1e-12)
    assert_allclose([b, ba], [b0, ba0], rtol=1e-10, atol=1e-12)
    assert_allclose(wa, wa0, rtol=1e-10, atol=1e-12)
    assert_allclose(loss, loss0, rtol=1e-10)


def rng_order(n, seed):
    return np.random.default_rng(seed).permutation(n).astype(np.int64)


def test_lazy_scale_renormalizes_without_changing_the_iterates():
    """Strong L2 makes the divisor pass 1e6 many times within one epoch."""
    rng = np.random.default_rng(2)
    n, p = 2000, 4
    X = readonly_view(rng.standard_normal((n, p)))
    y, sw, mean = rng.standard_normal(n), np.ones(n), np.zeros(p)
    hyper = np.zeros(L.HYPER_SIZE)
    hyper[[L.ETA0, L.LAM, L.AVG_START, L.FIT_B]] = [0.05, 0.5, 10.0, 1.0]
    out = []
    for be in (get_backend("numba"), REF):
        v, a, st = np.zeros(p), np.zeros(p), L.new_state()
        be.sgd_epoch(X, y, sw, mean, np.arange(n), v, a, st, L.CONSTANT, hyper)
        out.append((L.to_coef(v, a, st, False)[0], L.to_coef(v, a, st, True)[0]))
    # ~4 folds of a 1e6 divisor and 2000 shrinks by (1 - 0.025): rounding ~1e-9.
    assert_allclose(out[0][0], out[1][0], rtol=1e-8, atol=1e-12)
    assert_allclose(out[0][1], out[1][1], rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("avg_start", [np.inf, 0.0])
def test_reference_continues_from_a_compiled_kernels_lazy_state(compiled, avg_start):
    """A compiled epoch ends with its lazy divisors in ``state`` (``w = v / WDIV``,
    ``wbar = (a + WFRAC v) / ADIV``); the reference reads them: one more epoch from copies
    of that state gives the same iterates on both."""
    rng = np.random.default_rng(4)
    n, p = 400, 4
    X = readonly_view(rng.standard_normal((n, p)) + 0.5)
    y, sw = rng.standard_normal(n), rng.uniform(0.5, 2, n)
    mean = np.asarray(X).mean(axis=0)
    hyper = np.zeros(L.HYPER_SIZE)
    hyper[[L.ETA0, L.LAM, L.AVG_START, L.FIT_B]] = [0.02, 0.5, avg_start, 1.0]
    v, a, st = np.zeros(p), np.zeros(p), L.new_state()
    compiled.sgd_epoch(X, y, sw, mean, rng_order(n, 0), v, a, st, L.CONSTANT, hyper)
    assert st[L.WDIV] != 1.0
    if avg_start == 0.0:
        assert st[L.ADIV] != 1.0 and st[L.WFRAC] != 0.0
    out = []
    for be in (compiled, REF):
        v2, a2, st2 = v.copy(), a.copy(), st.copy()
        be.sgd_epoch(X, y, sw, mean, rng_order(n, 1), v2, a2, st2, L.CONSTANT, hyper)
        out.append((L.to_coef(v2, a2, st2, False), L.to_coef(v2, a2, st2, avg_start < np.inf)))
    for (got, want) in zip(out[0], out[1]):
        assert_allclose(got[0], want[0], rtol=1e-10, atol=1e-12)
        assert got[1] == pytest.approx(want[1], rel=1e-10, abs=1e-12)


def _gap(model, X, y, alpha=1.0):
    prob = Problem(X, y.reshape(-1, 1).astype(float), np.ones(len(y)), np.full(1, alpha), True, REF)
    sk = SkRidge(alpha=alpha).fit(X, y)
    J = prob.objective(model.coef_[None, :].astype(float), np.atleast_1d(model.intercept_).astype(float))[0]
    J_star = prob.objective(sk.coef_[None, :], np.atleast_1d(sk.intercept_))[0]
    return (J - J_star) / J_star


def test_averaged_sgd_reaches_1e3_gap_in_10_epochs_on_standardized_data():
    X, y, _ = make_data(n=5000, p=10)
    X = StandardScaler().fit_transform(X)
    model = SGDRidge(average=True, max_iter=10, tol=None, random_state=0).fit(X, y)
    assert model.n_iter_ == 10
    assert _gap(model, X, y) <= 1e-3


def test_auto_rate_does_not_diverge_on_columns_scaled_by_1e3():
    X, y, _ = make_data(n=2000, p=6)
    X[:, :3] *= 1e3
    model = SGDRidge(average=True, max_iter=30, tol=None, random_state=0).fit(X, y)
    J = np.array(model.history_["objective"])
    assert np.isfinite(J).all() and J[-1] < J[0]


def test_sgd_converges_to_ridge_coefficients():
    """Documented tolerance: averaged SGD with a decaying tail matches Ridge to 1e-2 relative."""
    X, y, _ = make_data(n=4000, p=5)
    X = StandardScaler().fit_transform(X)
    model = SGDRidge(alpha=10.0, average=True, learning_rate="adaptive", max_iter=200, tol=1e-6,
                     random_state=0).fit(X, y)
    ridge = Ridge(alpha=10.0).fit(X, y)
    assert_coef_close(model.coef_, ridge.coef_, rtol=1e-2, atol=1e-3 * np.abs(ridge.coef_).max())
    assert _gap(model, X, y, alpha=10.0) <= 1e-5


def test_diverging_rate_names_epoch_rate_and_safe_rate():
    X, y, _ = make_data(n=300, p=5)
    with pytest.raises(ValueError, match=r"diverged in epoch \d+ with learning_rate='constant' "
                                         r"\(eta=10\).*safe constant rate for this data is"):
        SGDRidge(learning_rate="constant", eta0=10.0, max_iter=50, random_state=0).fit(X, y)


def test_same_seed_same_bits_and_shuffle_matters():
    X, y, _ = make_data(n=500, p=6)
    a = SGDRidge(random_state=3, max_iter=5, tol=None).fit(X, y)
    b = SGDRidge(random_state=3, max_iter=5, tol=None).fit(X, y)
    c = SGDRidge(random_state=4, max_iter=5, tol=None).fit(X, y)
    assert_array_equal(a.coef_, b.coef_)
    assert not np.array_equal(a.coef_, c.coef_)


def test_partial_fit_continues_the_schedule():
    X, y, _ = make_data(n=400, p=4)
    X = StandardScaler().fit_transform(X)
    streamed = SGDRidge(learning_rate="invscaling", eta0=0.01, shuffle=False, random_state=0)
    for lo in range(0, 400, 100):
        streamed.partial_fit(X[lo : lo + 100], y[lo : lo + 100])
    assert streamed.t_ == 401 and streamed.n_iter_ == 4
    with pytest.raises(ValueError, match="3 features"):
        streamed.partial_fit(X[:10, :3], y[:10])


def test_early_stopping_uses_a_validation_split():
    X, y, _ = make_data(n=1000, p=5)
    X = StandardScaler().fit_transform(X)
    m = SGDRidge(early_stopping=True, average=True, random_state=0).fit(X, y)
    assert len(m.history_["validation_score"]) == m.n_iter_
    assert m.history_["validation_score"][-1] > 0.9


def test_max_iter_warns():
    X, y, _ = make_data(n=200, p=4)
    with pytest.warns(ConvergenceWarning, match="maximum number of epochs"):
        SGDRidge(max_iter=2, tol=1e-12, random_state=0).fit(X, y)


def test_warm_start_and_init():
    X, y, _ = make_data(n=500, p=4)
    X = StandardScaler().fit_transform(X)
    exact = Ridge().fit(X, y)
    good = SGDRidge(init=exact.coef_, average=True, max_iter=1, tol=None, random_state=0).fit(X, y)
    cold = SGDRidge(average=True, max_iter=1, tol=None, random_state=0).fit(X, y)
    assert _gap(good, X, y) < _gap(cold, X, y)
    m = SGDRidge(warm_start=True, max_iter=3, tol=None, random_state=0).fit(X, y)
    before = m.coef_.copy()
    m.set_params(max_iter=1).fit(X, y)
    assert np.abs(m.coef_ - before).max() < np.abs(before).max()  # continued, not restarted far away


@pytest.mark.parametrize("change", ["targets", "features"])
def test_warm_start_with_another_shape_names_the_change(change):
    """A warm refit on another number of targets or features says so (not NumPy's reshape error)."""
    X, y, _ = make_data(n=200, p=4)
    Y = np.column_stack([y, -y])
    m = SGDRidge(warm_start=True, max_iter=2, tol=None, random_state=0).fit(X, Y)
    X2, Y2 = (X, Y[:, :1]) if change == "targets" else (X[:, :3], Y)
    with pytest.raises(ValueError, match=r"warm_start=True continues from coef_ of shape \(2, 4\)"):
        m.fit(X2, Y2)
    m.set_params(warm_start=False).fit(X2, Y2)  # the documented way out


def test_float32_and_arrays_untouched():
    X, y, sw = make_data(n=300, p=4)
    X32 = X.astype(np.float32)
    copies = [X32.copy(), y.copy(), sw.copy()]
    m = SGDRidge(average=True, random_state=0).fit(X32, y, sample_weight=sw)
    assert m.coef_.dtype == np.float32 and m.predict(X32).dtype == np.float32
    for arr, copy in zip((X32, y, sw), copies):
        assert_array_equal(arr, copy)


@parametrize_with_checks(
    [SGDRidge(solver=s, tol=1e-12, max_iter=3000, random_state=0) for s in ("saga", "svrg", "sag")],
)
def test_sklearn_estimator_checks_variance_reduced(estimator, check):
    """No exemption: converged variance-reduced solvers give the weighted optimum exactly."""
    check(estimator)


#: per-feature penalty factors of the variance-reduced kernels: none, and some
FACTORS = [np.empty(0), np.array([1.0, 0.5, 3.0, 1.0, 0.1, 2.0])]


#: boxes the variance-reduced steps are projected onto: none, and one that holds some coefficients
BOXES = [np.empty((0, 6)), np.array([[0.0, -0.02, 0.0, -np.inf, 0.0, -0.01], [np.inf, 0.02, 0.01, 0.0, np.inf, 0.01]])]


@pytest.mark.parametrize("saga", [1.0, 0.0])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("factor", FACTORS, ids=["plain", "factors"])
@pytest.mark.parametrize("box", BOXES, ids=["free", "box"])
def test_saga_epoch_matches_reference(compiled, saga, dtype, factor, box):
    rng = np.random.default_rng(1)
    n, p = 250, 6
    X = readonly_view((rng.standard_normal((n, p)) + 2).astype(dtype))
    y, sw = rng.standard_normal(n), rng.uniform(0.5, 2, n)
    mean = np.asarray(X, dtype=np.float64).mean(axis=0)
    hyper = np.array([0.005, 0.5, 1.0, saga])
    out = []
    for be in (compiled, REF):
        w, st, mem, ga = np.zeros(p), np.array([0.3, 0.0]), np.zeros(n), np.zeros(p)
        losses = [be.saga_epoch(X, y, sw, mean, rng_order(n, e), w, st, mem, ga, hyper, factor, box)
                  for e in range(3)]
        out.append((w, st, mem, ga, losses))
    if len(box):  # the box holds some coefficients, and every one inside it
        w = out[0][0]
        assert ((w >= box[0]) & (w <= box[1])).all() and (np.isin(w, box)).any()
    for a, b in zip(*out):
        assert_allclose(a, b, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("factor", FACTORS, ids=["plain", "factors"])
def test_svrg_inner_matches_reference(compiled, dtype, factor):
    rng = np.random.default_rng(2)
    n, p = 250, 6
    X = readonly_view((rng.standard_normal((n, p)) + 2).astype(dtype))
    y, sw = rng.standard_normal(n), rng.uniform(0.5, 2, n)
    mean = np.asarray(X, dtype=np.float64).mean(axis=0)
    snapshot, full_grad = rng.standard_normal(p), rng.standard_normal(p) * 0.1
    out = []
    for be in (compiled, REF):
        w, st = snapshot.copy(), np.array([0.2, 0.1, 0.05])
        loss = be.svrg_inner(X, y, sw, mean, rng_order(n, 0), w, snapshot, full_grad, st, np.array([0.01, 0.5, 1.0]),
                             factor)
        out.append((w, st, loss))
    for a, b in zip(*out):
        assert_allclose(a, b, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("solver", ["saga", "svrg", "sag"])
@pytest.mark.parametrize("weighted", [False, True])
def test_variance_reduced_solvers_reach_the_ridge_optimum(solver, weighted):
    X, y, sw = make_data(n=2000, p=6)
    X = StandardScaler().fit_transform(X)
    sw = sw if weighted else None
    m = SGDRidge(solver=solver, alpha=3.0, max_iter=300, tol=1e-12, random_state=0).fit(X, y, sample_weight=sw)
    ridge = Ridge(alpha=3.0).fit(X, y, sample_weight=sw)
    assert_coef_close(m.coef_, ridge.coef_, rtol=1e-6, atol=1e-8)
    assert_allclose(m.intercept_[0], ridge.intercept_, rtol=1e-6, atol=1e-8)


def test_variance_reduced_options_are_checked():
    X, y, _ = make_data(n=100, p=3)
    with pytest.raises(ValueError, match="learning_rate 'auto' or 'constant'"):
        SGDRidge(solver="saga", learning_rate="optimal").fit(X, y)
    with pytest.raises(ValueError, match="average=False"):
        SGDRidge(solver="svrg", average=True).fit(X, y)
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as info:
        SGDRidge(solver="saga").partial_fit(X, y)
    assert "partial_fit needs solver='sgd' or 'minibatch'" in str(info.value.__cause__)
    assert not hasattr(SGDRidge(solver="svrg"), "partial_fit")


@pytest.mark.parametrize("batch", [1, 64, 300])
@pytest.mark.parametrize("avg_start", [np.inf, 0.0])
@pytest.mark.parametrize("k", [1, 3])
def test_minibatch_epoch_matches_reference(compiled, batch, avg_start, k):
    rng = np.random.default_rng(3)
    n, p = 700, 5
    X = readonly_view(rng.standard_normal((n, p)) + 1)
    Y, sw = rng.standard_normal((n, k)), rng.uniform(0.5, 2, n)
    mean = np.asarray(X).mean(axis=0)
    lams = np.array([0.01, 0.5, 0.0])[:k]
    hyper = np.array([0.05, 1.0, batch, avg_start])
    out = []
    for be in (compiled, REF):
        W, A, ic, st = np.zeros((k, p)), np.zeros((k, p)), np.full((2, k), 0.2), np.zeros(1)
        losses = [be.minibatch_epoch(X, Y, sw, mean, rng_order(n, e), W, A, ic, lams, st, hyper) for e in range(2)]
        out.append((W, A, ic, st, losses))
    for u, v in zip(*out):
        assert_allclose(u, v, rtol=1e-10, atol=1e-13)


def test_minibatch_same_bits_for_any_thread_count():
    import numba

    X, y, _ = make_data(n=3000, p=6)
    X = StandardScaler().fit_transform(X)
    fits = []
    before = numba.get_num_threads()
    try:
        for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
            numba.set_num_threads(threads)
            fits.append(SGDRidge(solver="minibatch", max_iter=3, tol=None, random_state=0).fit(X, y).coef_)
    finally:
        numba.set_num_threads(before)
    for c in fits[1:]:
        assert_array_equal(c, fits[0])


def test_minibatch_reaches_ridge_with_averaging_and_partial_fit():
    X, y, _ = make_data(n=6000, p=6)
    X = StandardScaler().fit_transform(X)
    m = SGDRidge(solver="minibatch", batch_size=64, average=True, max_iter=30, tol=None,
                 random_state=0).fit(X, y)
    assert _gap(m, X, y) <= 1e-3
    streamed = SGDRidge(solver="minibatch", batch_size=64, random_state=0)
    for lo in range(0, 6000, 2000):
        streamed.partial_fit(X[lo : lo + 2000], y[lo : lo + 2000])
    assert streamed.t_ == 1 + 3 * 32  # ceil(2000 / 64) batch updates per call
