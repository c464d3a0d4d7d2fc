"""Threads during a fit: ``n_jobs``, small problems, and safety when fits run in several Python threads.

``n_jobs`` sets Numba's thread count and BLAS/OpenMP's (threadpoolctl) for the
duration of a fit and restores both afterwards.  With ``n_jobs=None`` a problem
below :data:`SERIAL_BELOW` stored values runs on one thread, Numba and BLAS
alike: there a second thread costs more (start-up, OpenBLAS's idle threads
spinning against Numba's and against SciPy's OpenBLAS) than it saves (measured
on 2 cores: the exact fit of 1000 x 500 takes 49 ms on two threads and 31 ms on
one; 20000 x 100, 11 ms and 16 ms).  The BLAS libraries are found once per
process (one cached :class:`threadpoolctl.ThreadpoolController`), not per fit.

Numba's ``workqueue`` threading layer (used where neither TBB nor OpenMP is
available) aborts the process when parallel kernels are launched from two
threads at once (numba issue #8563).  While that layer is active (or not yet
chosen: it is picked at the first parallel launch), every fit on the Numba
backend holds one process-wide lock, so concurrent fits run one after the
other instead of aborting.  Under ``omp`` or ``tbb`` no lock is taken and
fits run concurrently.  The threading layer itself is never changed.

Numba's thread count is per Python thread, so concurrent fits each get their
own ``n_jobs`` there.  BLAS/OpenMP limits are process-wide: fits that overlap
in time share ONE limit (:data:`BLAS_LIMITS`), the largest ``n_jobs`` among
those running (none runs on fewer threads than it asked for, except while a
row-parallel Gram runs its own threads with BLAS on one thread each:
:mod:`ridgejit.kernels.blas_stats`; oversubscription is bounded by the largest
request), and the limits in effect before the first of them started are restored
exactly when the last one ends, whatever the order of their ends.  (Per-fit ``threadpoolctl`` contexts would instead restore
each other's values when they interleave and leave the process at a wrong limit.)
OpenBLAS 0.3.30+ does not apply a limit set from one Python thread to the calls
of another the same way (measured: a ``threadpoolctl`` limit of 1 set in a
worker thread reads back 2 there), so a fit in a worker thread may split a BLAS
product on another thread count than in the main thread.  ``Ridge`` and
``SGDRidge`` on dense X still give the serial fit's bits for any ``n_jobs``, concurrent or
not (tested): their statistics pass keeps BLAS on one thread and their n-long
weighted sums are NumPy loops (:func:`weighted_sum`).
"""

import contextlib
import functools
import os
import threading

import numpy as np

#: Serializes fits while Numba's threading layer is (or may become) workqueue.
WORKQUEUE_LOCK = threading.RLock()

#: Problems with fewer stored values (``n * p``, or ``nnz``) run on one thread when
#: ``n_jobs`` is None (see the module docstring; ``benchmarks/calibrate_auto.py``
#: measures where threads start to pay on a machine).
SERIAL_BELOW = 1_500_000
#: Below this many stored values no kernel starts a second thread anyway (BLAS keeps
#: small products on one, the row-block rule gives one block): the thread counts are
#: left as they are, which saves their switching on every fit.
UNTOUCHED_BELOW = 1 << 16


@functools.lru_cache(maxsize=1)
def blas_controller():
    """The process's one :class:`threadpoolctl.ThreadpoolController` (found on first use).

    Numba's threading layer is started first: its OpenMP runtime is a library the
    controller must see, and it is loaded only when Numba launches its threads.
    """
    import numba
    from threadpoolctl import ThreadpoolController

    numba.get_num_threads()  # launches Numba's threads (loads the layer's libraries)
    return ThreadpoolController()


