"""``SGDRidge(solver="minibatch")`` on ``y`` of shape ``(n, k)``: every row read serves all targets.

References: each target's own single-target fit with the same seed (the
definition, to rtol 1e-12), and NumPy's closed-form ridge per target
(``conftest.relative_gap``) for convergence with one ``alpha`` per target.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from conftest import relative_gap
from ridgejit import SGDRidge


def _targets(n=1200, p=7, seed=5):
    rng = np.random.default_rng(seed)
    X = StandardScaler().fit_transform(rng.standard_normal((n, p)) * rng.uniform(0.5, 3.0, p))
    Y = X @ rng.standard_normal((p, 3)) + rng.standard_normal((n, 3)) * [0.1, 2.0, 20.0] + [1.0, -3.0, 0.0]
    return X, Y


@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_several_targets_equal_single_target_fits(backend, fmt, fit_intercept):
    """One alpha: each target ends as its own fit with the same seed, also when the stopping
    rules fire at different epochs (a stopped target is frozen while the others go on)."""
    X, Y = _targets()
    if fmt == "csr":
        X = sp.csr_matrix(np.where(np.abs(X) > 0.7, X, 0.0))
    sw = np.random.default_rng(0).uniform(0.5, 2.0, X.shape[0])
    kw = dict(solver="minibatch", alpha=3.0, batch_size=40, max_iter=25, tol=1e-3, random_state=1,
              fit_intercept=fit_intercept, backend=backend.name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        multi = SGDRidge(**kw).fit(X, Y, sample_weight=sw)
        singles = [SGDRidge(**kw).fit(X, Y[:, c], sample_weight=sw) for c in range(3)]
    assert multi.coef_.shape == (3, 7) and multi.intercept_.shape == (3,)
    assert multi.n_iter_ == max(s.n_iter_ for s in singles)
    assert len({s.n_iter_ for s in singles}) > 1  # the freezing is exercised
    for c, single in enumerate(singles):
        assert_allclose(multi.coef_[c], single.coef_, rtol=1e-12, atol=1e-13 * np.abs(single.coef_).max())
        assert_allclose(multi.intercept_[c], single.intercept_[0], rtol=1e-12, atol=1e-12)
    if not fit_intercept:
        assert_allclose(multi.intercept_, 0.0)


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_one_alpha_per_target_reaches_each_targets_ridge(fmt):
    """Alphas 100x apart share the step of the largest; every target still converges to its
    own ridge optimum (NumPy closed form)."""
    X, Y = _targets(n=2000)
    Z = sp.csr_matrix(X) if fmt == "csr" else X
    alphas = np.array([1.0, 30.0, 100.0])
    m = SGDRidge(solver="minibatch", alpha=alphas, max_iter=40, tol=None, random_state=0).fit(Z, Y)
    sw = np.ones(len(X))
    for c in range(3):
        assert relative_gap(X, Y[:, c], sw, alphas[c], m.coef_[c], m.intercept_[c]) <= 1e-3


def test_several_targets_partial_fit_continues_the_fit():
    X, Y = _targets(n=600)
    one = SGDRidge(solver="minibatch", alpha=[1.0, 2.0, 3.0], max_iter=3, tol=None, random_state=2).fit(X, Y)
    parts = SGDRidge(solver="minibatch", alpha=[1.0, 2.0, 3.0], random_state=2)
    for _ in range(3):
        parts.partial_fit(X, Y)
    assert_allclose(parts.coef_, one.coef_, rtol=1e-12)
    assert_allclose(parts.intercept_, one.intercept_, rtol=1e-12)
    with pytest.raises(ValueError, match="first partial_fit call had 3"):
        parts.partial_fit(X, Y[:, :2])


def test_several_targets_refusals_name_the_problem():
    X, Y = _targets(n=300)
    with pytest.raises(ValueError, match="adaptive"):
        SGDRidge(solver="minibatch", learning_rate="adaptive", max_iter=2).fit(X, Y)
    with pytest.raises(ValueError, match="early_stopping"):
        SGDRidge(solver="minibatch", early_stopping=True, max_iter=2).fit(X, Y)
    # minibatch takes several targets, not penalty factors (one target or several)
    for y in (Y, Y[:, 0]):
        with pytest.raises(ValueError, match="penalty_factor"):
            SGDRidge(solver="minibatch", penalty_factor=np.linspace(0.5, 2, 7), max_iter=2).fit(X, y)


@pytest.mark.parametrize("batch_size", [20, 100])  # one block per batch (targets split), or 3 blocks
def test_several_targets_same_bits_for_any_thread_count(batch_size):
    """Dense X: one-block batches hand runs of targets to the threads (5 targets: uneven
    runs), larger batches their row blocks; either way each target's arithmetic, the batch
    counter and the loss do not depend on the thread count."""
    import numba

    from ridgejit.kernels import layout as L
    from ridgejit.kernels.numba_minibatch import minibatch_epoch

    X, Y = _targets(n=500)
    Y = np.column_stack([Y, Y[:, 0] ** 2, np.cos(Y[:, 1])])
    n, p = X.shape
    sw = np.random.default_rng(1).uniform(0.5, 2.0, n)
    lams = np.array([0.0, 0.01, 0.1, 0.02, 0.3])
    runs = []
    before = numba.get_num_threads()
    try:
        for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
            numba.set_num_threads(threads)
            W, A, ic, st = np.zeros((5, p)), np.zeros((5, p)), np.full((2, 5), 0.3), np.zeros(L.MB_STATE_SIZE)
            hyper = np.array([0.05, 1.0, float(batch_size), 3.0])
            losses = [minibatch_epoch(X, Y, sw, X.mean(axis=0), np.random.default_rng(e).permutation(n), W, A,
                                      ic, lams, st, hyper) for e in range(2)]
            runs.append((W, A, ic, st, np.array(losses)))
    finally:
        numba.set_num_threads(before)
    assert runs[0][3][0] == 2 * -(-n // batch_size)
    for run in runs[1:]:
        for got, want in zip(run, runs[0]):
            np.testing.assert_array_equal(got, want)
