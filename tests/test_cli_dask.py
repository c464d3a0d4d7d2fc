"""``ridgejit fit --dask``: a directory or glob of files fitted on a real Dask cluster."""

import pickle
import re
import socket

import numpy as np
import pytest
from numpy.testing import assert_allclose

from conftest import assert_coef_close

distributed = pytest.importorskip("distributed")
dd = pytest.importorskip("dask.dataframe")
pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

import ridgejit.dask as rjd  # noqa: E402
from ridgejit import Ridge, RidgeCV  # noqa: E402
from ridgejit.cli import fit_dask as cli_dask  # noqa: E402
from ridgejit.cli import main  # noqa: E402
from ridgejit.cli.fit_dask import data_and_address  # noqa: E402
from ridgejit.cli.model_file import load_model  # noqa: E402
from ridgejit.cli.dask_files import list_files, read_collection  # noqa: E402
from ridgejit.cli.io import DataError  # noqa: E402
from ridgejit.problem import objective_value  # noqa: E402
from test_cli_fit import fit_json, make_xy, predict_file, write_csv  # noqa: E402

#: rows of each file
PARTS = ((0, 300), (300, 750), (750, 900))
#: the target column's position in the CSV/parquet files (as write_csv puts it)
AT = 2


def write_parts(directory, X, y, fmt, parts=PARTS):
    """``X`` and ``y`` split over files ``part0..`` in ``directory`` (target: last .npy column, else ``y``)."""
    directory.mkdir()
    for i, (lo, hi) in enumerate(parts):
        f = directory / f"part{i}.{fmt}"
        if fmt == "npy":
            np.save(f, np.column_stack([X[lo:hi], y[lo:hi]]))
        elif fmt == "csv":
            write_csv(f, X[lo:hi], y[lo:hi], at=AT)
        else:
            cols = [(f"f{j}", X[lo:hi, j]) for j in range(X.shape[1])]
            cols.insert(AT, ("y", y[lo:hi]))
            pd.DataFrame(dict(cols)).to_parquet(f)
    return directory


def target_of(fmt, p):
    return str(p) if fmt == "npy" else "y"


@pytest.mark.parametrize("fmt", ["npy", "csv", "parquet"])
def test_files_fit_on_the_cluster_give_the_single_machine_model(tmp_path, capsys, client, fmt):
    X, y = make_xy(n=900, p=5, seed=1)
    directory = write_parts(tmp_path / "data", X, y, fmt)
    data = directory / "part*.csv" if fmt == "csv" else directory  # a glob, or a directory
    model = tmp_path / "m.npz"
    s = fit_json(capsys, data, "--dask", client.scheduler.address, "--target", target_of(fmt, 5),
                 "--alpha", "2.5", "--out", model)
    ref = Ridge(alpha=2.5, solver="direct").fit(X, y)
    est, meta = load_model(model)
    assert_coef_close(est.coef_, ref.coef_, rtol=1e-10)
    assert_allclose(est.intercept_, ref.intercept_, rtol=1e-10)
    assert s["n_samples"] == 900 and s["n_features"] == 5 and s["solver_used"] == "direct"
    assert s["dask"] == {"scheduler": client.scheduler.address, "workers": 2, "files": 3,
                         "format": fmt, "blocks": 3}
    assert_allclose(s["objective"], objective_value(X, y, ref.coef_, ref.intercept_, 2.5), rtol=1e-12)
    assert_allclose(s["r2"], ref.score(X, y), rtol=1e-12)
    if fmt != "npy":
        assert meta["feature_names"] == [f"f{j}" for j in range(5)] and meta["target"] == "y"
        lo, hi = PARTS[1]  # the saved model predicts on one machine, columns checked by name
        write_csv(tmp_path / "slice.csv", X[lo:hi], y[lo:hi], at=AT)
        pred = predict_file(capsys, model, tmp_path / "slice.csv", "--target", "y", tmp_path / "p.txt")
        assert_allclose(pred, ref.predict(X[lo:hi]), rtol=1e-10)


