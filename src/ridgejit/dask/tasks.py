"""What runs on the Dask workers: one function per task, NumPy and ridgejit kernels only.

Nothing here imports dask: a task receives one row block (NumPy arrays) plus
small arguments (a centre, a search direction, coefficients) and returns a
small result (a few vectors or one ``p x p`` matrix).  Rows never leave the worker that holds them.

Every task that reads a block first validates it (:func:`block_arrays`) and
names the block in its errors (``"block 3 (rows 300:400)"``), so a bad block
raises ``ValueError`` on the client before any fitted attribute is stored.

Notation: block ``b`` has rows ``X_b`` (``m x p``), targets ``Y_b``
(``m x k``), weights ``s``; ``S = diag(s)``; ``r = X_b w + b - Y_b``.
"""

import contextlib
import copy

import numpy as np

from .._threads import WORKQUEUE_LOCK, numba_layer_needs_lock, thread_limit
from ..inference import cluster_sums, meat_of_rows
from ..kernels import get_backend
from ..problem import raise_if_not_finite, readonly_view
from ..stats import SufficientStats


@contextlib.contextmanager
def naming(where):
    """Prefix any ``ValueError`` raised inside with the block's name ``where``."""
    try:
        yield
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


@contextlib.contextmanager
def kernel_threads(backend, n_jobs):
    """Threads of the kernels inside one task: ``n_jobs``, or one when it is None.

    One is Dask's convention (its workers set ``OMP_NUM_THREADS=1`` and friends):
    the worker's threads are the parallelism, and a kernel spawning a thread
    per core in every task of every worker process oversubscribes the machine
    (measured: 300 x 10 ``normal_product`` tasks 0.2 s each instead of 0.1 ms
    with two worker processes on two cores).  Numba's thread count is set for
    the calling thread only; the lock of :mod:`ridgejit._threads` is held
    under Numba's workqueue layer.  An explicit ``n_jobs`` uses
    :func:`ridgejit._threads.thread_limit` (Numba and BLAS).
    """
    if n_jobs is not None:
        with thread_limit(n_jobs, backend.name):
            yield
        return
    if backend.name != "numba":
        yield
        return
    import numba

    guard = WORKQUEUE_LOCK if numba_layer_needs_lock() else contextlib.nullcontext()
    with guard:
        previous = numba.get_num_threads()
        numba.set_num_threads(1)
        try:
            yield
        finally:
            numba.set_num_threads(previous)


def block_arrays(X, y, sw, where, n_features, n_targets):
    """Validate one row block; returns ``(X, Y, sw)`` as the kernels take them.

    ``X`` becomes a read-only C-contiguous float32/float64 array (other dtypes
    are converted to float64), ``Y`` a float64 ``(m, k)`` array, ``sw`` a
    float64 ``(m,)`` array (``None`` means ones, a scalar is repeated).
    NaN/inf in X is left to the first statistics of the block (no extra pass).

    Raises
    ------
    ValueError
        Naming the block: another column count, rows of X, y and weights
        that differ, NaN/inf in y or the weights, a negative weight.
    """
    with naming(where):
        X = np.asarray(X)
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        if X.ndim != 2 or X.shape[1] != n_features:
            raise ValueError(f"X has shape {X.shape}, expected {n_features} columns "
                             "(every block must have the columns of the first)")
        m = X.shape[0]
        Y = np.asarray(y, dtype=np.float64)
        if Y.shape[0] != m:
            raise ValueError(f"X has {m} rows but y has {Y.shape[0]}: X and y must be "
                             "chunked alike along rows (y.rechunk({0: X.chunks[0]}))")
        Y = np.ascontiguousarray(Y.reshape(m, -1))
        if Y.shape[1] != n_targets:
            raise ValueError(f"y has {Y.shape[1]} columns, expected {n_targets}")
        if not np.isfinite(Y).all():
            raise ValueError("Input y contains NaN or infinity.")
        if sw is None or np.ndim(sw) == 0:
            w = np.full(m, 1.0 if sw is None else float(sw))
        else:
            w = np.array(sw, dtype=np.float64).reshape(-1)
            if w.shape[0] != m:
                raise ValueError(f"X has {m} rows but sample_weight has {w.shape[0]}: "
                                 "chunk the weights as the rows of X")
        if not np.isfinite(w).all() or (w < 0).any():
            raise ValueError("sample_weight must be finite and non-negative")
    return readonly_view(np.ascontiguousarray(X)), Y, w


def prepare(X, y, sw, where, n_features, n_targets):
    """:func:`block_arrays` plus the block's name: the unit that multi-pass solvers persist."""
    return (*block_arrays(X, y, sw, where, n_features, n_targets), where)


def first_row(X, y):
    """``(x_0, y_0, n_columns)`` in float64 from the first row of a block; None if empty."""
    X = np.asarray(X)
    if X.shape[0] == 0:
        return None
    y0 = np.asarray(y, dtype=np.float64)[0]
    return np.array(X[0], dtype=np.float64), np.atleast_1d(y0).reshape(-1), X.shape[1]


