"""``ridgejit fit`` / ``ridgejit predict`` and the file readers behind them."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from conftest import assert_coef_close, augmented_ridge
from sklearn.datasets import dump_svmlight_file
from sklearn.linear_model import Ridge as SkRidge

import ridgejit
from ridgejit.cli import main
from ridgejit.cli.model_file import load_model
from ridgejit.cli.io import DataError, load_data, load_target

pd = pytest.importorskip("pandas")


def make_xy(n=200, p=5, seed=0, sparsity=0.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 3, p) + rng.normal(0, 2, p)
    if sparsity:
        X[rng.random((n, p)) < sparsity] = 0.0
    y = X @ rng.standard_normal(p) + 0.1 * rng.standard_normal(n) + 4.0
    return X, y


def write_csv(path, X, y, target="y", at=2):
    cols = {f"f{j}": X[:, j] for j in range(X.shape[1])}
    items = list(cols.items())
    items.insert(at, (target, y))
    pd.DataFrame(dict(items)).to_csv(path, index=False)


def fit_json(capsys, *argv):
    assert main(["fit", *map(str, argv), "--json", "--quiet"]) == 0
    return json.loads(capsys.readouterr().out)


def predict_file(capsys, *argv):
    out = argv[-1]
    assert main(["predict", *map(str, argv[:-1]), "--out", str(out), "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    return np.loadtxt(out, delimiter=",", ndmin=1)


def leftovers(directory):
    return [f for f in os.listdir(directory) if f.endswith(".tmp")]


# -- round trips -----------------------------------------------------------------
@pytest.mark.parametrize("solver", ["auto", "direct", "cg"])
def test_csv_round_trip_matches_ridge_and_sklearn(tmp_path, capsys, solver):
    X, y = make_xy()
    data, model, out = tmp_path / "train.csv", tmp_path / "m.npz", tmp_path / "pred.txt"
    write_csv(data, X, y)
    s = fit_json(capsys, data, "--target", "y", "--alpha", "2.5", "--solver", solver,
                 "--tol", "1e-12", "--out", model)
    direct = ridgejit.Ridge(alpha=2.5, solver=solver, tol=1e-12).fit(X, y)
    assert (s["n_samples"], s["n_features"], s["target"], s["solver"]) == (200, 5, "y", solver)
    assert s["solver_used"] == direct.solver_ and s["n_iter"] == direct.n_iter_
    assert s["fit_time"] > 0 and s["r2"] == pytest.approx(direct.score(X, y), abs=1e-12)
    r = X @ direct.coef_ + direct.intercept_ - y  # J written out, independently of the kernels
    J = (r @ r + 2.5 * direct.coef_ @ direct.coef_) / (2 * len(y))
    assert s["objective"] == pytest.approx(J, rel=1e-10)

    est, meta = load_model(model)
    sk = SkRidge(alpha=2.5).fit(X, y)
    assert_coef_close(est.coef_, sk.coef_, rtol=1e-6)
    assert est.intercept_ == pytest.approx(sk.intercept_, rel=1e-6)
    assert meta["feature_names"] == ["f0", "f1", "f2", "f3", "f4"] and meta["target"] == "y"
    assert meta["ridgejit_version"] == ridgejit.__version__ and meta["dtype"] == "float64"

    pred = predict_file(capsys, model, data, "--target", "y", out)  # the target column is ignored
    assert_allclose(pred, direct.predict(X), rtol=1e-12, atol=1e-12)
    assert_array_equal(pred, est.predict(X))  # written exactly
    features_only = tmp_path / "new.csv"
    pd.DataFrame(X, columns=[f"f{j}" for j in range(5)]).to_csv(features_only, index=False)
    assert_array_equal(predict_file(capsys, model, features_only, out), pred)


def test_predict_writes_stdout_one_line_per_row(tmp_path, capsys):
    X, y = make_xy(n=50)
    data, model = tmp_path / "d.csv", tmp_path / "m.npz"
    write_csv(data, X, y)
    assert main(["fit", str(data), "--target", "y", "--out", str(model)]) == 0
    text = capsys.readouterr().out
    for word in ("objective", "R^2", "solver auto -> direct", "iteration"):
        assert word in text
    assert main(["predict", str(model), str(data), "--target", "y"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 50
    assert_array_equal([float(v) for v in lines], load_model(model)[0].predict(X))


def test_svmlight_round_trip(tmp_path, capsys):
    """Needs sparse (CSR) support in Ridge: X goes to the estimator as CSR, never densified."""
    X, y = make_xy(n=150, p=6, sparsity=0.6)
    data, model, out = tmp_path / "train.svm", tmp_path / "m.npz", tmp_path / "pred.txt"
    dump_svmlight_file(sp.csr_matrix(X), y, str(data), zero_based=False)
    s = fit_json(capsys, data, "--alpha", "0.7", "--out", model)
    assert (s["n_samples"], s["n_features"]) == (150, 6)
    est, meta = load_model(model)
    assert meta["svmlight_zero_based"] is False
    assert_coef_close(est.coef_, SkRidge(alpha=0.7).fit(X, y).coef_, rtol=1e-6)
    pred = predict_file(capsys, model, data, out)
    assert_allclose(pred, ridgejit.Ridge(alpha=0.7).fit(X, y).predict(X), rtol=1e-12, atol=1e-12)


def test_npy_with_y_file_and_target_index(tmp_path, capsys):
    X, y = make_xy()
    np.save(tmp_path / "X.npy", X)
    np.savetxt(tmp_path / "y.txt", y, fmt="%.17g")
    np.save(tmp_path / "Xy.npy", np.c_[X[:, :2], y, X[:, 2:]])
    fit_json(capsys, tmp_path / "X.npy", "--y", tmp_path / "y.txt", "--out", tmp_path / "a.npz")
    fit_json(capsys, tmp_path / "Xy.npy", "--target", "2", "--out", tmp_path / "b.npz")
    a, b = load_model(tmp_path / "a.npz")[0], load_model(tmp_path / "b.npz")[0]
    assert_coef_close(a.coef_, SkRidge(alpha=1.0).fit(X, y).coef_, rtol=1e-6)
    assert_coef_close(b.coef_, a.coef_, rtol=1e-12)
    pred = predict_file(capsys, tmp_path / "a.npz", tmp_path / "X.npy", tmp_path / "p.txt")
    assert_allclose(pred, ridgejit.Ridge().fit(X, y).predict(X), rtol=1e-12, atol=1e-12)
    pred_b = predict_file(capsys, tmp_path / "b.npz", tmp_path / "Xy.npy", "--target", "2",
                          tmp_path / "q.txt")
    assert_allclose(pred_b, pred, rtol=1e-12)


def test_npz_multi_target_and_float32(tmp_path, capsys):
    X, y = make_xy()
    Y = np.c_[y, -2 * y + 1]
    np.savez(tmp_path / "d.npz", X=X, y=Y, other=y)
    fit_json(capsys, tmp_path / "d.npz", "--out", tmp_path / "m.npz")
    pred = predict_file(capsys, tmp_path / "m.npz", tmp_path / "d.npz", tmp_path / "p.txt")
    assert pred.shape == (200, 2)
    assert_allclose(pred, ridgejit.Ridge().fit(X, Y).predict(X), rtol=1e-12, atol=1e-12)
    assert_array_equal(load_target(tmp_path / "p.txt"), pred)

    np.savez(tmp_path / "f.npz", X=X.astype(np.float32), target=y)
    s = fit_json(capsys, tmp_path / "f.npz", "--target", "target", "--out", tmp_path / "f32.npz")
    est, meta = load_model(tmp_path / "f32.npz")
    assert s["target"] == "target" and meta["dtype"] == "float32" and est.coef_.dtype == np.float32


def test_stochastic_solver_uses_sgdridge(tmp_path, capsys):
    X, y = make_xy()
    np.savez(tmp_path / "d.npz", X=X, y=y)
    s = fit_json(capsys, tmp_path / "d.npz", "--solver", "saga", "--seed", "3", "--out", tmp_path / "m.npz")
    sgd = ridgejit.SGDRidge(solver="saga", random_state=3).fit(X, y)
    assert s["solver_used"] == "saga" and s["n_iter"] == sgd.n_iter_
    pred = predict_file(capsys, tmp_path / "m.npz", tmp_path / "d.npz", tmp_path / "p.txt")
    assert_allclose(pred, sgd.predict(X), rtol=1e-12, atol=1e-12)


def test_positive_and_sklearn_solver_names(tmp_path, capsys):
    X, y = make_xy()
    y = y - 3 * X[:, 1]
    np.savez(tmp_path / "d.npz", X=X, y=y)
    s = fit_json(capsys, tmp_path / "d.npz", "--solver", "lbfgs", "--positive", "--out", tmp_path / "m.npz")
    ref = SkRidge(alpha=1.0, positive=True, tol=1e-12).fit(X, y)
    assert s["solver_used"] == "positive"
    assert_coef_close(load_model(tmp_path / "m.npz")[0].coef_, ref.coef_, rtol=1e-5)
    s = fit_json(capsys, tmp_path / "d.npz", "--solver", "cholesky", "--out", tmp_path / "m.npz")
    assert s["solver_used"] == "direct"
    assert main(["fit", str(tmp_path / "d.npz"), "--positive", "--cv", "loo", "--out", str(tmp_path / "c.npz")]) == 2
    assert "--positive is for Ridge" in capsys.readouterr().err
    s = fit_json(capsys, tmp_path / "d.npz", "--positive", "--cv", "3", "--alphas", "0.1,1,10", "--out",
                 tmp_path / "c.npz")
    alpha = s["alpha"]
    ref = SkRidge(alpha=alpha, positive=True, tol=1e-12).fit(X, y)
    assert_coef_close(load_model(tmp_path / "c.npz")[0].coef_, ref.coef_, rtol=1e-5)


def test_standard_errors_are_printed_and_saved(tmp_path, capsys):
    X, y = make_xy()
    write_csv(tmp_path / "d.csv", X, y)
    s = fit_json(capsys, tmp_path / "d.csv", "--target", "y", "--se", "HC1", "--out", tmp_path / "m.npz")
    ref = ridgejit.Ridge(cov_type="HC1").fit(X, y)
    rows = s["coef_table"]["rows"]
    assert s["coef_table"]["cov_type"] == "HC1" and [r["name"] for r in rows] == ["intercept", "f0", "f1", "f2", "f3", "f4"]
    assert_allclose([r["std_err"] for r in rows], ref.bse_, rtol=1e-10)
    with np.load(tmp_path / "m.npz") as saved:
        assert_allclose(saved["bse"], ref.bse_, rtol=1e-10)
        assert str(saved["cov_type"]) == "HC1"
    assert main(["fit", str(tmp_path / "d.csv"), "--target", "y", "--se", "HC3", "--cv", "3",
                 "--out", str(tmp_path / "c.npz")]) == 2
    assert "--se is for Ridge" in capsys.readouterr().err


def test_penalty_factor_from_a_list_or_a_file(tmp_path, capsys):
    X, y = make_xy()
    np.savez(tmp_path / "d.npz", X=X, y=y)
    d = np.array([0.0, 1.0, 2.0, 0.5, 4.0])
    s = fit_json(capsys, tmp_path / "d.npz", "--penalty-factor", "0,1,2,0.5,4", "--alpha", "3",
                 "--out", tmp_path / "m.npz")
    coef = load_model(tmp_path / "m.npz")[0].coef_
    assert_allclose(coef, augmented_ridge(X, y, None, 3.0, d)[0], rtol=1e-10)
    r = X @ coef + load_model(tmp_path / "m.npz")[0].intercept_ - y
    assert s["objective"] == pytest.approx((r @ r + 3.0 * d @ (coef * coef)) / (2 * len(y)), rel=1e-10)
    np.save(tmp_path / "d_factor.npy", d)
    fit_json(capsys, tmp_path / "d.npz", "--penalty-factor", tmp_path / "d_factor.npy", "--alpha", "3",
             "--alphas", "3", "--out", tmp_path / "cv.npz")
    assert_allclose(load_model(tmp_path / "cv.npz")[0].coef_, coef, rtol=1e-10)
    assert main(["fit", str(tmp_path / "d.npz"), "--penalty-factor", "1,x", "--out", str(tmp_path / "e.npz")]) == 2
    assert "--penalty-factor '1,x'" in capsys.readouterr().err
    assert main(["fit", str(tmp_path / "d.npz"), "--penalty-factor", "1,1", "--out", str(tmp_path / "e.npz")]) == 2
    assert "one value per feature (5)" in capsys.readouterr().err
    # SGDRidge's saga takes the factors on dense data, to its tolerance; minibatch says it does not
    positive_d = d + 0.5
    fit_json(capsys, tmp_path / "d.npz", "--penalty-factor", ",".join(map(str, positive_d)), "--alpha", "3",
             "--solver", "saga", "--tol", "1e-12", "--max-iter", "5000", "--out", tmp_path / "s.npz")
    assert_allclose(load_model(tmp_path / "s.npz")[0].coef_, augmented_ridge(X, y, None, 3.0, positive_d)[0],
                    rtol=1e-5)
    assert main(["fit", str(tmp_path / "d.npz"), "--penalty-factor", "1,1,1,1,1.5", "--solver", "minibatch",
                 "--out", str(tmp_path / "e.npz")]) == 2
    assert "penalty_factor needs solver='sgd'" in capsys.readouterr().err


def test_penalty_matrix_from_a_file(tmp_path, capsys):
    """``--penalty-matrix``: a second-difference penalty ``P = D^T D`` (null space: constant and
    linear profiles) from .npy and from text, against the closed form solved here."""
    X, y = make_xy()
    np.savez(tmp_path / "d.npz", X=X, y=y)
    Dm = np.diff(np.eye(5), n=2, axis=0)
    P = Dm.T @ Dm
    np.save(tmp_path / "P.npy", P)
    np.savetxt(tmp_path / "P.txt", P, delimiter=",")
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    want = np.linalg.solve(Xc.T @ Xc + 3.0 * P, Xc.T @ yc)
    for path in ("P.npy", "P.txt"):
        s = fit_json(capsys, tmp_path / "d.npz", "--penalty-matrix", tmp_path / path, "--alpha", "3",
                     "--out", tmp_path / "m.npz")
        model = load_model(tmp_path / "m.npz")[0]
        assert_allclose(model.coef_, want, rtol=1e-10)
        r = X @ model.coef_ + model.intercept_ - y
        assert s["objective"] == pytest.approx((r @ r + 3.0 * want @ P @ want) / (2 * len(y)), rel=1e-10)
    fit_json(capsys, tmp_path / "d.npz", "--penalty-matrix", tmp_path / "P.npy", "--alphas", "3",
             "--out", tmp_path / "cv.npz")
    assert_allclose(load_model(tmp_path / "cv.npz")[0].coef_, want, rtol=1e-10)
    np.savetxt(tmp_path / "bad.txt", P[:3])
    assert main(["fit", str(tmp_path / "d.npz"), "--penalty-matrix", str(tmp_path / "bad.txt"),
                 "--out", str(tmp_path / "e.npz")]) == 2
    assert "a square matrix" in capsys.readouterr().err
    np.save(tmp_path / "neg.npy", -P)
    assert main(["fit", str(tmp_path / "d.npz"), "--penalty-matrix", str(tmp_path / "neg.npy"),
                 "--out", str(tmp_path / "e.npz")]) == 2
    assert "positive semi-definite" in capsys.readouterr().err
    assert main(["fit", str(tmp_path / "d.npz"), "--penalty-matrix", str(tmp_path / "P.npy"), "--solver", "sag",
                 "--out", str(tmp_path / "e.npz")]) == 2
    assert "--penalty-matrix is for Ridge" in capsys.readouterr().err


@pytest.mark.parametrize("sparse_data", [False, True])
def test_prediction_intervals_equal_statsmodels_at_alpha_zero(tmp_path, capsys, sparse_data):
    sm = pytest.importorskip("statsmodels.api")
    X, y = make_xy(sparsity=0.5 if sparse_data else 0.0)
    if sparse_data:
        dump_svmlight_file(X, y, str(tmp_path / "d.svm"), zero_based=True)
        data = tmp_path / "d.svm"
    else:
        np.savez(tmp_path / "d.npz", X=X, y=y)
        data = tmp_path / "d.npz"
    fit_json(capsys, data, "--alpha", "0", "--se", "classical", "--out", tmp_path / "m.npz")
    out = predict_file(capsys, tmp_path / "m.npz", data, "--interval", "0.9", tmp_path / "p.txt")
    frame = sm.OLS(y, sm.add_constant(X)).fit().get_prediction(sm.add_constant(X)).summary_frame(alpha=0.1)
    assert_allclose(out[:, 0], frame["mean"], rtol=1e-9)
    assert_allclose(out[:, 1:], frame[["obs_ci_lower", "obs_ci_upper"]], rtol=1e-8)
    assert main(["predict", str(tmp_path / "m.npz"), str(data), "--interval", "1.5", "--quiet"]) == 2
    fit_json(capsys, data, "--out", tmp_path / "plain.npz")
    assert main(["predict", str(tmp_path / "plain.npz"), str(data), "--interval", "0.9", "--quiet"]) == 2
    assert "fit it with --se" in capsys.readouterr().err


def test_console_scripts_round_trip(tmp_path):
    script = os.path.join(os.path.dirname(sys.executable), "ridgejit")
    if not os.path.exists(script):
        pytest.skip("the ridgejit console script is not installed beside this Python")
    X, y = make_xy(n=40, p=3)
    write_csv(tmp_path / "d.csv", X, y, at=0)
    subprocess.run([script, "fit", "d.csv", "--target", "y", "--out", "m.npz", "--quiet"],
                   cwd=tmp_path, check=True)
    out = subprocess.run([script, "predict", "m.npz", "d.csv", "--target", "y"], cwd=tmp_path,
                         check=True, capture_output=True, text=True).stdout
    assert_allclose(np.array(out.split(), dtype=float), ridgejit.Ridge().fit(X, y).predict(X),
                    rtol=1e-12, atol=1e-12)


# -- readers -----------------------------------------------------------------------
@pytest.mark.parametrize("zero_based", [True, False])
def test_load_svmlight_is_csr_and_keeps_the_base(tmp_path, zero_based):
    X, y = make_xy(n=30, p=4, sparsity=0.5)
    X[:, 0] = np.where(np.arange(30) % 2, X[:, 0], 0.0)
    path = tmp_path / "d.libsvm"
    dump_svmlight_file(X, y, str(path), zero_based=zero_based)
    d = load_data(path)
    assert sp.issparse(d.X) and d.X.format == "csr" and d.zero_based is zero_based
    assert_allclose(d.X.toarray(), X)
    assert_allclose(d.y, y)  # assert_* return None: an "and" never ran this check
    # a later file that uses fewer features is widened to the model's count
    dump_svmlight_file(X[:, :2], y, str(path), zero_based=zero_based)
    d2 = load_data(path, n_features=4, zero_based=zero_based)
    assert d2.X.shape == (30, 4) and assert_allclose(d2.X.toarray()[:, :2], X[:, :2]) is None
    with pytest.raises(DataError, match="more than the 1 expected"):
        load_data(tmp_path / "d.libsvm", n_features=1, zero_based=zero_based)


def test_load_svmlight_index_zero_in_one_based_file(tmp_path):
    path = tmp_path / "d.svm"
    path.write_text("1.0 0:1.5 2:3\n2.0 1:1\n")
    with pytest.raises(DataError, match="index 0"):
        load_data(path, zero_based=False)
    assert load_data(path).X.shape == (2, 3)


def test_npy_is_memory_mapped(tmp_path):
    X, _ = make_xy(n=20)
    np.save(tmp_path / "X.npy", X)
    d = load_data(tmp_path / "X.npy")
    assert isinstance(d.X, np.memmap) and d.y is None


# -- errors: a clear message naming the file, exit code 2, no output file -------------
#: case -> (arguments, the file the message must name, words of the message)
ERRORS = {
    "missing": (["fit", "nope.csv", "--target", "y"], "nope.csv", "no such file"),
    "extension": (["fit", "d.parquet"], "d.parquet", "unknown file type"),
    "empty": (["fit", "empty.csv", "--target", "y"], "empty.csv", "empty"),
    "ragged": (["fit", "ragged.csv", "--target", "y"], "ragged.csv", "malformed CSV"),
    "short_row": (["fit", "short.csv", "--target", "y"], "short.csv", "missing, NaN or infinite"),
    "nan": (["fit", "nan.npy", "--target", "0"], "nan.npy", "NaN"),
    "text": (["fit", "text.csv", "--target", "y"], "text.csv", "column 'b' is not numeric"),
    "no_column": (["fit", "good.csv", "--target", "z"], "good.csv", "no column 'z'"),
    "no_target": (["fit", "good.csv"], "good.csv", "no target"),
    "rows": (["fit", "X.npy", "--y", "y.txt"], "y.txt", "19 target values, but"),
    "bad_svm": (["fit", "bad.svm"], "bad.svm", "malformed svmlight"),
    "not_model": (["predict", "X.npy", "good.csv"], "X.npy", "not a ridgejit model"),
    "features": (["predict", "model.npz", "X4.npy"], "X4.npy", "4 features, but the model"),
}


@pytest.fixture
def bad_files(tmp_path):
    X, y = make_xy(n=20, p=3)
    write_csv(tmp_path / "good.csv", X, y)
    (tmp_path / "d.parquet").write_text("x")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "ragged.csv").write_text("a,b,y\n1,2,3\n4,5,6,7\n")
    (tmp_path / "short.csv").write_text("a,b,y\n1,2,3\n4,5\n")
    (tmp_path / "text.csv").write_text("a,b,y\n1,2,3\n4,five,6\n")
    (tmp_path / "bad.svm").write_text("1.0 1:2\n2.0 oops\n")
    np.save(tmp_path / "nan.npy", np.array([[1.0, 2.0], [np.nan, 1.0]]))
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "X4.npy", np.ones((3, 4)))
    np.savetxt(tmp_path / "y.txt", y[:-1])
    assert main(["fit", str(tmp_path / "good.csv"), "--target", "y", "--out",
                 str(tmp_path / "model.npz"), "--quiet"]) == 0
    return tmp_path


@pytest.mark.parametrize("case", ERRORS)
def test_errors_name_the_file_and_leave_no_output(bad_files, capsys, case):
    argv, named, message = ERRORS[case]
    capsys.readouterr()
    out = bad_files / "out.npz"
    files = [str(bad_files / a) if "." in a and not a.startswith("-") else a for a in argv]
    rc = main([*files, "--out", str(out)])
    err = capsys.readouterr()
    assert rc == 2 and err.out == ""
    assert err.err.startswith("ridgejit: error: ") and "Traceback" not in err.err
    assert message in err.err and str(bad_files / named) in err.err
    assert not out.exists() and leftovers(bad_files) == []


def test_failed_predict_keeps_the_previous_output(bad_files, capsys):
    out = bad_files / "pred.txt"
    out.write_text("old\n")
    assert main(["predict", str(bad_files / "model.npz"), str(bad_files / "short.csv"),
                 "--out", str(out)]) == 2
    assert out.read_text() == "old\n" and leftovers(bad_files) == []


def test_predict_rejects_other_columns(bad_files, capsys):
    pd.DataFrame(np.ones((3, 3)), columns=["f0", "x", "f2"]).to_csv(bad_files / "o.csv", index=False)
    assert main(["predict", str(bad_files / "model.npz"), str(bad_files / "o.csv")]) == 2
    assert "differ from the model's features" in capsys.readouterr().err


def test_progress_line_on_a_terminal_only(monkeypatch, capsys):
    import io
    import time

    from ridgejit.cli import common as cli_fit

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(cli_fit, "PROGRESS_DELAY", 0.0)
    for enabled, stream in ((True, Terminal()), (False, Terminal()), (True, io.StringIO())):
        monkeypatch.setattr(sys, "stderr", stream)
        with cli_fit.progress("fitting x", enabled):
            time.sleep(0.6)
        shown = "fitting x: 00:00" in stream.getvalue()
        assert shown == (enabled and isinstance(stream, Terminal))


def test_csv_without_pandas_names_the_extra(tmp_path, capsys, monkeypatch):
    X, y = make_xy()
    write_csv(tmp_path / "d.csv", X, y)
    monkeypatch.setitem(sys.modules, "pandas", None)
    assert main(["fit", str(tmp_path / "d.csv"), "--target", "y", "--out", str(tmp_path / "m.npz")]) == 2
    assert 'pip install "ridgejit[cli]"' in capsys.readouterr().err
