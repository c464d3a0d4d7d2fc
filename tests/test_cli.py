"""The ``ridgejit`` command line."""

import json
import subprocess
import sys

import pytest

from ridgejit.cli import main
from ridgejit.bench.compare import format_table, make_regression, run


def test_compare_json_small(capsys):
    rc = main(["compare", "--n-samples", "3000", "--n-features", "20", "--repeats", "1",
               "--solvers", "auto,direct,cg", "--sklearn-solvers", "cholesky,lsqr", "--json", "--quiet"])
    assert rc == 0
    rows = json.loads(capsys.readouterr().out)
    names = {(r["library"], r["solver"]) for r in rows}
    assert names == {("ridgejit", "auto"), ("ridgejit", "direct"), ("ridgejit", "cg"),
                     ("scikit-learn", "cholesky"), ("scikit-learn", "lsqr")}
    for r in rows:
        assert r["time"] > 0 and r["r2"] > 0.9
        if r["solver"] in ("auto", "direct", "cg", "cholesky"):
            assert r["gap"] < 1e-10
            assert r["coef_diff"] < 1e-6


def test_compare_table_float32():
    rows = run(2000, 10, dtype="float32", solvers=("direct",), sklearn_solvers=("cholesky",), repeats=1)
    text = format_table(rows)
    assert "ridgejit" in text and "scikit-learn" in text and "speedup" in text
    assert rows[0]["coef_diff"] < 1e-3


def test_make_regression_is_seeded_and_typed():
    X1, y1 = make_regression(100, 5, seed=3, dtype="float32")
    X2, y2 = make_regression(100, 5, seed=3, dtype="float32")
    assert X1.dtype.name == "float32" and X1.flags.c_contiguous
    assert (X1 == X2).all() and (y1 == y2).all()


def test_info_runs_as_console_script():
    out = subprocess.run([sys.executable, "-m", "ridgejit.cli", "info", "--json"],
                         capture_output=True, text=True, check=True).stdout
    info = json.loads(out)
    assert info["backends"]["numba"]["available"] is True
    assert "cython" in info["backends"]
    assert info["default_backend"] in ("numba", "numpy")


def test_cli_rejects_unknown_command():
    with pytest.raises(SystemExit):
        main(["frobnicate"])


def test_compare_kernels_small(capsys):
    assert main(["compare", "--kernels", "--n-samples", "5000", "--n-features", "10", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    for name in ("matvec", "gradient", "normal_product", "gradient_over_matvec"):
        assert name in out


def test_kernel_times_values_are_positive():
    from ridgejit.bench.measure import kernel_times

    X, y = make_regression(2000, 8)
    t = kernel_times(X, y, repeats=1)
    assert all(v > 0 for v in t.values())
    assert t["gradient_over_matvec"] == pytest.approx(t["gradient"] / t["matvec"])


def test_thread_scaling_times_every_pass_at_every_count(monkeypatch):
    import numba

    from ridgejit.bench import measure

    X, y = make_regression(2000, 8)
    rows = measure.thread_scaling(X, y, threads=[1, 2], repeats=2)
    passes = [*measure.PARALLEL_PASSES, "fit direct"]
    assert [(r["pass"], r["threads"]) for r in rows] == [(n, t) for t in (1, 2) for n in passes]
    assert all(0 < r["best"] <= r["median"] for r in rows)
    assert [r["numba_threads"] for r in rows] == [min(r["threads"], numba.config.NUMBA_NUM_THREADS)
                                                  for r in rows]
    monkeypatch.setattr(measure.os, "cpu_count", lambda: 12)
    seen = []
    monkeypatch.setattr(measure, "_timings", lambda f, repeats: seen.append(1) or (1.0, 1.0))
    counts = sorted({r["threads"] for r in measure.thread_scaling(X, y, repeats=1)})
    assert counts == [1, 2, 4, 8, 12]


def test_compare_stochastic_rows_convert_alpha_for_sgdregressor():
    from ridgejit.bench.compare import sklearn_estimator

    assert sklearn_estimator("sgdregressor", 5.0, 1000, 0).alpha == pytest.approx(0.005)
    rows = run(3000, 8, solvers=("saga", "asgd"), sklearn_solvers=("sgdregressor", "saga"), repeats=1,
               max_iter=20)
    by = {(r["library"], r["solver"]): r for r in rows}
    assert by[("ridgejit", "saga")]["n_iter"] == 20
    assert by[("ridgejit", "asgd")]["n_iter"] == 20
    assert all(r["r2"] > 0.8 for r in rows)


@pytest.mark.parametrize("extra", [["--cv", "4"], ["--alphas", "0.01,1,100"],
                                   ["--cv", "3", "--density", "0.2", "--n-features", "30",
                                    "--sklearn-solvers", "lsqr"]])
def test_compare_cv_rows_sit_beside_sklearn_ridgecv(capsys, extra):
    rc = main(["compare", "--n-samples", "600", "--n-features", "8", "--repeats", "1", "--solvers", "direct",
               "--sklearn-solvers", "cholesky", "--json", "--quiet", *extra])
    assert rc == 0
    rows = [r for r in json.loads(capsys.readouterr().out) if "alpha" in r]
    assert [r["library"] for r in rows] == ["ridgejit", "scikit-learn"]
    ours, ref = rows
    cv = "loo" if "--alphas" in extra else extra[1]
    assert ours["solver"].startswith(f"RidgeCV(cv={cv})") and ours["alpha"] == ref["alpha"]
    assert ours["speedup"] == pytest.approx(ref["time"] / ours["time"])
    assert ours["coef_diff"] < (1e-3 if "--density" in extra else 1e-8)
    assert main(["compare", "--cv", "1", "--quiet"]) == 2
    assert "--cv '1'" in capsys.readouterr().err
