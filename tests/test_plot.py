"""ridgejit.plot: the drawn data are the fitted models' own numbers (matplotlib's Agg backend)."""

import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose

from conftest import make_data
from ridgejit import Ridge, RidgeCV, SGDRidge, ridge_path
from ridgejit.plot import plot_coef_path, plot_history, plot_thread_scaling, plot_validation_curve

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


@pytest.mark.parametrize("model", [Ridge(solver="cg", tol=1e-12), SGDRidge(solver="saga", max_iter=5, tol=None,
                                                                           random_state=0)])
def test_history_lines_are_the_models_history(model, ax):
    X, y, _ = make_data(n=400, p=6)
    model.fit(X, y)
    plot_history(model, ax=ax)
    line = ax.get_lines()[0]
    assert_allclose(line.get_xdata(), model.history_["time"])
    assert_allclose(line.get_ydata(), np.maximum(model.history_["gap_bound"], 1e-16))
    assert ax.get_yscale() == "log" and line.get_label() == getattr(model, "solver_", model.solver)
    plot_history(model, metric="objective", x="iteration", ax=ax)
    assert_allclose(ax.get_lines()[1].get_ydata(), model.history_["objective"])
    assert_allclose(ax.get_lines()[1].get_xdata(), np.arange(len(model.history_["objective"])))
    with pytest.raises(ValueError, match="metric must be one of"):
        plot_history(model, metric="loss", ax=ax)


@pytest.mark.parametrize("cv, per_target", [(None, False), (4, False), (4, True)])
def test_validation_curve_draws_the_mean_scores_and_the_chosen_alpha(cv, per_target, ax):
    X, y, _ = make_data(n=200, p=6, k=2)
    model = RidgeCV(alphas=np.logspace(-2, 3, 7)[::-1], cv=cv, alpha_per_target=per_target).fit(X, y)
    plot_validation_curve(model, ax=ax)
    curve, chosen = ax.get_lines()[0], ax.get_lines()[1]
    order = np.argsort(model.alphas_)
    assert_allclose(curve.get_xdata(), model.alphas_[order])
    assert_allclose(curve.get_ydata(), np.atleast_2d(model.mean_scores_).mean(axis=0)[order])
    assert chosen.get_xdata()[0] == pytest.approx(float(np.ravel(model.alpha_)[0]))
    assert len(ax.collections) == (0 if cv is None else 1)  # the +-1 std band over folds


def test_coef_path_draws_one_line_per_feature(ax):
    X, y, _ = make_data(n=200, p=5)
    alphas = np.logspace(-2, 4, 9)
    coefs, _ = ridge_path(X, y, alphas)
    plot_coef_path(alphas, coefs, ax=ax, feature_names=list("abcde"))
    lines = [line for line in ax.get_lines() if line.get_label() in "abcde"]
    assert [line.get_label() for line in lines] == list("abcde")
    for j, line in enumerate(lines):
        assert_allclose(line.get_ydata(), coefs[:, j])
    with pytest.raises(ValueError, match="n_alphas, n_features"):
        plot_coef_path(alphas, coefs[:3], ax=ax)


def test_without_matplotlib_the_error_names_the_extra(monkeypatch):
    X, y, _ = make_data(n=100, p=3)
    model = Ridge().fit(X, y)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"ridgejit\[bench\]"):
        plot_history(model)


def test_plot_and_dask_load_on_first_access_not_at_import():
    import subprocess

    code = ("import sys, ridgejit; assert 'matplotlib' not in sys.modules and 'ridgejit.dask' not in sys.modules; "
            "from ridgejit.plot import plot_history; assert ridgejit.plot.plot_history is plot_history; "
            "print(ridgejit.dask.Ridge.__module__)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == "ridgejit.dask.ridge"


def test_thread_scaling_lines_are_speedups_over_one_thread(ax):
    rows = [{"pass": "gradient", "threads": t, "best": b, "median": m}
            for t, b, m in ((2, 0.6, 0.7), (1, 1.0, 1.4), (4, 0.4, 0.5))]
    rows.append({"pass": "matvec", "threads": 1, "best": 2.0, "median": 2.0})
    plot_thread_scaling(rows, ax=ax)
    grad, matvec, ideal = ax.get_lines()
    assert_allclose(grad.get_xdata(), [1, 2, 4])
    assert_allclose(grad.get_ydata(), [1.0, 1.4 / 0.7, 1.4 / 0.5])  # medians by default
    assert_allclose(matvec.get_ydata(), [1.0])
    assert_allclose(ideal.get_xdata(), [1, 4])
    assert_allclose(ideal.get_ydata(), [1, 4])
    plot_thread_scaling(rows, ax=ax, time="best")
    assert_allclose(ax.get_lines()[3].get_ydata(), [1.0, 1.0 / 0.6, 1.0 / 0.4])
    with pytest.raises(ValueError, match="no one-thread timing"):
        plot_thread_scaling([{"pass": "gradient", "threads": 2, "best": 1.0, "median": 1.0}], ax=ax)
