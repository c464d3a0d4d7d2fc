"""Exact ridge on data streamed in chunks: one pass, memory independent of n.

``fit_chunks`` reads an iterable of ``(X, y)`` or ``(X, y, sample_weight)``
chunks once, accumulating the sufficient statistics ``X^T S X``, ``X^T S y``,
the column and target sums and the weight sum (blocked BLAS, around the first
row seen, so large column means cost no digits), then solves the normal
equations.  Memory: ``O((p + k)^2)`` plus one chunk.  The result equals
``Ridge(alpha, solver="direct")`` on the concatenated data (same objective:
``n`` is the total row count).  For streaming SGD see
:meth:`ridgejit.SGDRidge.partial_fit`.
"""

import numpy as np
from sklearn.utils.validation import _check_sample_weight, check_array

from ._threads import thread_limit
from ._validation import check_alpha, fitted_shapes
from .ridge import Ridge
from .kernels import get_backend
from .problem import readonly_view
from .solvers.base import History
from .stats import SufficientStats


def _chunk_arrays(chunk, index):
    if not isinstance(chunk, (tuple, list)) or len(chunk) not in (2, 3):
        raise ValueError(f"chunk {index} must be (X, y) or (X, y, sample_weight), got {type(chunk).__name__}")
    X = check_array(chunk[0], dtype=[np.float64, np.float32], order="C", ensure_all_finite=False,
                    input_name="X")
    y = check_array(chunk[1], ensure_2d=False, dtype=np.float64, input_name="y")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"chunk {index}: X has {X.shape[0]} rows but y has {y.shape[0]}")
    w = chunk[2] if len(chunk) == 3 else None
    sw = _check_sample_weight(w, X, dtype=np.float64, ensure_non_negative=True)
    return X, y, sw


def fit_chunks(chunks, alpha=1.0, *, fit_intercept=True, backend="auto", n_jobs=None):
    """Fit ridge regression exactly on an iterable of chunks, in one pass.

    Minimizes ``J(w, b) = 1/(2n) sum_i s_i (x_i.w + b - y_i)^2 + alpha/(2n) ||w||^2``
    over all rows of all chunks (``n`` their total), i.e. the solution of
    ``Ridge(alpha=alpha, solver="direct")`` on the concatenated data.

    Parameters
    ----------
    chunks : iterable of tuples
        ``(X, y)`` or ``(X, y, sample_weight)``; X of shape ``(m, p)``
        (float32/float64, arrays or memmaps; the same ``p`` in every chunk),
        y of shape ``(m,)`` or ``(m, k)``.  Consumed once.
    alpha : float or array of shape (k,), default=1.0
        L2 strength in :class:`ridgejit.Ridge` units.
    fit_intercept : bool, default=True
    backend : {"auto", "numba", "numpy", "cython"}, default="auto"
    n_jobs : int, default=None
        Threads for BLAS during the pass.

    Returns
    -------
    model : ridgejit.Ridge
        Fitted (``coef_``, ``intercept_``, ``n_features_in_``, ``n_iter_ = 1``,
        ``solver_ = "direct"``, ``history_``); ``coef_`` has the dtype of the
        first chunk's X.

    Raises
    ------
    ValueError
        No chunks or no rows, a chunk with another feature count or target
        count, NaN/inf in a chunk (named by its index), a negative weight.
    """
    be = get_backend(backend)
    stats, p, k, y_ndim, dtype, n_chunks = None, None, None, 1, None, 0
    hist = History("fit_chunks")
    with thread_limit(n_jobs, be.name), np.errstate(over="ignore", invalid="ignore"):
        for index, chunk in enumerate(chunks):
            X, y, sw = _chunk_arrays(chunk, index)
            if X.shape[0] == 0:
                continue
            Y = np.ascontiguousarray(y.reshape(X.shape[0], -1))
            if stats is None:
                p, k, y_ndim, dtype = X.shape[1], Y.shape[1], y.ndim, X.dtype
                stats = SufficientStats.around_first_row(X, Y, fit_intercept)
            if X.shape[1] != p or Y.shape[1] != k:
                raise ValueError(f"chunk {index} has {X.shape[1]} features and {Y.shape[1]} targets; "
                                 f"the first chunk had {p} and {k}")
            try:
                stats.add(be, readonly_view(X), Y, sw)
            except ValueError as exc:
                raise ValueError(f"chunk {index}: {exc}") from None
            n_chunks += 1
        if stats is None:
            raise ValueError("fit_chunks got no rows: the iterable of chunks was empty")
        if not stats.weight_sum > 0:
            raise ValueError("sample weights sum to zero over all chunks")
        coef, intercept, obj, grad, gap = stats.solve(check_alpha(alpha, k), fit_intercept)
    if not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
        raise ValueError("fit_chunks produced non-finite coefficients: rescale the data")
    hist.add(obj, np.linalg.norm(grad), gap)
    model = Ridge(alpha=alpha, fit_intercept=fit_intercept, solver="direct", backend=backend, n_jobs=n_jobs)
    model.coef_, model.intercept_ = fitted_shapes(coef, intercept, dtype, y_ndim)
    model.n_features_in_ = p
    model.n_iter_ = 1
    model.solver_ = "direct"
    model.history_ = hist.data
    model.gap_bound_ = float(np.max(gap))
    model.n_chunks_ = n_chunks
    return model
