"""Dask collections as an ordered list of row blocks, and the graph patterns every fit uses.

:func:`row_blocks` turns ``X`` (a dask array or dataframe), ``y`` and the
sample weights into one :class:`RowBlocks`: for each row block ``b``, the
graph keys of ``X_b`` (all columns: column chunks are merged per row block),
``y_b`` and ``s_b``.  Nothing is computed; chunk sizes may be unknown (a
dataframe's partitions), in which case each task checks that its pieces have
the same number of rows.

Three patterns build every fit:

* :func:`tree_reduce` -- per-block results combined by a tree of tasks in
  fixed block order (``split_every`` inputs per node), so the sum is the same
  bits on every run, whatever worker ran what and when.
* :func:`sum_over_blocks` -- one task per block (a kernel pass on the worker
  holding it), tree-summed, computed: only the small results travel.
* :func:`share` -- a small client-side array (a search direction) sent to
  every worker once (``Client.scatter(broadcast=True)``), then referenced by
  all the tasks of a pass.
"""

from dataclasses import dataclass
from numbers import Real

import dask
import dask.array as da
import numpy as np

from . import tasks

#: Inputs per node of the reduction tree.
SPLIT_EVERY = 8


def is_frame(obj):
    """A dask DataFrame (duck-typed: no import of dask.dataframe; dask-expr Series have ``columns``)."""
    return hasattr(obj, "to_dask_array") and getattr(obj, "ndim", None) == 2


def is_series(obj):
    """A dask Series."""
    return hasattr(obj, "to_dask_array") and getattr(obj, "ndim", None) == 1


def as_array(obj, name):
    """A dask array of ``obj`` (an array, a dataframe or a series; row lengths may be unknown)."""
    if is_frame(obj) or is_series(obj):
        return obj.to_dask_array()
    if isinstance(obj, da.Array):
        return obj
    raise TypeError(f"{name} must be a dask array, dataframe or series, got {type(obj).__name__}")


def as_matrix(X):
    """``X`` as a 2-D dask array with one column chunk (merged per row block; lazy)."""
    A = as_array(X, "X")
    if A.ndim != 2:
        raise ValueError(f"X must be 2-D, got a dask array with {A.ndim} dimension(s)")
    if A.numblocks[1] > 1:
        A = A.rechunk({1: -1})
    return A


def feature_names(X):
    """Column names of a dask dataframe when they are all strings (as scikit-learn), else None."""
    if is_frame(X):
        names = np.asarray(X.columns, dtype=object)
        if len(names) and all(isinstance(n, str) for n in names):
            return names
    return None


def _known(chunks):
    return not any(np.isnan(c) for c in chunks)


@dataclass
class RowBlocks:
    """A fit's data as row blocks (graph keys, not data).

    Attributes
    ----------
    X, y, sw : lists of dask.delayed.Delayed
        Block ``b`` of X (all columns), of y, of the weights (``sw`` entries
        are ``None`` or a scalar when no weight array was given).
    where : list of str
        ``"block b (rows lo:hi)"`` (``"block b"`` when lengths are unknown).
    lengths : tuple of int or None
        Rows per block, when known without computing.
    n_features, n_targets, y_ndim : int
    dtype : numpy dtype
        X's dtype (float32 or float64; other dtypes are fitted as float64).
    feature_names : ndarray of str or None
    groups : list of dask.delayed.Delayed or None
        Block ``b`` of the cluster labels (``fit(..., groups=...)``), when given.
    """

    X: list
    y: list
    sw: list
    where: list
    lengths: tuple
    n_features: int
    n_targets: int
    y_ndim: int
    dtype: np.dtype
    feature_names: object = None
    groups: list = None

    def __len__(self):
        return len(self.X)

    def raw(self, b):
        """``(X_b, y_b, s_b, where_b, p, k)``: the arguments of a task that validates block ``b``."""
        return self.X[b], self.y[b], self.sw[b], self.where[b], self.n_features, self.n_targets


