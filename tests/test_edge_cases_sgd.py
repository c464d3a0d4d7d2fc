"""Numerical edge cases of SGDRidge (every stochastic solver), float32 Ridge, and overflow.

``tests/test_edge_cases.py`` holds the float64 ``Ridge`` cases; this file runs
the same cases through ``SGDRidge``, each against a closed form (``Ridge`` with
``solver="direct"``, itself checked against scikit-learn there).  Stochastic
solvers converge only to their own accuracy; the tolerances in ``ACCURACY``
are what each reaches on these tiny standardized problems with ``CONFIG``:

* ``sag``/``saga``/``svrg`` converge linearly to the exact optimum (``tol=1e-22``,
  a bound on the relative objective gap, so coefficients to ~1e-11): 1e-7 relative.
* ``sgd``/``minibatch`` stop on the objective (``adaptive`` rate divided by 5
  after 10 epochs without a decrease): 1e-2 relative, the accuracy documented
  in ``tests/test_sgd.py``.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from conftest import assert_coef_close, make_data
from ridgejit import Ridge, SGDRidge

STOCHASTIC = ["sgd", "minibatch", "sag", "saga", "svrg"]
EXACT_VR = {"sag", "saga", "svrg"}
ACCURACY = {"sgd": 1e-2, "minibatch": 1e-2, "sag": 1e-7, "saga": 1e-7, "svrg": 1e-7}
_SLOW_DECAY = dict(learning_rate="adaptive", tol=0.0, n_iter_no_change=10, max_iter=5000)
CONFIG = {
    "sgd": _SLOW_DECAY,
    "minibatch": dict(_SLOW_DECAY, batch_size=8),  # 8 rows: a real mini-batch on these tiny sets
    **{s: dict(tol=1e-22, max_iter=2_000) for s in EXACT_VR},  # a gap: coefficients to ~1e-11
}

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def sgd_fit(solver, X, y, alpha=1.0, sw=None, **kw):
    return SGDRidge(solver=solver, alpha=alpha, random_state=0, **{**CONFIG[solver], **kw}).fit(
        X, y, sample_weight=sw)


def exact(X, y, alpha=1.0, sw=None):
    """The closed form: Cholesky on the normal equations."""
    return Ridge(alpha=alpha, solver="direct").fit(X, y, sample_weight=sw)


def assert_reaches(model, coef, intercept, solver):
    """``model`` is within the solver's accuracy of ``(coef, intercept)``, relative to max |coef|."""
    scale = max(np.abs(coef).max(), 1e-300)
    tol = ACCURACY[solver]
    assert_coef_close(model.coef_, coef, rtol=tol, atol=tol * scale)
    assert_allclose(model.intercept_[0], intercept, rtol=tol, atol=tol * (scale + abs(intercept)))


def standardized(n, p, seed=0):
    X, y, sw = make_data(n=n, p=p, seed=seed)
    return StandardScaler().fit_transform(X), y, sw


# -- shapes ---------------------------------------------------------------------------
@pytest.mark.parametrize("solver", STOCHASTIC)
def test_one_column_and_one_row(solver):
    X, y, _ = standardized(40, 1)
    ref = exact(X, y)
    assert_reaches(sgd_fit(solver, X, y), ref.coef_, ref.intercept_, solver)
    one = sgd_fit(solver, X[:1], y[:1])  # one row, centred: nothing to fit
    assert_allclose(one.coef_, 0.0, atol=1e-12)
    assert one.intercept_[0] == pytest.approx(y[0])


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_p_much_larger_than_n(solver):
    X, y, sw = standardized(12, 60)
    ref = exact(X, y, sw=sw)
    longer = {"max_iter": 20_000} if solver in EXACT_VR else {}  # 12 rows, 60 columns: slow epochs
    assert_reaches(sgd_fit(solver, X, y, sw=sw, **longer), ref.coef_, ref.intercept_, solver)


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_constant_column_gets_zero_weight(solver):
    X, y, _ = standardized(80, 4)
    X[:, 2] = 7.5
    m = sgd_fit(solver, X, y)
    # centred, the column is zero; only svrg's full gradient (taken uncentred, then centred) rounds
    assert m.coef_[2] == pytest.approx(0.0, abs=1e-12)
    ref = exact(X, y)
    assert_reaches(m, ref.coef_, ref.intercept_, solver)


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_duplicated_columns_and_rows(solver):
    X, y, _ = standardized(80, 4)
    ref = exact(X, y, alpha=2.0)
    w, b = ref.coef_, ref.intercept_
    # 0.5 * [X, X] with alpha / 2 gives [w, w]
    assert_reaches(sgd_fit(solver, 0.5 * np.hstack([X, X]), y, alpha=1.0), np.r_[w, w], b, solver)
    # [X; X] with 2 * alpha gives w
    assert_reaches(sgd_fit(solver, np.vstack([X, X]), np.r_[y, y], alpha=4.0), w, b, solver)


