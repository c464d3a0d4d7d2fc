"""SAG/SAGA/SVRG on ``y`` of shape ``(n, k)``: every row read serves all targets.

References: the NumPy reference kernels (which run the targets one by one
through the single-target kernels), each target's own single-target fit with
the same seed, and NumPy closed forms (``conftest.relative_gap``,
``conftest.augmented_ridge``) for convergence.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from conftest import augmented_ridge, relative_gap
from ridgejit import SGDRidge
from ridgejit.kernels import get_backend
from ridgejit.kernels import layout as L

REF = get_backend("numpy")


def _order(n, seed):
    return np.random.default_rng(seed).permutation(n).astype(np.int64)


def _case(n=220, p=9, k=3, density=1.0, seed=0):
    """X (dense, or CSR when ``density < 1``) with an offset, ``Y`` (n, k) and weights."""
    rng = np.random.default_rng(seed)
    D = rng.standard_normal((n, p)) + 1.5
    if density < 1.0:
        D[rng.random((n, p)) > density] = 0.0
    Y = D @ rng.standard_normal((p, k)) + rng.standard_normal((n, k))
    return D, Y, rng.uniform(0.5, 2.0, n)


#: one L2 rate per target; 40 passes the lazy divisor's 1e6 fold within an epoch on CSR
LAMS = [np.array([0.01, 0.3, 0.0]), np.array([40.0, 0.01, 5.0])]


@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("saga", [1.0, 0.0])
@pytest.mark.parametrize("lams", LAMS, ids=["small", "fold"])
def test_saga_multi_kernels_match_the_reference(compiled, fmt, saga, lams):
    D, Y, sw = _case(density=0.4 if fmt == "csr" else 1.0)
    n, p = D.shape
    mean = D.mean(axis=0)
    factor = np.empty(0) if fmt == "csr" else np.linspace(0.5, 2.0, p)
    hyper = np.array([0.004, 99.0, 1.0, saga])  # the lam slot is unused: lams rules
    X = sp.csr_matrix(D)
    out = []
    for be, sparse in ((compiled, fmt == "csr"), (REF, False)):
        W, st, mem, ga = np.zeros((3, p)), np.array([[0.3, -0.2, 1.0], [0.0, 0.0, 0.0]]), np.zeros((3, n)), np.zeros((3, p))
        if sparse:
            losses = [be.saga_epoch_multi_sparse(X.data, X.indices, X.indptr, Y, sw, mean, _order(n, e), W, st, mem,
                                                 ga, hyper, lams, factor) for e in range(3)]
        else:
            losses = [be.saga_epoch_multi(D, Y, sw, mean, _order(n, e), W, st, mem, ga, hyper, lams, factor)
                      for e in range(3)]
        out.append((W, st, mem, ga, losses))
    for u, v in zip(*out):
        assert_allclose(u, v, rtol=1e-8, atol=1e-11)


@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("lams", LAMS, ids=["small", "fold"])
def test_svrg_multi_kernels_match_the_reference(compiled, fmt, lams):
    D, Y, sw = _case(density=0.4 if fmt == "csr" else 1.0, seed=1)
    n, p = D.shape
    mean = D.mean(axis=0)
    rng = np.random.default_rng(2)
    snapshot, full_grad = rng.standard_normal((3, p)), 0.1 * rng.standard_normal((3, p))
    factor = np.empty(0) if fmt == "csr" else np.linspace(0.5, 2.0, p)
    hyper = np.array([0.004, 99.0, 1.0])
    X = sp.csr_matrix(D)
    out = []
    for be, sparse in ((compiled, fmt == "csr"), (REF, False)):
        W = snapshot.copy()
        st = np.array([[0.3, -0.2, 1.0], [0.3, -0.2, 1.0], [0.05, -0.1, 0.0]])
        assert st.shape == (L.SVRG_STATE_SIZE, 3)
        if sparse:
            loss = be.svrg_inner_multi_sparse(X.data, X.indices, X.indptr, Y, sw, mean, _order(n, 0), W, snapshot,
                                              full_grad, st, hyper, lams, factor)
        else:
            loss = be.svrg_inner_multi(D, Y, sw, mean, _order(n, 0), W, snapshot, full_grad, st, hyper, lams, factor)
        out.append((W, st, loss))
    for u, v in zip(*out):
        assert_allclose(u, v, rtol=1e-8, atol=1e-11)


def _targets(n=900, p=6, seed=7):
    rng = np.random.default_rng(seed)
    X = StandardScaler().fit_transform(rng.standard_normal((n, p)) * rng.uniform(0.5, 3.0, p))
    Y = X @ rng.standard_normal((p, 3)) + rng.standard_normal((n, 3)) * [0.1, 2.0, 10.0] + [1.0, -3.0, 0.0]
    return X, Y


@pytest.mark.parametrize("solver", ["sag", "saga", "svrg"])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_several_targets_take_each_single_fits_steps(backend, solver, fmt, fit_intercept):
    """One alpha, a fixed number of epochs: each target equals its own fit with the same seed."""
    X, Y = _targets()
    if fmt == "csr":
        X = sp.csr_matrix(np.where(np.abs(X) > 0.6, X, 0.0))
    sw = np.random.default_rng(0).uniform(0.5, 2.0, X.shape[0])
    kw = dict(solver=solver, alpha=2.0, max_iter=3, tol=None, random_state=4, fit_intercept=fit_intercept,
              backend=backend.name)
    multi = SGDRidge(**kw).fit(X, Y, sample_weight=sw)
    assert multi.coef_.shape == (3, 6) and multi.intercept_.shape == (3,)
    for c in range(3):
        single = SGDRidge(**kw).fit(X, Y[:, c], sample_weight=sw)
        assert_allclose(multi.coef_[c], single.coef_, rtol=1e-12, atol=1e-13 * np.abs(single.coef_).max())
        assert_allclose(multi.intercept_[c], single.intercept_[0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("solver", ["sag", "saga", "svrg"])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_one_alpha_per_target_reaches_each_targets_ridge_to_tol(solver, fmt):
    """Alphas 100x apart share the step of the largest; the run stops when every target's
    proven gap is at most tol, checked against NumPy's closed form per target."""
    X, Y = _targets(n=1500)
    Z = sp.csr_matrix(X) if fmt == "csr" else X
    alphas = np.array([1.0, 10.0, 100.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        m = SGDRidge(solver=solver, alpha=alphas, tol=1e-9, max_iter=500, random_state=0).fit(Z, Y)
    assert m.gap_bound_ <= 1e-9
    sw = np.ones(len(X))
    for c in range(3):
        assert -1e-13 <= relative_gap(X, Y[:, c], sw, alphas[c], m.coef_[c], m.intercept_[c]) <= 1e-9 + 1e-13


def test_several_targets_with_penalty_factors_reach_the_closed_form():
    X, Y = _targets(n=1200, seed=8)
    d = np.array([0.5, 1.0, 3.0, 1.0, 0.2, 2.0])
    m = SGDRidge(solver="saga", alpha=[5.0, 50.0, 5.0], penalty_factor=d, tol=1e-12, max_iter=2000,
                 random_state=0).fit(X, Y)
    for c, alpha in enumerate([5.0, 50.0, 5.0]):
        w, b = augmented_ridge(X, Y[:, c], np.ones(len(X)), alpha, d)
        assert_allclose(m.coef_[c], w, rtol=1e-5, atol=1e-6 * np.abs(w).max())
        assert abs(m.intercept_[c] - b) <= 1e-5 * (1 + abs(b))


@pytest.mark.parametrize("solver", ["saga", "svrg"])
def test_several_targets_same_bits_for_any_thread_count(solver):
    """The Numba kernels split the targets over the threads; each target's arithmetic is the
    same whatever the split."""
    import numba

    X, Y = _targets(n=700)
    Y = np.column_stack([Y, -Y[:, :2]])  # 5 targets: uneven runs per thread
    fits = []
    before = numba.get_num_threads()
    try:
        for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
            numba.set_num_threads(threads)
            fits.append(SGDRidge(solver=solver, max_iter=2, tol=None, random_state=0, backend="numba").fit(X, Y).coef_)
    finally:
        numba.set_num_threads(before)
    for coef in fits[1:]:
        np.testing.assert_array_equal(coef, fits[0])


@pytest.mark.parametrize("solver", ["sag", "saga"])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_ridge_sag_saga_fit_every_target_in_one_run(solver, fmt):
    """Ridge(solver='sag'|'saga') on three targets (alphas 100x apart): one run of the
    several-target kernels, each target's proven gap at most tol (NumPy closed form)."""
    from ridgejit import Ridge

    X, Y = _targets(n=1200, seed=9)
    Z = sp.csr_matrix(X) if fmt == "csr" else X
    alphas = np.array([1.0, 10.0, 100.0])
    m = Ridge(solver=solver, alpha=alphas, tol=1e-10, random_state=0).fit(Z, Y)
    assert m.solver_ == solver and m.coef_.shape == (3, 6) and np.all(m.gap_bound_ <= 1e-10)
    for c in range(3):
        assert -1e-13 <= relative_gap(X, Y[:, c], np.ones(len(X)), alphas[c], m.coef_[c], m.intercept_[c]) <= 1e-10
