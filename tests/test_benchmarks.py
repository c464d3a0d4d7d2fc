"""The asv suite is well formed, and ``compare --plot`` draws a readable PNG."""

import os
import pathlib
import subprocess
import sys

import pytest

from ridgejit.cli import main

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_asv_check_passes_on_the_suite():
    pytest.importorskip("asv")
    asv = pathlib.Path(sys.executable).parent / "asv"
    res = subprocess.run([str(asv), "check", "--python=same"], cwd=ROOT / "benchmarks",
                         capture_output=True, text=True,
                         env=dict(os.environ, RIDGEJIT_BENCH_PROFILE="quick"))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "No problems found" in res.stdout


def test_compare_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib.image as mpimg

    out = tmp_path / "compare.png"
    rc = main(["compare", "--n-samples", "3000", "--n-features", "10", "--repeats", "1",
               "--solvers", "auto,cg,nesterov,saga", "--sklearn-solvers", "cholesky,lsqr",
               "--max-iter", "20", "--plot", str(out), "--quiet"])
    assert rc == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    img = mpimg.imread(out)
    assert img.shape[0] >= 500 and img.shape[1] >= 1200


def test_plot_without_matplotlib_says_how_to_install(monkeypatch):
    from ridgejit.bench import plot

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install \"ridgejit\[bench\]\""):
        plot.plot_comparison([], "never.png")
