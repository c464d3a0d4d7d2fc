"""ridgejit on Dask: ridge regression over data spread across a cluster.

``ridgejit.dask.Ridge``, ``ridgejit.dask.RidgeCV`` (k-fold over groups of row
blocks, one pass) and ``ridgejit.dask.SGDRidge`` are the single-machine
estimators (same parameters, attributes and objective

    J(w, b) = 1/(2n) * sum_i s_i (x_i.w + b - y_i)^2 + alpha/(2n) * ||w||^2

over all ``n`` rows) whose ``fit``, ``predict`` and ``score`` accept dask
arrays and dataframes and keep them distributed; NumPy input runs on the
client exactly as :class:`ridgejit.Ridge`.  They use whatever scheduler
``dask.compute`` uses: a ``distributed.Client`` when one is active, else
Dask's local threads.

Inputs: ``X`` a 2-D dask array (rows chunked any way; column chunks are
merged per row block) or a dask dataframe (partitions of unknown length are
fine: nothing is counted in advance); ``y`` a dask array, series or
dataframe, and ``sample_weight`` a 1-D dask array or series, both chunked like
the rows of X.  ``fit`` returns NumPy ``coef_`` / ``intercept_``;
``predict`` on a dask collection is lazy (one task per row block).

What crosses the network: the rows of X never leave the worker that holds
them.  Each task returns statistics of its block (a ``(p + k + 1)^2`` matrix
for the exact solver, ``k x p`` for a CG product, ``O(p)`` for SGD), the
client sends a centre, a search direction or a model.

Importing :mod:`ridgejit` never imports dask; this subpackage needs the
``ridgejit[dask]`` extra.

Layer: imports the single-machine estimators, :mod:`ridgejit.cv`,
:mod:`ridgejit.stats`, :mod:`ridgejit.solvers` and :mod:`ridgejit.kernels`
(each worker runs the same kernels on its blocks); imported only by
:mod:`ridgejit.cli` (``fit --dask``) and :mod:`ridgejit.bench`.

=============  ===============================================================
``ridge.py``   :class:`Ridge`: one-pass statistics or distributed CG
``solvers.py`` the exact and CG fits, :class:`BlockProblem`
``cv.py``      :class:`RidgeCV`: k-fold over groups of row blocks
``sgd.py``     :class:`SGDRidge`: sequential or averaged epochs over blocks
``blocks.py``  collections as ordered row blocks; tree reductions
``tasks.py``   what runs on a worker: one kernel pass over one block
=============  ===============================================================
"""

try:
    import dask  # noqa: F401
    import dask.array  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        f"ridgejit.dask needs dask ({exc}); install it with: pip install \"ridgejit[dask]\""
    ) from exc

from .cv import RidgeCV
from .ridge import Ridge
from .sgd import SGDRidge

__all__ = ["Ridge", "RidgeCV", "SGDRidge"]
