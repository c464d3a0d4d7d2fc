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
