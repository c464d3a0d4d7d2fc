"""Stochastic fits: one epoch, and the gap after a fixed number of epochs.

Columns are standardized (stochastic solvers need scaled data; scikit-learn's
too).  ``SGDRegressor`` runs with ``alpha / n`` (its per-sample alpha).
"""

import time
import warnings

from .common import dataset, estimator, exact_objective, relative_gap, warm_up

SOLVERS = [
    "ridgejit:sgd", "ridgejit:asgd", "ridgejit:minibatch", "ridgejit:saga", "ridgejit:svrg",
    "sklearn:sgdregressor", "sklearn:sag", "sklearn:saga",
]
EPOCHS = 10


def _epochs(est, k):
    """Set ``est`` to run exactly ``k`` epochs with no early stop."""
    if hasattr(est, "solver") and est.__class__.__name__ == "Ridge":  # scikit-learn Ridge sag/saga
        return est.set_params(max_iter=k, tol=1e-300)
    return est.set_params(max_iter=k, tol=None)


class StochasticFit:
    """Seconds per epoch, and the objective gap after ``EPOCHS`` epochs
    (held-out R^2 is tracked by ``ExactFit``)."""

    params = (SOLVERS, ["tall", "wide"])
    param_names = ["estimator", "data"]
    timeout = 600
    number = 1
    repeat = (1, 3, 20.0)

    def setup(self, name, data):
        self.X, self.y, self.X_test, self.y_test = dataset(data, standardize=True)
        self.name = name
        warm_up(_epochs(estimator(name, len(self.X)), 1), self.X, self.y)

    def _fit(self, k):
        est = _epochs(estimator(self.name, len(self.X)), k)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return est.fit(self.X, self.y)

    def track_epoch_seconds(self, name, data):
        """Seconds per epoch, ``(T6 - T1) / 5``: fits of 6 and of 1 epoch share their set-up
        (validation, copies, centring, first passes), which the difference cancels."""
        elapsed = []
        for k in (6, 1):
            start = time.perf_counter()
            self._fit(k)
            elapsed.append(time.perf_counter() - start)
        return (elapsed[0] - elapsed[1]) / 5

    track_epoch_seconds.unit = "seconds"

    def track_objective_gap(self, name, data):
        return relative_gap(self._fit(EPOCHS), self.X, self.y, exact_objective(self.X, self.y))

    track_objective_gap.unit = "relative gap"
