"""Exact ridge on data streamed in chunks: one pass, memory independent of n.

``fit_chunks`` reads an iterable of ``(X, y)`` or ``(X, y, sample_weight)``
chunks once through :meth:`ridgejit.Ridge.partial_fit`, which accumulates the
sufficient statistics ``X^T S X``, ``X^T S y``, the column and target sums and
the weight sum (blocked BLAS, around the first row seen, so large column means
cost no digits); the normal equations are solved once at the end.  Memory: ``O((p + k)^2)`` plus one chunk.  The result equals
``Ridge(alpha, solver="direct")`` on the concatenated data (same objective:
``n`` is the total row count).  For streaming SGD see
:meth:`ridgejit.SGDRidge.partial_fit`.
"""

import numpy as np

from .ridge import Ridge


def fit_chunks(chunks, alpha=1.0, *, fit_intercept=True, backend="auto", n_jobs=None):
    """Fit ridge regression exactly on an iterable of chunks, in one pass.

    Minimizes ``J(w, b) = 1/(2n) sum_i s_i (x_i.w + b - y_i)^2 + alpha/(2n) ||w||^2``
    over all rows of all chunks (``n`` their total), i.e. the solution of
    ``Ridge(alpha=alpha, solver="direct")`` on the concatenated data.  A loop of
    :meth:`ridgejit.Ridge.partial_fit` (one solve at the end), naming the chunk
    in its errors.

    Parameters
    ----------
    chunks : iterable of tuples
        ``(X, y)`` or ``(X, y, sample_weight)``; X of shape ``(m, p)``
        (float32/float64 arrays, memmaps or CSR matrices; the same ``p`` in
        every chunk), y of shape ``(m,)`` or ``(m, k)``.  Consumed once; chunks
        with no rows are skipped.
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
        ``solver_ = "direct"``, ``history_``, ``n_samples_seen_``, ``n_chunks_``);
        ``coef_`` has the dtype of the first chunk's X.

    Raises
    ------
    ValueError
        No chunks or no rows, a chunk with another feature count or target
        count, NaN/inf in a chunk (named by its index), a negative weight.
    """
    model = Ridge(alpha=alpha, fit_intercept=fit_intercept, solver="direct", backend=backend, n_jobs=n_jobs)
    n_chunks = 0
    for index, chunk in enumerate(chunks):
        if not isinstance(chunk, (tuple, list)) or len(chunk) not in (2, 3):
            raise ValueError(f"chunk {index} must be (X, y) or (X, y, sample_weight), "
                             f"got {type(chunk).__name__}")
        if np.shape(chunk[0])[:1] == (0,):
            continue
        try:
            model.partial_fit(*chunk)
        except ValueError as exc:
            raise ValueError(f"chunk {index}: {exc}") from None
        n_chunks += 1
    if n_chunks == 0:
        raise ValueError("fit_chunks got no rows: the iterable of chunks was empty")
    model.coef_  # solve now, so that its errors are raised here  # noqa: B018
    model.n_chunks_ = n_chunks
    return model
