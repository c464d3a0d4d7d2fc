"""Exact and full-batch fits: ridgejit's solvers beside scikit-learn's Ridge solvers."""

import warnings

from .common import DATA, dataset, estimator, exact_objective, relative_gap, warm_up

SOLVERS = [
    "ridgejit:auto", "ridgejit:direct", "ridgejit:cg",
    "sklearn:cholesky", "sklearn:lsqr", "sklearn:sparse_cg",
]


class ExactFit:
    """``Ridge.fit`` time, peak memory, objective gap and held-out R^2."""

    params = (SOLVERS, DATA)
    param_names = ["estimator", "data"]
    timeout = 600
    number = 1
    repeat = (1, 3, 20.0)

    def setup(self, name, data):
        self.X, self.y, self.X_test, self.y_test = dataset(data)
        self.est = estimator(name, len(self.X))
        warm_up(self.est, self.X, self.y)

    def _fit(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return self.est.fit(self.X, self.y)

    def time_fit(self, name, data):
        self._fit()

    def peakmem_fit(self, name, data):
        self._fit()

    def track_objective_gap(self, name, data):
        return relative_gap(self._fit(), self.X, self.y, exact_objective(self.X, self.y))

    track_objective_gap.unit = "relative gap"

    def track_r2(self, name, data):
        return float(self._fit().score(self.X_test, self.y_test))

    track_r2.unit = "R^2"
