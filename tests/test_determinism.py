"""Determinism and persistence: same data, seed and ``n_jobs`` give the same bits.

Documented guarantees, tested here for every solver:

* Repeated fits in one process, for every built backend: identical bits.
* Fits in separate processes (and in joblib's worker processes, as
  ``GridSearchCV(n_jobs=2)`` and ``cross_val_score(n_jobs=2)`` run them):
  identical bits.
* Another thread count (``n_jobs=1`` vs ``2``): equal to ``rtol=1e-10``.  The
  Numba kernels use fixed row blocks, so they give the same bits (see
  ``tests/test_kernels.py``); BLAS (``direct``) may round differently.
* Pickled and cloned estimators, alone or in a ``Pipeline`` with
  ``StandardScaler``: identical predictions; a pickled ``SGDRidge`` continues
  ``partial_fit`` exactly as the original would.
"""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from conftest import assert_coef_close, make_data
from subprocess_fits import RIDGE_SOLVERS, SGD_SOLVERS, fit_all, make_estimator, run_fits, values
from ridgejit import SGDRidge

SOLVERS = RIDGE_SOLVERS + SGD_SOLVERS


@pytest.fixture(scope="module")
def data():
    X, y, sw = make_data(n=3000, p=8)  # enough rows for several parallel row blocks
    return StandardScaler().fit_transform(X), y, sw


def _bits(model):
    return np.concatenate([np.ravel(model.coef_), np.ravel(model.intercept_)])


# -- one process, every backend ---------------------------------------------------------
@pytest.mark.parametrize("solver", SOLVERS)
def test_repeated_fits_are_bit_identical(backend, solver, data):
    # Bits are the promise here: same process, same thread count, same data, and every
    # parallel reduction runs over fixed blocks in a fixed order.
    X, y, sw = data
    a, b = (make_estimator(solver, backend=backend.name).fit(X, y, sample_weight=sw) for _ in range(2))
    assert_array_equal(_bits(a), _bits(b))


@pytest.mark.parametrize("solver", SOLVERS)
def test_one_and_two_threads_agree_to_1e10(backend, solver, data):
    X, y, sw = data
    one, two = (make_estimator(solver, backend=backend.name, n_jobs=j).fit(X, y, sample_weight=sw)
                for j in (1, 2))
    # Another thread count changes the BLAS partition of a Gram (direct) but not the
    # fixed row blocks of the compiled kernels: equal to rounding, normwise.
    assert_coef_close(_bits(two), _bits(one), rtol=1e-10)


def test_one_and_two_threads_agree_where_two_threads_exist():
    """The test above compares nothing where Numba's pool has one thread (a one-CPU machine
    caps n_jobs=2 at 1).  Here a fresh process gets a pool of two threads whatever the CPU
    count, fits 100000 x 3 (64 row blocks) with n_jobs 1 and 2, and the fits agree
    to rounding."""
    env = {"NUMBA_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2"}
    one, _ = run_fits(SOLVERS, env=env, n=100_000, params={"n_jobs": 1})
    two, _ = run_fits(SOLVERS, env=env, n=100_000, params={"n_jobs": 2})
    for solver in SOLVERS:
        assert "error" not in one[solver] and "error" not in two[solver]
        assert_coef_close(values(two[solver]), values(one[solver]), rtol=1e-10)


# -- separate processes ---------------------------------------------------------------
@pytest.fixture(scope="module")
def two_processes():
    return [run_fits(SOLVERS)[0] for _ in range(2)]


@pytest.mark.parametrize("solver", SOLVERS)
def test_separate_processes_give_the_same_bits(two_processes, solver):
    first, second = (report[solver] for report in two_processes)
    assert "error" not in first, first
    assert first["sha256"] == second["sha256"]
    assert fit_all([solver])[solver]["sha256"] == first["sha256"]  # and this process too


@pytest.mark.parametrize("solver", ["direct", "nesterov", "sgd", "minibatch", "saga"])
def test_cross_val_score_in_worker_processes_equals_serial(solver, data):
    X, y, _ = data
    est = make_estimator(solver)
    cv = KFold(3, shuffle=True, random_state=0)
    assert_array_equal(cross_val_score(est, X, y, cv=cv, n_jobs=2), cross_val_score(est, X, y, cv=cv))


def test_gridsearch_with_sgdridge_in_worker_processes_equals_serial():
    """(Ridge in GridSearchCV(n_jobs=2) against scikit-learn: tests/test_edge_cases.py.)"""
    X, y, _ = make_data(n=600, p=5)
    pipe = make_pipeline(StandardScaler(), SGDRidge(solver="saga", tol=1e-8, random_state=0))
    grid = {"sgdridge__alpha": [0.1, 10.0, 1000.0], "sgdridge__solver": ["saga", "svrg"]}
    par = GridSearchCV(pipe, grid, cv=3, n_jobs=2).fit(X, y)
    ser = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    assert par.best_params_ == ser.best_params_
    assert_array_equal(par.cv_results_["mean_test_score"], ser.cv_results_["mean_test_score"])
    assert_array_equal(par.predict(X), ser.predict(X))


# -- pickle, clone, Pipeline ------------------------------------------------------------
@pytest.mark.parametrize("solver", SOLVERS)
def test_pickled_and_cloned_pipelines_predict_the_same_bits(solver):
    X, y, _ = make_data(n=400, p=5)
    pipe = make_pipeline(StandardScaler(), make_estimator(solver)).fit(X, y)
    restored = pickle.loads(pickle.dumps(pipe))
    assert_array_equal(restored.predict(X), pipe.predict(X))
    twin = clone(pipe)
    assert twin.get_params()[twin.steps[-1][0] + "__solver"] == solver
    assert not hasattr(twin.steps[-1][1], "coef_")
    assert_array_equal(twin.fit(X, y).predict(X), pipe.predict(X))
    assert pipe.score(X, y) > 0.9  # scaled by the pipeline, the fit is a good one


@pytest.mark.parametrize("solver", ["sgd", "minibatch"])
def test_pickled_sgdridge_continues_partial_fit_exactly(solver):
    X, y, _ = make_data(n=600, p=4)
    X = StandardScaler().fit_transform(X)
    model = SGDRidge(solver=solver, batch_size=32, random_state=0).partial_fit(X[:300], y[:300])
    restored = pickle.loads(pickle.dumps(model))
    model.partial_fit(X[300:], y[300:])
    restored.partial_fit(X[300:], y[300:])
    assert_array_equal(_bits(restored), _bits(model))
    assert restored.t_ == model.t_ and restored.n_iter_ == model.n_iter_ == 2
