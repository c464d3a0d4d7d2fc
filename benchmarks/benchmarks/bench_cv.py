"""Choosing alpha: ridgejit's ``RidgeCV`` beside scikit-learn's, leave-one-out and 5-fold.

20 alphas ``logspace(-3, 3)`` on the ``tall`` data (1,000,000 x 100 in the
full profile).  scikit-learn's ``RidgeCV(cv=5)`` refits every alpha on every
fold (100 fits); ridgejit reads X once for all of them.  The ``wide`` data are
left out: scikit-learn's leave-one-out would build a 50,000 x 50,000 kernel.
``SparseAlphaSelection``: 10 alphas, 5-fold, on the CSR ``sparse`` data
(200,000 x 50,000 with 1e7 stored values in the full profile): ridgejit's
multi-shift CG over all folds against scikit-learn's ``GridSearchCV`` over
``Ridge`` (what its ``RidgeCV(cv=5)`` runs).
"""

import warnings

import numpy as np

from .common import dataset, warm_up

ALPHAS = np.logspace(-3, 3, 20)
LIBRARIES = ["ridgejit", "sklearn"]
CVS = ["loo", "5"]


def _ridge_cv(library, cv):
    cv = None if cv == "loo" else int(cv)
    if library == "ridgejit":
        from ridgejit import RidgeCV
    else:
        from sklearn.linear_model import RidgeCV
    return RidgeCV(alphas=ALPHAS, cv=cv)


class AlphaSelection:
    """``RidgeCV.fit`` time, peak memory, the chosen alpha and held-out R^2."""

    params = (LIBRARIES, CVS, ["tall"])
    param_names = ["library", "cv", "data"]
    timeout = 900
    number = 1
    repeat = (1, 3, 30.0)

    def setup(self, library, cv, data):
        self.X, self.y, self.X_test, self.y_test = dataset(data)
        self.est = _ridge_cv(library, cv)
        warm_up(self.est, self.X, self.y)

    def _fit(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return self.est.fit(self.X, self.y)

    def time_fit(self, library, cv, data):
        self._fit()

    def peakmem_fit(self, library, cv, data):
        self._fit()

    def track_log10_alpha(self, library, cv, data):
        return float(np.log10(self._fit().alpha_))

    track_log10_alpha.unit = "log10(alpha_)"

    def track_r2(self, library, cv, data):
        return float(self._fit().score(self.X_test, self.y_test))

    track_r2.unit = "R^2"


class SparseAlphaSelection(AlphaSelection):
    """5-fold ``RidgeCV`` on CSR data: fit time, peak memory, chosen alpha, held-out R^2."""

    params = (LIBRARIES, ["5"], ["sparse"])

    def setup(self, library, cv, data):
        self.X, self.y, self.X_test, self.y_test = dataset(data)
        alphas = np.logspace(-3, 3, 10)
        if library == "ridgejit":
            from ridgejit import RidgeCV

            self.est = RidgeCV(alphas=alphas, cv=5)
        else:
            from sklearn.linear_model import RidgeCV

            self.est = RidgeCV(alphas=alphas, cv=5)
        warm_up(self.est, self.X, self.y)
