"""Sparse RidgeCV and ridge_path: multi-shift CG over every fold, against the dense results.

The dense k-fold modes are tested against scikit-learn's ``GridSearchCV`` in
``test_cv.py``; here the CSR path must give the same scores and models (and
one direct ``GridSearchCV`` comparison), plus the CG pieces on their own.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from conftest import assert_coef_close
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge as SkRidge
from sklearn.metrics import make_scorer, mean_absolute_error
from sklearn.model_selection import GridSearchCV, KFold, ShuffleSplit

from ridgejit import RidgeCV, ridge_path
from ridgejit.cv.sparse_kfold import multishift_cg, split_masks
from ridgejit.kernels import get_backend
from ridgejit.kernels.reference_sparse import to_dense

ALPHAS = np.logspace(-3, 3, 7)
TOL = 1e-12  # CG tolerance for equality tests: scores then agree to ~1e-10


def sparse_data(n=240, p=30, k=1, density=0.25, seed=0, offset=0.0):
    """CSR X with non-negative stored values (so column means matter), y, weights."""
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=density, format="csr", random_state=rng,
                  data_rvs=lambda m: rng.uniform(0.5, 2.0, m) + offset)
    W = rng.standard_normal((p, k))
    y = X @ W + 0.3 * rng.standard_normal((n, k)) + 2.0
    return X, (y[:, 0] if k == 1 else y), rng.uniform(0.2, 3.0, n)


def available(name):
    try:
        return get_backend(name)
    except ValueError:
        pytest.skip(f"backend {name} unavailable")


# --- the pieces ---------------------------------------------------------------


@pytest.mark.parametrize("seed_shift", [0.0, 1e-3])
def test_multishift_cg_solves_every_shift(seed_shift):
    rng = np.random.default_rng(0)
    M = rng.standard_normal((80, 25))
    A = M.T @ M
    B = rng.standard_normal((25, 3))
    B[:, 1] = 0.0  # a zero right-hand side: solution 0, no division by zero
    shifts = np.array([seed_shift, 0.1, 10.0, 1e8])
    X, n_iter, res = multishift_cg(lambda P: A @ P, B, shifts, tol=1e-12, max_iter=200)
    assert n_iter <= 60 and (res <= 1e-12).all()
    for a, s in enumerate(shifts):
        exact = np.linalg.solve(A + s * np.eye(25), B)
        assert_allclose(X[a], exact, rtol=1e-9, atol=1e-12 * np.abs(exact).max())
    assert_array_equal(X[:, :, 1], 0.0)


def test_multishift_cg_reports_what_it_did_not_reach():
    rng = np.random.default_rng(1)
    A = np.diag(np.logspace(-4, 4, 40))
    B = rng.standard_normal((40, 1))
    _, n_iter, res = multishift_cg(lambda P: A @ P, B, np.array([0.0, 1e3]), tol=1e-12, max_iter=3)
    assert n_iter == 3 and res[0, 0] > 1e-12


@pytest.mark.parametrize("backend", ["numba", "cython"])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fold_product_kernel_matches_reference(backend, index_dtype, dtype):
    be = available(backend)
    rng = np.random.default_rng(2)
    X, _, sw = sparse_data(n=700, p=23, density=0.2)
    X = X.astype(dtype)
    X.data[::7] = 0.0  # explicit zeros are values like any other
    data, indices, indptr = X.data, X.indices.astype(index_dtype), X.indptr.astype(index_dtype)
    train = (rng.random((700, 3)) > 0.3).astype(np.uint8)
    split = np.array([0, 1, 2, 0, 1])
    x_mean, P = rng.standard_normal((23, 5)), rng.standard_normal((23, 5))
    ref, out = np.empty((23, 5)), np.empty((23, 5))
    get_backend("numpy").fold_product_sparse(data, indices, indptr, train, sw, split, x_mean, P, ref)
    be.fold_product_sparse(data, indices, indptr, train, sw, split, x_mean, P, out)
    assert_allclose(out, ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())
    Xd = to_dense(data, indices, indptr, 23)  # and the definition, brute force
    for c in range(5):
        Xc = Xd - x_mean[:, c]
        m = train[:, split[c]] * sw
        assert_allclose(ref[:, c], Xc.T @ (m * (Xc @ P[:, c])), rtol=1e-11, atol=1e-11 * np.abs(ref).max())


# --- RidgeCV on CSR -----------------------------------------------------------------


@pytest.mark.parametrize("scoring", ["neg_mean_squared_error", "r2", None, "callable"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_sparse_kfold_equals_dense_kfold(scoring, fit_intercept):
    X, y, _ = sparse_data()
    scoring = make_scorer(mean_absolute_error, greater_is_better=False) if scoring == "callable" else scoring
    kw = dict(alphas=ALPHAS, cv=KFold(5, shuffle=True, random_state=0), scoring=scoring,
              fit_intercept=fit_intercept)
    ours = RidgeCV(tol=TOL, **kw).fit(X, y)
    dense = RidgeCV(**kw).fit(X.toarray(), y)
    assert ours.solver_ == "cg" and ours.gcv_mode_ == "multishift" and ours.n_iter_ > 0
    assert ours.alpha_ == dense.alpha_
    assert_allclose(ours.fold_scores_, dense.fold_scores_, rtol=1e-8)
    assert_coef_close(ours.coef_, dense.coef_, rtol=1e-8, atol=1e-10)
    assert_allclose(ours.intercept_, dense.intercept_, rtol=1e-8, atol=1e-10)
    assert_allclose(ours.predict(X), dense.predict(X.toarray()), rtol=1e-8)


def test_sparse_kfold_equals_grid_search_over_ridge():
    X, y, _ = sparse_data(seed=3)
    ours = RidgeCV(alphas=ALPHAS, cv=KFold(5), scoring="neg_mean_squared_error", tol=TOL).fit(X, y)
    ref = GridSearchCV(SkRidge(solver="cholesky"), {"alpha": ALPHAS}, cv=KFold(5),
                       scoring="neg_mean_squared_error").fit(X.toarray(), y)
    assert ours.alpha_ == ref.best_params_["alpha"]
    assert_allclose(ours.mean_scores_, ref.cv_results_["mean_test_score"], rtol=1e-8)
    assert_coef_close(ours.coef_, ref.best_estimator_.coef_, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("alpha_per_target", [False, True])
def test_sparse_weighted_multi_target(alpha_per_target):
    X, Y, sw = sparse_data(k=3, seed=4, offset=5.0)  # large column means: implicit centring
    Y = Y * np.array([1.0, 20.0, 0.05])
    kw = dict(alphas=ALPHAS, cv=4, alpha_per_target=alpha_per_target)
    ours = RidgeCV(tol=TOL, **kw).fit(X, Y, sample_weight=sw)
    dense = RidgeCV(**kw).fit(X.toarray(), Y, sample_weight=sw)
    assert_array_equal(ours.alpha_, dense.alpha_)
    assert_allclose(ours.mean_scores_, dense.mean_scores_, rtol=1e-7)
    assert_coef_close(ours.coef_, dense.coef_, rtol=1e-7, atol=1e-9)
    assert_allclose(ours.intercept_, dense.intercept_, rtol=1e-7, atol=1e-9)


def test_sparse_non_partition_splitter_and_csc_input():
    X, y, _ = sparse_data(seed=5)
    cv = ShuffleSplit(3, test_size=0.3, random_state=0)  # rows in no split and in several
    ours = RidgeCV(alphas=ALPHAS, cv=cv, tol=TOL).fit(X.tocsc(), y)
    dense = RidgeCV(alphas=ALPHAS, cv=cv).fit(X.toarray(), y)
    assert ours.alpha_ == dense.alpha_
    assert_allclose(ours.fold_scores_, dense.fold_scores_, rtol=1e-8)


@pytest.mark.parametrize("backend", ["numpy", "numba", "cython"])
def test_sparse_backends_agree_and_inputs_are_untouched(backend):
    available(backend)
    X, y, sw = sparse_data(seed=6)
    copies = X.copy(), y.copy(), sw.copy()
    ref = RidgeCV(alphas=ALPHAS, cv=3, backend="numpy", tol=TOL).fit(X, y, sample_weight=sw)
    ours = RidgeCV(alphas=ALPHAS, cv=3, backend=backend, tol=TOL).fit(X, y, sample_weight=sw)
    assert ours.alpha_ == ref.alpha_
    assert_coef_close(ours.coef_, ref.coef_, rtol=1e-9, atol=1e-12)
    for before, after in zip(copies, (X, y, sw)):
        assert_array_equal(before.toarray() if sp.issparse(before) else before,
                           after.toarray() if sp.issparse(after) else after)


def test_sparse_ridge_path_equals_dense():
    X, Y, sw = sparse_data(k=2, seed=7)
    coefs, intercepts = ridge_path(X, Y, ALPHAS, sample_weight=sw)
    dense_c, dense_b = ridge_path(X.toarray(), Y, ALPHAS, sample_weight=sw)
    assert coefs.shape == (len(ALPHAS), 2, 30)
    assert_coef_close(coefs, dense_c, rtol=1e-8, atol=1e-10)
    assert_allclose(intercepts, dense_b, rtol=1e-8, atol=1e-10)


def test_sparse_bad_input():
    X, y, sw = sparse_data()
    with pytest.raises(ValueError, match="solver='cg' needs cv != None"):
        RidgeCV(solver="cg").fit(X, y)  # leave-one-out (sparse X included) is the eigen scheme
    with pytest.raises(ValueError, match="solver='eigen' needs dense X"):
        RidgeCV(cv=3, solver="eigen").fit(X, y)
    with pytest.raises(ValueError, match="solver='cg' needs CSR X"):
        RidgeCV(cv=3, solver="cg").fit(X.toarray(), y)
    zero = sw.copy()
    zero[:48] = 0.0  # KFold(5): rows 0..47 are fold 0
    with pytest.raises(ValueError, match="fold 0 .* zero total sample weight"):
        RidgeCV(cv=5).fit(X, y, sample_weight=zero)
    bad = X.copy()
    bad.data[3] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        RidgeCV(cv=3).fit(bad, y)
    with pytest.warns(ConvergenceWarning, match="conjugate gradients stopped after 2 passes"):
        RidgeCV(cv=3, max_iter=2, tol=1e-14).fit(X, y)


def test_split_masks():
    splits = [(np.array([1, 2]), np.array([0])), (np.array([0]), np.array([2]))]
    assert_array_equal(split_masks(splits, 3), [[0, 1, 1], [1, 0, 1], [1, 0, 1]])


def test_sparse_fit_is_deterministic():
    X, y, sw = sparse_data(seed=8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = RidgeCV(alphas=ALPHAS, cv=4).fit(X, y, sample_weight=sw)
        b = RidgeCV(alphas=ALPHAS, cv=4, n_jobs=1).fit(X, y, sample_weight=sw)
    assert_array_equal(a.coef_, b.coef_)
    assert_array_equal(a.mean_scores_, b.mean_scores_)
