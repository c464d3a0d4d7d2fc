"""``ridgejit fit --alphas GRID --cv K [--plot]``: RidgeCV from the command line."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.datasets import dump_svmlight_file
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.linear_model import Ridge as SkRidge

from ridgejit import RidgeCV
from ridgejit.cli import main
from ridgejit.cli.fit_cv import parse_alphas, parse_cv
from ridgejit.cli.model_file import load_model
from ridgejit.cli.io import DataError
from test_cli_fit import fit_json, make_xy, predict_file, write_csv


def test_parse_alphas_and_cv():
    assert_allclose(parse_alphas("1e-3:1e3:7"), np.logspace(-3, 3, 7))
    assert_allclose(parse_alphas("0.1, 1,10"), [0.1, 1.0, 10.0])
    for bad in ("1:0:3", "a,b", "1:2", "", "1e-3:1e3:0"):
        with pytest.raises(DataError, match="--alphas"):
            parse_alphas(bad)
    assert parse_cv("loo") is None and parse_cv("5") == 5
    for bad in ("1", "x", "0"):
        with pytest.raises(DataError, match="--cv"):
            parse_cv(bad)


def test_csv_kfold_picks_the_grid_search_alpha_and_round_trips(tmp_path, capsys):
    X, y = make_xy(n=240, p=6, seed=3)
    data, model, out = tmp_path / "d.csv", tmp_path / "m.npz", tmp_path / "p.txt"
    write_csv(data, X, y)
    s = fit_json(capsys, data, "--target", "y", "--alphas", "1e-2:1e4:7", "--cv", "5", "--out", model)
    alphas = np.logspace(-2, 4, 7)
    ref = GridSearchCV(SkRidge(), {"alpha": alphas}, cv=KFold(5)).fit(X, y)
    assert s["alpha"] == ref.best_params_["alpha"] == s["cv"]["best_alpha"]
    assert_allclose(s["cv"]["score"], ref.cv_results_["mean_test_score"], rtol=1e-6)
    assert_allclose(s["cv"]["std"], ref.cv_results_["std_test_score"], rtol=1e-6)
    est, meta = load_model(model)
    assert meta["solver"] == "ridgecv" and meta["alpha"] == s["alpha"]
    pred = predict_file(capsys, model, data, "--target", "y", out)
    assert_allclose(pred, RidgeCV(alphas=alphas, cv=5).fit(X, y).predict(X), rtol=1e-12)


def test_svmlight_sparse_cv_and_text_table(tmp_path, capsys):
    X, y = make_xy(n=200, p=12, seed=4, sparsity=0.7)
    data = tmp_path / "d.svm"
    dump_svmlight_file(sp.csr_matrix(X), y, str(data))
    assert main(["fit", str(data), "--alphas", "0.01,1,100", "--cv", "4", "--out",
                 str(tmp_path / "m.npz")]) == 0
    text = capsys.readouterr().out
    assert "cross-validation: cv=4 (multishift)" in text and "<- chosen" in text
    ours = RidgeCV(alphas=[0.01, 1, 100], cv=4).fit(sp.csr_matrix(X), y)
    assert f"alpha {ours.alpha_:g}," in text


def test_alphas_alone_is_leave_one_out(tmp_path, capsys):
    X, y = make_xy(n=150, p=5, seed=5)
    data = tmp_path / "d.npy"
    np.save(data, np.column_stack([X, y]))
    s = fit_json(capsys, data, "--target", "5", "--alphas", "0.1,1,10", "--out", tmp_path / "m.npz")
    assert s["cv"]["cv"] == "loo" and s["cv"]["std"] is None
    assert s["alpha"] == RidgeCV(alphas=[0.1, 1, 10]).fit(X, y).alpha_


def test_plot_writes_a_png_and_needs_cv(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    X, y = make_xy(n=120, p=4, seed=6)
    data, png = tmp_path / "d.csv", tmp_path / "cv.png"
    write_csv(data, X, y)
    s = fit_json(capsys, data, "--target", "y", "--cv", "3", "--plot", png, "--out", tmp_path / "m.npz")
    assert s["plot"] == str(png) and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["fit", str(data), "--target", "y", "--plot", str(png), "--out", str(tmp_path / "x.npz")]) == 2
    assert "--plot draws the cross-validation curve" in capsys.readouterr().err
    assert not (tmp_path / "x.npz").exists()
