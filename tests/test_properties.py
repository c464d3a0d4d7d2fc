"""Property tests (hypothesis) for every built backend: kernels against the NumPy
reference over random shapes, dtypes and weights; the gradient against finite
differences of the objective; every exact solver against a closed-form solve;
every initializer reaching the same optimum; input layouts giving the same bits.

Kernels receive what :class:`ridgejit.problem.Problem` gives them: X
C-contiguous (float32 or float64) as a read-only view, float64 y, weights and
outputs.  Strided, Fortran-ordered, integer and read-only input is converted by
the estimators, so those layouts are tested through ``fit`` (last section).

Comparisons with the reference allow rounding relative to the *magnitude* of
each result (the same sum over absolute values): compiled kernels reassociate
sums (fast-math ``reassoc``, per-thread blocks), so a result that cancels to
near zero is only accurate relative to its terms.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from conftest import assert_coef_close

from ridgejit import Ridge, SGDRidge, initializers
from ridgejit.initializers import INITIALIZERS
from ridgejit.kernels import get_backend
from ridgejit.kernels import layout as L
from ridgejit.problem import readonly_view

REF = get_backend("numpy")

# max_examples=25 per test keeps the module near 30 s after compilation on 2 cores.
settings.register_profile(
    "ridgejit-properties", max_examples=25, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # `backend` holds no state
)
PROPERTIES = settings.get_profile("ridgejit-properties")
RTOL = 1e-10  # of the magnitude of a result: n <= 60 terms, reassociated, lose ~1e-14


# -- random problems -------------------------------------------------------------------
@st.composite
def problems(draw, n_max=60, p_max=12, k_max=3, scale_spread=1.0):
    """``dict(X, y, sw, coef, b, alpha)`` of random shape, dtype, offsets and weights (some 0).

    Column scales span ``10 ** +-scale_spread``.
    """
    n, p, k = draw(st.integers(1, n_max)), draw(st.integers(1, p_max)), draw(st.integers(1, k_max))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    zeros = draw(st.sampled_from([0.0, 0.3]))  # fraction of zero weights
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * 10 ** rng.uniform(-scale_spread, scale_spread, p) + rng.normal(0, 3, p)
    sw = np.where(rng.random(n) < zeros, 0.0, rng.uniform(0.1, 3.0, n))
    sw[rng.integers(n)] = 1.0  # at least one row counts
    return dict(
        X=readonly_view(X.astype(dtype)), y=rng.standard_normal((n, k)) * 2 + 1, sw=sw,
        coef=rng.standard_normal((k, p)), b=rng.standard_normal(k), alpha=rng.uniform(0.1, 3.0, k),
    )


def close(got, want, magnitude, rtol=RTOL):
    """``|got - want| <= rtol * magnitude`` elementwise (plus a tiny floor)."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    bound = rtol * np.asarray(magnitude) + 1e-300
    err = np.abs(got - want)
    assert (err <= bound).all(), f"max error {err.max():.3e} over bound (worst ratio {(err / bound).max():.3g})"


def _x64(X):
    return np.asarray(X, dtype=np.float64)


# -- dense kernels against the reference ------------------------------------------------
@PROPERTIES
@given(problems())
def test_gradient_and_objective_match_reference(compiled, prob):
    X, y, sw, coef, b, alpha = (prob[key] for key in ("X", "y", "sw", "coef", "b", "alpha"))
    n, k, p = X.shape[0], *coef.shape
    g, gb, g0, gb0 = np.empty((k, p)), np.empty(k), np.empty((k, p)), np.empty(k)
    J = compiled.gradient(X, y, sw, coef, b, alpha, g, gb)
    J0 = REF.gradient(X, y, sw, coef, b, alpha, g0, gb0)
    absR = np.abs(_x64(X)) @ np.abs(coef).T + np.abs(b) + np.abs(y)  # bounds |r_it| term by term
    J_mag = (sw @ absR**2 + alpha * (coef**2).sum(axis=1)) / (2 * n)
    close(J, J0, J_mag)
    close(compiled.objective(X, y, sw, coef, b, alpha), J0, J_mag)
    close(g, g0, ((sw[:, None] * absR).T @ np.abs(_x64(X)) + alpha[:, None] * np.abs(coef)) / n)
    close(gb, gb0, sw @ absR / n)


