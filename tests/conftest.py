"""Shared fixtures: kernel backends and small seeded problems."""

import numpy as np
import pytest

from ridgejit.kernels import backend_status, get_backend

BACKENDS = ["numpy", "numba", "cython"]


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Every kernel backend; one that is not built is skipped with its reason."""
    available, reason = backend_status()[request.param]
    if not available:
        pytest.skip(reason)
    return get_backend(request.param)


@pytest.fixture(scope="session")
def client():
    """A real Dask cluster for the session: two worker processes, one thread each, 1 GiB each.

    Shared by every test module that needs one (``test_dask.py``,
    ``test_cli_dask.py``), so the session starts one cluster.
    """
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  memory_limit="1GiB", dashboard_address=None) as cluster:
        with distributed.Client(cluster) as c:
            yield c


def make_data(n=300, p=8, k=1, *, seed=0, dtype=np.float64, correlated=False, offset=3.0):
    """Seeded data with column offsets, scales and (optionally) correlation.

    Returns X (n, p), y (n,) or (n, k), sample weights (n,).
    """
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, p))
    if correlated:
        Z = Z @ (np.eye(p) + 0.9 * rng.standard_normal((p, p)) / np.sqrt(p))
    X = (Z * 10 ** rng.uniform(-1, 1, p) + rng.normal(0, offset, p)).astype(dtype)
    W = rng.standard_normal((p, k))
    y = X.astype(np.float64) @ W + 0.3 * rng.standard_normal((n, k))
    sw = rng.uniform(0.1, 3.0, n)
    return X, (y[:, 0] if k == 1 else y), sw


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: starts Python subprocesses that compile the kernels "
                                       "with an empty Numba cache (tens of seconds)")
