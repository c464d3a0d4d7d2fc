"""Threads during a fit: ``n_jobs``, and safety when fits run in several Python threads.

``n_jobs`` sets Numba's thread count and BLAS/OpenMP's (threadpoolctl) for the
duration of a fit and restores both afterwards.

Numba's ``workqueue`` threading layer (used where neither TBB nor OpenMP is
available) aborts the process when parallel kernels are launched from two
threads at once (numba issue #8563).  While that layer is active (or not yet
chosen: it is picked at the first parallel launch), every fit on the Numba
backend holds one process-wide lock, so concurrent fits run one after the
other instead of aborting.  Under ``omp`` or ``tbb`` no lock is taken and
fits run concurrently.  The threading layer itself is never changed.
"""

import contextlib
import os
import threading

from threadpoolctl import threadpool_limits

#: Serializes fits while Numba's threading layer is (or may become) workqueue.
WORKQUEUE_LOCK = threading.RLock()


def resolve_n_jobs(n_jobs):
    """Threads for ``n_jobs`` (scikit-learn meaning: None -> all, -1 -> all, -2 -> all but one)."""
    cpus = os.cpu_count() or 1
    if n_jobs is None:
        return None
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
def thread_limit(n_jobs, backend_name):
    """Run a fit's body with ``n_jobs`` threads (Numba and BLAS), then restore both.

    ``n_jobs=None`` leaves the thread counts as they are.  On the Numba backend
    the body also holds :data:`WORKQUEUE_LOCK` when the threading layer is
    workqueue (see the module docstring).
    """
    guard = contextlib.nullcontext()
    if backend_name == "numba" and numba_layer_needs_lock():
        guard = WORKQUEUE_LOCK
    with guard:
        threads = resolve_n_jobs(n_jobs)
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
            with threadpool_limits(limits=threads):
                yield
        finally:
            if previous is not None:
                numba.set_num_threads(previous)
