"""ridgejit.dask on a real two-process LocalCluster: the single-machine answer, distributed."""

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from numpy.testing import assert_allclose

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

import ridgejit  # noqa: E402
import ridgejit.dask as rjd  # noqa: E402
from conftest import assert_coef_close, make_data  # noqa: E402
from ridgejit.kernels import reference  # noqa: E402


def _objective(X, y, sw, model, alpha):
    """``J_t`` per target by the NumPy reference kernel."""
    Y = np.asarray(y, dtype=np.float64).reshape(len(X), -1)
    coef = np.asarray(model.coef_, dtype=np.float64).reshape(Y.shape[1], -1)
    b = np.asarray(model.intercept_, dtype=np.float64).reshape(-1)
    return reference.objective(X, Y, sw, coef, b, np.broadcast_to(alpha, (Y.shape[1],)).astype(float))


CASES = {
    # name: (make_data kwargs, row chunks, column chunk, alpha, weighted)
    "random": (dict(n=3000, p=10), (500, 1200, 300, 1000), 4, 1.0, False),
    "correlated": (dict(n=3000, p=12, correlated=True, offset=50.0), 700, 5, 2.0, False),
    "wide": (dict(n=400, p=300, seed=1), 128, 100, 1.0, False),
    "weighted": (dict(n=2500, p=8, seed=2), 600, 8, 0.5, True),
    "multi-target": (dict(n=2000, p=9, k=3, seed=3), 450, 3, np.array([0.5, 1.0, 4.0]), True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_ridge_matches_the_single_machine_answer(client, case):
    kwargs, rows, cols, alpha, weighted = CASES[case]
    X, y, sw = make_data(**kwargs)
    sw = sw if weighted else np.ones(len(X))
    Xd = da.from_array(X, chunks=(rows, cols))
    yd = da.from_array(y, chunks=(rows,) + y.shape[1:])
    wd = da.from_array(sw, chunks=rows) if weighted else None
    model = rjd.Ridge(alpha=alpha).fit(Xd, yd, sample_weight=wd)
    ref = ridgejit.Ridge(alpha=alpha, solver="direct").fit(X, y, sample_weight=sw if weighted else None)
    assert model.solver_ == "direct" and isinstance(model.coef_, np.ndarray)
    assert model.coef_.shape == ref.coef_.shape and np.shape(model.intercept_) == np.shape(ref.intercept_)
    J, J_ref = _objective(X, y, sw, model, alpha), _objective(X, y, sw, ref, alpha)
    assert np.all(np.abs(J - J_ref) <= 1e-12 * J_ref)
    assert np.linalg.norm(model.coef_ - ref.coef_) <= 1e-8 * np.linalg.norm(ref.coef_)
    pred = model.predict(Xd)
    assert isinstance(pred, da.Array) and pred.chunks[0] == Xd.chunks[0]
    # per-block products on the workers against one product here: the BLAS may sum a
    # row in another order (kernel choice by block shape), so equal to rounding
    assert_allclose(pred.compute(), model.predict(X), rtol=1e-13, atol=1e-13 * np.abs(ref.predict(X)).max())
    assert_allclose(pred.compute(), ref.predict(X), rtol=1e-8, atol=1e-8)
    assert model.score(Xd, yd, wd) == pytest.approx(model.score(X, y, sw if weighted else None), rel=1e-12)


def test_dataframe_with_unknown_partition_lengths(client):
    X, y, sw = make_data(n=2000, p=6, seed=4)
    names = [f"f{j}" for j in range(6)]
    frame = pd.DataFrame(X, columns=names).assign(target=y, weight=sw)
    ddf = dd.from_pandas(frame, npartitions=5).clear_divisions()
    assert np.isnan(ddf[names].to_dask_array().chunks[0][0])
    model = rjd.Ridge(alpha=3.0).fit(ddf[names], ddf["target"], sample_weight=ddf["weight"])
    ref = ridgejit.Ridge(alpha=3.0, solver="direct").fit(frame[names], y, sample_weight=sw)
    assert_coef_close(model.coef_, ref.coef_, rtol=1e-10)
    assert list(model.feature_names_in_) == names and model.n_features_in_ == 6
    pred = model.predict(ddf[names])
    assert isinstance(pred, da.Array) and np.isnan(pred.chunks[0][0])
    assert_allclose(pred.compute(), ref.predict(frame[names]), rtol=1e-10)
    assert model.score(ddf[names], ddf["target"]) == pytest.approx(ref.score(frame[names], y), rel=1e-10)
    with pytest.raises(ValueError, match="feature names"):
        model.predict(ddf[names].rename(columns={"f0": "other"}))


def test_numpy_input_takes_the_single_machine_path():
    X, y, _ = make_data(n=500, p=5)
    model = rjd.Ridge(alpha=2.0, solver="cg", tol=1e-8).fit(X, y)
    ref = ridgejit.Ridge(alpha=2.0, solver="cg", tol=1e-8).fit(X, y)
    assert np.array_equal(model.coef_, ref.coef_) and model.n_iter_ == ref.n_iter_
    assert isinstance(model.predict(X), np.ndarray)
    assert model.score(X, y) == ref.score(X, y)


def test_block_problem_is_the_normal_equations_cg_solves(client):
    """The distributed problem implements the written-down protocol, with the data's values."""
    from ridgejit.dask.blocks import persist_prepared, row_blocks
    from ridgejit.dask.solvers import BlockProblem, centre
    from ridgejit.kernels import get_backend
    from ridgejit.problem import Problem
    from ridgejit.solvers.base import NormalEquations

    X, y, sw = make_data(n=1200, p=5, k=2, seed=4)
    rb = row_blocks(da.from_array(X, chunks=300), da.from_array(y, chunks=300), da.from_array(sw, chunks=300))
    alpha = np.array([1.0, 2.0])
    blocks = BlockProblem(persist_prepared(rb), alpha, True, "numba", None, *centre(rb, True))
    local = Problem(X, y, sw, alpha, True, get_backend("numpy"))
    assert isinstance(blocks, NormalEquations)
    for name in ("x_mean", "x_var_sum", "y_mean", "rhs", "rhs_norms", "centred_target_ss"):
        assert_allclose(getattr(blocks, name), getattr(local, name), rtol=1e-10, err_msg=name)
    P = np.random.default_rng(0).standard_normal((2, 5))
    assert_allclose(blocks.normal_product(P, np.empty_like(P)), local.normal_product(P, np.empty_like(P)),
                    rtol=1e-10)


def test_cg_with_the_default_tol_certifies_an_exact_quality_gap(client):
    """``tol=None`` means ``DEFAULT_TOL["cg"]`` (1e-12) here as in ``ridgejit.Ridge`` (it was
    passed on as None), and ``gap_bound_`` bounds the gap against an independent solve."""
    from conftest import exact_ridge, numpy_objective

    X, y, _ = make_data(n=2000, p=12, seed=6)
    Xd, yd = da.from_array(X, chunks=(500, 12)), da.from_array(y, chunks=500)
    model = rjd.Ridge(alpha=1.0, solver="cg").fit(Xd, yd)
    assert model.solver_ == "cg" and model.gap_bound_ <= 1e-12
    w, b = exact_ridge(X, y[:, None], None, 1.0, True)
    J, J_star = (numpy_objective(X, y, None, 1.0, c, i) for c, i in ((model.coef_, model.intercept_),
                                                                      (w[0], b[0])))
    assert (J - J_star) / J <= model.gap_bound_ + 1e-13


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_cg_solver(client, fit_intercept):
    X, y, _ = make_data(n=3000, p=15, k=2, seed=5)
    Xd, yd = da.from_array(X, chunks=(1000, 15)), da.from_array(y, chunks=(1000, 2))
    model = rjd.Ridge(alpha=1.0, solver="cg", tol=1e-18, fit_intercept=fit_intercept).fit(Xd, yd)
    ref = ridgejit.Ridge(alpha=1.0, solver="direct", fit_intercept=fit_intercept).fit(X, y)
    assert model.solver_ == "cg" and 1 < model.n_iter_ <= 100
    assert_coef_close(model.coef_, ref.coef_, rtol=1e-6)
    assert_allclose(model.intercept_, ref.intercept_, rtol=1e-6, atol=1e-8)
    J = _objective(X, y, np.ones(len(X)), model, 1.0)
    assert_allclose(model.history_["objective"][-1], J.sum(), rtol=1e-8)


def test_auto_uses_cg_when_the_gram_matrix_is_too_big(client, monkeypatch):
    from ridgejit.dask import solvers

    X, y, _ = make_data(n=1000, p=6, seed=6)
    Xd, yd = da.from_array(X, chunks=250), da.from_array(y, chunks=250)
    assert rjd.Ridge().fit(Xd, yd).solver_ == "direct"
    monkeypatch.setattr(solvers, "DIRECT_MAX_GRAM_BYTES", 8 * 5**2)
    assert rjd.Ridge(tol=1e-10).fit(Xd, yd).solver_ == "cg"
    with pytest.raises(ValueError, match="not available on dask"):
        rjd.Ridge(solver="nesterov").fit(Xd, yd)


def _block_with_columns(p, rows=100):
    return np.ones((rows, p))


def test_bad_input_raises_naming_the_block(client):
    X, y, sw = make_data(n=2000, p=6, seed=7)
    Xd = da.from_array(X, chunks=500)
    model = rjd.Ridge()
    with pytest.raises(ValueError, match=r"block 0: X has 500 rows but y has 400"):
        model.fit(Xd, da.from_array(y, chunks=(400, 600, 500, 500)))
    with pytest.raises(ValueError, match=r"X has 4 row blocks but y has 5"):
        model.fit(Xd, da.from_array(y, chunks=400))
    X_nan = X.copy()
    X_nan[1700, 3] = np.nan
    with pytest.raises(ValueError, match=r"block 3 \(rows 1500:2000\): Input X contains NaN"):
        model.fit(da.from_array(X_nan, chunks=500), da.from_array(y, chunks=500))
    y_nan = y.copy()
    y_nan[10] = np.inf
    with pytest.raises(ValueError, match=r"block 0 \(rows 0:500\): Input y contains NaN"):
        model.fit(Xd, da.from_array(y_nan, chunks=500))
    sw_neg = sw.copy()
    sw_neg[1200] = -1.0
    with pytest.raises(ValueError, match=r"block 2 \(rows 1000:1500\): sample_weight must be"):
        model.fit(Xd, da.from_array(y, chunks=500), sample_weight=da.from_array(sw_neg, chunks=500))
    assert not hasattr(model, "coef_")  # nothing stored by a failed fit
    pieces = [da.from_delayed(dask.delayed(_block_with_columns)(p), shape=(100, 6), dtype=float)
              for p in (6, 5, 6)]
    with pytest.raises(ValueError, match=r"block 1 \(rows 100:200\): X has shape \(100, 5\)"):
        model.fit(da.concatenate(pieces), da.ones(300, chunks=100))
    model.fit(Xd, da.from_array(y, chunks=500))
    coef = model.coef_.copy()
    with pytest.raises(ValueError, match="block 3"):
        model.fit(da.from_array(X_nan, chunks=500), da.from_array(y, chunks=500))
    assert np.array_equal(model.coef_, coef)  # the previous fit is kept


def test_unknown_chunks_mismatch_is_caught_by_the_block(client):
    X, y, _ = make_data(n=1000, p=4, seed=8)
    ddf_x = dd.from_pandas(pd.DataFrame(X), npartitions=4).clear_divisions()
    y_parts = dd.from_pandas(pd.Series(y), npartitions=1).repartition(divisions=[0, 100, 500, 700, 999])
    # the blocks run in parallel: the error names whichever bad block failed first
    with pytest.raises(ValueError, match=r"block \d: X has 250 rows but y has (100|400|200|300)\b"):
        rjd.Ridge().fit(ddf_x, y_parts.clear_divisions())


@pytest.mark.parametrize("solver", ["direct", "cg"])
def test_two_fits_give_the_same_bits(client, solver):
    X, y, sw = make_data(n=4000, p=10, seed=9)
    Xd, yd, wd = (da.from_array(a, chunks=400) for a in (X, y, sw))
    a = rjd.Ridge(alpha=1.5, solver=solver, tol=1e-8).fit(Xd, yd, sample_weight=wd)
    b = rjd.Ridge(alpha=1.5, solver=solver, tol=1e-8).fit(Xd, yd, sample_weight=wd)
    # Bits: the same cluster, the same data, a reduction tree in fixed block order
    # (ridgejit.dask.blocks.tree_reduce), whichever worker ran which block.
    assert np.array_equal(a.coef_, b.coef_) and a.intercept_ == b.intercept_


def test_importing_ridgejit_does_not_import_dask():
    code = ("import sys, numpy as np, ridgejit\n"
            "ridgejit.Ridge().fit(np.ones((5, 2)), np.arange(5.0))\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')]\n"
            "assert not bad, bad\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def _slow_block(block):
    time.sleep(0.1)
    return block


def test_a_worker_killed_mid_fit_is_retried(client):
    X, y, _ = make_data(n=4000, p=8, seed=10)
    Xd = da.from_array(X, chunks=250).map_blocks(_slow_block, dtype=X.dtype)
    yd = da.from_array(y, chunks=250)
    ref = rjd.Ridge().fit(da.from_array(X, chunks=250), yd)
    pids = client.run(os.getpid)
    result = {}
    fit = threading.Thread(target=lambda: result.update(model=rjd.Ridge().fit(Xd, yd)))
    fit.start()
    deadline = time.time() + 20
    while time.time() < deadline and not any(client.processing().values()):
        time.sleep(0.02)
    time.sleep(0.3)  # some blocks done, some running
    victim = next(iter(pids.values()))
    assert fit.is_alive()
    os.kill(victim, signal.SIGKILL)
    fit.join(timeout=60)
    assert "model" in result, "the fit did not finish after a worker was killed"
    # Not bit equality: the lost blocks are recomputed in another worker process, whose
    # BLAS may round a block's statistics differently (kernel choice by alignment on some
    # CPUs).  Two exact solves of one well-conditioned system differing by rounding in the
    # statistics agree to about eps * cond(A) ~ 1e-15 in norm; 1e-12 leaves headroom.
    assert_coef_close(result["model"].coef_, ref.coef_, rtol=1e-12)
    client.wait_for_workers(2, timeout=30)


def test_sgd_sequential_is_partial_fit_over_the_blocks(client):
    X, y, _ = make_data(n=2000, p=6, seed=11)
    Xd, yd = da.from_array(X, chunks=500), da.from_array(y, chunks=500)
    model = rjd.SGDRidge(alpha=1.0, max_iter=3, tol=None, random_state=0).fit(Xd, yd)
    ref = ridgejit.SGDRidge(alpha=0.25, random_state=0)  # alpha * block rows / n
    block_order = np.random.RandomState(0)  # the fit's seed draws each epoch's block order
    visits = [block_order.permutation(4) for _ in range(3)]
    assert len({tuple(v) for v in visits}) > 1  # the blocks are shuffled, not visited in order
    for visit in visits:
        for k in visit:
            ref.partial_fit(X[500 * k : 500 * (k + 1)], y[500 * k : 500 * (k + 1)])
    # The same kernel over the same rows in the same order, but in worker processes:
    # equal to rounding (bits on identical workers; a worker's thread settings may differ).
    assert_coef_close(model.coef_, ref.coef_, rtol=1e-12)
    assert_coef_close(model.intercept_, ref.intercept_, rtol=1e-12)
    assert model.t_ == ref.t_ and model.n_iter_ == 3 and len(model.history_["objective"]) == 3
    assert isinstance(model.predict(Xd), da.Array)


@pytest.mark.parametrize("mode, max_gap", [("sequential", 3e-4), ("average", 2e-3)])
def test_sgd_modes_approach_the_ridge_optimum(client, mode, max_gap):
    rng = np.random.default_rng(12)
    X = rng.standard_normal((4000, 10))
    y = X @ rng.standard_normal(10) + 0.5 * rng.standard_normal(4000) + 3.0
    Xd, yd = da.from_array(X, chunks=1000), da.from_array(y, chunks=1000)
    model = rjd.SGDRidge(alpha=1.0, mode=mode, average=True, max_iter=20, tol=None,
                         random_state=0).fit(Xd, yd)
    exact = ridgejit.Ridge(alpha=1.0, solver="direct").fit(X, y)
    ones = np.ones(len(X))
    J, J_star = _objective(X, y, ones, model, 1.0)[0], _objective(X, y, ones, exact, 1.0)[0]
    assert_allclose(model.history_["objective"][-1], J, rtol=1e-10)
    print(f"{mode}: relative objective gap after 20 epochs {(J - J_star) / J_star:.2e}")
    assert 0 <= (J - J_star) / J_star < max_gap


def test_sgd_rejects_what_it_cannot_distribute(client):
    Xd, yd = da.ones((100, 3), chunks=50), da.ones(100, chunks=50)
    with pytest.raises(ValueError, match="single-machine only"):
        rjd.SGDRidge(solver="saga").fit(Xd, yd)
    with pytest.raises(ValueError, match="learning_rate='invscaling'"):
        rjd.SGDRidge(mode="average", learning_rate="invscaling", eta0=0.01).fit(Xd, yd)
    with pytest.raises(ValueError, match="one target on dask collections.*ridgejit.SGDRidge on a single"):
        rjd.SGDRidge().fit(Xd, da.ones((100, 2), chunks=(50, 2)))


# --- RidgeCV: k-fold over groups of row blocks --------------------------------------


def _block_split(chunks, k):
    """The single-machine splitter equal to dask RidgeCV's folds (groups of row blocks)."""
    from sklearn.model_selection import PredefinedSplit

    from ridgejit.dask.cv import block_folds

    return PredefinedSplit(np.repeat(block_folds(len(chunks), k), chunks))


@pytest.mark.parametrize("case", ["random", "correlated", "weighted", "multi-target"])
@pytest.mark.parametrize("scoring", [None, "neg_mean_squared_error"])
def test_ridgecv_picks_the_single_machine_alpha(client, case, scoring):
    kwargs, rows, cols, _, weighted = CASES[case]
    X, y, sw = make_data(**kwargs)
    w = sw if weighted else None
    Xd = da.from_array(X, chunks=(rows, cols))
    yd = da.from_array(y, chunks=(rows,) + y.shape[1:])
    wd = da.from_array(sw, chunks=rows) if weighted else None
    alphas = np.logspace(-3, 3, 9)
    model = rjd.RidgeCV(alphas=alphas, cv=3, scoring=scoring).fit(Xd, yd, sample_weight=wd)
    ref = ridgejit.RidgeCV(alphas=alphas, cv=_block_split(Xd.chunks[0], 3), scoring=scoring)
    ref.fit(X, y, sample_weight=w)
    assert model.gcv_mode_ == "blocks" and model.alpha_ == ref.alpha_
    assert_allclose(model.fold_scores_, ref.fold_scores_, rtol=1e-9)
    assert np.linalg.norm(model.coef_ - ref.coef_) <= 1e-8 * np.linalg.norm(ref.coef_)
    assert_allclose(model.predict(Xd).compute(), ref.predict(X), rtol=1e-8, atol=1e-8)


def test_ridgecv_alpha_per_target_and_numpy_input(client):
    X, y, _ = make_data(n=1200, p=6, k=2, seed=4)
    y = y * np.array([1.0, 50.0])
    alphas = np.logspace(-2, 4, 7)
    Xd, yd = da.from_array(X, chunks=(200, 6)), da.from_array(y, chunks=(200, 2))
    model = rjd.RidgeCV(alphas=alphas, cv=3, alpha_per_target=True).fit(Xd, yd)
    ref = ridgejit.RidgeCV(alphas=alphas, cv=_block_split(Xd.chunks[0], 3), alpha_per_target=True).fit(X, y)
    assert_allclose(model.alpha_, ref.alpha_, rtol=0)
    local = rjd.RidgeCV(alphas=alphas, cv=3).fit(X, y)  # NumPy: the single-machine estimator
    assert local.gcv_mode_ == "folds"


def test_ridgecv_rejects_what_it_cannot_distribute(client):
    X, y, _ = make_data(n=600, p=4)
    Xd, yd = da.from_array(X, chunks=(200, 4)), da.from_array(y, chunks=200)
    with pytest.raises(ValueError, match="cv=5 needs at least 5 row blocks, X has 3"):
        rjd.RidgeCV(cv=5).fit(Xd, yd)
    with pytest.raises(ValueError, match="cv=None: on dask collections cv must be a number of folds"):
        rjd.RidgeCV().fit(Xd, yd)
    with pytest.raises(ValueError, match="needs predictions"):
        rjd.RidgeCV(cv=3, scoring="neg_mean_absolute_error").fit(Xd, yd)


def test_parquet_columns_that_dask_partitions_differently_still_fit(client, tmp_path):
    # A parquet read fuses files by the size of the columns it projects: df[names] and
    # df["target"] converted one by one can have different row blocks (3 and 2 here, with
    # dask 2026.8). The fit takes them as slices of one frame instead.
    X, y, sw = make_data(n=3000, p=5, seed=11)
    names = [f"f{j}" for j in range(5)]
    frame = pd.DataFrame(X, columns=names).assign(target=y, weight=sw)
    for i, (lo, hi) in enumerate(((0, 1000), (1000, 2500), (2500, 3000))):
        frame.iloc[lo:hi].reset_index(drop=True).to_parquet(tmp_path / f"part{i}.parquet")
    ddf = dd.read_parquet(tmp_path)
    ref = ridgejit.Ridge(alpha=2.0, solver="direct").fit(X, y, sample_weight=sw)
    for weights in (ddf["weight"], None):
        model = rjd.Ridge(alpha=2.0).fit(ddf[names], ddf["target"], sample_weight=weights)
        expect = ref if weights is not None else ridgejit.Ridge(alpha=2.0, solver="direct").fit(X, y)
        # normwise: the blocks' statistics are summed in another order than the
        # single-machine pass, so a coefficient of 1e-4 carries ~1e-14 absolute rounding
        assert_coef_close(model.coef_, expect.coef_, rtol=1e-10)
    assert model.score(ddf[names], ddf["target"]) == pytest.approx(expect.score(X, y), rel=1e-12)
    two = rjd.Ridge(alpha=2.0).fit(ddf[names], ddf[["target", "f0"]])
    assert_coef_close(two.coef_, ridgejit.Ridge(alpha=2.0).fit(X, np.column_stack([y, X[:, 0]])).coef_,
                      rtol=1e-10)


@pytest.mark.parametrize("cov_type", ["classical", "HC0", "HC1", "HC2", "HC3"])
def test_standard_errors_equal_the_single_machine_ones(client, cov_type):
    """Issue 22: classical from the merged block statistics, no extra pass; the sandwich types
    from one more pass, each block's meat summed on the workers."""
    X, y, sw = make_data(n=1500, p=5, k=2, seed=11)
    d = np.array([1.0, 0.0, 2.0, 1.0, 0.5])
    local = ridgejit.Ridge(alpha=np.array([1.0, 10.0]), cov_type=cov_type, penalty_factor=d).fit(X, y, sw)
    model = rjd.Ridge(alpha=np.array([1.0, 10.0]), cov_type=cov_type, penalty_factor=d, solver="cholesky").fit(
        da.from_array(X, chunks=400), da.from_array(y, chunks=(400, 2)), sample_weight=da.from_array(sw, chunks=400))
    assert model.solver_ == "direct" and model.cov_type_ == cov_type
    assert_allclose(model.bse_, local.bse_, rtol=1e-10)
    assert_allclose(model.covariance_, local.covariance_, rtol=1e-9, atol=1e-14 * np.abs(local.covariance_).max())


def test_cluster_standard_errors_merge_groups_across_blocks(client):
    """Groups that span blocks: each block sums its rows' scores per group, merged by label."""
    X, y, sw = make_data(n=1500, p=5, k=2, seed=13)
    groups = np.array(["g%d" % (i % 23) for i in range(1500)])
    local = ridgejit.Ridge(alpha=np.array([1.0, 10.0]), cov_type="cluster").fit(X, y, sw, groups=groups)
    model = rjd.Ridge(alpha=np.array([1.0, 10.0]), cov_type="cluster").fit(
        da.from_array(X, chunks=400), da.from_array(y, chunks=(400, 2)), sample_weight=da.from_array(sw, chunks=400),
        groups=da.from_array(groups, chunks=400))
    assert model.cov_type_ == "cluster"
    assert_allclose(model.bse_, local.bse_, rtol=1e-10)
    assert_allclose(model.covariance_, local.covariance_, rtol=1e-9, atol=1e-14 * np.abs(local.covariance_).max())


def test_covariance_refusals_on_dask(client):
    X, y, sw = make_data(n=600, p=4, seed=12)
    with pytest.raises(ValueError, match="needs fit\\(X, y, groups=...\\)"):
        rjd.Ridge(cov_type="cluster").fit(da.from_array(X, chunks=400), da.from_array(y, chunks=400))
    with pytest.raises(ValueError, match="X has 2 row blocks but groups has 3"):
        rjd.Ridge(cov_type="cluster").fit(da.from_array(X, chunks=400), da.from_array(y, chunks=400),
                                          groups=da.from_array(np.arange(600) % 5, chunks=200))
    with pytest.raises(ValueError, match="solver='direct'"):
        rjd.Ridge(cov_type="HC0", solver="cg").fit(da.from_array(X, chunks=400), da.from_array(y, chunks=400))
    assert not hasattr(rjd.Ridge(), "partial_fit")  # fit reads the blocks in one pass already
    with pytest.raises(ValueError, match="merged p x p statistics"):
        rjd.Ridge(positive=True, solver="cg").fit(da.from_array(X, chunks=400), da.from_array(y, chunks=400))
    with pytest.raises(ValueError, match="not with positive=True or bounds"):
        rjd.Ridge(bounds=(0, 1), cov_type="HC0").fit(da.from_array(X, chunks=400), da.from_array(y, chunks=400))


@pytest.mark.parametrize("constraint", [{"positive": True}, {"bounds": (-0.2, np.array([0.3, np.inf, 0.1, 2.0]))}])
def test_positive_and_bounds_solve_the_qp_on_the_merged_statistics(client, constraint):
    X, y, sw = make_data(n=1200, p=4, k=2, seed=14)
    y[:, 0] -= 2 * X[:, 1]
    local = ridgejit.Ridge(alpha=3.0, **constraint).fit(X, y, sw)
    model = rjd.Ridge(alpha=3.0, **constraint).fit(da.from_array(X, chunks=400), da.from_array(y, chunks=(400, 2)),
                                                   sample_weight=da.from_array(sw, chunks=400))
    assert model.solver_ == "positive"
    assert_coef_close(model.coef_, local.coef_, rtol=1e-10)
    assert_allclose(model.intercept_, local.intercept_, rtol=1e-10)
    cv = rjd.RidgeCV(alphas=[0.1, 3.0, 100.0], cv=3, **constraint).fit(
        da.from_array(X, chunks=400), da.from_array(y, chunks=(400, 2)))
    assert cv.solver_ == "positive"
    assert_coef_close(cv.coef_, ridgejit.Ridge(alpha=cv.alpha_, **constraint).fit(X, y).coef_, rtol=1e-10)

