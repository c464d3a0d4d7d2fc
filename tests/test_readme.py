"""The README's command-line block runs as written, in order, in an empty directory (issue 24).

Each line of the ``bash`` block under "## Command line" is split as a shell would
(quotes kept, comments dropped) and run through ``ridgejit.cli.main``; the one
command sized for a real machine (``compare``, 1e6 x 100 by default) gets a
small-size override.  A README edit that breaks a command fails here.
"""

import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from ridgejit.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"

#: appended to ``ridgejit compare`` lines: the default size takes about a minute on 2 cores
SMALL = ["--n-samples", "2000", "--n-features", "10", "--repeats", "1", "--quiet"]


def cli_block():
    """The command lines of the README's "Command line" section, as argument lists."""
    text = README.read_text()
    section = text.split("## Command line", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    lines = [shlex.split(line, comments=True) for line in block.splitlines()]
    return [args for args in lines if args]


def test_every_line_is_a_ridgejit_command():
    commands = cli_block()
    assert len(commands) >= 10
    assert all(args[0] == "ridgejit" for args in commands)
    assert commands[0][1] == "make-data"  # the data come first


def test_the_command_line_block_runs_as_written(tmp_path, monkeypatch, capsys):
    pytest.importorskip("pyarrow")  # the parquet lines (dask[dataframe] brings it)
    monkeypatch.chdir(tmp_path)
    for args in cli_block():
        argv = args[1:] + (SMALL if args[1] == "compare" else [])
        assert main(argv) == 0, f"README line failed: {shlex.join(args)}\n{capsys.readouterr().err}"
    assert (tmp_path / "model.npz").is_file() and (tmp_path / "cv.png").is_file()
    pred = np.loadtxt(tmp_path / "pred.txt")
    assert pred.shape == (1000,) and np.isfinite(pred).all()
    intervals = np.loadtxt(tmp_path / "intervals.txt", delimiter=",")
    assert intervals.shape == (1000, 3) and (intervals[:, 1] < intervals[:, 0]).all()
