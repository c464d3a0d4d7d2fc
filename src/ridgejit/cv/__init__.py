"""Choosing alpha: :class:`RidgeCV` and :func:`ridge_path`, every alpha from shared passes.

Layer: imports the estimators (:mod:`ridgejit.ridge`), :mod:`ridgejit.stats`,
:mod:`ridgejit.problem`, :mod:`ridgejit.solvers` and :mod:`ridgejit.kernels`;
imported by :mod:`ridgejit.dask`, :mod:`ridgejit.bench` and :mod:`ridgejit.cli`.

==================  ==========================================================
``ridgecv.py``      :class:`RidgeCV`, the estimator: picks the scheme below
``classifier_cv``   :class:`RidgeClassifierCV`: the same on +-1 class columns
``routing.py``      fit metadata (``groups``) to the splitter; the splits
``modes.py``        the three schemes below as RidgeCV runs them, and what
                    each stores
``leave_one_out``   ``cv=None``: every alpha's leave-one-out error from two
                    passes (Gram + eigendecomposition, then leverages);
                    dense or CSR X
``kfold.py``        ``cv=k`` or any splitter on dense X (and on CSR X with a
                    penalty or ``positive``): per-fold statistics from one
                    pass, training = total - fold
``sparse_kfold.py`` ``cv=k`` on CSR X: one multi-shift conjugate gradient for
                    every alpha, fold and target
``path.py``         :func:`ridge_path`: the coefficients of every alpha
``eigen.py``        eigendecompositions shared by leave-one-out and the path
                    (generalized, for penalty factors and matrices)
``scores.py``       scorers computed from statistics or predictions
==================  ==========================================================
"""

from .classifier_cv import RidgeClassifierCV
from .path import ridge_path
from .ridgecv import RidgeCV

__all__ = ["RidgeCV", "RidgeClassifierCV", "ridge_path"]
