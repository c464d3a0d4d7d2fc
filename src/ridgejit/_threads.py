"""``n_jobs``: thread count of Numba kernels and BLAS for the duration of a fit."""

import contextlib
import os

from threadpoolctl import threadpool_limits


def resolve_n_jobs(n_jobs):
    """Threads for ``n_jobs`` (scikit-learn meaning: None -> all, -1 -> all, -2 -> all but one)."""
    cpus = os.cpu_count() or 1
    if n_jobs is None:
        return None
    n_jobs = int(n_jobs)
    if n_jobs == 0:
        raise ValueError("n_jobs == 0 has no meaning; use None, a positive count or -1")
    return max(1, n_jobs if n_jobs > 0 else cpus + 1 + n_jobs)


@contextlib.contextmanager
def thread_limit(n_jobs, backend_name):
    """Run the body with ``n_jobs`` threads for Numba and BLAS, then restore both.

    ``n_jobs=None`` leaves both libraries as they are.
    """
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
