"""Leave-one-out errors of every alpha, as scikit-learn's ``RidgeCV(cv=None)`` defines them.

With ``r_i(a)`` the residual of sample ``i`` under the model fitted on all
data, the leave-one-out error is ``e_i(a) = r_i(a) / (1 - h_ii(a))``, where
the leverage of sample ``i`` includes the intercept's share:

    h_ii(a) = s_i xc_i^T (Xc^T S Xc + a I)^-1 xc_i + s_i / W     (W = sum s)

(``s_i / W`` only with ``fit_intercept``).  scikit-learn scores
``-mean_i s_i e_i^2`` (its "looe" is ``sqrt(s_i) e_i``) and stores
``s_i e_i^2`` or the predictions ``y_i - e_i`` in ``cv_results_``.

Primal (``n_samples > n_features``, scikit-learn's ``gcv_mode="cov"``):
    pass 1 (``sufficient_stats``) gives ``Xc^T S Xc = V diag(l) V^T`` and
    ``Xc^T S yc``; pass 2 reads X in row blocks: ``Z = (X_b - xbar) V`` (the
    centring in a block-sized temporary), then for every alpha at once
    ``h = s * (Z * Z) @ (1 / (l + a))`` and ``r = yc_b - Z @ (B / (l + a))``.
    Only ``(n_alphas, n_targets)`` sums are kept, unless ``cv_results_`` is
    stored or a scorer needs the predictions (an ``(n, k, n_alphas)`` array).
Dual (``n_samples <= n_features``, ``gcv_mode="gram"``):
    passes 1-2 build ``K = S^1/2 Xc Xc^T S^1/2`` (see
    :class:`ridgejit.cv.eigen.DualEigen`); then ``sqrt(s_i) e_i = c_i / d_i``
    with ``c = (K + a I)^-1 S^1/2 yc`` and ``d = diag((K + a I)^-1) -
    s_i / (W a)``, all in memory; pass 3 (one ``gemm``) turns the chosen
    dual coefficients into ``coef_``.
"""

import numpy as np
from scipy import sparse

from .eigen import DualEigen, PrimalEigen, block_rows
from ..problem import readonly_view
from ..stats import SufficientStats


#: Leave-one-out forms a dense ``m x m`` matrix (``m = min(n_samples, n_features)``), its
#: eigenvectors and LAPACK's workspace: about ``3 * 8 m^2`` bytes.  For CSR X, whose
#: size says nothing about that matrix, a fit that would need more than this raises.
LOO_MEMORY_BUDGET = 4 << 30


def check_loo_budget(shape):
    """Raise ``ValueError`` when leave-one-out on CSR X of ``shape`` needs more than the budget."""
    budget = LOO_MEMORY_BUDGET
    m = min(shape)
    need = 3 * 8 * m * m
    if need > budget:
        raise ValueError(
            f"leave-one-out (cv=None) on sparse X forms a dense {m} x {m} matrix (min(n_samples, "
            f"n_features)), about {need / 2**30:.1f} GiB with its eigenvectors, over the "
            f"{budget / 2**30:.1f} GiB budget (ridgejit.cv.leave_one_out.LOO_MEMORY_BUDGET); pass cv=5 (or a "
            "splitter) for k-fold cross-validation by multi-shift conjugate gradients, which forms no "
            "such matrix"
        )


class LooTally:
    """Running sums of ``s_i e_i^2`` per (alpha, target), and optionally every value.

    ``keep`` is ``None``, ``"squared"`` (store ``s_i e_i^2``) or
    ``"predictions"`` (store ``y_i - e_i``); stored values have shape
    ``(n, k, n_alphas)``, scikit-learn's layout of ``cv_results_``.
    """

    def __init__(self, n, k, n_alphas, keep):
        self.sse = np.zeros((n_alphas, k))
        self.keep = keep
        self.stored = np.empty((n, k, n_alphas)) if keep else None

    def add(self, lo, sq, pred):
        """Rows ``lo:lo+m``: ``sq = s e^2`` and ``pred = y - e``, both ``(m, n_alphas, k)``."""
        self.sse += sq.sum(axis=0)
        if self.keep == "squared":
            self.stored[lo : lo + len(sq)] = sq.transpose(0, 2, 1)
        elif self.keep == "predictions":
            self.stored[lo : lo + len(sq)] = pred.transpose(0, 2, 1)


