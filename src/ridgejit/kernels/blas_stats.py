"""Blocked BLAS versions of the Gram-type kernels (used by the compiled backends).

A Gram matrix costs ``n p^2`` flops, so it is compute bound: OpenBLAS ``syrk``
beats a hand-written Numba loop here (measured in one run on 1e6 x 100, 2
cores: ``X.T @ X`` 0.34 s, a parallel Numba lower-triangle loop with fixed
blocks 0.64 s).  X is read once, in chunks of ``chunk_rows`` rows: as views
(float64 X, unit weights) or copied into one reusable float64 scratch buffer
where they are shifted and scaled by ``sqrt(s_i)`` (float32 X is converted
chunk by chunk).  No copy of the whole X is ever made.  The signatures are
those of :mod:`ridgejit.kernels.reference`.

Threads: OpenBLAS splits a ``syrk`` over its ``p x p`` output, which scales
poorly when p is small (measured on 400,000 x 64, 2 cores: two BLAS threads no
faster than one, 70-92 ms against 69-85 ms).  Up to :data:`ROW_PARALLEL_MAX_COLUMNS`
columns the chunks' products instead run side by side on the fit's threads, each
with BLAS on one thread (:func:`ordered_sum`: 43-45 ms there), and are added in
chunk order, so the bits do not depend on the thread count.  The whole pass then
keeps BLAS on one thread: an OpenBLAS pool woken by a product spins for a while
and halved the next parallel Numba pass (column moments 13 -> 27 ms).

Only NumPy's BLAS is used here (``C.T @ C`` is a ``syrk``): alternating between
NumPy's and SciPy's OpenBLAS builds per chunk makes two spinning thread pools
fight (measured 30% slower on 2 cores).
"""

import functools
import os
import threading
from collections import deque
from contextlib import nullcontext
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .._config import GRAM_CHUNK_ROWS
from .._threads import BLAS_LIMITS, fit_threads

#: Widest matrix (columns of a chunk) whose Gram runs row-parallel (:func:`ordered_sum`).
ROW_PARALLEL_MAX_COLUMNS = 512
#: Rows per chunk of a row-parallel Gram on views of float64 X (fixed: the chunks, hence
#: the bits, do not depend on the thread count; float32 keeps its shorter chunks, whose
#: length sets the float32 products' rounding).
PARALLEL_CHUNK_ROWS = 1 << 15
#: Most chunks of a row-parallel unit-weight pass whose moments run chunk by chunk
#: (:func:`_raw_stats`).
PER_CHUNK_MOMENTS_MAX_CHUNKS = 8


@functools.lru_cache(maxsize=None)
def _pool(threads, pid):
    """A pool of ``threads`` Python threads kept for the process ``pid`` (starting threads
    cost 3-7 ms per call on a busy machine: a ``partial_fit`` stream pays it per chunk)."""
    return ThreadPoolExecutor(threads, thread_name_prefix="ridgejit-gram")


