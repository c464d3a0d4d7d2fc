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


@pytest.fixture(params=[b for b in BACKENDS if b != "numpy"])
def compiled(request):
    """Every compiled backend (Numba, Cython), for tests that compare a kernel with the NumPy
    reference: with the reference as a parameter those tests would compare it with itself."""
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


# -- tolerances that follow from the numerics (issue 17) ----------------------------------
# Two correct solvers (or one solver on two CPUs, BLAS builds, thread counts, memory
# layouts) agree to about eps * cond(A) * ||w|| in norm, not element by element: a
# coefficient near zero carries the rounding of the large ones.  Compare coefficients
# normwise, or by the objective gap against an independent exact solve; keep bit
# equality for the promises that are about bits (same process, same thread count, same
# data: see README "Tests").


def assert_coef_close(actual, desired, rtol, atol=0.0, err_msg=""):
    """``||actual - desired|| <= rtol * ||desired|| + atol`` (Frobenius norm over all targets).

    The normwise test of numerical linear algebra: a perturbation of relative size
    ``delta`` in the data moves the solution by ``cond * delta`` in norm, which an
    elementwise ``rtol`` on a coefficient near zero does not allow for.
    """
    a = np.asarray(actual, dtype=np.float64)
    d = np.asarray(desired, dtype=np.float64)
    assert a.shape == d.shape, f"shapes differ: {a.shape} vs {d.shape}"
    err = float(np.linalg.norm(a - d))
    scale = float(np.linalg.norm(d))
    assert err <= rtol * scale + atol, (
        f"{err_msg}||actual - desired|| = {err:.3e} > rtol * ||desired|| + atol = "
        f"{rtol:g} * {scale:.3e} + {atol:g}"
    )


def numpy_objective(X, y, sw, alpha, coef, intercept):
    """``J(w, b)`` summed over targets, evaluated directly in float64 NumPy (dense or CSR X)."""
    n = X.shape[0]
    Y = np.asarray(y, dtype=np.float64).reshape(n, -1)
    W = np.asarray(coef, dtype=np.float64).reshape(Y.shape[1], -1)
    b = np.asarray(intercept, dtype=np.float64).reshape(-1)
    a = np.broadcast_to(np.asarray(alpha, dtype=np.float64), (Y.shape[1],))
    X64 = X.astype(np.float64) if hasattr(X, "toarray") else np.asarray(X, dtype=np.float64)
    R = np.asarray(X64 @ W.T) + b - Y
    s = np.ones(n) if sw is None else np.asarray(sw, dtype=np.float64)
    return float((s @ (R * R)).sum() + (a * (W * W).sum(axis=1)).sum()) / (2 * n)


def exact_ridge(X, y, sw, alpha, fit_intercept=True):
    """The ridge optimum by an independent float64 NumPy solve: ``(coef (k, p), intercept (k,))``.

    Weighted centring, then ``numpy.linalg.solve`` (LU, not ridgejit's Cholesky) on the
    normal equations ``(Xc' S Xc + alpha I) w = Xc' S yc``, one target at a time.
    """
    X64 = X.toarray() if hasattr(X, "toarray") else np.asarray(X, dtype=np.float64)
    n, p = X64.shape
    Y = np.asarray(y, dtype=np.float64).reshape(n, -1)
    s = np.ones(n) if sw is None else np.asarray(sw, dtype=np.float64)
    a = np.broadcast_to(np.asarray(alpha, dtype=np.float64), (Y.shape[1],))
    xm = s @ X64 / s.sum() if fit_intercept else np.zeros(p)
    ym = s @ Y / s.sum() if fit_intercept else np.zeros(Y.shape[1])
    Xc = X64 - xm
    G = Xc.T @ (s[:, None] * Xc)
    B = Xc.T @ (s[:, None] * (Y - ym))
    coef = np.stack([np.linalg.solve(G + a[t] * np.eye(p), B[:, t]) for t in range(Y.shape[1])])
    return coef, ym - coef @ xm


def augmented_ridge(X, y, sw, alpha, d, fit_intercept=True):
    """``(coef (p,), intercept)`` with per-feature penalty factors ``d``, independently of ridgejit:
    NumPy's SVD ``lstsq`` on ``[S^1/2 X, S^1/2 1; diag(sqrt(alpha d)), 0] (w, b) = [S^1/2 y; 0]``
    (no normal equations, no centring; a zero factor leaves its feature unpenalized exactly).
    A 2-D ``d`` is a penalty matrix ``P``: its rows become ``sqrt(alpha) R`` with ``R^T R = P``."""
    X = X.toarray() if hasattr(X, "toarray") else np.asarray(X, dtype=np.float64)
    n, p = X.shape
    s = np.ones(n) if sw is None else np.asarray(sw, dtype=np.float64)
    A = np.hstack([X, np.ones((n, 1))]) if fit_intercept else X
    penalty = np.zeros((p, A.shape[1]))
    if np.ndim(d) == 2:
        mu, U = np.linalg.eigh(d)
        penalty[:, :p] = np.sqrt(alpha) * (U * np.sqrt(np.maximum(mu, 0.0))).T
    else:
        penalty[:, :p] = np.diag(np.sqrt(alpha * d))
    lhs = np.vstack([np.sqrt(s)[:, None] * A, penalty])
    rhs = np.concatenate([np.sqrt(s) * y, np.zeros(p)])
    sol = np.linalg.lstsq(lhs, rhs, rcond=None)[0]
    return sol[:p], (sol[p] if fit_intercept else 0.0)


def relative_gap(X, y, sw, alpha, coef, intercept, fit_intercept=True):
    """``(J(w, b) - J*) / J(w, b)`` with ``J*`` from :func:`exact_ridge` (independent of ridgejit)."""
    J = numpy_objective(X, y, sw, alpha, coef, intercept)
    J_star = numpy_objective(X, y, sw, alpha, *exact_ridge(X, y, sw, alpha, fit_intercept))
    return (J - J_star) / J


def read_only_memmap(path, X):
    """``X`` written to the file ``path``, opened again as a read-only ``np.memmap``."""
    mm = np.memmap(path, dtype=X.dtype, mode="w+", shape=X.shape)
    mm[:] = X
    mm.flush()
    return np.memmap(path, dtype=X.dtype, mode="r", shape=X.shape)