def _primal(X, Y, sw, alphas, fit_intercept, backend, tally, penalty):
    stats = SufficientStats.of_rows(backend, X, Y, sw, fit_intercept)  # pass 1
    eig = PrimalEigen(stats, fit_intercept, penalty)
    n, p = X.shape
    A, k = len(alphas), Y.shape[1]
    D = eig.inverse_shifts(alphas)  # (p, A)
    C = (D[:, :, None] * eig.B[:, None, :]).reshape(p, A * k)  # coef of every alpha, eigenbasis
    W = stats.weight_sum
    rows = block_rows(p)
    is_sparse = sparse.issparse(X)
    buf = None if is_sparse else np.empty((min(rows, n), p))
    mean_v = eig.x_mean @ eig.V
    for lo in range(0, n, rows):  # pass 2
        hi = min(n, lo + rows)
        s = sw[lo:hi]
        if is_sparse:  # (X_b - xbar) V = X_b V - xbar V: the zeros stay implicit
            Z = np.asarray(X[lo:hi] @ eig.V) - mean_v
        else:
            Xc = buf[: hi - lo]
            np.subtract(X[lo:hi], eig.x_mean, out=Xc)
            Z = Xc @ eig.V
        lev = 1.0 - s[:, None] * ((Z * Z) @ D)
        if fit_intercept:
            lev -= (s / W)[:, None]
        E = (Y[lo:hi] - eig.y_mean)[:, None, :] - (Z @ C).reshape(hi - lo, A, k)
        E /= lev[:, :, None]  # leave-one-out errors e_i(a)
        pred = Y[lo:hi][:, None, :] - E if tally.keep == "predictions" else None
        tally.add(lo, s[:, None, None] * E * E, pred)
    return eig.coef_per_target, eig.x_mean, eig.y_mean


def _dual(X, Y, sw, alphas, fit_intercept, backend, tally):
    dual = DualEigen(X, Y, sw, fit_intercept, backend)
    for a, alpha in enumerate(alphas):  # one alpha at a time: O(n^2) memory
        c = dual.dual_coefs([alpha])[:, 0, :]
        d = dual.loo_denominators([alpha])[:, 0]
        looe = c / d[:, None]  # sqrt(s_i) e_i, scikit-learn's "looe"
        pred = None
        if tally.keep == "predictions":
            with np.errstate(divide="ignore", invalid="ignore"):
                pred = Y - looe / dual.root[:, None]  # NaN at zero weight, as scikit-learn
        sq = looe * looe
        tally.sse[a] += sq.sum(axis=0)
        if tally.keep == "squared":
            tally.stored[:, :, a] = sq
        elif pred is not None:
            tally.stored[:, :, a] = pred

    def coef_per_target(alpha):
        C = np.stack([dual.dual_coefs([a])[:, 0, t] for t, a in enumerate(alpha)], axis=1)
        return dual.primal(X, C).T  # pass 3

    return coef_per_target, dual.x_mean, dual.y_mean


def leave_one_out(X, Y, sw, alphas, fit_intercept, backend, keep, penalty=None):
    """Leave-one-out sums for every alpha; see the module docstring.

    Parameters
    ----------
    X : ndarray (n, p), float32/float64, C-contiguous, or canonical CSR matrix
        CSR X is never densified: pass 1 is the sparse statistics kernel (or
        SciPy's ``X X^T`` in the dual form), pass 2 ``X_b V - 1 (xbar V)``.
    Y : ndarray (n, k) float64 ; sw : ndarray (n,) float64
    alphas : ndarray (n_alphas,), all > 0
    fit_intercept : bool ; backend : kernels.Backend
    keep : None, "squared" or "predictions"
        What to store per sample (see :class:`LooTally`).
    penalty : ndarray (p,) or (p, p), or None
        Penalty factors or a penalty matrix: the primal form whatever the shape, with
        ``V`` from :func:`ridgejit.cv.eigen.penalized_eigh` (the leverages then
        include the unpenalized directions' projection exactly).

    Returns
    -------
    tally : LooTally
        ``sse[a, t] = sum_i s_i e_it(a)^2`` and the stored values.
    coef_for : callable
        ``coef_for(alpha_per_target (k,))`` -> coefficients ``(k, p)`` (the
        dual form reads X once more).
    x_mean, y_mean : ndarray
    mode : {"cov", "gram"}
        scikit-learn's name for the decomposition used.
    """
    n, p = X.shape
    if sparse.issparse(X):
        check_loo_budget(X.shape)
    tally = LooTally(n, Y.shape[1], len(alphas), keep)
    X = X if sparse.issparse(X) else readonly_view(X)
    if n > p or penalty is not None:
        coef_for, x_mean, y_mean = _primal(X, Y, sw, alphas, fit_intercept, backend, tally, penalty)
        return tally, coef_for, x_mean, y_mean, "cov"
    coef_for, x_mean, y_mean = _dual(X, Y, sw, alphas, fit_intercept, backend, tally)
    return tally, coef_for, x_mean, y_mean, "gram"
