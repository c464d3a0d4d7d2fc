"""The ``ridgejit`` command line: ``compare``, ``fit``, ``predict``, ``info``.

Layer: the top one.  Imports the estimators, :mod:`ridgejit.cv`, :mod:`ridgejit.bench`
and (for ``fit --dask``) :mod:`ridgejit.dask`; nothing in the library imports it.

=================  ===========================================================
``main.py``        the parser and :func:`main` (the console script)
``common.py``      what every ``fit`` path shares: the estimator from the
                   arguments, training scores, the progress line, the report
``fit.py``         ``ridgejit fit`` / ``predict`` on one file
``fit_cv.py``      ``fit --alphas/--cv``: RidgeCV, the score table, the curve
``fit_dask.py``    ``fit --dask``: the same fit on a Dask cluster
``dask_files.py``  a directory or glob of files as one lazy Dask collection
``io.py``          file readers (.npy, .npz, CSV, svmlight) and atomic outputs
``model_file.py``  the saved model (.npz)
=================  ===========================================================
"""

from .main import main

__all__ = ["main"]