# -- alpha and y ----------------------------------------------------------------------
@pytest.mark.parametrize("solver", STOCHASTIC)
def test_alpha_tiny_is_least_squares_and_huge_gives_weighted_mean(solver):
    X, y, sw = standardized(80, 4)
    ls = np.linalg.lstsq(np.c_[X, np.ones(len(X))], y, rcond=None)[0]
    assert_reaches(sgd_fit(solver, X, y, alpha=1e-10), ls[:-1], ls[-1], solver)
    huge = sgd_fit(solver, X, y, alpha=1e14, sw=sw)
    assert_allclose(huge.coef_, 0.0, atol=1e-9)
    assert huge.intercept_[0] == pytest.approx(np.average(y, weights=sw), rel=1e-8)


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_constant_y(solver):
    X, _, _ = standardized(50, 3)
    m = sgd_fit(solver, X, np.full(50, 3.25))
    assert_allclose(m.coef_, 0.0, atol=1e-12)
    assert m.intercept_[0] == pytest.approx(3.25)


# -- weights --------------------------------------------------------------------------
@pytest.mark.parametrize("solver", STOCHASTIC)
def test_zero_weights_remove_rows_and_integer_weights_repeat_them(solver):
    X, y, _ = standardized(90, 4)
    sw = np.r_[np.zeros(30), np.ones(60)]
    removed = exact(X[30:], y[30:])
    assert_reaches(sgd_fit(solver, X, y, sw=sw), removed.coef_, removed.intercept_, solver)
    reps = np.arange(90) % 3 + 1
    repeated = exact(np.repeat(X, reps, axis=0), np.repeat(y, reps))
    assert_reaches(sgd_fit(solver, X, y, sw=reps.astype(float)), repeated.coef_, repeated.intercept_,
                   solver)


# -- input types and layouts: the same bits as float64 C-contiguous input --------------
@pytest.mark.parametrize("solver", STOCHASTIC)
def test_integer_fortran_strided_readonly_memmap_and_pandas_inputs(solver, tmp_path):
    pd = pytest.importorskip("pandas")
    X, y, _ = make_data(n=60, p=4)
    Xi, yi = np.round(X * 10).astype(np.int64), np.round(y).astype(np.int32)
    Xs = StandardScaler().fit_transform(X)

    # Bits: every input becomes the same C-contiguous float64 values in this process, and
    # the epochs visit the same rows in the same order with the same code.
    def coef(X_, y_):
        m = SGDRidge(solver=solver, max_iter=5, tol=None, random_state=0).fit(X_, y_)
        return np.r_[m.coef_, m.intercept_]

    assert_array_equal(coef(Xi, yi), coef(Xi.astype(float), yi.astype(float)))
    base = coef(Xs, y)
    assert_array_equal(coef(np.asfortranarray(Xs), y), base)
    wide = np.repeat(Xs, 2, axis=1)[:, ::2]  # non-contiguous view of the same values
    assert not wide.flags.c_contiguous
    assert_array_equal(coef(wide, y[::1]), base)
    ro_X, ro_y = Xs.copy(), y.copy()
    ro_X.flags.writeable = ro_y.flags.writeable = False
    assert_array_equal(coef(ro_X, ro_y), base)
    path = tmp_path / "X.dat"
    np.asarray(Xs).tofile(path)
    mm = np.memmap(path, dtype=np.float64, mode="r", shape=Xs.shape)
    assert_array_equal(coef(mm, y), base)
    df = pd.DataFrame(Xs, columns=[f"f{j}" for j in range(4)])
    assert_array_equal(coef(df, pd.Series(y)), base)


