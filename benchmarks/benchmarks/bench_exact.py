"""Exact and full-batch fits: ridgejit's solvers beside scikit-learn's Ridge solvers."""

import warnings

from .common import dataset, estimator, exact_objective, relative_gap, warm_up

SOLVERS = [
    "ridgejit:auto", "ridgejit:direct", "ridgejit:cg",
    "sklearn:cholesky", "sklearn:lsqr", "sklearn:sparse_cg",
]


class ExactFit:
    """``Ridge.fit`` time, peak memory, objective gap and held-out R^2."""

    params = (SOLVERS, ["tall", "wide"], ["float64", "float32"])
    param_names = ["estimator", "shape", "dtype"]
    timeout = 600
    number = 1
    repeat = (1, 3, 20.0)

    def setup(self, name, shape, dtype):
        self.X, self.y, self.X_test, self.y_test = dataset(shape, dtype)
        self.est = estimator(name, len(self.X))
        warm_up(self.est, self.X, self.y)

    def _fit(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return self.est.fit(self.X, self.y)

    def time_fit(self, name, shape, dtype):
        self._fit()

    def peakmem_fit(self, name, shape, dtype):
        self._fit()

    def track_objective_gap(self, name, shape, dtype):
        return relative_gap(self._fit(), self.X, self.y, exact_objective(self.X, self.y))

    track_objective_gap.unit = "relative gap"

    def track_r2(self, name, shape, dtype):
        return float(self._fit().score(self.X_test, self.y_test))

    track_r2.unit = "R^2"