def _aligned(obj, name, row_chunks):
    """``obj`` (dask collection or NumPy array) as a dask array chunked like X's rows."""
    if dask.is_dask_collection(obj):
        A = as_array(obj, name)
        if A.ndim == 2 and A.numblocks[1] > 1:
            A = A.rechunk({1: -1})
        return A
    if not _known(row_chunks):
        raise ValueError(f"{name} is a NumPy array but X's row chunk sizes are unknown; "
                         f"pass {name} as a dask collection partitioned like X")
    a = np.asarray(obj)
    return da.from_array(a, chunks=(row_chunks,) + a.shape[1:])


def _co_aligned(*frames):
    """Whether dask-expr says ``frames`` derive blockwise from the same parents (same partitions).

    Uses ``dask.dataframe.dask_expr._expr.are_co_aligned`` (what Dask's own
    ``assign`` checks); False when that is unavailable.
    """
    try:
        from dask.dataframe.dask_expr._expr import are_co_aligned

        return bool(are_co_aligned(*(f.expr for f in frames)))
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - other dask versions
        return False


def one_frame(X, y, sample_weight=None):
    """``(X, y, sample_weight)`` as column slices of one dask array when they are dataframe columns.

    Dask may partition the column selections ``df[features]`` and ``df["y"]``
    differently (a parquet read fuses row groups by the size of the columns it
    projects), so converting them one by one can give X and y different row
    blocks.  A dataframe ``X`` with a series/dataframe ``y`` (and a series
    ``sample_weight``) that are columns of the same frame (co-aligned, in
    dask-expr's words) become that one frame (``X.assign``), one array, and
    slices of it: one partitioning, and each partition read once per pass.
    X keeps its dtype.  Other inputs are returned unchanged (never aligned by
    index: that would shuffle).
    """
    if not (is_frame(X) and (is_frame(y) or is_series(y))):
        return X, y, sample_weight
    weighted = is_series(sample_weight)
    if not _co_aligned(X, y, *([sample_weight] if weighted else [])):
        return X, y, sample_weight
    p = len(X.columns)
    ys = [y[c] for c in y.columns] if is_frame(y) else [y]
    extra = {f"__ridgejit_y{t}__": col for t, col in enumerate(ys)}
    if weighted:
        extra["__ridgejit_sw__"] = sample_weight
    try:
        A = X.assign(**extra).to_dask_array()
    except (ValueError, TypeError, NotImplementedError):  # not alignable: each is converted alone
        return X, y, sample_weight
    dtypes = [np.dtype(d) for d in X.dtypes]
    x_dtype = np.result_type(*dtypes) if dtypes and all(d.kind in "biuf" for d in dtypes) else A.dtype
    Xa = A[:, :p]
    if x_dtype in (np.float32, np.float64) and Xa.dtype != x_dtype:
        Xa = Xa.astype(x_dtype)
    Y = A[:, p : p + len(ys)] if is_frame(y) else A[:, p]
    return Xa, Y, (A[:, -1] if weighted else sample_weight)


def _check_rows(A, name, row_chunks):
    """Same number of row blocks as X and, where known, the same sizes; else ValueError naming the block."""
    chunks = A.chunks[0]
    if len(chunks) != len(row_chunks):
        raise ValueError(f"X has {len(row_chunks)} row blocks but {name} has {len(chunks)}: "
                         f"chunk {name} like the rows of X ({name}.rechunk({{0: X.chunks[0]}}))")
    for b, (m, m2) in enumerate(zip(row_chunks, chunks)):
        if not (np.isnan(m) or np.isnan(m2)) and m != m2:
            raise ValueError(f"block {b}: X has {int(m)} rows but {name} has {int(m2)}: chunk "
                             f"{name} like the rows of X ({name}.rechunk({{0: X.chunks[0]}}))")


def _delayed_rows(A):
    return list(A.to_delayed(optimize_graph=False).reshape(A.numblocks[0], -1)[:, 0])


