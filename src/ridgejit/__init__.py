"""ridgejit: fast ridge regression (L2-regularized least squares).

Every solver minimizes

    J(w, b) = 1/(2n) * sum_i s_i (x_i.w + b - y_i)^2 + alpha/(2n) * ||w||^2

where ``alpha`` is exactly ``sklearn.linear_model.Ridge``'s ``alpha``.
"""

from . import initializers
from ._info import __version__, show_config
from .classifier import RidgeClassifier
from .cv import RidgeClassifierCV, RidgeCV, ridge_path
from .ridge import Ridge, fit_chunks
from .stochastic import SGDRidge


__all__ = ["Ridge", "RidgeClassifier", "RidgeClassifierCV", "RidgeCV", "ridge_path", "SGDRidge", "fit_chunks", "initializers", "show_config", "__version__"]
