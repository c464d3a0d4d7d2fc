"""Numba's on-disk cache and start-up, in fresh processes: empty, reused, stale, damaged,
unwritable (cache directory, install directory), and no JIT at all.

Every kernel is compiled with ``cache=True`` (``ridgejit._config.JIT``).  Numba
looks for a writable place in order: ``NUMBA_CACHE_DIR``; ``__pycache__`` next
to the kernel source (the install directory); the user-wide cache
(``$XDG_CACHE_HOME/numba``).  An index file (``*.nbi``) records the Numba
version and a hash of the source (ridgejit adds the size and time of every kernel
module: a kernel compiles its callees into its own entry); any change makes the entries stale
and they are recompiled.

Cold runs compile the kernels of one solver (``cg``: column moments, gradient,
normal product; about 20 s on 2 cores); the ``slow`` mark says so.  Compiling is
single-threaded, so every scenario's child process is started at once by a
module fixture (two compile side by side on 2 cores) and each test collects
its own.  Start-up
figures for cold and warm caches come from ``ridgejit compare --startup``
(:func:`ridgejit.bench.measure.startup_times`), not from these tests.
"""

import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numba
import numpy as np
import pytest
from numpy.testing import assert_allclose

from subprocess_fits import RIDGE_SOLVERS, SGD_SOLVERS, ChildFits, fit_all, run_fits, values

import ridgejit

COLD = ["cg"]
SRC = Path(ridgejit.__file__).parent


def cache_files(root):
    """``{relative path: (size, mtime_ns)}`` of Numba's index and data files under ``root``."""
    root = Path(root)
    return {str(f.relative_to(root)): (f.stat().st_size, f.stat().st_mtime_ns)
            for f in root.rglob("*") if f.suffix in (".nbi", ".nbc")}


def unwritable_dir(path):
    """A path at which Numba's writability probe (``makedirs`` + a temporary file) fails.

    A ``0o555`` directory does that for a normal user.  Root (``CAP_DAC_OVERRIDE``)
    writes into it anyway, so there the path is made a regular *file* instead:
    creating a directory or a file below it fails with the same ``OSError`` that
    Numba's locators catch.  Either way the probe below proves it.
    """
    path.mkdir()
    path.chmod(0o555)
    try:
        tempfile.TemporaryFile(dir=path).close()
    except OSError:
        return path
    path.chmod(0o755)  # permissions are not enforced for this user (root)
    path.rmdir()
    path.write_text("not a directory: stands in for a read-only one\n")
    with pytest.raises(OSError):
        os.makedirs(path / "probe", exist_ok=True)
    return path


def _readonly_install(root):
    """A copy of the package whose directories take no ``__pycache__`` (an installed, read-only tree)."""
    site = root / "site"
    shutil.copytree(SRC, site / "ridgejit", ignore=shutil.ignore_patterns("__pycache__"))
    for d in [site / "ridgejit", *(p for p in (site / "ridgejit").rglob("*") if p.is_dir())]:
        unwritable_dir(d / "__pycache__")
    return site


# The cache directory goes away (a full or remounted disk) after the kernels were decorated.
GONE_AFTER_START_UP = (
    "import json, shutil, sys, pathlib, os; sys.path.insert(0, sys.argv[1]); "
    "from ridgejit.kernels import get_backend; get_backend('numba'); "  # kernels decorated
    "from subprocess_fits import fit_all; "
    "c = pathlib.Path(os.environ['NUMBA_CACHE_DIR']); shutil.rmtree(c, ignore_errors=True); "
    "c.write_text('a file where the cache directory was'); "
    "print(json.dumps(fit_all(['cg'])))"
)


def _slow_tests_selected(request):
    return any(item.module is request.module and item.get_closest_marker("slow")
               for item in request.session.items)


@pytest.fixture(scope="module")
def cold(request, tmp_path_factory):
    """``{scenario: ChildFits}`` for every scenario that compiles from nothing, all started
    now; the slow ones only when a slow test of this module is selected."""
    root = tmp_path_factory.mktemp("numba-cache")
    runs = {
        "reference": ChildFits(COLD, env={"NUMBA_CACHE_DIR": str(root / "cache")}),
        # Numba skips an unwritable NUMBA_CACHE_DIR for __pycache__ next to the source.
        "install directory": ChildFits(COLD, env={"NUMBA_CACHE_DIR": str(unwritable_dir(root / "ro"))}),
        "gone after start-up": ChildFits(code=GONE_AFTER_START_UP,
                                         env={"NUMBA_CACHE_DIR": str(root / "gone")}),
        "no jit": ChildFits(RIDGE_SOLVERS + SGD_SOLVERS, env={"NUMBA_DISABLE_JIT": "1"}),
    }
    if _slow_tests_selected(request):
        site = _readonly_install(root)
        runs["user cache"] = ChildFits(COLD, env={
            "PYTHONPATH": str(site), "NUMBA_CACHE_DIR": None, "XDG_CACHE_HOME": str(root / "xdg")})
        runs["nothing writable"] = ChildFits(COLD, env={
            "PYTHONPATH": str(site), "NUMBA_CACHE_DIR": None,
            "XDG_CACHE_HOME": str(unwritable_dir(root / "ro-xdg"))})
        runs["site"] = site
    runs["root"] = root
    yield runs
    for run in runs.values():
        if isinstance(run, ChildFits):
            run.kill()


