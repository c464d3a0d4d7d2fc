"""The ``*_sparse`` kernels of every backend against the dense NumPy reference.

Each sparse twin given the CSR arrays of X must compute what the dense
reference computes on X itself (the spec), including implicit centring with a
dense column mean, lazy L2 renormalisation and just-in-time updates.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose

from ridgejit.kernels import backend_status, get_backend
from ridgejit.kernels import layout as L

REF = get_backend("numpy")


@pytest.fixture(params=["numba", "cython"])
def sbackend(request):
    """Every compiled backend that is built and has the sparse kernels (NumPy's sparse twins
    densify X onto the dense reference: compared with it they would compare it with itself)."""
    available, reason = backend_status()[request.param]
    if not available:
        pytest.skip(reason)
    be = get_backend(request.param)
    if "gradient_sparse" not in be.functions:
        pytest.skip(f"backend {request.param!r} has no sparse kernels")
    return be


def sparse_case(n=200, p=15, density=0.2, dtype=np.float64, index=np.int32, seed=0, offset=1.0):
    """CSR X (read-only arrays) with ``offset`` added to its stored values, and its dense twin."""
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=density, format="csr", random_state=rng, dtype=np.float64)
    X.data = (X.data * 3 - 1 + offset).astype(dtype)
    X.indices = X.indices.astype(index)
    X.indptr = X.indptr.astype(index)
    for a in (X.data, X.indices, X.indptr):
        a.flags.writeable = False
    return X, X.toarray().astype(np.float64)


def args(X):
    return X.data, X.indices, X.indptr


def rng_order(n, seed):
    return np.random.default_rng(seed).permutation(n).astype(np.int64)


CASES = [
    dict(),
    dict(dtype=np.float32, index=np.int64),
    dict(n=40, p=60, density=0.05),  # wide, rows and columns with no stored value
    dict(n=300, p=7, density=0.9, offset=50.0),  # nearly dense, large means
]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("k", [1, 3])
def test_gradient_objective_normal_product(sbackend, case, k):
    X, D = sparse_case(**case)
    n, p = D.shape
    rng = np.random.default_rng(1)
    y, sw = rng.standard_normal((n, k)), rng.uniform(0, 2, n)
    coef, b, alpha = rng.standard_normal((k, p)), rng.standard_normal(k), rng.uniform(0.1, 2, k)
    g, gb, g0, gb0 = np.empty((k, p)), np.empty(k), np.empty((k, p)), np.empty(k)
    J = sbackend.gradient_sparse(*args(X), y, sw, coef, b, alpha, g, gb)
    J0 = REF.gradient(D, y, sw, coef, b, alpha, g0, gb0)
    assert_allclose(J, J0, rtol=1e-10)
    assert_allclose(g, g0, rtol=1e-9, atol=1e-12)
    assert_allclose(gb, gb0, rtol=1e-9, atol=1e-12)
    assert_allclose(sbackend.objective_sparse(*args(X), y, sw, coef, b, alpha), J0, rtol=1e-10)
    mean = sw @ D / sw.sum()
    out, out0 = np.empty((k, p)), np.empty((k, p))
    sbackend.normal_product_sparse(*args(X), sw, mean, coef, alpha, out)
    REF.normal_product(D, sw, mean, coef, alpha, out0)
    assert_allclose(out, out0, rtol=1e-9, atol=1e-9 * np.abs(out0).max())


@pytest.mark.parametrize("case", CASES)
def test_moments_stats_gram_and_row_norm(sbackend, case):
    X, D = sparse_case(**case)
    n, p = D.shape
    k = 2
    rng = np.random.default_rng(2)
    y, sw = rng.standard_normal((n, k)), rng.uniform(0, 2, n)
    shift, yshift = rng.standard_normal(p), rng.standard_normal(k)
    for c in (np.zeros(p), shift):
        res = []
        for be, A in ((sbackend, None), (REF, D)):
            sums, sumsq, xty = np.empty(p), np.empty(p), np.empty((k, p))
            call = (lambda f, *r: f(*args(X), *r)) if A is None else (lambda f, *r: f(A, *r))
            W = call(be.column_moments_sparse if A is None else be.column_moments, y, sw, c, yshift,
                     sums, sumsq, xty)
            out = [np.empty((p, p)), np.empty((p, k)), np.empty(p), np.empty(k), np.empty((k, k))]
            W2 = call(be.sufficient_stats_sparse if A is None else be.sufficient_stats,
                      y, sw, c, yshift, *out)
            res.append([W, sums, sumsq, xty, W2, *out])
        for a, b in zip(*res):
            assert_allclose(a, b, rtol=1e-9, atol=1e-9 * max(1.0, np.abs(b).max()))
    mean = sw @ D / sw.sum()
    q = np.random.default_rng(1).uniform(0.1, 3.0, p)  # a diagonal preconditioner's weights
    for weights in (np.ones(p), q):
        expected = np.max(sw * (((D - mean) ** 2) @ weights))  # the definition, written out
        assert_allclose(sbackend.max_row_norm_sparse(*args(X), sw, mean, weights), expected, rtol=1e-9)
        assert_allclose(REF.max_row_norm(D, sw, mean, weights), expected, rtol=1e-12)
    m = min(n, 60)
    K, K0 = np.empty((m, m)), np.empty((m, m))
    Xm, Dm = X[:m], D[:m]
    sbackend.dual_gram_sparse(*args(Xm), sw[:m], mean, K)
    REF.dual_gram(Dm, sw[:m], mean, K0)
    assert_allclose(K, K0, rtol=1e-9, atol=1e-9 * np.abs(K0).max())


def test_moments_exact_for_large_means(sbackend):
    """A column of 1e8 + small noise, stored on every row: the variance keeps its digits."""
    rng = np.random.default_rng(3)
    n = 500
    dense = np.column_stack([1e8 + rng.standard_normal(n), rng.standard_normal(n)])
    X = sp.csr_matrix(dense)
    sw = np.ones(n)
    mean = dense.mean(axis=0)
    sums, sumsq, xty = np.empty(2), np.empty(2), np.empty((0, 2))
    sbackend.column_moments_sparse(*args(X), np.empty((n, 0)), sw, mean, np.empty(0), sums, sumsq, xty)
    assert_allclose(sumsq, ((dense - mean) ** 2).sum(axis=0), rtol=1e-7)


@pytest.mark.parametrize("schedule", [L.CONSTANT, L.INVSCALING, L.OPTIMAL])
@pytest.mark.parametrize("avg_start", [np.inf, 0.0, 150.0])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sgd_epoch_sparse(sbackend, schedule, avg_start, dtype):
    X, D = sparse_case(n=300, p=9, density=0.4, dtype=dtype, index=np.int64)
    n, p = D.shape
    rng = np.random.default_rng(4)
    y, sw = rng.standard_normal(n), rng.uniform(0.5, 2, n)
    mean = D.mean(axis=0)
    hyper = np.zeros(L.HYPER_SIZE)
    hyper[[L.ETA0, L.POWER_T, L.LAM, L.T0, L.AVG_START, L.FIT_B]] = [0.02, 0.3, 0.01, 500.0, avg_start, 1.0]
    out = []
    for be, call in ((sbackend, lambda *r: sbackend.sgd_epoch_sparse(*args(X), *r)),
                     (REF, lambda *r: REF.sgd_epoch(D, *r))):
        v, a, st = np.zeros(p), np.zeros(p), L.new_state(0.5)
        losses = [call(y, sw, mean, rng_order(n, e), v, a, st, schedule, hyper) for e in range(3)]
        out.append((*L.to_coef(v, a, st, False), *L.to_coef(v, a, st, avg_start < np.inf), losses))
    for u, w in zip(*out):
        assert_allclose(u, w, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("avg_start", [np.inf, 0.0])
def test_sgd_epoch_sparse_renormalizes(sbackend, avg_start):
    """Strong L2: the divisor passes 1e6 many times within one epoch."""
    X, D = sparse_case(n=400, p=6, density=0.5)
    n, p = D.shape
    rng = np.random.default_rng(5)
    y, sw = rng.standard_normal(n), np.ones(n)
    mean = D.mean(axis=0)
    hyper = np.array([0.05, 0.0, 2.0, 1.0, avg_start, 1.0])  # 1 - eta lam = 0.9
    out = []
    for call in (lambda *r: sbackend.sgd_epoch_sparse(*args(X), *r), lambda *r: REF.sgd_epoch(D, *r)):
        v, a, st = np.zeros(p), np.zeros(p), L.new_state(0.0)
        loss = call(y, sw, mean, rng_order(n, 0), v, a, st, L.CONSTANT, hyper)
        out.append((*L.to_coef(v, a, st, False), *L.to_coef(v, a, st, avg_start < np.inf), loss))
    for u, w in zip(*out):
        assert_allclose(u, w, rtol=1e-8, atol=1e-12)


#: per-feature penalty factors of the variance-reduced kernels (12 features): none, three
#: levels (three lazy scales), and every factor its own level
SPARSE_FACTORS = [np.empty(0), np.repeat([0.5, 1.0, 3.0], 4), np.linspace(0.2, 2.0, 12)]


@pytest.mark.parametrize("saga", [1.0, 0.0])
@pytest.mark.parametrize("lam", [0.01, 40.0])  # 40: the divisor passes 1e6 within the epoch
@pytest.mark.parametrize("factor", SPARSE_FACTORS, ids=["plain", "levels", "distinct"])
def test_saga_epoch_sparse(sbackend, saga, lam, factor):
    X, D = sparse_case(n=250, p=12, density=0.3, offset=2.0)
    n, p = D.shape
    rng = np.random.default_rng(6)
    y, sw = rng.standard_normal(n), rng.uniform(0.5, 2, n)
    mean = D.mean(axis=0)
    hyper = np.array([0.005, lam, 1.0, saga])
    out = []
    for call in (lambda *r: sbackend.saga_epoch_sparse(*args(X), *r), lambda *r: REF.saga_epoch(D, *r)):
        w, st, mem, ga = np.zeros(p), np.array([0.3, 0.0]), np.zeros(n), np.zeros(p)
        losses = [call(y, sw, mean, rng_order(n, e), w, st, mem, ga, hyper, factor, np.empty((0, p)))
                  for e in range(3)]
        out.append((w, st, mem, ga, losses))
    for u, v in zip(*out):
        assert_allclose(u, v, rtol=1e-8, atol=1e-11)


@pytest.mark.parametrize("lam", [0.01, 40.0])
@pytest.mark.parametrize("factor", SPARSE_FACTORS, ids=["plain", "levels", "distinct"])
def test_svrg_inner_sparse(sbackend, lam, factor):
    X, D = sparse_case(n=250, p=12, density=0.3, offset=2.0)
    n, p = D.shape
    rng = np.random.default_rng(7)
    y, sw = rng.standard_normal(n), rng.uniform(0.5, 2, n)
    mean = D.mean(axis=0)
    snapshot, full_grad = rng.standard_normal(p), rng.standard_normal(p) * 0.1
    out = []
    for call in (lambda *r: sbackend.svrg_inner_sparse(*args(X), *r), lambda *r: REF.svrg_inner(D, *r)):
        w, st = snapshot.copy(), np.array([0.2, 0.1, 0.05])
        loss = call(y, sw, mean, rng_order(n, 0), w, snapshot, full_grad, st, np.array([0.005, lam, 1.0]),
                    factor)
        out.append((w, st, loss))
    for u, v in zip(*out):
        assert_allclose(u, v, rtol=1e-8, atol=1e-11)


@pytest.mark.parametrize("batch", [1, 64, 300])
@pytest.mark.parametrize("avg_start", [np.inf, 0.0, 3.0])
@pytest.mark.parametrize("lams", [[0.01], [20.0], [0.01, 20.0, 0.0]])
def test_minibatch_epoch_sparse(sbackend, batch, avg_start, lams):
    """One L2 rate per target; 20 passes the lazy divisor's 1e6 fold within an epoch."""
    X, D = sparse_case(n=700, p=9, density=0.3)
    n, p = D.shape
    k = len(lams)
    rng = np.random.default_rng(8)
    Y, sw = rng.standard_normal((n, k)), rng.uniform(0.5, 2, n)
    mean = D.mean(axis=0)
    hyper = np.array([0.04, 1.0, batch, avg_start])
    out = []
    for call in (lambda *r: sbackend.minibatch_epoch_sparse(*args(X), *r),
                 lambda *r: REF.minibatch_epoch(D, *r)):
        W, A, ic, st = np.zeros((k, p)), np.zeros((k, p)), np.full((2, k), 0.2), np.zeros(1)
        losses = [call(Y, sw, mean, rng_order(n, e), W, A, ic, np.array(lams), st, hyper) for e in range(2)]
        out.append((W, A, ic, st, losses))
    for u, v in zip(*out):
        assert_allclose(u, v, rtol=1e-8, atol=1e-11)


def test_sparse_gradient_same_bits_for_any_thread_count():
    import numba

    X, D = sparse_case(n=20000, p=50, density=0.1)
    n, p = D.shape
    rng = np.random.default_rng(9)
    y, sw, coef = rng.standard_normal((n, 1)), np.ones(n), rng.standard_normal((1, p))
    be = get_backend("numba")
    before = numba.get_num_threads()
    grads = []
    try:
        for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
            numba.set_num_threads(threads)
            g = np.empty((1, p))
            be.gradient_sparse(*args(X), y, sw, coef, np.zeros(1), np.ones(1), g, np.empty(1))
            grads.append(g)
    finally:
        numba.set_num_threads(before)
    for g in grads[1:]:
        np.testing.assert_array_equal(g, grads[0])
