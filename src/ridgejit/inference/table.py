"""``coef_table()`` and the covariance attributes of a fitted ridge estimator.

:class:`CoefficientTable` is a mixin: an estimator calls :meth:`_set_covariance` after a
fit with ``cov_type`` set, and users read ``covariance_``, ``bse_``, ``sigma2_``,
``effective_dof_`` and :meth:`coef_table`.  Intervals and p-values use Student's t with
``n - df`` degrees of freedom for the classical covariance and the normal
distribution for the sandwich ones (statsmodels' defaults for OLS).
"""

import numpy as np
from scipy import stats as distributions


class CoefficientTable:
    """Covariance attributes and :meth:`coef_table` (see the module docstring)."""

    def _set_covariance(self, covariance, cov_type, n_samples, y_ndim):
        one = y_ndim == 1
        self.covariance_ = covariance.cov[0] if one else covariance.cov
        se = np.sqrt(np.maximum(np.diagonal(covariance.cov, axis1=1, axis2=2), 0.0))
        self.bse_ = se[0] if one else se
        self.sigma2_ = float(covariance.sigma2[0]) if one else covariance.sigma2
        self.effective_dof_ = float(covariance.dof[0]) if one else covariance.dof
        self.cov_type_ = cov_type
        self._n_for_inference = n_samples

    def coef_table(self, level=0.95, target=0):
        """Coefficients with standard errors, test statistics, p-values and confidence intervals.

        Ridge estimates are biased toward zero: the standard errors and intervals
        describe the ridge estimator's sampling variability around its own mean,
        not intervals for the unpenalized coefficients (they coincide only as
        ``alpha -> 0``).

        Parameters
        ----------
        level : float, default=0.95
            Confidence level of the intervals, in (0, 1).
        target : int, default=0
            Which target, for 2-D y.

        Returns
        -------
        pandas.DataFrame
            Index ``intercept`` (when fitted) then ``feature_names_in_`` (or
            ``x0, x1, ...``); columns ``coef``, ``std_err``, ``t`` (classical) or
            ``z`` (sandwich), ``p_value`` (two-sided, against 0), ``ci_low``,
            ``ci_high``; ``attrs`` holds ``cov_type``, ``level`` and ``dof``.
        """
        try:
            import pandas as pd
        except ImportError:
            raise ImportError('coef_table returns a pandas DataFrame: pip install "ridgejit[cli]" '
                              "(or pandas); the numbers are in bse_ and covariance_ without it") from None
        if not hasattr(self, "covariance_"):
            raise AttributeError("coef_table needs a fit with cov_type set (e.g. Ridge(cov_type='HC3'))")
        if not 0 < level < 1:
            raise ValueError(f"level must be in (0, 1), got {level!r}")
        coef = np.asarray(self.coef_, dtype=np.float64).reshape(-1, self.n_features_in_)[target]
        se = np.atleast_2d(self.bse_)[target]
        names = [str(c) for c in getattr(self, "feature_names_in_", [f"x{j}" for j in range(coef.size)])]
        values = coef
        if self.fit_intercept:
            names = ["intercept", *names]
            values = np.concatenate([[np.ravel(self.intercept_)[target]], coef])
        stat = values / np.where(se > 0, se, np.nan)
        dof = self._n_for_inference - float(np.ravel(self.effective_dof_)[target])
        dist = distributions.t(dof) if self.cov_type_ == "classical" else distributions.norm()
        half = dist.ppf(0.5 + level / 2) * se
        table = pd.DataFrame({"coef": values, "std_err": se,
                              ("t" if self.cov_type_ == "classical" else "z"): stat,
                              "p_value": 2 * dist.sf(np.abs(stat)), "ci_low": values - half,
                              "ci_high": values + half}, index=names)
        table.attrs.update(cov_type=self.cov_type_, level=level, dof=dof)
        return table
