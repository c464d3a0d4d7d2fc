"""Stochastic solvers: the visiting order, the overlapped evaluation, mini-batch defaults, no intercept."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from sklearn.preprocessing import StandardScaler

from conftest import make_data, numpy_objective, relative_gap
from ridgejit import SGDRidge
from ridgejit.solvers.minibatch import MAX_AUTO_BATCH
from ridgejit.solvers.order import (BUFFER_BLOCKS, DEFAULT_L2_BYTES, SHUFFLES, block_layout, epoch_order,
                                    l2_cache_bytes, row_bytes)


@pytest.mark.parametrize("shuffle", SHUFFLES)
def test_every_order_is_a_seeded_permutation_of_the_rows(shuffle):
    rows = np.arange(3, 1003, 2)
    a = epoch_order(rows, np.random.RandomState(0), shuffle, 7, 3)
    b = epoch_order(rows, np.random.RandomState(0), shuffle, 7, 3)
    assert a.dtype == np.int64
    assert_array_equal(np.sort(a), rows)
    assert_array_equal(a, b)
    if shuffle is False:
        assert_array_equal(a, rows)
    else:
        assert not np.array_equal(a, epoch_order(rows, np.random.RandomState(1), shuffle, 7, 3))


def test_numpy_booleans_are_booleans():
    rows = np.arange(20)
    assert_array_equal(epoch_order(rows, np.random.RandomState(0), np.False_), rows)
    assert_array_equal(epoch_order(rows, np.random.RandomState(0), np.True_),
                       epoch_order(rows, np.random.RandomState(0), True))


def test_a_block_buffer_holds_whole_blocks_of_consecutive_rows():
    n, block, per_buffer = 1000, 8, 5
    order = epoch_order(np.arange(n), np.random.RandomState(0), "blocks", block, per_buffer)
    span = block * per_buffer
    for lo in range(0, n, span):
        rows = np.sort(order[lo:lo + span])
        starts = rows[::block]
        assert np.all(starts % block == 0)  # whole blocks, each from its first row
        for s in starts:
            assert_array_equal(rows[(rows >= s) & (rows < s + block)], np.arange(s, min(n, s + block)))
        assert not np.array_equal(order[lo:lo + span], rows)  # shuffled inside the buffer
    # the blocks come in a random order, not in the order of X
    assert not np.array_equal(np.sort(order[:span]), np.arange(span))


def test_block_layout_follows_the_row_size_and_the_cache():
    l2 = 512 * 1024
    block_rows, per_buffer = block_layout(800, 10**6, l2)
    assert (block_rows, per_buffer) == (10, 1048)  # 8 KiB blocks, 8 MiB buffers
    assert block_layout(1 << 20, 10**6, l2) == (1, BUFFER_BLOCKS)  # wide rows: one per block
    # data that fits in one buffer gets a full shuffle
    block_rows, per_buffer = block_layout(80, 300, l2)
    assert block_rows * per_buffer >= 300


def test_l2_size_skips_sysfs_entries_that_are_not_cache_levels(tmp_path):
    """sysfs lists ``uevent`` and ``power/`` beside ``index0..3``; a sorted scan meets them
    in any order, and an unreadable entry must not hide the L2 behind it."""
    (tmp_path / "aaa_not_an_index").mkdir()
    (tmp_path / "uevent").write_text("")
    for i, (level, size) in enumerate([(1, "32K"), (1, "32K"), (2, "1024K"), (3, "32768K")]):
        (tmp_path / f"index{i}").mkdir()
        (tmp_path / f"index{i}" / "level").write_text(f"{level}\n")
        (tmp_path / f"index{i}" / "size").write_text(f"{size}\n")
    assert l2_cache_bytes(str(tmp_path)) == 1 << 20
    assert l2_cache_bytes(str(tmp_path / "missing")) == DEFAULT_L2_BYTES


def test_csr_and_dense_rows_get_the_same_layout():
    X = np.zeros((10, 7), dtype=np.float32)
    assert row_bytes(X) == 28
    S = sp.random(100, 50, density=0.2, format="csr", random_state=0)
    assert row_bytes(S) == row_bytes(S.toarray()) == 400


@pytest.mark.parametrize("sparse", [False, True])
def test_block_shuffled_fit_is_the_same_on_every_backend(backend, sparse):
    X, y, sw = make_data(n=400, p=6)
    X = StandardScaler().fit_transform(X)
    X = sp.csr_matrix(X) if sparse else X
    kw = dict(max_iter=4, tol=None, average=True, random_state=0, shuffle="blocks")
    ref = SGDRidge(backend="numpy", **kw).fit(X, y, sample_weight=sw)
    got = SGDRidge(backend=backend.name, **kw).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(got.coef_, ref.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got.intercept_, ref.intercept_, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("average", [False, True])
def test_partial_fit_epochs_are_one_fit_over_the_same_rows(average):
    """k ``partial_fit`` calls on all rows = one ``fit`` of k epochs (same seed, same schedule):
    the schedule's counter, the rate, the average and the row orders all carry over."""
    X, y, _ = make_data(n=500, p=5)
    X = StandardScaler().fit_transform(X)
    kw = dict(learning_rate="invscaling", eta0=0.02, average=average, random_state=3)
    whole = SGDRidge(max_iter=4, tol=None, **kw).fit(X, y)
    streamed = SGDRidge(**kw)
    for _ in range(4):
        streamed.partial_fit(X, y)
    assert_array_equal(streamed.coef_, whole.coef_)
    assert_array_equal(streamed.intercept_, whole.intercept_)
    assert streamed.t_ == whole.t_ == 4 * 500 + 1