@pytest.mark.parametrize("solver", ["direct", "cg", "auto"])
def test_ridge_readonly_and_memmap_inputs(solver, tmp_path):
    """(Integer, Fortran, strided and pandas input for Ridge: tests/test_edge_cases.py.)"""
    X, y, sw = make_data(n=60, p=4)
    # Bits: read-only and memory-mapped X are used in place (no copy), so the same values
    # go through the same code in the same process.
    base = Ridge(solver=solver, tol=1e-12).fit(X, y, sample_weight=sw)
    ro = [a.copy() for a in (X, y, sw)]
    for a in ro:
        a.flags.writeable = False
    m = Ridge(solver=solver, tol=1e-12).fit(*ro[:2], sample_weight=ro[2])
    assert_array_equal(m.coef_, base.coef_)
    path = tmp_path / "X.dat"
    X.tofile(path)
    mm = np.memmap(path, dtype=np.float64, mode="r", shape=X.shape)
    assert_array_equal(Ridge(solver=solver, tol=1e-12).fit(mm, y, sample_weight=sw).coef_, base.coef_)


# -- float32 Ridge: the edge cases again, coef_ float32, 1e-4 relative to float64 -------
RIDGE_SOLVERS = ["direct", "cg", "gd", "nesterov", "auto"]


def _float32_cases():
    X, y, sw = standardized(80, 4)
    const = X.copy()
    const[:, 2] = 7.5
    Xw, yw, sww = standardized(12, 60)
    return {
        "one column": (X[:, :1].copy(), y, None, 1.0),
        "p >> n": (Xw, yw, sww, 1.0),
        "constant column": (const, y, None, 1.0),
        "duplicated columns": (0.5 * np.hstack([X, X]), y, None, 1.0),
        "zero weights": (X, y, np.r_[np.zeros(30), sw[30:]], 1.0),
        "alpha huge": (X, y, sw, 1e14),
        "tiny alpha": (X, y, None, 1e-8),
    }


@pytest.mark.parametrize("solver", RIDGE_SOLVERS)
@pytest.mark.parametrize("case", list(_float32_cases()))
def test_float32_ridge_edge_cases(solver, case):
    X, y, sw, alpha = _float32_cases()[case]
    kw = dict(alpha=alpha, solver=solver, tol=1e-10, max_iter=100_000)
    m32 = Ridge(**kw).fit(X.astype(np.float32), y, sample_weight=sw)
    m64 = Ridge(**kw).fit(X, y, sample_weight=sw)
    assert m32.coef_.dtype == np.float32 and m32.predict(X.astype(np.float32)).dtype == np.float32
    # X rounded to float32 is a different problem: 1e-4 relative is the documented accuracy.
    scale = np.abs(m64.coef_).max()
    assert_coef_close(m32.coef_, m64.coef_, rtol=1e-4, atol=1e-4 * scale + 1e-12)
    assert_allclose(m32.intercept_, m64.intercept_, rtol=1e-4, atol=1e-4 * scale + 1e-12)


# -- overflow: an error or the right answer, never NaN ----------------------------------
# With X and y scaled by 1e150 the norm ||X^T y|| of every gradient stopping
# rule overflows (||b||^2 ~ 1e604); a rule ||grad|| <= tol * inf would hold at
# once and return coef_ = 0 silently, so Problem.rhs_norms raises instead.
OVERFLOW_SOLVERS = [
    ("Ridge", "direct"), ("Ridge", "auto"),
    ("Ridge", "cg"), ("Ridge", "gd"), ("Ridge", "nesterov"),
    ("SGDRidge", "sgd"), ("SGDRidge", "minibatch"),
    ("SGDRidge", "sag"), ("SGDRidge", "saga"), ("SGDRidge", "svrg"),
]


