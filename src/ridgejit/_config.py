"""Compile options for every Numba kernel, in one place.

Kernels import :data:`JIT` (serial) or :data:`PARALLEL` (``prange`` kernels)
instead of spelling their own flags, so one edit changes them all.

The fast-math set deliberately omits ``nnan`` and ``ninf``: LLVM may then not
assume values are finite, so ``np.isfinite`` checks and NaN propagation keep
working inside kernels and in the Python code that inspects their outputs.
``reassoc`` is what lets LLVM vectorize the float reductions (dot products)
that dominate every kernel; the price is that a reduction's rounding depends
on the vector width of the CPU, never on thread scheduling.
"""

FASTMATH = frozenset({"nsz", "arcp", "contract", "afn", "reassoc"})


def _cache_available():
    """Whether Numba finds somewhere to write its cache for this package.

    ``cache=True`` makes Numba raise at decoration time when no location is
    writable (read-only install, no writable user cache, no
    ``NUMBA_CACHE_DIR``: a locked-down container).  A cached no-op decorated
    here uses the same locators; if that fails, kernels compile in memory
    (every process pays compile time, but fits work).
    """
    from numba import njit

    def probe():
        return None

    try:
        njit(cache=True)(probe)
    except RuntimeError:
        return False
    return True


#: Options for serial kernels.
JIT = {"cache": _cache_available(), "nogil": True, "fastmath": set(FASTMATH), "error_model": "numpy"}

#: Options for kernels whose outer loop is a ``prange`` over row blocks.
PARALLEL = dict(JIT, parallel=True)

#: Number of rows of a BLAS chunk in the blocked Gram kernels (a scratch
#: buffer of ``GRAM_CHUNK_ROWS x n_features`` doubles when chunks are copied).
#: 8192 measured best on 2 cores for 100 and 2000 features.
GRAM_CHUNK_ROWS = 8192
