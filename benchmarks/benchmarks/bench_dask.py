"""Distributed fits: ``ridgejit.dask.Ridge`` on a two-worker LocalCluster, beside dask.array.

The suite's ``tall`` data (see :mod:`.common`) are split into ``BLOCKS`` row
blocks and persisted on the workers in ``setup``, which then fits once (every
worker imports ridgejit and loads its kernels: outside the timings).
``dask.array:normal-equations`` is the baseline a Dask user writes by hand:
``X.T @ X``, ``X.T @ y`` and the column sums by dask.array (uncentred), the
centred system solved on the client.  ``ridgejit:ridgecv`` is
``ridgejit.dask.RidgeCV`` (20 alphas, 4 folds of two blocks each, one pass;
its objective gap is NaN: it fits its own alpha).  Skipped (``NotImplementedError`` in
``setup``) when dask or distributed is not installed.
"""

import warnings
from types import SimpleNamespace

import numpy as np

from .common import ALPHA, dataset, exact_objective, relative_gap

METHODS = ["ridgejit:direct", "ridgejit:cg", "ridgejit:ridgecv", "dask.array:normal-equations"]
BLOCKS = 8


def normal_equations(Xd, yd, alpha):
    """Ridge by dask.array's own products (one pass for ``X^T X``, one for the rest)."""
    import dask

    n, p = Xd.shape
    XtX, Xty, xs, ys = dask.compute(Xd.T @ Xd, Xd.T @ yd, Xd.sum(axis=0), yd.sum())
    xm, ym = xs / n, float(ys) / n
    w = np.linalg.solve(XtX - n * np.outer(xm, xm) + alpha * np.eye(p), Xty - n * xm * ym)
    return SimpleNamespace(coef_=w, intercept_=ym - xm @ w)


class DaskFit:
    """Fit time and objective gap of distributed exact and CG fits."""

    params = (METHODS,)
    param_names = ["method"]
    timeout = 600
    number = 1
    repeat = (1, 3, 30.0)

    def setup(self, method):
        try:
            import dask.array as da
            from distributed import Client, LocalCluster, wait

            import ridgejit.dask  # noqa: F401
        except ImportError as exc:
            raise NotImplementedError(f"needs dask and distributed: {exc}") from None
        self.X, self.y, _, _ = dataset("tall")
        self.cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                    dashboard_address=None)
        self.client = Client(self.cluster)
        rows = -(-len(self.X) // BLOCKS)
        self.Xd, self.yd = self.client.persist([da.from_array(self.X, chunks=(rows, -1)),
                                                da.from_array(self.y, chunks=rows)])
        wait([self.Xd, self.yd])
        self._fit(method)

    def teardown(self, method):
        self.client.close()
        self.cluster.close()

    def _fit(self, method):
        from ridgejit.dask import Ridge, RidgeCV

        if method.startswith("dask.array"):
            return normal_equations(self.Xd, self.yd, ALPHA)
        if method == "ridgejit:ridgecv":
            return RidgeCV(alphas=np.logspace(-3, 3, 20), cv=BLOCKS // 2).fit(self.Xd, self.yd)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return Ridge(alpha=ALPHA, solver=method.split(":")[1], tol=1e-10).fit(self.Xd, self.yd)

    def time_fit(self, method):
        self._fit(method)

    def track_objective_gap(self, method):
        if method == "ridgejit:ridgecv":
            return float("nan")
        return relative_gap(self._fit(method), self.X, self.y, exact_objective(self.X, self.y))

    track_objective_gap.unit = "relative gap"