def row_blocks(X, y, sample_weight=None, groups=None):
    """The :class:`RowBlocks` of a fit (lazy: nothing is computed).

    ``X``: dask array (2-D) or dataframe; ``y``: dask array (1-D or 2-D),
    series or dataframe, or a NumPy array when X's row chunks are known;
    ``sample_weight``: ``None``, a scalar, or a 1-D dask array / series (or
    NumPy array) aligned with X's rows; ``groups``: ``None`` or 1-D labels
    aligned the same way.
    """
    names = feature_names(X)
    X, y, sample_weight = one_frame(X, y, sample_weight)
    A = as_matrix(X)
    if np.isnan(A.shape[1]):
        raise ValueError("X has an unknown number of columns")
    rows = A.chunks[0]
    Y = _aligned(y, "y", rows)
    if Y.ndim not in (1, 2):
        raise ValueError(f"y must be 1-D or 2-D, got {Y.ndim} dimensions")
    _check_rows(Y, "y", rows)
    nb = len(rows)
    if sample_weight is None or isinstance(sample_weight, Real):
        sw = [sample_weight] * nb
    else:
        S = _aligned(sample_weight, "sample_weight", rows)
        if S.ndim != 1:
            raise ValueError("sample_weight must be 1-D")
        _check_rows(S, "sample_weight", rows)
        sw = _delayed_rows(S)
    lengths = tuple(int(m) for m in rows) if _known(rows) else None
    if lengths is None:
        where = [f"block {b}" for b in range(nb)]
    else:
        ends = np.cumsum((0,) + lengths)
        where = [f"block {b} (rows {ends[b]}:{ends[b + 1]})" for b in range(nb)]
    dtype = A.dtype if A.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    k = 1 if Y.ndim == 1 else Y.shape[1]
    labels = None
    if groups is not None:
        G = _aligned(groups, "groups", rows)
        if G.ndim != 1:
            raise ValueError("groups must be 1-D")
        _check_rows(G, "groups", rows)
        labels = _delayed_rows(G)
    return RowBlocks(_delayed_rows(A), _delayed_rows(Y), sw, where, lengths, int(A.shape[1]), int(k),
                     Y.ndim, np.dtype(dtype), names, labels)


def tree_reduce(parts, combine, split_every=SPLIT_EVERY):
    """One delayed result: ``parts`` combined by ``combine(*group)`` in a tree, in fixed order.

    Level by level, consecutive groups of ``split_every`` parts become one
    task; the tree's shape depends only on ``len(parts)``, so the result is
    deterministic.  Only the parts (small statistics) cross the network.
    """
    if not parts:
        raise ValueError("no row blocks: X has no rows")
    while len(parts) > 1:
        groups = [parts[i : i + split_every] for i in range(0, len(parts), split_every)]
        parts = [g[0] if len(g) == 1 else dask.delayed(combine)(*g) for g in groups]
    return parts[0]


def distributed_client():
    """The ``distributed.Client`` that ``dask.compute`` will use now, or None (local scheduler)."""
    scheduler = dask.base.get_scheduler()
    client = getattr(scheduler, "__self__", None)
    return client if type(client).__name__ == "Client" else None


def share(value):
    """``value`` sent once to every worker (a future) when a distributed client is active.

    Without one (threads, processes or synchronous scheduler) the value itself
    is returned: there is no network to cross.
    """
    client = distributed_client()
    if client is None:
        return value
    return client.scatter(value, broadcast=True, hash=False)


def sum_over_blocks(fn, blocks, *args):
    """``sum_b fn(block_b, *args)``, each term a task on the worker holding the block.

    ``blocks``: prepared (persisted) blocks; the terms (tuples of arrays or
    arrays) are added by :func:`tree_reduce` in block order and the total is
    computed and returned to the client.
    """
    parts = [dask.delayed(fn)(block, *args) for block in blocks]
    (total,) = dask.compute(tree_reduce(parts, tasks.add))
    return total


def persist_prepared(rb):
    """Every block validated and converted once (:func:`tasks.prepare`) and kept in worker memory.

    For the multi-pass solvers (cg, SGD): the returned delayed objects point
    at blocks held by the workers until the fit drops them.  Errors in a
    block surface at the first pass that uses it.
    """
    prepared = [dask.delayed(tasks.prepare)(*rb.raw(b)) for b in range(len(rb))]
    return list(dask.persist(*prepared))


def first_row(rb):
    """``(x_0, y_0)``: the first row of the first non-empty block (one small task per block tried)."""
    for b in range(len(rb)):
        (row,) = dask.compute(dask.delayed(tasks.first_row)(rb.X[b], rb.y[b]))
        if row is not None:
            return row[0], row[1]
    raise ValueError("X has no rows")

