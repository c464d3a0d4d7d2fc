"""Fits from several Python threads: no abort, same results as serial fits."""

import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from conftest import make_data
from ridgejit import Ridge, SGDRidge

SCRIPT = textwrap.dedent("""
    import numpy as np, numba
    from concurrent.futures import ThreadPoolExecutor
    import ridgejit
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5000, 20)); y = X @ rng.standard_normal(20)
    def fit(i):
        a = ridgejit.Ridge(solver="cg", tol=1e-10).fit(X, y).coef_
        b = ridgejit.SGDRidge(solver="minibatch", random_state=0, max_iter=2, tol=None).fit(X, y).coef_
        return a, b
    with ThreadPoolExecutor(10) as ex:
        res = list(ex.map(fit, range(10)))
    ref = fit(0)
    same = all(np.array_equal(a, ref[0]) and np.array_equal(b, ref[1]) for a, b in res)
    print(numba.threading_layer(), "OK" if same else "MISMATCH")
""")


@pytest.mark.parametrize("layer", ["workqueue", "default"])
def test_ten_concurrent_fits_in_a_fresh_process(layer):
    """workqueue aborts the process on concurrent parallel launches (numba #8563) unless guarded."""
    env = dict(os.environ)
    if layer != "default":
        env["NUMBA_THREADING_LAYER"] = layer
    res = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr[-2000:]
    assert res.stdout.strip().endswith("OK"), res.stdout


def test_concurrent_fits_equal_serial_fits_here():
    X, y, _ = make_data(n=3000, p=10)
    solvers = ["direct", "cg", "nesterov", "auto"]
    serial = {s: Ridge(solver=s, tol=1e-10).fit(X, y).coef_ for s in solvers}
    with ThreadPoolExecutor(10) as ex:
        out = list(ex.map(lambda i: (solvers[i % 4], Ridge(solver=solvers[i % 4], tol=1e-10).fit(X, y).coef_),
                          range(10)))
    for s, coef in out:
        assert_array_equal(coef, serial[s])
    sgd = SGDRidge(random_state=1, max_iter=3, tol=None).fit(X, y).coef_
    with ThreadPoolExecutor(4) as ex:
        for coef in ex.map(lambda i: SGDRidge(random_state=1, max_iter=3, tol=None).fit(X, y).coef_, range(4)):
            assert_array_equal(coef, sgd)


def _blas_threads():
    from threadpoolctl import threadpool_info

    return sorted((m["filepath"], m["num_threads"]) for m in threadpool_info() if m["user_api"] == "blas")


def test_overlapping_limits_share_the_largest_and_restore_the_original():
    """Interleaved holders, in both exit orders: the limit is the largest request while any
    holds it, and the process's own limits come back after the last (threadpoolctl's
    per-context restore would leave the first holder's request in force here)."""
    from contextlib import ExitStack

    from threadpoolctl import threadpool_info

    from ridgejit._threads import SharedBlasLimit

    shared = SharedBlasLimit()
    original = _blas_threads()
    if not original:
        pytest.skip("threadpoolctl finds no BLAS library in this process")
    for first_out in ("small", "large"):
        with ExitStack() as small, ExitStack() as large:
            small.enter_context(shared.hold(1))
            assert shared.current == 1
            large.enter_context(shared.hold(3))
            assert shared.current == 3
            assert all(m["num_threads"] == 3 for m in threadpool_info() if m["user_api"] == "blas")
            (small if first_out == "small" else large).close()
            assert shared.current == (3 if first_out == "small" else 1)
        assert shared.current is None
        assert _blas_threads() == original


def test_a_serial_section_runs_blas_on_one_thread_then_gives_back_the_holders_limit():
    from threadpoolctl import threadpool_info

    from ridgejit._threads import SharedBlasLimit

    shared = SharedBlasLimit()
    original = _blas_threads()
    if not original:
        pytest.skip("threadpoolctl finds no BLAS library in this process")
    with shared.serial():  # no holder: the originals are saved, then restored
        assert shared.current == 1
        assert all(m["num_threads"] == 1 for m in threadpool_info() if m["user_api"] == "blas")
    assert shared.current is None and _blas_threads() == original
    with shared.hold(3):
        with shared.serial():
            assert shared.current == 1
            with shared.hold(2):  # a fit starting inside still gets one thread
                assert shared.current == 1
            assert shared.current == 1
        assert shared.current == 3
        assert all(m["num_threads"] == 3 for m in threadpool_info() if m["user_api"] == "blas")
    assert shared.current is None and _blas_threads() == original


def test_concurrent_fits_with_different_n_jobs_leave_the_limits_as_they_were():
    X, y, _ = make_data(n=20000, p=100)  # above UNTOUCHED_BELOW: every fit sets its limits
    # Different n_jobs, on data above SERIAL_BELOW (every fit sets its thread counts): bit for bit.
    # No result depends on how BLAS splits a product: the statistics pass keeps BLAS on one
    # thread and the n-long weighted sums are NumPy loops (_threads.weighted_sum); the BLAS split
    # did vary, since OpenBLAS 0.3.30+ does not apply a limit set in one Python thread to calls
    # from another the same way.
    X, y, _ = make_data(n=100_000, p=20)
    before = _blas_threads()
    makers = [lambda j: Ridge(solver="cg", tol=1e-10, n_jobs=j),
              lambda j: Ridge(solver="direct", n_jobs=j),
              lambda j: SGDRidge(random_state=1, max_iter=2, tol=None, n_jobs=j)]
    for make in makers:
        serial = {j: make(j).fit(X, y).coef_ for j in (1, 2)}
        assert_array_equal(serial[1], serial[2])
        with ThreadPoolExecutor(4) as ex:
            out = list(ex.map(lambda i: (1 + i % 2, make(1 + i % 2).fit(X, y).coef_), range(8)))
        for j, coef in out:
            assert_array_equal(coef, serial[j])
    assert _blas_threads() == before