@PROPERTIES
@given(problems())
def test_normal_product_matches_reference(compiled, prob):
    X, sw, P, alpha = prob["X"], prob["sw"], prob["coef"], prob["alpha"]
    mean = _x64(X).mean(axis=0)
    out, out0 = np.empty_like(P), np.empty_like(P)
    compiled.normal_product(X, sw, mean, P, alpha, out)
    REF.normal_product(X, sw, mean, P, alpha, out0)
    Xa = np.abs(_x64(X)) + np.abs(mean)
    close(out, out0, (sw[:, None] * (Xa @ np.abs(P).T)).T @ Xa + alpha[:, None] * np.abs(P))


@PROPERTIES
@given(problems(), st.booleans())
def test_moments_and_sufficient_stats_match_reference(compiled, prob, unit):
    X, y, sw = prob["X"], prob["y"], prob["sw"]
    n, p, k = *X.shape, y.shape[1]
    if unit:
        sw = np.ones(n)
    shift = _x64(X)[n // 2].copy()
    D = np.abs(_x64(X)) + np.abs(shift)  # the raw magnitude: BLAS paths may shift afterwards
    E = np.abs(y) + np.abs(y[0])
    sums, sumsq, sums0, sumsq0 = np.empty(p), np.empty(p), np.empty(p), np.empty(p)
    xty, xty0 = np.empty((k, p)), np.empty((k, p))
    W = compiled.column_moments(X, y, sw, shift, y[0], sums, sumsq, xty)
    assert W == pytest.approx(REF.column_moments(X, y, sw, shift, y[0], sums0, sumsq0, xty0), rel=1e-12)
    close(sums, sums0, sw @ D)
    close(sumsq, sumsq0, sw @ D**2)
    close(xty, xty0, (sw[:, None] * E).T @ D)

    def stats(be):
        out = [np.empty((p, p)), np.empty((p, k)), np.empty(p), np.empty(k), np.empty((k, k))]
        return be.sufficient_stats(X, y, sw, shift, y[0].copy(), *out), out

    (W, got), (W0, want) = stats(compiled), stats(REF)
    assert W == pytest.approx(W0, rel=1e-12)
    SD = sw[:, None] * D
    magnitudes = [SD.T @ D, SD.T @ E, sw @ D, sw @ E, (sw[:, None] * E).T @ E]
    for a, b, mag in zip(got, want, magnitudes):
        close(a, b, mag, rtol=1e-9)  # the BLAS path works around 0 and shifts: ~1e4 x rounding


@PROPERTIES
@given(problems())
def test_max_row_norm_matches_reference(compiled, prob):
    X, sw = prob["X"], prob["sw"]
    mean = _x64(X).mean(axis=0)
    q = np.linspace(0.5, 2.0, X.shape[1])
    assert compiled.max_row_norm(X, sw, mean, q) == pytest.approx(REF.max_row_norm(X, sw, mean, q), rel=1e-12)


# -- the stochastic kernels, a few epochs -----------------------------------------------
def _sgd_setup(prob, seed):
    """Centring, visiting orders (with repeats, as sag draws them) and a contracting rate."""
    X, y, sw = prob["X"], prob["y"][:, :1].copy(), prob["sw"]
    n = X.shape[0]
    rng = np.random.default_rng(seed)
    mean = _x64(X).mean(axis=0)
    orders = [rng.permutation(n).astype(np.int64), rng.integers(0, n, n).astype(np.int64)]
    safe = 1.0 / (REF.max_row_norm(X, sw, mean, np.ones(X.shape[1])) + sw.max() + 1.0)
    return X, y[:, 0], sw, mean, orders, safe, rng


def _compare_runs(backend, run):
    """``run(be)`` returns a list of arrays/scalars; the backend's equal the reference's."""
    got, want = run(backend), run(REF)
    for a, b in zip(got, want):
        a, b = np.atleast_1d(np.asarray(a, dtype=np.float64)), np.atleast_1d(np.asarray(b, dtype=np.float64))
        assert_allclose(a, b, rtol=1e-9, atol=1e-10 * max(1.0, np.abs(b).max()))


@PROPERTIES
@given(problems(k_max=1), st.sampled_from([L.CONSTANT, L.INVSCALING, L.OPTIMAL]),
       st.sampled_from([np.inf, 0.0, 7.0]), st.floats(0.0, 0.5), st.integers(0, 2**16))
def test_sgd_epoch_matches_reference(compiled, prob, schedule, avg_start, lam, seed):
    X, y, sw, mean, orders, safe, rng = _sgd_setup(prob, seed)
    p = X.shape[1]
    lam = lam if schedule != L.OPTIMAL else max(lam, 0.01)
    eta = safe * rng.uniform(0.1, 1.0)
    hyper = np.zeros(L.HYPER_SIZE)
    hyper[[L.ETA0, L.POWER_T, L.LAM, L.AVG_START, L.FIT_B]] = [eta, 0.3, lam, avg_start, 1.0]
    hyper[L.T0] = 1.0 / (lam * eta) if schedule == L.OPTIMAL else 1.0  # optimal: starts at eta

    def run(be):
        v, a, state = np.zeros(p), np.zeros(p), L.new_state(0.5)
        losses = [be.sgd_epoch(X, y, sw, mean, order, v, a, state, schedule, hyper) for order in orders]
        return [*L.to_coef(v, a, state, False), *L.to_coef(v, a, state, avg_start < np.inf), losses]

    _compare_runs(compiled, run)


@PROPERTIES
@given(problems(k_max=1), st.booleans(), st.integers(0, 2**16))
def test_saga_and_sag_epochs_match_reference(compiled, prob, saga, seed):
    X, y, sw, mean, orders, safe, rng = _sgd_setup(prob, seed)
    n, p = X.shape
    hyper = np.array([safe / (3.0 if saga else 16.0), rng.uniform(0, 0.1), 1.0, float(saga)])

    def run(be):
        w, state, memory, grad_avg = np.zeros(p), np.array([0.3, 0.0]), np.zeros(n), np.zeros(p)
        losses = [be.saga_epoch(X, y, sw, mean, order, w, state, memory, grad_avg, hyper, np.empty(0),
                                np.empty((0, p))) for order in orders]
        return [w, state, memory, grad_avg, losses]

    _compare_runs(compiled, run)


@PROPERTIES
@given(problems(k_max=1), st.integers(0, 2**16))
def test_svrg_inner_matches_reference(compiled, prob, seed):
    X, y, sw, mean, orders, safe, rng = _sgd_setup(prob, seed)
    p = X.shape[1]
    snapshot, full_grad = rng.standard_normal(p), 0.1 * rng.standard_normal(p)
    hyper = np.array([safe / 4.0, rng.uniform(0, 0.1), 1.0])

    def run(be):
        w, state = snapshot.copy(), np.array([0.2, 0.1, 0.05])
        loss = be.svrg_inner(X, y, sw, mean, orders[0], w, snapshot, full_grad, state, hyper, np.empty(0))
        return [w, state, loss]

    _compare_runs(compiled, run)


@PROPERTIES
@given(problems(k_max=3), st.integers(1, 64), st.sampled_from([np.inf, 0.0]), st.integers(0, 2**16))
def test_minibatch_epoch_matches_reference(compiled, prob, batch, avg_start, seed):
    X, _, sw, mean, orders, safe, rng = _sgd_setup(prob, seed)
    Y = prob["y"]
    k, p = Y.shape[1], X.shape[1]
    lams = rng.uniform(0, 0.1, k)  # one L2 rate per target
    hyper = np.array([safe, 1.0, float(batch), avg_start])

    def run(be):
        W, A, ic, state = np.zeros((k, p)), np.zeros((k, p)), np.full((2, k), 0.2), np.zeros(1)
        losses = [be.minibatch_epoch(X, Y, sw, mean, order, W, A, ic, lams, state, hyper) for order in orders]
        return [W, A, ic, state, losses]

    _compare_runs(compiled, run)


# -- sparse (CSR) twins against the dense reference ------------------------------------
@st.composite
def sparse_problems(draw):
    """CSR X of random shape, density (empty rows and columns included), explicit
    zeros, dtype and index width, with y, weights (some 0), coef, b and alpha."""
    import scipy.sparse as sp

    n, p, k = draw(st.integers(1, 50)), draw(st.integers(1, 12)), draw(st.integers(1, 3))
    density = draw(st.sampled_from([0.0, 0.05, 0.3, 1.0]))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    index = draw(st.sampled_from([np.int32, np.int64]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X = sp.random(n, p, density=density, format="csr", random_state=rng, dtype=np.float64)
    X.data = (X.data * 4 - 1).astype(dtype)
    if X.nnz and draw(st.booleans()):
        X.data[0] = 0.0  # an explicit zero stays stored
    X.indices, X.indptr = X.indices.astype(index), X.indptr.astype(index)
    sw = rng.uniform(0, 2, n) * (rng.random(n) > 0.2)
    return dict(X=X, D=X.toarray().astype(np.float64), y=rng.standard_normal((n, k)), sw=sw,
                coef=rng.standard_normal((k, p)), b=rng.standard_normal(k),
                alpha=rng.uniform(0, 3, k), mean=rng.standard_normal(p))


@PROPERTIES
@given(sparse_problems())
def test_sparse_kernels_match_the_dense_reference(compiled, prob):
    X, D, y, sw = prob["X"], prob["D"], prob["y"], prob["sw"]
    coef, b, alpha, mean = prob["coef"], prob["b"], prob["alpha"], prob["mean"]
    csr = (readonly_view(X.data), readonly_view(X.indices), readonly_view(X.indptr))
    k, p = coef.shape
    g, gb, g0, gb0 = np.empty((k, p)), np.empty(k), np.empty((k, p)), np.empty(k)
    J = compiled.gradient_sparse(*csr, y, sw, coef, b, alpha, g, gb)
    J0 = REF.gradient(D, y, sw, coef, b, alpha, g0, gb0)
    for got, want in ((J, J0), (g, g0), (gb, gb0)):
        assert_allclose(got, want, rtol=RTOL, atol=RTOL * max(1.0, np.abs(want).max()))
    out, out0 = np.empty((k, p)), np.empty((k, p))
    compiled.normal_product_sparse(*csr, sw, mean, coef, alpha, out)
    REF.normal_product(D, sw, mean, coef, alpha, out0)
    assert_allclose(out, out0, rtol=RTOL, atol=RTOL * max(1.0, np.abs(out0).max()))
    s1, q1, s0, q0 = np.empty(p), np.empty(p), np.empty(p), np.empty(p)
    c1, c0 = np.empty((k, p)), np.empty((k, p))
    W = compiled.column_moments_sparse(*csr, y, sw, mean, y[0], s1, q1, c1)
    W0 = REF.column_moments(D, y, sw, mean, y[0], s0, q0, c0)
    assert_allclose([W, *s1, *q1], [W0, *s0, *q0], rtol=RTOL, atol=RTOL * max(1.0, np.abs(q0).max()))
    assert_allclose(c1, c0, rtol=RTOL, atol=RTOL * max(1.0, np.abs(c0).max()))


# -- the gradient is the derivative of the objective -------------------------------------
@PROPERTIES
@given(problems())
def test_gradient_matches_central_differences_of_the_objective(backend, prob):
    """J is quadratic, so central differences are exact up to rounding: any step h works."""
    X, y, sw, coef, b, alpha = (prob[key] for key in ("X", "y", "sw", "coef", "b", "alpha"))
    k, p = coef.shape
    g, gb = np.empty((k, p)), np.empty(k)
    J = backend.gradient(X, y, sw, coef, b, alpha, g, gb)
    h = 0.5
    n = X.shape[0]
    absR = np.abs(_x64(X)) @ (np.abs(coef) + h).T + np.abs(b) + h + np.abs(y)
    J_mag = (sw @ absR**2 + alpha * ((np.abs(coef) + h) ** 2).sum(axis=1)) / (2 * n)
    R = _x64(X) @ coef.T + b - y  # the objective the fused pass returned, written out here
    close(J, (sw @ R**2 + alpha * (coef**2).sum(axis=1)) / (2 * n), J_mag)

    def fd(dcoef, db):  # every target at once: targets do not interact
        plus = backend.objective(X, y, sw, coef + dcoef, b + db, alpha)
        minus = backend.objective(X, y, sw, coef - dcoef, b - db, alpha)
        return (plus - minus) / (2 * h)

    for j in range(p):
        e = np.zeros((k, p))
        e[:, j] = h
        close(fd(e, 0.0), g[:, j], J_mag / h, rtol=1e-12)
    close(fd(0.0, np.full(k, h)), gb, J_mag / h, rtol=1e-12)


# -- exact solvers against the closed form; every initializer to the same optimum ---------
def closed_form(X, Y, sw, alpha, fit_intercept):
    """``w_t = (Xc^T S Xc + alpha_t I)^-1 Xc^T S yc_t`` by ``np.linalg.solve``, and ``b*(w)``."""
    X = _x64(X)
    xbar = np.average(X, axis=0, weights=sw) if fit_intercept else np.zeros(X.shape[1])
    ybar = np.average(Y, axis=0, weights=sw) if fit_intercept else np.zeros(Y.shape[1])
    Xc, Yc = X - xbar, Y - ybar
    G = Xc.T @ (sw[:, None] * Xc)
    rhs = Xc.T @ (sw[:, None] * Yc)
    W = np.stack([np.linalg.solve(G + a * np.eye(len(G)), rhs[:, t]) for t, a in enumerate(alpha)])
    return W, ybar - W @ xbar


def assert_fit_is(model, W, b, dtype, rtol=1e-7):
    rtol = max(rtol, 1e-6 if dtype == np.float32 else 0.0)  # float32 coef_: one rounding of 6e-8
    scale = np.abs(W).max() + 1e-300
    assert_coef_close(np.atleast_2d(model.coef_), W, rtol=rtol, atol=rtol * scale)
    assert_allclose(np.atleast_1d(model.intercept_), b, rtol=rtol, atol=rtol * (scale + np.abs(b).max()))


@PROPERTIES
@given(problems(), st.sampled_from(["direct", "cg", "auto"]), st.booleans())
def test_exact_solvers_match_the_closed_form(backend, prob, solver, fit_intercept):
    X, Y, sw, alpha = prob["X"], prob["y"], prob["sw"], prob["alpha"]
    y = Y[:, 0] if Y.shape[1] == 1 else Y
    # tol is a gap: coefficients agree to about sqrt(tol * cond), so 1e-7 asks for ~1e-22
    model = Ridge(alpha=alpha, solver=solver, tol=1e-22, fit_intercept=fit_intercept,
                  backend=backend.name).fit(X, y, sample_weight=sw)
    assert model.coef_.dtype == X.dtype
    assert_fit_is(model, *closed_form(X, Y, sw, alpha, fit_intercept), X.dtype)


INITS = sorted(INITIALIZERS) + ["constant", "perturbed", "array"]


def _zero_rhs(X, Y, sw):
    """True when ``grad J(0) = -Xc^T S yc / n`` vanishes (to rounding of its terms)."""
    X = _x64(X)
    Xc = X - np.average(X, axis=0, weights=sw)
    Yc = Y - np.average(Y, axis=0, weights=sw)
    return np.abs(Xc.T @ (sw[:, None] * Yc)).max() <= 1e-9 * (np.abs(Xc).T @ (sw[:, None] * np.abs(Yc))).max()


@PROPERTIES
@given(problems(k_max=2, scale_spread=0.3), st.sampled_from(["cg", "nesterov"]), st.sampled_from(INITS),
       st.integers(0, 99))
def test_every_initializer_reaches_the_same_optimum(prob, solver, init, seed):
    """(Fixed data, every initializer by name: tests/test_initializers.py.)  Columns of similar
    scale keep nesterov's iteration count small; the optimum is the closed form's."""
    X, Y, sw, alpha = prob["X"], prob["y"], prob["sw"], prob["alpha"]
    k, p = Y.shape[1], X.shape[1]
    # Xc^T S yc = 0 (one weighted row, say): the zero-reference-gradient bug, tested below.
    assume(not _zero_rhs(X, Y, sw))
    W, b = closed_form(X, Y, sw, alpha, True)
    start = {"constant": initializers.constant(0.5), "perturbed": initializers.perturbed(W, scale=0.1),
             "array": np.linspace(-1, 1, k * p).reshape(k, p)}.get(init, init)
    model = Ridge(alpha=alpha, solver=solver, init=start, random_state=seed, tol=1e-20,
                  max_iter=20_000).fit(X, Y, sample_weight=sw)
    assert_fit_is(model, W, b, X.dtype, rtol=1e-6)


# -- layouts the estimators convert: the same bits as C-contiguous float64 -----------------
LAYOUTS = {
    "fortran": np.asfortranarray,
    "strided": lambda X: np.repeat(X, 2, axis=1)[:, ::2],
    "negative-stride": lambda X: X[:, ::-1].copy()[:, ::-1],
    "read-only": lambda X: readonly_view(X.copy()),
}


@PROPERTIES
@given(problems(k_max=1), st.sampled_from(sorted(LAYOUTS)),
       st.sampled_from(["direct", "cg", "nesterov", "sgd", "minibatch", "saga", "svrg", "sag"]))
def test_any_layout_gives_the_bits_of_c_contiguous_input(prob, layout, solver):
    X = np.array(prob["X"])  # C-contiguous copy
    y, sw = prob["y"][:, 0], prob["sw"]
    if solver in ("direct", "cg", "nesterov"):
        make = lambda: Ridge(solver=solver, tol=1e-8)  # noqa: E731
    else:
        make = lambda: SGDRidge(solver=solver, max_iter=3, tol=None, random_state=0)  # noqa: E731
    base = make().fit(X, y, sample_weight=sw)
    other = make().fit(LAYOUTS[layout](X), y, sample_weight=sw)
    # Bits: every layout becomes the same C-contiguous values in the same process, then
    # the same code runs (the kernels do not depend on where the buffer starts).
    assert_array_equal(other.coef_, base.coef_)
    assert_array_equal(other.intercept_, base.intercept_)


# When grad J(0) = 0 (y constant, one weighted row) the optimum is w = 0; from any
# other start a rule relative to ||grad J(0)|| alone would never hold (found by the
# property above: n = 1, init="normal", 100000 nesterov iterations), so the
# solvers scale it by max(||grad J(0)||, ||grad J(w0)||).
@pytest.mark.parametrize("solver,case", [("gd", "one row"), ("nesterov", "one row"),
                                         ("cg", "constant y"), ("gd", "constant y"),
                                         ("nesterov", "constant y")])
def test_zero_reference_gradient_from_a_nonzero_start_converges(solver, case):
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    if case == "one row":
        X, y = np.array([[-1.47128904]]), np.array([2.67098618])
    else:
        X, y = np.random.default_rng(0).standard_normal((30, 3)) + 2.0, np.full(30, 2.0)
    with warnings.catch_warnings():  # the optimum is w = 0, b = mean y
        warnings.simplefilter("error", ConvergenceWarning)
        model = Ridge(solver=solver, init="normal", random_state=0, tol=1e-10, max_iter=2000).fit(X, y)
    # the gradient fell by tol = 1e-10 from a start of norm ~1: |w| ~ 1e-10 at most
    assert_allclose(model.coef_, 0.0, atol=1e-10)