def test_overlapped_evaluation_records_the_returned_model():
    """sgd evaluates epoch e while e + 1 runs: a stop found at e returns epoch e + 1, and the
    history's last entry is that model's objective."""
    X, y, sw = make_data(n=600, p=5)
    X = StandardScaler().fit_transform(X)
    m = SGDRidge(alpha=2.0, average=True, tol=1e-3, n_iter_no_change=2, random_state=0).fit(X, y, sample_weight=sw)
    assert m.n_iter_ < m.max_iter
    assert len(m.history_["objective"]) == m.n_iter_
    J = numpy_objective(X, y, sw, 2.0, m.coef_, m.intercept_)
    np.testing.assert_allclose(m.history_["objective"][-1], J, rtol=1e-12)
    objective = np.array(m.history_["objective"])
    # the stall that stopped it was seen one epoch before the end
    best = np.minimum.accumulate(objective[:-1])
    stalls = objective[1:-1] >= best[:-1] * (1 - 1e-3)
    assert stalls[-2:].all()


def test_minibatch_defaults_converge_and_batch_from_the_curvatures():
    X, y, _ = make_data(n=4000, p=20)
    X = StandardScaler().fit_transform(X)
    alpha = 1.0
    m = SGDRidge(alpha=alpha, solver="minibatch", max_iter=30, random_state=0).fit(X, y)
    assert relative_gap(X, y, None, alpha, m.coef_, m.intercept_) <= 1e-3
    # batch_size="auto" = floor(L_max / (4 L)), from curvatures computed here in NumPy
    Xc = X - X.mean(0)
    lam = alpha / len(y)
    L_max = np.max(np.einsum("ij,ij->i", Xc, Xc)) + 1.0 + lam
    L = max(np.linalg.eigvalsh(Xc.T @ Xc / len(y)).max() + lam, 1.0)
    expected = int(min(MAX_AUTO_BATCH, max(1, np.floor(L_max / (4 * L)))))
    assert abs(m._sgd_state.batch_size - expected) <= 1  # power iteration's L is within 1e-3
    assert m._sgd_state.options.average is True  # average="auto" averages minibatch


