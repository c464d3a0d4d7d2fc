"""Ridge coefficients for many alphas at once: :func:`ridge_path` (and the alpha checks).

Dense X: one eigendecomposition (primal ``X^T X`` or dual ``X X^T``) serves
every alpha.  CSR X: one multi-shift conjugate-gradient run
(:mod:`ridgejit.cv.sparse_kfold`).  :class:`ridgejit.RidgeCV` uses the same pieces.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import _assert_all_finite, _check_sample_weight, check_X_y

from .._threads import thread_limit
from .eigen import DualEigen, PrimalEigen
from .sparse_kfold import FoldSystems
from .._validation import canonical_csr, check_penalty
from ..kernels import get_backend
from ..problem import readonly_view, stored_values
from ..stats import SufficientStats

#: Multi-shift CG pass cap when ``max_iter`` is None.
DEFAULT_MAX_ITER = 1000


def check_alphas(alphas, *, strictly_positive):
    """``alphas`` as a non-empty 1-D float64 array; ValueError naming the bad value.

    Leave-one-out needs ``alpha > 0`` (scikit-learn's rule: ``(K + a I)``
    must be invertible); k-fold and :func:`ridge_path` accept ``alpha = 0``
    (the minimum-norm least-squares solution where the Gram is singular).
    """
    a = np.asarray(alphas, dtype=np.float64)
    if a.ndim > 1:
        raise ValueError(f"alphas must be a scalar or a 1-D sequence, got shape {a.shape}")
    a = a.reshape(-1)
    if a.size == 0:
        raise ValueError("alphas is empty: give at least one alpha")
    bound = "> 0.0" if strictly_positive else ">= 0.0"
    for i, value in enumerate(a):
        if not np.isfinite(value) or value < 0 or (strictly_positive and value == 0):
            raise ValueError(f"alphas[{i}] == {value}, must be {bound}" +
                             (" (leave-one-out, cv=None)" if strictly_positive else ""))
    return a


def _path(X, Y, sw, alphas, fit_intercept, backend, penalty=None):
    """``(coefs (A, k, p), intercepts (A, k), mode)`` for every alpha."""
    n, p = X.shape
    if n >= p or penalty is not None:
        stats = SufficientStats.of_rows(backend, X, Y, sw, fit_intercept)
        eig = PrimalEigen(stats, fit_intercept, penalty)
        coefs, x_mean, y_mean, mode = eig.coefs(alphas), eig.x_mean, eig.y_mean, "primal"
    else:
        dual = DualEigen(X, Y, sw, fit_intercept, backend)
        C = dual.dual_coefs(alphas)  # (n, A, k)
        A, k = C.shape[1:]
        coefs = dual.primal(X, C.reshape(n, A * k)).T.reshape(A, k, p)
        x_mean, y_mean, mode = dual.x_mean, dual.y_mean, "dual"
    return coefs, y_mean - coefs @ x_mean, mode


def ridge_path(X, y, alphas, *, fit_intercept=True, sample_weight=None, backend="auto", n_jobs=None,
               tol=1e-10, max_iter=None, penalty_factor=None, penalty_matrix=None):
    """Ridge coefficients and intercepts for every alpha, from one decomposition.

    For each ``a`` in ``alphas`` this is the minimizer of
    ``sum_i s_i (x_i.w + b - y_i)^2 + a ||w||^2``, i.e. ``Ridge(alpha=a).fit``:

    * ``n_samples >= n_features`` (primal): one pass over X (``sufficient_stats``)
      gives ``Xc^T S Xc = V diag(l) V^T`` and ``Xc^T S yc``; then
      ``w(a) = V diag(1 / (l + a)) V^T Xc^T S yc``, ``O(p^2)`` per alpha.
    * ``n_features > n_samples`` (dual): the column means (pass 1), the kernel
      ``K = S^1/2 Xc Xc^T S^1/2 = Q diag(l) Q^T`` (pass 2), the dual
      coefficients ``c(a) = Q diag(1/(l + a)) Q^T S^1/2 yc`` of every alpha,
      and ``w(a) = Xc^T S^1/2 c(a)`` for all alphas in one product (pass 3).
    * CSR X: one multi-shift conjugate-gradient run (:mod:`ridgejit.cv.sparse_kfold`)
      on the implicitly centred normal equations solves every alpha (and
      target) with one pass over the stored values per iteration; the
      iterations are those of the smallest alpha.

    * ``penalty_factor`` or ``penalty_matrix`` (any X, dense or CSR): the penalty
      ``a sum_j d_j w_j^2`` or ``a w^T P w``;
      the primal form with :func:`ridgejit.cv.eigen.penalized_eigh` (one pass,
      ``p x p``), exact for every alpha, zero factors included.

    The intercept is ``b(a) = ybar - xbar.w(a)`` (weighted means).  An alpha
    of 0 gives the minimum-norm least-squares solution.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Dense or CSR (CSC/COO converted once), float32 or float64 (kept as
        given when C-contiguous or canonical CSR).
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
    alphas : float or array-like of shape (n_alphas,)
        Non-negative, in :class:`ridgejit.Ridge` units.
    fit_intercept : bool, default=True
    sample_weight : float or array-like of shape (n_samples,), default=None
    backend : {"auto", "numba", "numpy", "cython"}, default="auto"
    n_jobs : int, default=None
        Threads for the kernels and BLAS during the call.
    tol : float, default=1e-10
        Sparse X only: relative residual ``||b - (G + a I) w|| / ||b||`` of
        every alpha's centred normal equations.
    max_iter : int, default=None
        Sparse X only: CG passes at most (None: 1000); ``ConvergenceWarning``
        when reached.
    penalty_factor : array-like of shape (n_features,), default=None
        Per-feature penalty factors ``d_j >= 0``, as in :class:`ridgejit.Ridge`.
    penalty_matrix : array-like of shape (n_features, n_features), default=None
        A Tikhonov penalty ``a w^T P w``, as in :class:`ridgejit.Ridge`.

    Returns
    -------
    coefs : ndarray of shape (n_alphas, n_features) or (n_alphas, n_targets, n_features)
        Float64; 2-D exactly when ``y`` is 1-D.
    intercepts : ndarray of shape (n_alphas,) or (n_alphas, n_targets)
    """
    X, y = check_X_y(X, y, dtype=[np.float64, np.float32], order="C", multi_output=True,
                     y_numeric=True, ensure_all_finite=False, accept_sparse="csr",
                     accept_large_sparse=True)
    _assert_all_finite(y, input_name="y")
    Y = np.array(y, dtype=np.float64, order="C", copy=True).reshape(X.shape[0], -1)
    sw = np.array(_check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True))
    alphas = check_alphas(alphas, strictly_positive=False)
    penalty = check_penalty(penalty_factor, penalty_matrix, X.shape[1])
    be = get_backend(backend)
    with thread_limit(n_jobs, be.name, stored_values(X).size):
        if penalty is not None:
            X = canonical_csr(X) if sp.issparse(X) else readonly_view(X)
            coefs, intercepts, _ = _path(X, Y, sw, alphas, fit_intercept, be, penalty)
        elif sp.issparse(X):
            systems = FoldSystems(canonical_csr(X), Y, sw, np.ones((X.shape[0], 1), dtype=np.uint8),
                                  fit_intercept, be)
            coefs, intercepts = systems.solve(alphas, tol, max_iter or DEFAULT_MAX_ITER)
            coefs, intercepts = coefs[:, 0], intercepts[:, 0]
        else:
            coefs, intercepts, _ = _path(readonly_view(X), Y, sw, alphas, fit_intercept, be)
    if y.ndim == 1:
        return coefs[:, 0], intercepts[:, 0]
    return coefs, intercepts
