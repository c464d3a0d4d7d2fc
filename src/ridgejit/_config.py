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

import functools
import os

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


class NumbaCacheWarning(RuntimeWarning):
    """Numba's on-disk cache of a ridgejit kernel could not be read or written; the
    kernel was compiled in memory instead (the fit is unaffected)."""


_warned = []


def _warn_once(cache, action, exc):
    if not _warned:
        _warned.append(True)
        import warnings

        warnings.warn(
            f"ridgejit: Numba's cache could not be {action} in {cache._cache_path!r} "
            f"({type(exc).__name__}: {exc}); compiling in memory (this fit is unaffected; "
            "a damaged entry is rewritten)", NumbaCacheWarning, stacklevel=2)


@functools.lru_cache(maxsize=None)
def kernel_sources_stamp():
    """``((file, size, mtime_ns), ...)`` of ``_config.py`` and every module of
    ``ridgejit.kernels``: part of the key of every cached ridgejit kernel.

    Numba keys a cached function by its own source file, but a kernel that calls
    a kernel of another module (``scaled_sgd_epoch`` calls
    ``numba_scaled_dense.every_update_epoch``; every kernel inlines
    ``_intrinsics``) has the callee compiled into its own entry: editing the
    callee alone would leave the caller's stale machine code in use, and tests
    would pass against code that no longer exists.  Read once per process.
    """
    root = os.path.dirname(os.path.abspath(__file__))
    kernels = os.path.join(root, "kernels")
    names = ["_config.py"] + sorted(os.path.join("kernels", f) for f in os.listdir(kernels) if f.endswith(".py"))
    stamp = []
    for name in names:
        try:
            st = os.stat(os.path.join(root, name))
        except OSError:
            continue
        stamp.append((name, st.st_size, st.st_mtime_ns))
    return tuple(stamp)


def _guard_cache():
    """Make Numba's on-disk cache fail soft for ridgejit's kernels, and key their entries by
    every kernel module (:func:`kernel_sources_stamp`).

    Numba raises when an index (``.nbi``) or data (``.nbc``) file is
    truncated, corrupted or not a pickle (a disk that filled up, a copy cut
    short, a killed writer), or when the cache directory stops being
    writable after start-up; every later fit then fails until the user finds
    and deletes the cache.  For kernels of this package a failed load is a
    cache miss (the kernel compiles in memory; the save that follows rewrites
    the entry, starting a fresh index when the old one is unreadable) and a
    failed save is skipped; either warns once per process
    (:class:`NumbaCacheWarning`).  Other packages' Numba functions are left as
    Numba made them.
    """
    try:
        from numba.core.caching import Cache
    except ImportError:  # pragma: no cover - another Numba layout: keep Numba's behaviour
        return
    load, save = Cache.load_overload, Cache.save_overload
    if getattr(load, "_ridgejit", False):
        return

    def ours(cache):
        if not getattr(getattr(cache, "_py_func", None), "__module__", "").startswith("ridgejit."):
            return False
        f = cache._cache_file  # key the entry by every kernel module, not the kernel's file alone
        if not getattr(f, "_ridgejit_sources", False):
            f._source_stamp, f._ridgejit_sources = (f._source_stamp, kernel_sources_stamp()), True
        return True

    def load_overload(self, sig, target_context):
        if not ours(self):
            return load(self, sig, target_context)
        try:
            return load(self, sig, target_context)
        except Exception as exc:  # unreadable index or data: a miss
            _warn_once(self, "read", exc)
            return None

    def save_overload(self, sig, data):
        if not ours(self):
            return save(self, sig, data)
        try:
            return save(self, sig, data)
        except Exception as exc:
            try:  # an unreadable index: start a fresh one for this Numba version and source
                self._cache_file.flush()
                return save(self, sig, data)
            except Exception:  # unwritable: keep the in-memory kernel
                _warn_once(self, "written", exc)

    load_overload._ridgejit = True
    Cache.load_overload, Cache.save_overload = load_overload, save_overload


_guard_cache()

#: Options for serial kernels.
JIT = {"cache": _cache_available(), "nogil": True, "fastmath": set(FASTMATH), "error_model": "numpy"}

#: Options for kernels whose outer loop is a ``prange`` over row blocks.
PARALLEL = dict(JIT, parallel=True)

#: Number of rows of a BLAS chunk in the blocked Gram kernels (a scratch
#: buffer of ``GRAM_CHUNK_ROWS x n_features`` doubles when chunks are copied).
#: 8192 measured best on 2 cores for 100 and 2000 features.
GRAM_CHUNK_ROWS = 8192