def _chunk_bounds(n, rows):
    """``[lo, hi)`` of ``ceil(n / rows)`` chunks of equal length (within one row), at most ``rows``:
    equal chunks keep the threads busy to the end (1e5 rows in 32768-row chunks left one
    thread idle for a quarter of the pass); they depend on ``n`` only, not on the threads."""
    count = -(-n // rows)
    edges = [n * i // count for i in range(count + 1)]
    return list(zip(edges[:-1], edges[1:]))


def ordered_sum(n, rows, product, out, parallel=True):
    """``out += product(lo, hi)`` over the chunks ``[lo, hi)`` of :func:`_chunk_bounds` ``(n, rows)``,
    in chunk order; returns ``out``.

    ``parallel`` (:func:`_row_parallel`): every product runs with BLAS on one
    thread (:meth:`SharedBlasLimit.serial`) and, with several fit threads
    (:func:`ridgejit._threads.fit_threads`), the products run side by side on a
    pool of Python threads (NumPy releases the GIL inside BLAS), at most
    ``2 * threads`` ahead of the sum, which is taken in chunk order: the result
    is the same bits for any thread count.  Else one product after another, BLAS
    with its own threads (wide chunks, where ``syrk`` splits its output well).
    """
    bounds = _chunk_bounds(n, rows) if n else []
    threads = min(fit_threads(), len(bounds)) if parallel else 1
    with BLAS_LIMITS.serial() if parallel else nullcontext():
        if threads <= 1:
            for lo, hi in bounds:
                out += product(lo, hi)
            return out
        pool = _pool(threads, os.getpid())
        ahead = deque()
        try:
            for lo, hi in bounds:
                ahead.append(pool.submit(product, lo, hi))
                if len(ahead) >= 2 * threads:
                    out += ahead.popleft().result()
            while ahead:
                out += ahead.popleft().result()
        finally:  # an error: the products already started finish before the caller goes on
            for future in ahead:
                future.cancel() or future.exception()
    return out


def _row_parallel(p, k):
    """Whether the Gram of ``[X | y | 1]`` (``p + k + 1`` columns) runs row-parallel."""
    return p + k + 1 <= ROW_PARALLEL_MAX_COLUMNS


#: Largest accepted ratio of a column's raw to centred second moment in the
#: zero-copy path (rounding error grows with it: 1e4 costs at most 4 digits).
MAX_MOMENT_RATIO = 1e4
#: The same for the float32 Gram, which only preconditions the float64 refinement:
#: up to 1e4 times its ~5e-6 relative error the refinement still contracts on
#: typical data (measured: 1e6 x 100 ``make_regression``, ratio 2020, 4 passes to a
#: gradient of 4e-12), and it falls back to exact statistics when it does not.
MAX_MOMENT_RATIO_F32 = 1e4


def _fill_chunk(X, y, sw, lo, hi, x_shift, y_shift, unit, out):
    """Write rows ``lo:hi`` as ``[(x - x_shift) r | (y - y_shift) r | r]``, ``r = sqrt(s)``."""
    p = X.shape[1]
    k = y.shape[1]
    np.subtract(X[lo:hi], x_shift, out=out[:, :p])
    np.subtract(y[lo:hi], y_shift, out=out[:, p : p + k])
    if unit:
        out[:, -1] = 1.0
    else:
        root = np.sqrt(sw[lo:hi])
        out[:, :-1] *= root[:, None]
        out[:, -1] = root


def _copied_stats(X, y, sw, x_shift, y_shift, unit, rows, parallel, dtype=np.float64):
    """All statistics from one ``syrk`` per chunk of ``[X - c | y - cy | 1] * sqrt(s)``
    (chunks and their products in ``dtype``, totals in float64)."""
    n, p = X.shape
    m = p + y.shape[1] + 1
    local = threading.local()  # one scratch chunk per thread

    def product(lo, hi):
        if not hasattr(local, "buf"):
            local.buf = np.empty((rows, m), dtype=dtype)
        C = local.buf[: hi - lo]
        _fill_chunk(X, y, sw, lo, hi, x_shift, y_shift, unit, C)
        return C.T @ C  # syrk

    return ordered_sum(n, rows, product, np.zeros((m, m)), parallel)


def _chunk_with_moments(X, y, y_shift, moments, serial, lo, hi):
    """Rows ``lo:hi`` of X: ``[X^T X ; sums ; sums of squares ; X^T (y - y_shift)]``, shape
    ``(p + 2 + k, p)``, the ``syrk`` on a view and the ``moments`` kernel run by ``serial``."""
    p, k = X.shape[1], y.shape[1]
    Xc = X[lo:hi]
    part = np.empty((p + 2 + k, p))
    part[:p] = Xc.T @ Xc  # syrk
    serial(lambda: moments(Xc, y[lo:hi], np.ones(hi - lo), np.zeros(p), y_shift, part[p], part[p + 1],
                           part[p + 2 :]))
    return part


def _raw_stats(X, y, y_shift, rows, moments, max_ratio, parallel, serial=None):
    """Unit weights: ``syrk`` on zero-copy views of X, shift 0; ``(S, mean)`` or ``(None, mean)``.

    The backend's ``moments`` kernel (``column_moments``: one pass, float64
    accumulation, also for float32 X) gives the column sums, ``X^T (y - y_shift)``
    and the exact ``diag(X^T X)``.  If some column's raw second moment exceeds
    ``max_ratio`` times its centred one, the shift after the
    fact would cost too many digits: ``S`` is None and the caller copies chunks
    around ``mean`` instead.  Else ``X^T X`` by one ``syrk`` per chunk of ``rows``
    rows (at most :data:`PARALLEL_CHUNK_ROWS` when it runs row-parallel; float64
    totals) and ``(y - y_shift)^T (y - y_shift)`` by NumPy; ``S`` has the layout of
    :func:`_copied_stats` with ``x_shift = 0`` and the exact diagonal.

    ``serial(call)`` runs ``call`` with the moments kernel on one thread (the Numba
    backend binds it).  Given it, a row-parallel pass never runs the moments as a
    parallel Numba pass ahead of the chunks: such a pass leaves its OpenMP threads
    spinning for some milliseconds after it ends, which took a core from the first
    ``syrk`` calls (a ``partial_fit`` stream of 1e5-row chunks paid that per call:
    5e6 x 100, 2 cores, the chunks' ``syrk`` 1.36-1.47 s after the moments pass,
    0.98-1.04 s without it).  Instead:

    * up to :data:`PER_CHUNK_MOMENTS_MAX_CHUNKS` chunks, each chunk's task also
      takes its moments (:func:`_chunk_with_moments`), added in chunk order with
      the Grams: equal tasks.  One task for all moments beside four 25,000-row
      chunks (a 1e5-row call) left one thread idle at the end (3e6 x 100 in
      1e5-row calls, A/B in one process: 0.79 -> 0.72 s);
    * beyond, one task on the chunks' pool takes all the moments (several threads;
      on one, a plain call first): with many chunks the pool balances itself, and
      per-chunk calls cost more at few columns (2e6 x 10: 0.050 -> 0.075 s).

    Either way the bits depend on ``n`` only, not on the thread count.  The ratio
    check comes after the ``syrk``, whose work is lost on data that fails it.
    """
    n, p = X.shape
    k = y.shape[1]
    m = p + k + 1
    sums, sumsq, xty = np.empty(p), np.empty(p), np.empty((k, p))

    def column_pass():
        return moments(X, y, np.ones(n), np.zeros(p), y_shift, sums, sumsq, xty)

    out = np.zeros((m, m))
    G = out[:p, :p]
    rows = min(rows, PARALLEL_CHUNK_ROWS) if parallel else rows

    def gram_pass():
        ordered_sum(n, rows, lambda lo, hi: X[lo:hi].T @ X[lo:hi], G, parallel)  # syrk on views

    threads = fit_threads()
    off_main = serial is not None and parallel  # the moments run in the chunks' pool
    per_chunk = off_main and len(_chunk_bounds(n, rows)) <= PER_CHUNK_MOMENTS_MAX_CHUNKS
    beside = off_main and not per_chunk and threads > 1
    if per_chunk:
        parts = ordered_sum(n, rows, functools.partial(_chunk_with_moments, X, y, y_shift, moments, serial),
                            np.zeros((p + 2 + k, p)), parallel)
        G[...], sums[...], sumsq[...], xty[...] = parts[:p], parts[p], parts[p + 1], parts[p + 2 :]
        W = float(n)
    elif beside:
        pending = _pool(threads, os.getpid()).submit(serial, column_pass)
        try:
            gram_pass()
        finally:
            W = pending.result()
    else:
        W = column_pass()
    mean = sums / W
    centred = sumsq - W * mean * mean
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(sumsq > 0, sumsq / centred, 1.0)
    finite = np.isfinite(sumsq).all() and np.isfinite(xty).all()
    if finite and not (np.all((centred > 0) | (sumsq == 0)) and np.max(ratio, initial=1.0) <= max_ratio):
        return None, mean
    if not (per_chunk or beside):
        gram_pass()
    G[np.diag_indices(p)] = sumsq
    E = y - y_shift
    out[:p, p : p + k] = xty.T
    out[:p, -1] = sums
    out[p : p + k, p : p + k] = E.T @ E
    out[p : p + k, -1] = out[-1, p : p + k] = E.sum(axis=0)
    out[-1, -1] = W
    out[p:, :p] = out[:p, p:].T
    return out, mean


#: Rows per ``syrk`` on views of float64 X: no copy is made, so chunks may be large
#: (each BLAS call has a start-up; 8192-row chunks cost 1e6 x 100 ~50% more than one call).
RAW_CHUNK_ROWS = 1 << 18


def _reshift(S, p, c):
    """Move statistics ``S`` (layout of :func:`_copied_stats`, x shift 0) to x shift ``c``."""
    a = S[:p, -1].copy()  # sum s x
    W = S[-1, -1]
    S = S.copy()
    S[:p, :p] += -np.outer(a, c) - np.outer(c, a) + W * np.outer(c, c)
    S[:p, p:] -= np.outer(c, S[-1, p:])
    S[p:, :p] = S[:p, p:].T
    return S


def sufficient_stats(X, y, sw, x_shift, y_shift, gram, xty, xsum, ysum, yty, *, moments,
                     chunk_rows=GRAM_CHUNK_ROWS, serial=None):
    """Blocked-BLAS twin of :func:`ridgejit.kernels.reference.sufficient_stats`.

    ``moments`` is the backend's ``column_moments`` kernel (each compiled backend
    binds its own: ``numba_dense.sufficient_stats``, ``cython_backend``), ``serial``
    how to run it on one thread (see :func:`_raw_stats`; ``None``: one call before the Gram).

    General path: each chunk is copied as ``[X - x_shift | y - y_shift | 1]``
    scaled by ``sqrt(s_i)``, so one ``syrk`` per chunk yields every statistic.

    Unit weights and float64 X spanning several chunks: ``syrk`` runs on views
    of X (no copy at all) and the shift is applied afterwards (:func:`_raw_stats`).
    That loses digits when a column's mean is large against its spread, so the
    pass verifies ``max_j sum x_j^2 / sum (x_j - xbar_j)^2 <= MAX_MOMENT_RATIO``
    from its own statistics; if not, it repeats on the copying path around the
    exact means it just computed (two passes, only for such data).
    """
    n, p = X.shape
    k = y.shape[1]
    parallel = _row_parallel(p, k)
    # every BLAS call of a row-parallel pass on one thread (see the module docstring)
    with BLAS_LIMITS.serial() if parallel else nullcontext():
        rows = max(1, min(chunk_rows, n))
        unit = bool(np.all(sw == 1.0))
        S = None
        # zero copies pay only when X spans several chunks: one chunk's copy costs less than the
        # moments pass and the shift afterwards (measured 200 x 10 to 5000 x 200, one thread:
        # 1.0-7x faster copied)
        if unit and X.dtype == np.float64 and n > rows:
            raw, mean = _raw_stats(X, y, y_shift, max(rows, RAW_CHUNK_ROWS), moments, MAX_MOMENT_RATIO, parallel,
                                   serial)
            if raw is None:  # a mean dominates a column: copied chunks around the exact means
                S = _reshift(_copied_stats(X, y, sw, mean, y_shift, unit, rows, parallel), p, x_shift - mean)
            else:
                S = _reshift(raw, p, x_shift)
        if S is None:
            S = _copied_stats(X, y, sw, x_shift, y_shift, unit, rows, parallel)
    return _unpack(S, p, k, gram, xty, xsum, ysum, yty)


def _unpack(S, p, k, gram, xty, xsum, ysum, yty):
    """Write the blocks of ``S`` (layout of :func:`_copied_stats`) to the outputs; returns W."""
    gram[...] = S[:p, :p]
    xty[...] = S[:p, p : p + k]
    yty[...] = S[p : p + k, p : p + k]
    xsum[...] = S[:p, -1]
    ysum[...] = S[p : p + k, -1]
    return float(S[-1, -1])


def sufficient_stats_lowp(X, y, sw, x_shift, y_shift, gram, xty, xsum, ysum, yty, *, moments,
                          chunk_rows=GRAM_CHUNK_ROWS, serial=None):
    """:func:`sufficient_stats` with float32 products for float32 X (exact for float64 X).

    The Gram comes from ``ssyrk`` in float32 (about twice as fast as float64), on
    views of X when the weights are 1 (no copy; the shift afterwards, while no
    column's raw second moment exceeds :data:`MAX_MOMENT_RATIO_F32` times its
    centred one), else on chunks of ``[X - x_shift | y - y_shift | 1] * sqrt(s)``
    formed in float32; chunk products are added into float64 totals: relative
    errors about ``1e-7 * sqrt(chunk_rows)`` of the raw moments.  The column sums,
    ``X^T y`` and the diagonal are exact (the float64 ``moments`` pass on the view
    path).  Only for solvers that refine the answer with exact passes
    (``solvers.direct._refined``).
    """
    if X.dtype != np.float32:
        return sufficient_stats(X, y, sw, x_shift, y_shift, gram, xty, xsum, ysum, yty, moments=moments,
                                chunk_rows=chunk_rows, serial=serial)
    n, p = X.shape
    rows = max(1, min(chunk_rows, n))
    unit = bool(np.all(sw == 1.0))
    parallel = _row_parallel(p, y.shape[1])
    S = None
    if unit and n > rows:
        raw, mean = _raw_stats(X, y, y_shift, rows, moments, MAX_MOMENT_RATIO_F32, parallel, serial)
        if raw is None:  # copied float32 chunks around the exact means: no digits lost to a shift
            S = _reshift(_copied_stats(X, y, sw, mean, y_shift, unit, rows, parallel, dtype=np.float32), p,
                         x_shift - mean)
        else:
            S = _reshift(raw, p, x_shift)
    if S is None:
        S = _copied_stats(X, y, sw, x_shift, y_shift, unit, rows, parallel, dtype=np.float32)
    return _unpack(S, X.shape[1], y.shape[1], gram, xty, xsum, ysum, yty)


def dual_gram(X, sw, x_mean, out, chunk_cols=512):
    """Blocked-BLAS twin of :func:`ridgejit.kernels.reference.dual_gram` (column chunks)."""
    n, p = X.shape
    cols = max(1, min(chunk_cols, p))
    buf = np.empty((n, cols), dtype=np.float64)
    root = np.sqrt(sw)[:, None]
    out[...] = 0.0
    for lo in range(0, p, cols):
        hi = min(p, lo + cols)
        C = buf[:, : hi - lo]
        np.subtract(X[:, lo:hi], x_mean[lo:hi], out=C)
        np.multiply(C, root, out=C)
        out += C @ C.T