@pytest.mark.parametrize("estimator,solver", OVERFLOW_SOLVERS)
def test_data_scaled_by_1e150_gives_an_error_or_the_right_answer(estimator, solver):
    """Squares of 1e150 are finite, their sums over rows may not be; NaN must never come out.

    Scaling X and y by s leaves the minimizer of alpha unchanged at alpha / s^2
    (and the intercept times s): that is the closed form to reach when no error is raised.
    """
    s = 1e150
    X, y, _ = standardized(80, 4)
    ref = exact(X, y, alpha=1.0 / s**2)
    if estimator == "Ridge":
        # gd and nesterov cannot certify tol here (their bound's floor alpha = 1 is 1e302 times
        # below the curvature of X * s): they run max_iter, and 2000 is 100 times what they need.
        model, accuracy = Ridge(solver=solver, tol=1e-10, max_iter=2_000), 1e-6
    else:
        model, accuracy = SGDRidge(solver=solver, random_state=0, **CONFIG[solver]), ACCURACY[solver]
    try:
        model.fit(X * s, y * s)
    except ValueError as exc:
        assert "overflow" in str(exc) or "non-finite" in str(exc)
        return
    coef, intercept = model.coef_, np.ravel(model.intercept_)[0] / s
    assert np.isfinite(coef).all() and np.isfinite(model.intercept_).all()
    assert_coef_close(coef, ref.coef_, rtol=accuracy, atol=accuracy * np.abs(ref.coef_).max())
    assert intercept == pytest.approx(ref.intercept_, rel=accuracy, abs=accuracy)


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_overflowing_statistics_are_a_value_error(solver):
    """X * 1e200: the column moments overflow; Ridge raises ValueError (test_estimator.py), so must SGDRidge."""
    X, y, _ = standardized(40, 3)
    with pytest.raises(ValueError, match="overflow|infinity"):
        SGDRidge(solver=solver, random_state=0).fit(X * 1e200, y)


# -- divergence with fastmath on --------------------------------------------------------
def test_kernels_are_compiled_with_fastmath():
    from ridgejit.kernels import numba_dense, numba_minibatch, numba_sgd

    # minibatch_epoch is a Python call choosing between two compiled kernels
    for kernel in (numba_dense.gradient, numba_sgd.sgd_epoch, numba_minibatch._row_blocks,
                   numba_minibatch._target_runs, numba_sgd.saga_epoch, numba_sgd.svrg_inner):
        assert {"reassoc", "contract"} <= set(kernel.targetoptions["fastmath"])


@pytest.mark.parametrize("solver,rate", [("minibatch", 50.0), ("sag", 50.0), ("saga", 50.0),
                                         ("svrg", 50.0)])
def test_diverging_user_rate_raises_with_fastmath(solver, rate):
    """The finiteness check after each epoch still sees the inf/NaN the fast-math kernels make."""
    X, y, _ = make_data(n=300, p=5)
    with pytest.raises(ValueError, match=r"diverged in epoch \d+ .*safe constant rate for this data is"):
        SGDRidge(solver=solver, learning_rate="constant", eta0=rate, max_iter=200, tol=None,
                 random_state=0).fit(X, y)


def test_diverging_nesterov_rate_raises_with_fastmath():
    X, y, _ = make_data(n=200, p=5)
    with pytest.raises(ValueError, match=r"diverges with learning_rate=1000.*learning_rate <= "):
        Ridge(solver="nesterov", learning_rate=1000.0).fit(X, y)


def test_no_convergence_warning_when_converged():
    """The tight CONFIG used above really converges (the filter above only hides hard cases)."""
    X, y, _ = standardized(80, 4)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        for solver in STOCHASTIC:
            sgd_fit(solver, X, y)
