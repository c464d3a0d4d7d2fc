"""Kernel and start-up timings for ``ridgejit compare --kernels / --startup``.

``kernel_times`` times each compiled pass over X against the BLAS product that
reads X once (``X @ v``), on the same array, after a warm-up call.
``startup_times`` runs ``import ridgejit`` plus a first small fit in fresh
Python processes, first with an empty Numba cache (cold: compilation
included), then with the cache it filled (warm).
"""

import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def _best(f, repeats):
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


def kernel_times(X, y, repeats=5, backend="numba"):
    """Seconds per call (best of ``repeats``) of ``X @ v`` and of each kernel pass.

    Returns a dict with ``matvec`` (``X @ v``), ``rmatvec`` (``X.T @ u``),
    ``gradient`` (fused objective + gradient), ``normal_product``,
    ``column_moments`` and ``sgd_epoch`` (one shuffled pass of plain SGD) of
    ``backend``, and ``gradient_over_matvec``.
    """
    from ..kernels import get_backend
    from ..kernels import layout as L
    from ..problem import readonly_view

    nb = get_backend(backend)
    n, p = X.shape
    Xr = readonly_view(X)
    Y = np.asarray(y, dtype=np.float64).reshape(n, -1)
    rng = np.random.default_rng(0)
    coef = rng.standard_normal((1, p))
    v = coef[0].astype(X.dtype)
    u = rng.standard_normal(n).astype(X.dtype)
    b, a, sw = np.zeros(1), np.ones(1), np.ones(n)
    g, gb, out = np.empty((1, p)), np.empty(1), np.empty((1, p))
    mean, s1, s2 = np.zeros(p), np.empty(p), np.empty(p)
    calls = {
        "matvec": lambda: X @ v,
        "rmatvec": lambda: X.T @ u,
        "gradient": lambda: nb.gradient(Xr, Y, sw, coef, b, a, g, gb),
        "normal_product": lambda: nb.normal_product(Xr, sw, mean, coef, a, out),
        "column_moments": lambda: nb.column_moments(Xr, Y, sw, mean, np.zeros(1), s1, s2, out),
        "sgd_epoch": lambda: nb.sgd_epoch(Xr, Y[:, 0], sw, mean, order, np.zeros(p), np.zeros(p),
                                          L.new_state(), L.CONSTANT, hyper),
    }
    order = rng.permutation(n).astype(np.int64)
    hyper = np.zeros(L.HYPER_SIZE)
    hyper[[L.ETA0, L.LAM, L.AVG_START, L.FIT_B]] = [1e-4, 1e-6, np.inf, 1.0]
    times = {}
    for name, call in calls.items():
        call()  # compile / warm caches outside the timing
        times[name] = _best(call, repeats)
    times["gradient_over_matvec"] = times["gradient"] / times["matvec"]
    return times


STARTUP_SCRIPT = """
import time
t0 = time.perf_counter()
import numpy as np
import ridgejit
t1 = time.perf_counter()
rng = np.random.default_rng(0)
X = rng.standard_normal((200, 5)); y = X @ np.arange(5.0)
for solver in ("direct", "cg", "nesterov"):
    ridgejit.Ridge(solver=solver).fit(X, y)
t2 = time.perf_counter()
print(t1 - t0, t2 - t0)
"""


def startup_times():
    """``{"cold": (import_s, import_and_first_fits_s), "warm": (...)}`` in fresh processes.

    The first fits use the ``direct``, ``cg`` and ``nesterov`` solvers on
    200 x 5 data, which loads every row-streaming kernel.  Both runs use a
    temporary ``NUMBA_CACHE_DIR``: empty for ``cold``, filled for ``warm``.
    """
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in ("cold", "warm"):
            res = subprocess.run([sys.executable, "-c", STARTUP_SCRIPT], env=env, capture_output=True,
                                 text=True, check=True)
            out[label] = tuple(float(x) for x in res.stdout.split())
    return out