def block_rows(block):
    """Rows of one prepared block."""
    return block[0].shape[0]


def stats(X, y, sw, where, n_features, n_targets, x_shift, y_shift, backend, n_jobs):
    """One block's sufficient statistics around the provisional centre.

    Runs the backend's ``sufficient_stats`` kernel (one pass over the block):
    ``D^T S D``, ``D^T S E``, ``D^T s``, ``E^T s``, ``E^T S E`` with
    ``D = X_b - x_shift``, ``E = Y_b - y_shift``, and ``sum s``.  Returns a
    :class:`~ridgejit.stats.SufficientStats` (``O((p + k)^2)`` floats:
    all that leaves the worker).
    """
    X, Y, w = block_arrays(X, y, sw, where, n_features, n_targets)
    part = SufficientStats(x_shift, y_shift)
    be = get_backend(backend)
    with naming(where), kernel_threads(be, n_jobs), np.errstate(over="ignore", invalid="ignore"):
        part.add(be, X, Y, w)
    return part


def covariance_meat(X, y, sw, where, n_features, n_targets, fitted, cov_type, backend, n_jobs):
    """One block's sandwich meat (:func:`ridgejit.inference.meat_of_rows`) at ``fitted = (coef,
    intercept, bread)``: ``(k, q', q')`` floats leave the worker; the blocks' meats add."""
    coef, intercept, bread = fitted
    X, Y, w = block_arrays(X, y, sw, where, n_features, n_targets)
    be = get_backend(backend)
    with naming(where), kernel_threads(be, n_jobs), np.errstate(over="ignore", invalid="ignore"):
        return meat_of_rows(X, Y, w, coef, intercept, bread, cov_type, be)


def cluster_part(X, y, sw, where, n_features, n_targets, groups, fitted):
    """One block's per-group score sums (:func:`ridgejit.inference.cluster_sums`) at
    ``fitted = (coef, intercept, bread)``; merged across blocks by group."""
    coef, intercept, bread = fitted
    X, Y, w = block_arrays(X, y, sw, where, n_features, n_targets)
    groups = np.asarray(groups).reshape(-1)
    with naming(where):
        if groups.shape[0] != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but groups has {groups.shape[0]}: chunk the groups "
                             "as the rows of X")
        return cluster_sums(X, Y, w, coef, intercept, bread.x_mean, groups, bread.fit_intercept)


def merge_stats(*parts):
    """A new :class:`SufficientStats` holding ``parts`` added in the given order.

    The inputs are not modified (Dask may hold them for a retry).
    """
    total = copy.deepcopy(parts[0])
    for part in parts[1:]:
        total.merge(part)
    return total


def add(*parts):
    """Elementwise sum of tuples of arrays (or of arrays), in the given order."""
    if isinstance(parts[0], tuple):
        return tuple(add(*items) for items in zip(*parts))
    total = np.array(parts[0], dtype=np.float64, copy=True)
    for part in parts[1:]:
        total += part
    return total


def moments(block, x_shift, y_shift, backend, n_jobs):
    """Column and cross moments of one block around ``(c, e) = (x_shift, y_shift)``.

    Returns ``(sum s (x - c), sum s (x - c)^2, [sum s, m], sum s (y - e) x^T..., sum s (y - e),
    sum s (y - e)^2)``: the backend's ``column_moments`` kernel (one pass over X) for
    the first, second and fourth (``(k, p)``), NumPy on the block's y for the last
    two; ``2 p + 2 + k p + 2 k`` floats.  NaN/inf in X raises ``ValueError``
    naming the block.
    """
    X, Y, w, where = block
    p, k = X.shape[1], Y.shape[1]
    sums, sumsq, xty = np.empty(p), np.empty(p), np.empty((k, p))
    be = get_backend(backend)
    with naming(where), kernel_threads(be, n_jobs), np.errstate(over="ignore", invalid="ignore"):
        W = be.column_moments(X, Y, w, x_shift, y_shift, sums, sumsq, xty)
        raise_if_not_finite(X, sums, sumsq, xty)
    E = Y - y_shift
    return sums, sumsq, np.array([W, X.shape[0]]), xty, w @ E, w @ (E * E)


def gradient_part(block, coef, intercept, backend, n_jobs):
    """Unnormalised gradient pieces of one block at ``(w, b)``, without the penalty.

    The backend's fused ``gradient`` kernel (one pass) gives, per target,
    ``(X_b^T S r, s^T r, r^T S r)``: shapes ``(k, p)``, ``(k,)``, ``(k,)``.
    Summed over blocks: ``n grad_w J - alpha w``, ``n dJ/db`` and
    ``2 n J - alpha ||w||^2``.
    """
    X, Y, w, where = block
    k, p = coef.shape
    grad, grad_b = np.empty((k, p)), np.empty(k)
    be = get_backend(backend)
    m = X.shape[0]
    with naming(where), kernel_threads(be, n_jobs), np.errstate(over="ignore", invalid="ignore"):
        J = be.gradient(X, Y, w, coef, intercept, np.zeros(k), grad, grad_b)
    return m * grad, m * grad_b, 2.0 * m * J