def test_npy_targets_from_their_own_files_with_other_blocks(tmp_path, capsys, client):
    X, Y = make_xy(n=900, p=5, seed=2)
    Y = np.column_stack([Y, -2 * Y + X[:, 0]])  # two targets
    (tmp_path / "x").mkdir(), (tmp_path / "y").mkdir()
    for i, (lo, hi) in enumerate(PARTS):
        np.save(tmp_path / "x" / f"x{i}.npy", X[lo:hi])
    np.save(tmp_path / "y" / "all.npy", Y)  # one file, chunked unlike X: rechunked to X's rows
    s = fit_json(capsys, tmp_path / "x", "--dask", client.scheduler.address, "--y", tmp_path / "y",
                 "--blocksize", "4KiB", "--out", tmp_path / "m.npz")
    ref = Ridge(alpha=1.0, solver="direct").fit(X, Y)
    est, _ = load_model(tmp_path / "m.npz")
    assert_coef_close(est.coef_, ref.coef_, rtol=1e-10)
    assert s["dask"]["blocks"] == sum(-(-(hi - lo) // (4096 // 40)) for lo, hi in PARTS)
    assert_allclose(s["objective"], objective_value(X, Y, ref.coef_, ref.intercept_, 1.0), rtol=1e-12)


def test_cv_chooses_the_alpha_of_ridgecv_on_the_same_block_folds(tmp_path, capsys, client):
    from sklearn.model_selection import PredefinedSplit

    X, y = make_xy(n=900, p=5, seed=3)
    directory = write_parts(tmp_path / "data", X, y, "parquet")
    s = fit_json(capsys, directory, "--dask", client.scheduler.address, "--target", "y",
                 "--alphas", "1e-3:1e4:8", "--cv", "3", "--scoring", "neg_mean_squared_error",
                 "--out", tmp_path / "m.npz")
    folds = np.concatenate([np.full(hi - lo, f) for f, (lo, hi) in enumerate(PARTS)])
    ref = RidgeCV(alphas=np.logspace(-3, 4, 8), cv=PredefinedSplit(folds),
                  scoring="neg_mean_squared_error").fit(X, y)
    assert s["alpha"] == ref.alpha_ and s["cv"]["cv"] == "3"
    assert_allclose(s["cv"]["score"], ref.mean_scores_, rtol=1e-8)
    est, meta = load_model(tmp_path / "m.npz")
    assert meta["solver"] == "ridgecv"
    assert_coef_close(est.coef_, ref.coef_, rtol=1e-10)


def test_sgd_solver_runs_the_dask_sgd_estimator(tmp_path, capsys, client):
    X, y = make_xy(n=900, p=5, seed=4)
    directory = write_parts(tmp_path / "data", X, y, "npy")
    s = fit_json(capsys, directory, "--dask", client.scheduler.address, "--target", "5",
                 "--solver", "minibatch", "--max-iter", "3", "--tol", "0", "--out", tmp_path / "m.npz")
    coll = read_collection(directory, "5")
    ref = rjd.SGDRidge(solver="minibatch", max_iter=3, tol=0, random_state=0).fit(coll.X, coll.y)
    est, _ = load_model(tmp_path / "m.npz")
    assert s["solver"] == "minibatch" and s["n_iter"] == 3
    assert_coef_close(est.coef_, ref.coef_, rtol=1e-12)


def test_no_address_starts_a_local_cluster_and_dask_may_take_the_data_word(tmp_path, capsys, client):
    X, y = make_xy(n=900, p=5, seed=5)
    directory = write_parts(tmp_path / "data", X, y, "npy")
    s = fit_json(capsys, "--dask", directory, "--target", "5", "--workers", "1", "--out", tmp_path / "m.npz")
    assert s["dask"]["workers"] == 1 and s["dask"]["scheduler"] != client.scheduler.address
    assert_coef_close(load_model(tmp_path / "m.npz")[0].coef_, Ridge(solver="direct").fit(X, y).coef_, rtol=1e-10)
    assert distributed.default_client() is client  # the session's client is the default again


def test_data_and_address():
    assert data_and_address("d", "local") == ("d", "local")
    assert data_and_address(None, "data/*.csv") == ("data/*.csv", "local")
    assert data_and_address("d", "tcp://10.0.0.1:8786") == ("d", "tcp://10.0.0.1:8786")
    assert data_and_address("d", "sched:8786") == ("d", "sched:8786")
    for address in ("local", "tcp://h:1", "h:8786"):
        with pytest.raises(DataError, match="no DATA"):
            data_and_address(None, address)


def test_files_in_natural_order_and_rows_read_by_the_workers(tmp_path, client):
    rng = np.random.default_rng(0)
    parts = {i: rng.standard_normal((3000 + i, 4)) for i in (10, 2, 1)}
    for i, A in parts.items():
        np.save(tmp_path / f"part{i}.npy", A)
    files, fmt = list_files(tmp_path / "part*.npy")
    assert fmt == "npy" and [f.rsplit("/", 1)[1] for f in files] == ["part1.npy", "part2.npy", "part10.npy"]
    coll = read_collection(tmp_path, "3", blocksize=2**15)
    A = np.concatenate([parts[1], parts[2], parts[10]])
    assert_allclose(coll.X.compute(), A[:, :3], rtol=0)
    assert_allclose(coll.y.compute(), A[:, 3], rtol=0)  # was after an "and" that never ran it
    graph = pickle.dumps(dict(coll.X.__dask_graph__()))
    assert len(graph) < A.nbytes / 10  # the graph names files and row ranges; rows stay on disk


def _bad_inputs(tmp_path):
    X, y = make_xy(n=900, p=5, seed=6)
    npy = write_parts(tmp_path / "npy", X, y, "npy")
    csv = write_parts(tmp_path / "csv", X, y, "csv")
    mixed = write_parts(tmp_path / "mixed", X, y, "npy")
    write_csv(mixed / "extra.csv", X[:10], y[:10])
    narrow = write_parts(tmp_path / "narrow", X, y, "npy")
    np.save(narrow / "part3.npy", np.ones((5, 4)))
    nan = write_parts(tmp_path / "nan", X, y, "npy")
    A = np.load(nan / "part1.npy")
    A[7, 1] = np.nan
    np.save(nan / "part1.npy", A)
    (tmp_path / "empty").mkdir()
    np.savez(tmp_path / "d.npz", X=X, y=y)
    return {
        "mixed": ([mixed, "--target", "5"], "files of several formats"),
        "empty": ([tmp_path / "empty"], "no .npy"),
        "no match": ([tmp_path / "nothing*.csv"], "no file matches"),
        "npz": ([tmp_path / "d.npz"], "--dask reads"),
        "columns": ([narrow, "--target", "5"], r"part3.npy: shape \(5, 4\) does not continue"),
        "nan": ([nan, "--target", "5"], r"block 1 \(rows 300:750\)"),
        "no target": ([csv], "no target; name its column"),
        "missing column": ([csv, "--target", "z"], "no column 'z'"),
        "target index": ([npy, "--target", "9"], "column index in"),
        "loo": ([npy, "--target", "5", "--alphas", "1,10"], "give --cv K"),
        "y with csv": ([csv, "--y", npy], "--y goes with .npy"),
        "blocksize": ([npy, "--target", "5", "--blocksize", "lots"], "--blocksize 'lots'"),
        "solver": ([npy, "--target", "5", "--solver", "saga"], "single-machine only"),
    }


def test_bad_input_is_one_line_naming_the_problem(tmp_path, capsys, client):
    for name, (argv, message) in _bad_inputs(tmp_path).items():
        rc = main(["fit", *map(str, argv), "--dask", client.scheduler.address, "--out",
                   str(tmp_path / "m.npz"), "--quiet"])
        err = capsys.readouterr().err
        assert rc == 2, name
        assert err.startswith("ridgejit: error: ") and re.search(message, err), (name, err)
    assert not (tmp_path / "m.npz").exists()


def test_scheduler_errors(tmp_path, capsys, client, monkeypatch):
    X, y = make_xy(n=90, p=3)
    directory = write_parts(tmp_path / "d", X, y, "npy", parts=((0, 90),))
    assert main(["fit", str(directory), "--dask", client.scheduler.address, "--workers", "2",
                 "--out", str(tmp_path / "m.npz")]) == 2
    assert "does not apply with a scheduler address" in capsys.readouterr().err
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setattr(cli_dask, "CONNECT_TIMEOUT", "1s")
    assert main(["fit", str(directory), "--target", "3", "--dask", f"tcp://127.0.0.1:{port}",
                 "--out", str(tmp_path / "m.npz")]) == 2
    assert "cannot reach the scheduler" in capsys.readouterr().err


def test_standard_errors_on_the_cluster_equal_the_single_machine_ones(tmp_path, capsys, client):
    """``--se HC3 --dask``: the leverage pass runs on the workers, block by block."""
    X, y = make_xy(n=900, p=5, seed=3)
    directory = write_parts(tmp_path / "data", X, y, "npy")
    s = fit_json(capsys, directory, "--dask", client.scheduler.address, "--target", "5", "--se", "HC3",
                 "--out", tmp_path / "m.npz")
    ref = Ridge(cov_type="HC3").fit(X, y)
    assert s["coef_table"]["cov_type"] == "HC3"
    assert_allclose([r["std_err"] for r in s["coef_table"]["rows"]], ref.bse_, rtol=1e-10)
