"""Inference for ridge fits: covariance of (intercept, coef), standard errors, coefficient tables.

Layer: imports :mod:`ridgejit.solvers` (its ``Result``), :mod:`ridgejit.stats`,
:mod:`ridgejit.problem` and :mod:`ridgejit.kernels`; imported by the estimators
(:class:`ridgejit.Ridge`).

==================  ==========================================================
``covariance.py``   classical (from the ``p x p`` statistics, no pass over X)
                    and sandwich (HC0-HC3, cluster: one or two passes)
                    covariances of the ridge estimator
``table.py``        the estimators' mixin: ``covariance_``, ``bse_``,
                    ``coef_table()``
==================  ==========================================================
"""

from .covariance import (COV_TYPES, Covariance, cluster_sums, covariance_bread, meat_of_rows, merge_cluster_sums,
                         ridge_covariance, solve_with_covariance)
from .table import CoefficientTable

__all__ = ["COV_TYPES", "CoefficientTable", "Covariance", "cluster_sums", "covariance_bread", "meat_of_rows",
           "merge_cluster_sums", "ridge_covariance", "solve_with_covariance"]