def normal_product(block, x_mean, P, backend, n_jobs):
    """One block's share of the normal-equations product: ``X_bc^T S X_bc P^T`` (``(k, p)``).

    The backend's fused ``normal_product`` kernel (one pass) with the global
    column mean ``x_mean`` and no penalty: summed over blocks it is
    ``Xc^T S Xc P[t]`` for each row ``P[t]``; the client adds ``alpha_t P[t]``.
    """
    X, _, w, where = block
    out = np.empty_like(P)
    be = get_backend(backend)
    with naming(where), kernel_threads(be, n_jobs), np.errstate(over="ignore", invalid="ignore"):
        be.normal_product(X, w, x_mean, P, np.zeros(P.shape[0]), out)
    return out


def predict_block(X, coef, intercept):
    """``X_b @ coef.T + intercept`` for one block (X's dtype, as :meth:`ridgejit.Ridge.predict`)."""
    X = np.asarray(X)
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    return X @ coef.T.astype(X.dtype, copy=False) + intercept


def r2_parts(X, y, sw, where, n_features, n_targets, coef, intercept):
    """Weighted R^2 pieces of one block: ``(W, ybar, M2, ss_res)``.

    ``W = sum s``, ``ybar`` the weighted mean of each target, ``M2 = sum s (y
    - ybar)^2`` and ``ss_res = sum s (y - X w - b)^2`` (``k`` values each);
    combined across blocks by :func:`merge_r2`.
    """
    X, Y, w = block_arrays(X, y, sw, where, n_features, n_targets)
    W = float(w.sum())
    ybar = (w @ Y) / W if W > 0 else np.zeros(Y.shape[1])
    res = Y - predict_block(X, coef, intercept).reshape(Y.shape)
    return W, ybar, w @ (Y - ybar) ** 2, w @ res**2


def merge_r2(*parts):
    """Combine :func:`r2_parts` of disjoint blocks in order (Chan et al.'s pairwise update).

    For ``a`` and ``b``: ``W = W_a + W_b``, ``ybar = ybar_a + d W_b / W`` and
    ``M2 = M2_a + M2_b + d^2 W_a W_b / W`` with ``d = ybar_b - ybar_a``.
    """
    Wa, ma, Ma, Ra = parts[0]
    for Wb, mb, Mb, Rb in parts[1:]:
        W = Wa + Wb
        if W > 0:
            d = mb - ma
            ma, Ma = ma + d * (Wb / W), Ma + Mb + d * d * (Wa * Wb / W)
        Wa, Ra = W, Ra + Rb
    return Wa, ma, Ma, Ra


def sgd_partial_fit(model, block, alpha):
    """One ``partial_fit`` epoch of a single-machine ``SGDRidge`` over one block.

    ``model`` (coefficients, the schedule's counter ``t_``, the random
    generator: ``O(p)`` floats) arrives from the previous block's task and a
    copy leaves, updated; the block stays.  ``alpha`` is the fit's ``alpha``
    scaled by ``m / n`` so that the per-sample penalty ``alpha / n`` is the
    one of the whole data.
    """
    X, Y, w, where = block
    model = copy.deepcopy(model)
    model.set_params(alpha=alpha)
    with naming(where), kernel_threads(get_backend(model.backend), model.n_jobs):
        model.partial_fit(X, Y[:, 0], sample_weight=w)
    return model


def sgd_epoch(model, coef, intercept, block, alpha, seed):
    """One epoch of a single-machine ``SGDRidge`` on one block from ``(coef, intercept)``.

    Used by the averaging mode: every block starts from the same model and
    returns ``(coef, intercept, m, updates)``; the client averages them
    weighted by the rows ``m``.  ``intercept=None`` starts from the block's
    optimal intercept for ``coef``.  ``alpha`` is scaled by ``m / n`` as in
    :func:`sgd_partial_fit`; ``seed`` shuffles the block's rows.
    """
    X, Y, w, where = block
    model = copy.deepcopy(model)
    model.set_params(alpha=alpha, random_state=seed, max_iter=1, tol=None, init=coef,
                     warm_start=intercept is not None)
    if intercept is not None:
        model.coef_, model.intercept_ = coef.astype(X.dtype), np.array([intercept], dtype=X.dtype)
    with naming(where), kernel_threads(get_backend(model.backend), model.n_jobs):
        model.fit(X, Y[:, 0], sample_weight=w)
    return model.coef_.astype(np.float64), float(model.intercept_[0]), X.shape[0], model.t_ - 1.0
