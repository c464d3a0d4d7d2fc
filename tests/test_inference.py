"""Ridge(cov_type=...): covariances against statsmodels (alpha = 0) and a NumPy evaluation of the
formulas on the augmented design (alpha > 0); coef_table against statsmodels' (issue 22)."""

import sys

import numpy as np
import pytest
import scipy.sparse as sp

from conftest import assert_coef_close, make_data
from ridgejit import Ridge

sm = pytest.importorskip("statsmodels.api")

SANDWICH = ["HC0", "HC1", "HC2", "HC3"]


def _sm_fit(X, y, cov_type, sw=None, groups=None):
    Z = sm.add_constant(X, has_constant="add")
    model = sm.WLS(y, Z, weights=sw) if sw is not None else sm.OLS(y, Z)
    if cov_type == "cluster":
        return model.fit(cov_type="cluster", cov_kwds={"groups": groups})
    return model.fit(cov_type="nonrobust" if cov_type == "classical" else cov_type)


@pytest.mark.parametrize("cov_type", ["classical", *SANDWICH, "cluster"])
def test_stackloss_at_alpha_zero_is_statsmodels_ols(cov_type):
    data = sm.datasets.stackloss.load_pandas()
    X, y = data.exog.to_numpy(float), data.endog.to_numpy(float)
    groups = np.arange(len(y)) % 5
    ours = Ridge(alpha=0.0, cov_type=cov_type).fit(X, y, groups=groups)
    ref = _sm_fit(X, y, cov_type, groups=groups)
    np.testing.assert_allclose(ours.covariance_, ref.cov_params(), rtol=1e-8)
    assert ours.effective_dof_ == pytest.approx(4.0, rel=1e-12)
    table = ours.coef_table()
    np.testing.assert_allclose(table["p_value"], ref.pvalues, rtol=1e-6)
    np.testing.assert_allclose(table[["ci_low", "ci_high"]], ref.conf_int(), rtol=1e-7)


@pytest.mark.parametrize("cov_type", ["classical", *SANDWICH])
@pytest.mark.parametrize("sparse", [False, True])
def test_weighted_random_data_at_alpha_zero_is_statsmodels_wls(cov_type, sparse):
    X, y, sw = make_data(n=200, p=5, seed=3)
    ours = Ridge(alpha=0.0, cov_type=cov_type).fit(sp.csr_matrix(X) if sparse else X, y, sample_weight=sw)
    np.testing.assert_allclose(ours.covariance_, _sm_fit(X, y, cov_type, sw=sw).cov_params(), rtol=1e-8)


def test_longley_to_the_accuracy_its_conditioning_allows():
    """cond(X'X) ~ 1e15 for Longley: two correct solvers agree to only ~1e-4 there."""
    data = sm.datasets.longley.load_pandas()
    X, y = data.exog.to_numpy(float), data.endog.to_numpy(float)
    ours = Ridge(alpha=0.0, cov_type="HC1").fit(X, y)
    np.testing.assert_allclose(ours.bse_, _sm_fit(X, y, "HC1").bse, rtol=1e-4)


def _by_formula(X, y, sw, alpha, cov_type, groups=None):
    """The covariance by the definitions on the augmented design (dense NumPy, independent)."""
    n = len(y)
    Z = np.column_stack([np.ones(n), X])
    S = np.diag(sw)
    P = np.diag([0.0] + [alpha] * X.shape[1])
    B = np.linalg.inv(Z.T @ S @ Z + P)
    theta = B @ Z.T @ S @ y
    e = y - Z @ theta
    H = np.sqrt(S) @ Z @ B @ Z.T @ np.sqrt(S)
    df = np.trace(H)
    if cov_type == "classical":
        return (sw @ e**2) / (n - df) * B @ Z.T @ S @ Z @ B
    if cov_type == "cluster":
        U = np.array([Z[groups == g].T @ (sw * e)[groups == g] for g in np.unique(groups)])
        G = len(U)
        return G / (G - 1) * (n - 1) / (n - df) * B @ U.T @ U @ B
    h = np.diag(H)
    omega = (sw * e) ** 2 * {"HC0": 1.0, "HC1": n / (n - df)}.get(cov_type, 1.0)
    omega = omega / (1 - h) ** {"HC2": 1, "HC3": 2}.get(cov_type, 0)
    return B @ Z.T @ np.diag(omega) @ Z @ B


@pytest.mark.parametrize("cov_type", ["classical", *SANDWICH, "cluster"])
@pytest.mark.parametrize("sparse", [False, True])
def test_alpha_positive_equals_the_formulas(cov_type, sparse):
    X, y, sw = make_data(n=150, p=6, seed=5)
    groups = np.arange(150) % 11
    ours = Ridge(alpha=7.0, cov_type=cov_type).fit(sp.csr_matrix(X) if sparse else X, y, sw, groups=groups)
    assert_coef_close(ours.covariance_, _by_formula(X, y, sw, 7.0, cov_type, groups), rtol=1e-9)
    assert ours.effective_dof_ < 7.0