class SharedBlasLimit:
    """One process-wide BLAS thread limit for every fit running now (see the module docstring).

    ``hold(threads)`` is a context manager: the first holder saves the original
    limits (``threadpoolctl``), each entry and exit sets the limit to the largest
    request among the holders left, and the last exit restores the originals.
    ``serial()`` sets the limit to one thread while its body runs (a row-parallel
    Gram, which runs its own threads: :mod:`ridgejit.kernels.blas_stats`), whatever
    the holders ask; BLAS calls of fits overlapping it then run on one thread too.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._requests = []
        self._serial = 0
        self._original = None
        self.current = None  #: the limit set now (None: no fit holds it)

    def _apply(self, threads):
        limiter = blas_controller().limit(limits=threads)
        if self._original is None:
            self._original = limiter  # remembers the limits from before the first holder
        self.current = threads

    def _largest(self):
        """Under the lock: the largest thread count the holders ask for (None: no holder)."""
        return max(self._requests, default=None)

    def _update(self):
        """Under the lock: set the limit the holders and serial sections ask for now."""
        want = 1 if self._serial else self._largest()
        if want is None:
            if self._original is not None:
                self._original.restore_original_limits()
            self._original, self.current = None, None
        elif want != self.current:
            self._apply(want)

    @contextlib.contextmanager
    def hold(self, threads):
        """Ask for ``threads`` BLAS threads while the block runs (the largest request wins)."""
        with self._lock:
            self._requests.append(threads)
            self._update()
        try:
            yield
        finally:
            with self._lock:
                self._requests.remove(threads)
                self._update()

    def requested(self):
        """The largest thread count the holders ask for (None: no holder), serial sections aside."""
        with self._lock:
            return self._largest()

    @contextlib.contextmanager
    def serial(self):
        """BLAS on one thread while the block runs, whatever the holders ask."""
        with self._lock:
            self._serial += 1
            self._update()
        try:
            yield
        finally:
            with self._lock:
                self._serial -= 1
                self._update()


#: The BLAS limit shared by concurrent fits.
BLAS_LIMITS = SharedBlasLimit()


def weighted_sum(sw, Y):
    """``sum_i s_i Y[i]`` over the rows of ``Y`` (n, k), shape ``(k,)``, in one thread.

    NumPy's own loop, not BLAS ``gemv``, whose row split (and so its rounding)
    would follow the BLAS thread count: the bits do not depend on ``n_jobs``.
    """
    return np.einsum("i,ij->j", sw, Y)


@functools.lru_cache(maxsize=1)
def _cpu_count():
    return os.cpu_count() or 1


def fit_threads():
    """Threads the calling fit may use: Numba's count for this Python thread (``n_jobs``
    sets it for a fit), capped by the BLAS limit fits hold (the Cython backend sets only
    that one)."""
    import numba

    threads = numba.get_num_threads()
    held = BLAS_LIMITS.requested()
    return threads if held is None else min(threads, held)


def resolve_n_jobs(n_jobs):
    """Threads for ``n_jobs`` (scikit-learn meaning: None -> all, -1 -> all, -2 -> all but one)."""
    if n_jobs is None:
        return None
    cpus = _cpu_count()
    n_jobs = int(n_jobs)
    if n_jobs == 0:
        raise ValueError("n_jobs == 0 has no meaning; use None, a positive count or -1")
    return max(1, n_jobs if n_jobs > 0 else cpus + 1 + n_jobs)


def numba_layer_needs_lock():
    import numba

    try:
        return numba.threading_layer() == "workqueue"
    except ValueError:  # no parallel region launched yet: the layer is chosen at the first
        return True


@contextlib.contextmanager
def thread_limit(n_jobs, backend_name, size=None):
    """Run a fit's body with ``n_jobs`` threads (Numba and BLAS), then restore both.

    ``n_jobs=None`` leaves the thread counts as they are, unless ``size`` (the
    problem's stored values) is below :data:`SERIAL_BELOW`: then one thread.  On
    the Numba backend the body also holds :data:`WORKQUEUE_LOCK` when the
    threading layer is workqueue (see the module docstring).
    """
    guard = contextlib.nullcontext()
    if backend_name == "numba" and numba_layer_needs_lock():
        guard = WORKQUEUE_LOCK
    with guard:
        threads = resolve_n_jobs(n_jobs)
        if threads is None and size is not None and UNTOUCHED_BELOW <= size < SERIAL_BELOW:
            threads = 1
        if threads is None:
            yield
            return
        previous = None
        if backend_name == "numba":
            import numba

            threads = min(threads, numba.config.NUMBA_NUM_THREADS)
            previous = numba.get_num_threads()
            numba.set_num_threads(threads)
        try:
            with BLAS_LIMITS.hold(threads):
                yield
        finally:
            if previous is not None:
                numba.set_num_threads(previous)