@pytest.fixture(scope="module")
def reference(cold):
    """The cold-cache fit's report and its filled cache, shared (read-only) by the module."""
    report, _ = cold["reference"].result()
    return report, cold["root"] / "cache"


# -- stale entries: another Numba version, changed kernel source -------------------------
def _rewrite_index(path, *, version=None, stamp=None):
    """Rewrite a ``.nbi`` as Numba writes it: ``pickle(version)`` then ``pickle((stamp, overloads))``."""
    with open(path, "rb") as f:
        old_version = pickle.load(f)
        old_stamp, overloads = pickle.loads(f.read())
    with open(path, "wb") as f:
        pickle.dump(old_version if version is None else version, f, protocol=-1)
        f.write(pickle.dumps((old_stamp if stamp is None else stamp, overloads), protocol=-1))


def _make_stale(cache):
    """Half the indexes "written by Numba 0.1", half "from other kernel source"."""
    indexes = sorted(cache.rglob("*.nbi"))
    for i, path in enumerate(indexes):
        _rewrite_index(path, **({"version": "0.1.0"} if i % 2 else {"stamp": b"old kernel source"}))
    return indexes


# -- damaged entries: ridgejit._config makes a failed load a miss and rewrites the entry ----
def _damage(cache):
    """Truncate every other index and make the other kernels' data files foreign (a disk
    that filled up, a copy cut short, another program's file): the two ways a load fails,
    a failed index read and a failed data read."""
    indexes = sorted(cache.rglob("*.nbi"))
    assert len(indexes) >= 2
    for i, index in enumerate(indexes):
        if i % 2:
            data = index.read_bytes()
            index.write_bytes(data[: len(data) // 3])
        else:
            data_files = sorted(index.parent.glob(index.name.replace(".nbi", "") + "*.nbc"))
            assert data_files
            for path in data_files:
                path.write_bytes(b"\x80\x05not a pickle at all")


@pytest.fixture(scope="module")
def from_reference(reference, tmp_path_factory):
    """Copies of the filled cache, as found, made stale and damaged, each fitted from in
    a child started now: ``{scenario: (cache, ChildFits)}``."""
    _, filled = reference
    root = tmp_path_factory.mktemp("from-reference")
    runs = {}
    for name, change in [("reused", None), ("stale", _make_stale), ("damaged", _damage)]:
        cache = root / name
        shutil.copytree(filled, cache)
        before = cache_files(cache)
        if change is not None:
            change(cache)
        env = {"NUMBA_CACHE_DIR": str(cache), "NUMBA_DEBUG_CACHE": "1"}
        runs[name] = (cache, before, ChildFits(COLD, env=env))
    yield runs
    for _, _, run in runs.values():
        run.kill()


# -- empty, then reused ----------------------------------------------------------------
@pytest.mark.slow
def test_fresh_cache_dir_is_filled_then_reused_with_the_same_bits(reference, from_reference):
    report, filled = reference
    files = cache_files(filled)
    assert any(f.endswith(".nbi") for f in files) and any(f.endswith(".nbc") for f in files)
    assert "error" not in report["cg"]
    cache, before, run = from_reference["reused"]
    again, log = run.result()
    assert again == report  # same bits
    assert cache_files(cache) == before  # nothing recompiled, nothing rewritten
    assert "[cache] data loaded from" in log and "[cache] data saved to" not in log


@pytest.mark.slow
def test_stale_cache_after_a_version_or_source_change_is_recompiled(reference, from_reference):
    report, _ = reference
    cache, _, run = from_reference["stale"]
    again, log = run.result()
    assert again == report
    assert "[cache] data saved to" in log  # recompiled, and the index rewritten for this version
    for path in sorted(cache.rglob("*.nbi")):
        with open(path, "rb") as f:
            assert pickle.load(f) == numba.__version__


@pytest.mark.slow
def test_damaged_cache_files_still_fit_and_are_repaired(reference, from_reference):
    """The fit recompiles the damaged kernels in memory with the same bits and warns once;
    the next process loads every kernel from the repaired cache."""
    report, _ = reference
    cache, _, run = from_reference["damaged"]
    again, log = run.result()
    assert again == report
    assert log.count("NumbaCacheWarning") == 1
    third, log = run_fits(COLD, env={"NUMBA_CACHE_DIR": str(cache), "NUMBA_DEBUG_CACHE": "1"})
    assert third == report
    assert "NumbaCacheWarning" not in log and "[cache] data saved to" not in log
    assert "[cache] data loaded from" in log


def test_cache_dir_unwritable_after_start_up_still_fits(reference, cold):
    """Saving fails, the fit keeps its in-memory kernels and warns once."""
    report, _ = reference
    again, log = cold["gone after start-up"].result()
    assert again == report
    assert log.count("NumbaCacheWarning") == 1


# -- unwritable places ------------------------------------------------------------------
def test_unwritable_cache_dir_falls_back_to_the_install_directory(reference, cold):
    report, _ = reference
    again, _ = cold["install directory"].result()
    assert again == report


@pytest.mark.slow
def test_readonly_install_directory_uses_the_user_cache(reference, cold):
    report, _ = reference
    again, _ = cold["user cache"].result()
    assert again == report
    assert cache_files(cold["root"] / "xdg" / "numba")  # compiled once, kept in the user-wide cache
    assert not any(cold["site"].rglob("*.nbi"))


# When no cache location is writable (read-only install, read-only HOME cache, no
# NUMBA_CACHE_DIR -- a locked-down container) Numba would raise at decoration time;
# _config probes for a locator first and compiles in memory without one.
@pytest.mark.slow
def test_nothing_writable_still_fits(reference, cold):
    report, _ = reference
    again, _ = cold["nothing writable"].result()
    assert again == report


# -- no JIT: the kernels run as Python (what coverage measures) ------------------------------
# `prefetch_row` is an LLVM intrinsic; under NUMBA_DISABLE_JIT=1 _intrinsics.py
# swaps in a Python no-op, so the kernels calling `prefetch_ahead` run too.


@pytest.fixture(scope="module")
def without_jit(cold):
    return cold["no jit"].result()[0]


@pytest.mark.parametrize("solver", [*RIDGE_SOLVERS, *SGD_SOLVERS])
def test_disable_jit_gives_the_jit_results(without_jit, solver):
    """Same arithmetic as Python: equal to rounding (the JIT reassociates sums)."""
    got = without_jit[solver]
    assert "error" not in got, got.get("error")
    want = fit_all([solver])[solver]
    assert_allclose(values(got), values(want), rtol=1e-12, atol=1e-14 * np.abs(values(want)).max())


# -- a kernel's callees in other modules -------------------------------------------------
CALL_SCALED_EPOCH = (
    "import numpy as np, ridgejit; from ridgejit.kernels.numba_scaled import scaled_sgd_epoch as k; "
    "X = np.ones((3, 2)); "
    "print(ridgejit.__file__); "
    "print(k(X, np.arange(3.0), np.ones(3), np.zeros(2), np.arange(3), np.ones(2), np.zeros(2), "
    "np.zeros(2), np.zeros(2), np.zeros(5), np.array([0.1, 0.0, 1.0, 1.0])))"
)


@pytest.mark.slow
def test_editing_a_callee_module_recompiles_its_callers(tmp_path):
    """``scaled_sgd_epoch`` (numba_scaled.py) runs ``numba_scaled_dense``'s loop, compiled
    into its own cache entry.  Numba alone keys that entry by numba_scaled.py, so an edit
    of numba_scaled_dense.py would keep the old machine code; ridgejit keys it by every
    kernel module, and the edited loop (a loss twice as large) is what runs."""
    site = tmp_path / "site"
    shutil.copytree(SRC, site / "ridgejit", ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ, PYTHONPATH=str(site), NUMBA_CACHE_DIR=str(tmp_path / "cache"))

    def run():
        out = subprocess.run([sys.executable, "-c", CALL_SCALED_EPOCH], env=env, capture_output=True,
                             text=True, check=True).stdout.split()
        assert out[0].startswith(str(site))  # the copy, not the checkout
        return float(out[1])

    first = run()
    assert first > 0.0 and cache_files(tmp_path / "cache")
    dense = site / "ridgejit" / "kernels" / "numba_scaled_dense.py"
    text = dense.read_text()
    assert text.count("loss += sw[i] * r * r") == 1
    dense.write_text(text.replace("loss += sw[i] * r * r", "loss += 2.0 * sw[i] * r * r"))
    assert run() == pytest.approx(2.0 * first, rel=1e-12)