def _leverage_formula(X, y, sw, alpha, d, fit_intercept, cov_type):
    """HC0-HC3 by the definitions: penalty ``alpha diag(d)``, pseudo-inverse (NumPy, dense)."""
    n = len(y)
    Z = np.column_stack([np.ones(n), X]) if fit_intercept else X
    P = np.diag(([0.0] if fit_intercept else []) + list(alpha * d))
    B = np.linalg.pinv(Z.T @ (sw[:, None] * Z) + P)
    e = y - Z @ (B @ Z.T @ (sw * y))
    h = sw * np.einsum("ij,jk,ik->i", Z, B, Z)
    omega = (sw * e) ** 2 * (n / (n - h.sum()) if cov_type == "HC1" else 1.0)
    return B @ Z.T @ np.diag(omega / (1 - h) ** {"HC2": 1, "HC3": 2}.get(cov_type, 0)) @ Z @ B


@pytest.mark.parametrize("cov_type", SANDWICH)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("data", ["dense", "float32", "csr"])
def test_sandwich_types_over_many_blocks_targets_and_penalties(monkeypatch, cov_type, fit_intercept, data):
    """HC0-HC3 take the residuals and the meat (HC2/HC3 also the leverages, in whitened
    coordinates) from one pass: over several row blocks, two targets with their own alpha,
    a penalty factor with a zero, against the definitions; dense X gives the same bits
    with one and with two threads."""
    from ridgejit.inference import covariance
    from ridgejit.kernels import blas_stats

    monkeypatch.setattr(covariance, "BLOCK_ROWS", 37)
    X, Y, sw = make_data(n=160, p=5, k=2, seed=11, dtype=np.float32 if data == "float32" else np.float64)
    d = np.array([1.0, 0.0, 2.0, 1.0, 0.5])
    alpha = np.array([3.0, 40.0])
    Xf = sp.csr_matrix(X) if data == "csr" else X
    model = Ridge(alpha=alpha, penalty_factor=d, cov_type=cov_type, fit_intercept=fit_intercept)
    ours = model.fit(Xf, Y, sw).covariance_
    for t in range(2):
        want = _leverage_formula(X.astype(np.float64), Y[:, t], sw, alpha[t], d, fit_intercept, cov_type)
        assert_coef_close(ours[t], want, rtol=1e-8)
    if data == "dense":
        for threads in (1, 2):
            monkeypatch.setattr(blas_stats, "fit_threads", lambda: threads)
            np.testing.assert_array_equal(model.fit(Xf, Y, sw).covariance_, ours)


def test_leverage_types_on_a_singular_gram_use_the_pseudo_inverse():
    """alpha = 0 with a repeated column: M is singular, the whitening comes from eigh."""
    X, y, sw = make_data(n=90, p=4, seed=12)
    X = np.column_stack([X, X[:, 1]])
    with pytest.warns(Warning):
        ours = Ridge(alpha=0.0, cov_type="HC3").fit(X, y, sw)
    assert_coef_close(ours.covariance_, _leverage_formula(X, y, sw, 0.0, np.ones(5), True, "HC3"), rtol=1e-6)


def test_multi_target_streams_and_refusals():
    X, y, sw = make_data(n=300, p=4, k=2, seed=7)
    fit = Ridge(alpha=np.array([1.0, 30.0]), cov_type="classical").fit(X, y, sw)
    assert fit.covariance_.shape == (2, 5, 5) and fit.bse_.shape == (2, 5)
    for t, a in enumerate([1.0, 30.0]):
        assert_coef_close(fit.covariance_[t], _by_formula(X, y[:, t], sw, a, "classical"), rtol=1e-9)
    stream = Ridge(alpha=np.array([1.0, 30.0]), cov_type="classical")
    for rows in np.array_split(np.arange(300), 4):
        stream.partial_fit(X[rows], y[rows], sw[rows])
        assert "bse_" not in vars(stream)  # solved with the coefficients, on the next read
    assert_coef_close(stream.covariance_, fit.covariance_, rtol=1e-10)
    assert not hasattr(Ridge(cov_type="HC3"), "partial_fit")
    with pytest.raises(ValueError, match="cov_type needs the exact statistics"):
        Ridge(solver="cg", cov_type="classical").fit(X, y)
    with pytest.raises(ValueError, match="groups"):
        Ridge(cov_type="cluster").fit(X, y)
    with pytest.raises(AttributeError, match="cov_type"):
        Ridge().fit(X, y).coef_table()
    assert "covariance_" not in vars(Ridge(cov_type="HC0").fit(X, y).set_params(cov_type=None).fit(X, y))


def test_coef_table_without_pandas_names_the_extra(monkeypatch):
    X, y = np.random.default_rng(0).standard_normal((50, 3)), np.arange(50.0)
    model = Ridge(cov_type="classical").fit(X, y)
    monkeypatch.setitem(sys.modules, "pandas", None)  # "import pandas" raises ImportError
    with pytest.raises(ImportError, match=r"ridgejit\[cli\]"):
        model.coef_table()