SOLVERS = ["sgd", "minibatch", "sag", "saga", "svrg"]


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("sparse", [False, True])
def test_no_intercept_fits_reach_the_uncentred_optimum(backend, solver, sparse):
    """``fit_intercept=False`` on data with a mean far from zero: the optimum without an
    intercept (an independent NumPy solve) is not the centred one, so a fit that centred
    or fitted ``b`` anyway would miss it."""
    X, y, sw = make_data(n=300, p=5, offset=2.0)
    X = X / X.std(0)
    y = y + 5.0
    X = sp.csr_matrix(X) if sparse else X
    alpha = 3.0
    exact = solver in ("sag", "saga", "svrg")
    m = SGDRidge(alpha=alpha, solver=solver, fit_intercept=False, backend=backend.name,
                 average=not exact, max_iter=1000 if exact else 200, tol=1e-9 if exact else None,
                 random_state=0).fit(X, y, sample_weight=sw)
    assert m.intercept_[0] == 0.0
    gap = relative_gap(X, y, sw, alpha, m.coef_, 0.0, fit_intercept=False)
    assert gap <= (1e-8 if exact else 1e-3), gap
    if exact:
        assert m.gap_bound_ >= gap  # the reported bound holds


def test_the_stall_rule_stops_where_sgdregressor_stops_on_its_own_scores(monkeypatch):
    """scikit-learn's early stopping, run on real data, records its validation scores; fed
    the same scores, ``StallRule`` stops at the same epoch."""
    from sklearn.linear_model import SGDRegressor
    from sklearn.linear_model import _stochastic_gradient as sgd_module

    from ridgejit.solvers.epochs import StallRule

    scores = []
    score_of = sgd_module._ValidationScoreCallback.__call__

    def recording(self, coef, intercept):
        scores.append(score_of(self, coef, intercept))
        return scores[-1]

    monkeypatch.setattr(sgd_module._ValidationScoreCallback, "__call__", recording)
    X, y, _ = make_data(n=2000, p=8)
    X = StandardScaler().fit_transform(X)
    for tol, patience in ((1e-3, 3), (1e-5, 5), (0.05, 1)):
        scores.clear()
        sk = SGDRegressor(early_stopping=True, tol=tol, n_iter_no_change=patience, max_iter=200,
                          eta0=0.05, learning_rate="invscaling", random_state=0).fit(X, y)
        assert sk.n_iter_ == len(scores) < 200
        rule = StallRule(tol, patience, higher_is_better=True)
        stops = [rule.update(s) for s in scores]
        assert stops.index(True) + 1 == sk.n_iter_


def test_warm_start_equals_a_fit_started_at_the_same_coefficients():
    X, y, _ = make_data(n=400, p=5)
    X = StandardScaler().fit_transform(X)
    kw = dict(alpha=2.0, fit_intercept=False, max_iter=3, tol=None, average=True, random_state=0)
    first = SGDRidge(**kw).fit(X, y)
    warm = SGDRidge(warm_start=True, **kw).fit(X, y)
    warm.fit(X, y)  # the second fit starts from the first's coef_
    fresh = SGDRidge(init=first.coef_, **kw).fit(X, y)
    assert_array_equal(warm.coef_, fresh.coef_)
    assert not np.array_equal(fresh.coef_, first.coef_)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_the_overlapped_evaluation_leaves_the_epoch_a_core(monkeypatch, n_jobs):
    """The evaluation thread runs the fit's Numba thread count minus one (at least 1),
    whatever its own thread-local default."""
    numba = pytest.importorskip("numba")
    import ridgejit.solvers.epochs as epochs

    seen = []
    initializer = epochs._one_thread_fewer

    def spy(backend_name, threads):
        initializer(backend_name, threads)
        seen.append(numba.get_num_threads())

    monkeypatch.setattr(epochs, "_one_thread_fewer", spy)
    X, y, _ = make_data(n=500, p=4)
    SGDRidge(max_iter=3, tol=None, n_jobs=n_jobs, backend="numba").fit(X, y)
    expected = max(1, min(n_jobs, numba.config.NUMBA_NUM_THREADS) - 1)
    assert seen == [expected]
