"""Figures of fitted ridgejit models, on any matplotlib ``Axes`` (matplotlib is optional).

==============  ==============================================================
``figures.py``  convergence histories (``history_``), RidgeCV's validation curve,
                coefficient paths over alpha, thread scaling of the kernels
==============  ==============================================================

Every function takes ``ax=None`` (a new figure's axes then, on the current matplotlib
backend: notebooks display it) and returns the axes.  ``ridgejit compare --plot`` and
``ridgejit fit --plot`` draw with them.  matplotlib is imported when a function is
called, never at ``import ridgejit``; without it the error names ``ridgejit[bench]``.

Layer: reads the fitted attributes of the estimators (no import of them); imported by
:mod:`ridgejit.cli`, never by the library itself.
"""

from .figures import plot_coef_path, plot_history, plot_thread_scaling, plot_validation_curve, validation_curve

__all__ = ["plot_history", "plot_validation_curve", "plot_coef_path", "plot_thread_scaling", "validation_curve"]
