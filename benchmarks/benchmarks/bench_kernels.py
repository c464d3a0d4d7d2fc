"""Compiled kernels against the BLAS product that reads X once, and thread scaling.

Sub-millisecond timings (the quick profile) need asv's calibrated repeats: in
``asv run --quick`` each is one sample, and ``X @ v`` then pays OpenBLAS's
thread wake-up (measured 2 ms in a quick run against 0.12-0.16 ms in a loop).
"""

import time

import numba
import numpy as np

from ridgejit.kernels import get_backend
from ridgejit.problem import readonly_view

from .common import DATA, dataset


class Kernels:
    """One pass over X: ``X @ v`` (BLAS) beside the fused Numba kernels."""

    params = [DATA]
    param_names = ["data"]

    def setup(self, data):
        X, y, _, _ = dataset(data)
        self.X, self.Xr = X, readonly_view(X)
        n, p = X.shape
        self.Y = y.reshape(n, 1).astype(np.float64)
        rng = np.random.default_rng(0)
        self.coef = rng.standard_normal((1, p))
        self.v = self.coef[0].astype(X.dtype)
        self.sw, self.b, self.a = np.ones(n), np.zeros(1), np.ones(1)
        self.g, self.gb, self.out, self.mean = np.empty((1, p)), np.empty(1), np.empty((1, p)), np.zeros(p)
        self.nb = get_backend("numba")
        # compile the kernels and wake the BLAS/Numba thread pools outside the timings
        self.time_matvec(data)
        self.time_gradient(data)
        self.time_normal_product(data)

    def time_matvec(self, data):
        self.X @ self.v

    def time_gradient(self, data):
        self.nb.gradient(self.Xr, self.Y, self.sw, self.coef, self.b, self.a, self.g, self.gb)

    def time_normal_product(self, data):
        self.nb.normal_product(self.Xr, self.sw, self.mean, self.coef, self.a, self.out)

    def track_thread_speedup(self, data):
        """Fused-gradient time on 1 thread over its time on all Numba threads."""
        def best(threads):
            numba.set_num_threads(threads)
            t = np.inf
            for _ in range(5):
                t0 = time.perf_counter()
                self.time_gradient(data)
                t = min(t, time.perf_counter() - t0)
            return t

        full = numba.config.NUMBA_NUM_THREADS
        try:
            return best(1) / best(full)
        finally:
            numba.set_num_threads(full)

    track_thread_speedup.unit = "x"
