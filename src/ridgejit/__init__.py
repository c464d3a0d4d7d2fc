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


#: Subpackages imported on first access (``ridgejit.dask.Ridge``, ``ridgejit.plot.plot_history``):
#: their optional dependencies (dask, matplotlib) cost nothing at ``import ridgejit``.
_LAZY_SUBPACKAGES = ("dask", "plot")


def __getattr__(name):
    if name in _LAZY_SUBPACKAGES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Ridge", "RidgeClassifier", "RidgeClassifierCV", "RidgeCV", "ridge_path", "SGDRidge", "fit_chunks", "initializers", "show_config", "__version__"]
