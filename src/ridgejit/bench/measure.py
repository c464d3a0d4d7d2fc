"""Kernel and start-up timings for ``ridgejit compare --kernels / --startup``.

``kernel_times`` times each compiled pass over X against the BLAS product that
reads X once (``X @ v``), on the same array, after a warm-up call.
``thread_scaling`` times the parallel passes and an exact fit at each thread count.
``startup_times`` runs ``import ridgejit`` plus a first small fit in fresh
Python processes, first with an empty Numba cache (cold: compilation
included), then with the cache it filled (warm).
"""

import os
import subprocess
import sys
import tempfile
import time
from functools import partial

import numpy as np


def _timings(f, repeats):
    """``(best, median)`` seconds of ``repeats`` calls of ``f``."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times), float(np.median(times))


def _kernel_calls(X, y, backend):
    """``{name: call}``: ``X @ v``, ``X.T @ u`` and one pass of each kernel of ``backend``."""
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
    order = rng.permutation(n).astype(np.int64)
    hyper = np.zeros(L.HYPER_SIZE)
    hyper[[L.ETA0, L.LAM, L.AVG_START, L.FIT_B]] = [1e-4, 1e-6, np.inf, 1.0]
    return {
        "matvec": lambda: X @ v,
        "rmatvec": lambda: X.T @ u,
        "gradient": lambda: nb.gradient(Xr, Y, sw, coef, b, a, g, gb),
        "normal_product": lambda: nb.normal_product(Xr, sw, mean, coef, a, out),
        "column_moments": lambda: nb.column_moments(Xr, Y, sw, mean, np.zeros(1), s1, s2, out),
        "sgd_epoch": lambda: nb.sgd_epoch(Xr, Y[:, 0], sw, mean, order, np.zeros(p), np.zeros(p),
                                          L.new_state(), L.CONSTANT, hyper),
    }


def kernel_times(X, y, repeats=5, backend="numba"):
    """Seconds per call (best of ``repeats``) of ``X @ v`` and of each kernel pass.

    Returns a dict with ``matvec`` (``X @ v``), ``rmatvec`` (``X.T @ u``),
    ``gradient`` (fused objective + gradient), ``normal_product``,
    ``column_moments`` and ``sgd_epoch`` (one shuffled pass of plain SGD) of
    ``backend``, and ``gradient_over_matvec``.
    """
    times = {}
    for name, call in _kernel_calls(X, y, backend).items():
        call()  # compile / warm caches outside the timing
        times[name] = _timings(call, repeats)[0]
    times["gradient_over_matvec"] = times["gradient"] / times["matvec"]
    return times


#: The passes :func:`thread_scaling` times: the parallel kernels (row blocks over threads)
#: and the BLAS product beside them.
PARALLEL_PASSES = ("gradient", "normal_product", "column_moments", "matvec")


def thread_scaling(X, y, threads=None, repeats=5, backend="numba"):
    """Seconds per call of each parallel pass over ``X``, and of an exact fit, per thread count.

    Each pass (:data:`PARALLEL_PASSES`) and ``Ridge(solver="direct")`` runs under
    ``n_jobs = t`` (Numba's and BLAS's thread counts, as a fit sets them) for every
    ``t`` in ``threads``, after one untimed call at that count (compilation and thread
    start-up stay outside the timing).  Speed-up at ``t`` threads is the one-thread
    time over that time; at most ``t``, and less when a pass is limited by memory
    bandwidth rather than arithmetic.

    Parameters
    ----------
    X : ndarray (n, p), float32 or float64, C-contiguous
    y : ndarray (n,)
    threads : sequence of int, default=None
        Thread counts; default 1, 2, 4, ... up to and including ``os.cpu_count()``.
    repeats : int, default=5
    backend : {"numba", "cython"}, default="numba"

    Returns
    -------
    rows : list of dict
        ``{"pass", "threads", "numba_threads", "best", "median"}`` (seconds per call),
        ``pass`` one of :data:`PARALLEL_PASSES` or ``"fit direct"``; ``numba_threads`` is
        the count Numba ran with (``threads`` capped at ``NUMBA_NUM_THREADS``).
    """
    import numba

    from .._threads import thread_limit
    from ..ridge import Ridge

    if threads is None:
        cpus = os.cpu_count() or 1
        threads = sorted({*(2 ** i for i in range(cpus.bit_length()) if 2 ** i <= cpus), cpus})
    every = _kernel_calls(X, y, backend)
    rows = []
    for t in threads:
        calls = {name: every[name] for name in PARALLEL_PASSES}
        calls["fit direct"] = partial(Ridge(solver="direct", backend=backend, n_jobs=t).fit, X, y)
        for name, call in calls.items():
            with thread_limit(t, backend):
                used = numba.get_num_threads()
                call()
                best, median = _timings(call, repeats)
            rows.append({"pass": name, "threads": int(t), "numba_threads": used, "best": best, "median": median})
    return rows


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
