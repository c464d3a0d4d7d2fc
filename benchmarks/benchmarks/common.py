"""Shared pieces of the ridgejit asv suite: sizes, cached data, estimators by name.

``RIDGEJIT_BENCH_PROFILE=quick`` runs the whole suite in a few minutes on 2
cores; ``full`` (the default) uses the sizes of the engine issue
(1,000,000 x 100 and 50,000 x 2,000).  Data come from pinned seeds and are
cached as ``.npy`` files (``RIDGEJIT_BENCH_CACHE``, default a folder in the
system temp dir), because asv runs every benchmark in a fresh process.

An estimator is named ``"library:solver"``: ``ridgejit:<Ridge solver>``,
``ridgejit:<sgd|asgd|minibatch|sag|saga|svrg>`` (``SGDRidge``),
``sklearn:<Ridge solver>`` and ``sklearn:sgdregressor`` (``SGDRegressor`` with
``alpha`` converted to ``alpha / n``), so ridgejit and scikit-learn are values
of one parameter and share one plot.
"""

import os
import tempfile

import numpy as np

from ridgejit.bench.compare import ridgejit_estimator, sklearn_estimator, make_regression, make_sparse_regression

PROFILE = os.environ.get("RIDGEJIT_BENCH_PROFILE", "full")
SHAPES = {
    "quick": {"tall": (20_000, 50), "wide": (2_000, 400), "sparse": (20_000, 5_000)},
    "full": {"tall": (1_000_000, 100), "wide": (50_000, 2_000), "sparse": (200_000, 50_000)},
}[PROFILE]
#: stored-value fraction of the ``sparse`` (CSR) data
SPARSE_DENSITY = 1e-3
N_TEST = 2_000
ALPHA = 1.0
SEED = 0


def _cache_dir():
    path = os.environ.get("RIDGEJIT_BENCH_CACHE") or os.path.join(tempfile.gettempdir(), "ridgejit-bench")
    os.makedirs(path, exist_ok=True)
    return path


#: the data axis of the suite: shape and dtype in one parameter (fewer processes)
DATA = ["tall", "wide", "tall-f32"]


def dataset(data, standardize=False):
    """``(X, y, X_test, y_test)`` for ``"tall"``, ``"wide"``, ``"sparse"`` (CSR) or
    ``"<shape>-f32"``, cached on disk."""
    shape, _, f32 = data.partition("-")
    dtype = "float32" if f32 else "float64"
    n, p = SHAPES[shape]
    stem = os.path.join(_cache_dir(), f"{shape}-{n}x{p}-{dtype}-{int(standardize)}-s{SEED}")
    if shape == "sparse":
        from scipy import sparse

        try:
            X, y = sparse.load_npz(stem + "-X.npz"), np.load(stem + "-y.npy")
        except OSError:
            X, y = make_sparse_regression(n + N_TEST, p, SPARSE_DENSITY, dtype=dtype, seed=SEED)
            sparse.save_npz(stem + "-X.npz", X)
            np.save(stem + "-y.npy", y)
        return X[:n], y[:n], X[n:], y[n:]
    try:
        X, y = np.load(stem + "-X.npy"), np.load(stem + "-y.npy")
    except OSError:
        X, y = make_regression(n + N_TEST, p, dtype=dtype, seed=SEED)
        if standardize:  # for the stochastic solvers, which need scaled columns
            X = ((X - X.mean(axis=0)) / X.std(axis=0)).astype(dtype)
        np.save(stem + "-X.npy", X)
        np.save(stem + "-y.npy", y)
    return X[:n], y[:n], X[n:], y[n:]


def estimator(name, n_samples, *, tol=None, max_iter=None):
    """The estimator called ``library:solver`` (see the module docstring)."""
    library, solver = name.split(":")
    if library == "ridgejit":
        return ridgejit_estimator(solver, ALPHA, tol, max_iter, SEED)
    return sklearn_estimator(solver, ALPHA, n_samples, SEED)


def exact_objective(X, y):
    """The optimum ``J*`` by an independent float64 solve (SciPy's Cholesky of the centred Gram,
    or SciPy's ``lsqr`` for CSR X: :func:`ridgejit.bench.perfmap.reference_objective`), never
    ridgejit's own solver, so a wrong ridgejit shows as a gap."""
    from ridgejit.bench.perfmap import reference_objective

    return reference_objective(X, y, None, ALPHA, True)


def relative_gap(model, X, y, J_star):
    """``(J - J*) / J*`` of a fitted model, unclamped: a negative gap means the reference
    missed the optimum by more than the fit did (rounding, at most ~1e-15)."""
    from ridgejit.bench.compare import objective

    return (objective(X, y, model.coef_, model.intercept_, ALPHA) - J_star) / J_star


def warm_up(est, X, y):
    """Fit once on 256 rows so that no timing includes JIT compilation."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X[:256], y[:256])
