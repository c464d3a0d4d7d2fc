"""Covariance of the ridge estimator ``(b, w)``: classical from the statistics, sandwich by passes.

With weights ``s_i``, centred data and ``G = Xc^T S Xc``, ``M = G + alpha I``, the
estimator is ``w = M^-1 Xc^T S yc`` and ``b = ybar - xbar.w``.  In the centred
coordinates ``theta = (b~, w)``, ``b~ = ybar`` (the model ``b~ + (x - xbar).w``), the
design ``z_i = (1, x_i - xbar)`` gives the block-diagonal ``A = Z^T S Z + diag(0, alpha I)
= diag(W, M)`` and ``theta = A^-1 Z^T S y``.  Then, for each target:

classical (``Var(y_i) = sigma^2 / s_i``)
    ``Cov(w) = sigma^2 M^-1 G M^-1``, ``Var(b~) = sigma^2 / W``, uncorrelated; ``sigma^2 =
    RSS / (n - df)`` with ``RSS = sum_i s_i r_i^2`` and the effective degrees of freedom
    ``df = tr(H) = tr(M^-1 G) + 1`` (the fitted intercept counts 1).  Everything comes
    from the ``p x p`` statistics: **no pass over X**.
sandwich (``HC0``..``HC3``, ``cluster``)
    ``Cov(theta) = A^-1 (sum_i omega_i z_i z_i^T) A^-1`` with ``omega_i = s_i^2 e_i^2``
    (HC0), times ``n / (n - df)`` (HC1), over ``1 - h_i`` (HC2) or ``(1 - h_i)^2`` (HC3),
    ``h_i = s_i z_i^T A^-1 z_i = s_i (1/W + xc_i^T M^-1 xc_i)`` the leverage; ``cluster``:
    ``sum_g u_g u_g^T`` with ``u_g = sum_{i in g} s_i e_i z_i``, times
    ``G/(G-1) (n-1)/(n-df)`` (statsmodels' correction).  ``HC0``/``HC1`` on dense X: one
    pass, residuals and meat block by block; on CSR X and ``cluster``: one pass over X for
    the residuals, one for the meat (the ``sufficient_stats`` kernel with weights
    ``omega``).  ``HC2``/``HC3``: one pass, in whitened coordinates ``f_i = half^T
    (x_i - xbar)`` with ``M^-1 = half half^T``: the leverage is ``s_i (1/W + ||f_i||^2)``,
    and the meat of ``(1, f_i)`` maps back through ``diag(1/W, half)``.  CSR X is never
    densified (the whitened rows of a block are dense ``p``-vectors).

Finally ``(b, w) = T theta`` with ``b = b~ - xbar.w``: ``Cov(b, w) = T Cov(theta) T^T``.
At ``alpha = 0`` these are OLS/WLS's formulas (statsmodels' ``nonrobust``, ``HC0``-``HC3``,
``cluster``).  Ridge estimates are biased: the covariance describes the ridge estimator
around its own mean, not around the unpenalized truth.
"""

from typing import NamedTuple

import numpy as np
from scipy import linalg, sparse
from scipy.linalg import blas

from ..kernels.blas_stats import ordered_sum
from ..problem import penalty_matrix_of, readonly_view
from ..solvers.base import History, Result
from ..stats import SufficientStats

#: ``cov_type`` values; all but ``classical`` read X again.
COV_TYPES = ("classical", "HC0", "HC1", "HC2", "HC3", "cluster")

#: Rows per block of the residual/leverage pass.
BLOCK_ROWS = 16384
#: Doubles per block of the sandwich-meat pass (1 MiB, a core's L2 here): a block stays in
#: cache from its residuals to its ``syrk``; at least 256 rows.
MEAT_BLOCK_DOUBLES = 1 << 17


class Covariance(NamedTuple):
    """What :func:`ridge_covariance` returns (arrays over the ``k`` targets)."""

    cov: np.ndarray  #: (k, q, q), parameters ordered (intercept, coef...) when fitted
    sigma2: np.ndarray  #: (k,) ``RSS / (n - df)``
    dof: np.ndarray  #: (k,) effective degrees of freedom ``tr(H)``


def _factor(gram, alpha, penalty):
    """``(M^-1, half, triangular)`` for ``M = G + alpha D``: ``M^-1 = half half^T`` with
    ``half = L^-T`` (upper triangular) from ``M = L L^T``, or from ``eigh`` if ``M`` is singular."""
    M = gram + alpha * penalty_matrix_of(penalty, len(gram))
    try:
        L = linalg.cholesky(M, lower=True)
        Linv = linalg.solve_triangular(L, np.eye(len(M)), lower=True)
        return Linv.T @ Linv, Linv.T, True
    except linalg.LinAlgError:
        vals, vecs = linalg.eigh(M)
        keep = vals > vals.max() * len(M) * np.finfo(float).eps
        half = vecs[:, keep] / np.sqrt(vals[keep])
        return half @ half.T, half, False


def _residual_pass(X, Y, coef, intercept):
    """Residuals ``E = Y - intercept - X coef^T`` ``(n, k)`` in row blocks of X."""
    n, k = Y.shape
    E = np.empty((n, k))
    for lo in range(0, n, BLOCK_ROWS):
        hi = min(n, lo + BLOCK_ROWS)
        E[lo:hi] = Y[lo:hi] - intercept - np.asarray(X[lo:hi] @ coef.T)
    return E


def _whitened(Xb, x_mean, half, triangular):
    """``F = (Xb - xbar) half`` for a block of rows (``trmm`` when ``half`` is triangular: half
    the flops of a ``gemm``; CSR blocks by a sparse product, F itself is dense)."""
    if sparse.issparse(Xb) or not triangular:
        return np.asarray(Xb @ half) - x_mean @ half
    C = np.subtract(Xb, x_mean).T  # (p, rows), Fortran order: trmm overwrites it with F^T
    return blas.dtrmm(1.0, half, C, side=0, lower=0, trans_a=1, overwrite_b=1).T


def _block_meat(X, Y, sw, coef, intercept, x_mean, factors, W, fit_intercept, power):
    """``sum_i omega_i z_i z_i^T`` per target in one pass over dense X (or CSR, ``power > 0``).

    Per block of rows: the scaled residuals ``s_i e_i``, then per target

    * ``power = 0`` (HC0/HC1): ``z_i = (1, x_i - xbar)`` and ``omega_i = (s_i e_i)^2``;
    * ``power = 1, 2`` (HC2/HC3): whitened ``F = (X_b - xbar) half`` (:func:`_whitened`),
      the leverage ``h_i = s_i (||f_i||^2 + 1/W)``, ``omega_i = (s_i e_i)^2 / (1 - h_i)^power``
      and ``z~_i = (1, f_i)``; ``xc_i = half^-T f_i``, so the sandwich is ``diag(1/W, half)
      meat~ diag(1/W, half)^T`` (:func:`ridge_covariance`).  The leverage and the meat
      share the whitened rows: one ``trmm`` and one ``syrk`` per block.

    (without an intercept the leading 1 is dropped).  The rows ``sqrt(omega_i) z_i`` go to
    one ``syrk``; the blocks run side by side on the fit's threads
    (:func:`~ridgejit.kernels.blas_stats.ordered_sum`: the same bits for any thread count),
    :data:`MEAT_BLOCK_DOUBLES` at most, so a block stays in a core's cache between its
    products (measured on 1e6 x 100, 2 cores: the HC3 pass 0.74-0.79 s in 16384-row blocks,
    0.46-0.52 s in 1024-2048-row ones).  Returns ``(k, q, q)``.
    """
    n, k = Y.shape
    j0 = int(fit_intercept)
    q = j0 + (max(half.shape[1] for _, half, _ in factors) if power else X.shape[1])

    def block(lo, hi):
        Xb = X[lo:hi]
        se = sw[lo:hi, None] * (Y[lo:hi] - intercept - np.asarray(Xb @ coef.T))
        out = np.zeros((k, q, q))
        C = None if power else np.subtract(Xb, x_mean)
        for t, (_, half, triangular) in enumerate(factors):
            root = np.abs(se[:, t])  # sqrt(omega)
            if power:
                F = _whitened(Xb, x_mean, half, triangular)
                h = sw[lo:hi] * (np.einsum("ij,ij->i", F, F) + (1.0 / W if fit_intercept else 0.0))
                root /= (1.0 - h) ** (power / 2)
                F *= root[:, None]
            else:
                F = np.multiply(C, root[:, None], out=C if t == k - 1 else None)
            r = F.shape[1]
            out[t, j0 : j0 + r, j0 : j0 + r] = F.T @ F  # syrk
            if fit_intercept:
                out[t, 0, 0] = root @ root
                out[t, 0, 1 : 1 + r] = out[t, 1 : 1 + r, 0] = F.T @ root
        return out

    rows = min(BLOCK_ROWS, max(256, MEAT_BLOCK_DOUBLES // q))
    return ordered_sum(n, rows, block, np.zeros((k, q, q)))


def _meat(X, omega, x_mean, backend, fit_intercept):
    """``sum_i omega_i z_i z_i^T`` with ``z_i = (1, x_i - xbar)``: one ``sufficient_stats`` pass."""
    p = X.shape[1]
    stats = SufficientStats(x_mean, np.zeros(1))
    stats.add(backend, X, np.zeros((X.shape[0], 1)), omega)
    if not fit_intercept:
        return stats.gram
    out = np.empty((p + 1, p + 1))
    out[0, 0], out[0, 1:], out[1:, 0], out[1:, 1:] = stats.weight_sum, stats.xsum, stats.xsum, stats.gram
    return out


def cluster_sums(X, Y, sw, coef, intercept, x_mean, groups, fit_intercept):
    """``(labels (G,), U (k, G, q))`` with ``u_g = sum_{i in g} s_i e_i z_i`` per target over the
    rows given: one sparse-indicator product with X per target.  Rows add by group
    (:func:`merge_cluster_sums`), so Dask blocks each return theirs."""
    X = X if sparse.issparse(X) else readonly_view(X)
    SE = sw[:, None] * _residual_pass(X, Y, coef, intercept)
    labels, codes = np.unique(np.asarray(groups), return_inverse=True)
    m, k = SE.shape
    U = np.empty((k, len(labels), int(fit_intercept) + X.shape[1]))
    for t in range(k):
        C = sparse.csr_matrix((SE[:, t], (codes.ravel(), np.arange(m))), shape=(len(labels), m))
        totals = np.asarray(C.sum(axis=1)).ravel()
        CX = C @ X  # (n_groups, p): dense, whatever X
        U[t, :, int(fit_intercept):] = (CX.toarray() if sparse.issparse(CX) else np.asarray(CX)) \
            - np.outer(totals, x_mean)
        if fit_intercept:
            U[t, :, 0] = totals
    return labels, U


def merge_cluster_sums(*parts):
    """The :func:`cluster_sums` of the union of the rows of ``parts``: the sums of a group
    met in several parts add (inputs not modified)."""
    labels, U = parts[0]
    if len(parts) > 1:
        labels = np.concatenate([part[0] for part in parts])
        stacked = np.concatenate([part[1] for part in parts], axis=1)
        labels, where = np.unique(labels, return_inverse=True)
        U = np.zeros((stacked.shape[0], len(labels), stacked.shape[2]))
        for t in range(len(U)):
            np.add.at(U[t], where.ravel(), stacked[t])
    return labels, U


class Bread(NamedTuple):
    """What the sandwich needs from the statistics alone (:func:`covariance_bread`)."""

    n: int  #: rows
    W: float  #: weight sum
    x_mean: np.ndarray  #: (p,) weighted column means (zeros without an intercept)
    factors: list  #: per target ``(M^-1, half, triangular)`` (:func:`_factor`)
    dof: np.ndarray  #: (k,) effective degrees of freedom
    sigma2: np.ndarray  #: (k,) ``RSS / (n - df)``
    fit_intercept: bool


def covariance_bread(stats, coef, alpha, fit_intercept, penalty=None):
    """:class:`Bread` from :class:`~ridgejit.stats.SufficientStats` and the coefficients
    ``(k, p)``: no pass over X (see :func:`ridge_covariance` for the parameters)."""
    n, W = stats.n_samples, stats.weight_sum
    gram, xty, yty, x_mean, _ = stats.centred(fit_intercept)
    k = coef.shape[0]
    factors = [_factor(gram, a, penalty) for a in alpha]
    dof = np.array([np.trace(Minv @ gram) for Minv, _, _ in factors]) + int(fit_intercept)
    rss = np.array([yty[t, t] - 2 * coef[t] @ xty[:, t] + coef[t] @ gram @ coef[t] for t in range(k)])
    sigma2 = np.maximum(rss, 0.0) / np.maximum(n - dof, 1e-300)
    return Bread(n, W, x_mean, factors, dof, sigma2, bool(fit_intercept))


def meat_of_rows(X, Y, sw, coef, intercept, bread, cov_type, backend):
    """The meat of ``HC0``..``HC3`` summed over the rows given, ``(k, q', q')``: one or two passes.

    Rows add: the meat of all rows is the sum over row blocks (a Dask worker
    computes its blocks' and only ``(k, q', q')`` floats leave it).  ``HC0``/``HC1``:
    ``sum_i (s_i e_i)^2 z_i z_i^T`` (HC1's ``n / (n - df)`` comes later);
    ``HC2``/``HC3``: the whitened meat.  One pass of :func:`_block_meat`, except
    ``HC0``/``HC1`` on CSR X: residuals, then the sparse ``sufficient_stats`` kernel.

    Parameters
    ----------
    X : ndarray (m, p) or CSR ; Y : ndarray (m, k) ; sw : ndarray (m,)
        The rows (all of the fit's, or one block of them).
    coef : ndarray (k, p) ; intercept : ndarray (k,)
    bread : Bread
        Of the fit's statistics (all rows).
    cov_type : {"HC0", "HC1", "HC2", "HC3"}
    backend : kernel backend (its ``sufficient_stats`` for HC0/HC1 on CSR X)
    """
    X = X if sparse.issparse(X) else readonly_view(X)
    power = {"HC2": 1, "HC3": 2}.get(cov_type, 0)
    if power or not sparse.issparse(X):
        return _block_meat(X, Y, sw, coef, intercept, bread.x_mean, bread.factors, bread.W, bread.fit_intercept,
                           power)
    E = _residual_pass(X, Y, coef, intercept)
    return np.stack([_meat(X, (sw * E[:, t]) ** 2, bread.x_mean, backend, bread.fit_intercept)
                     for t in range(Y.shape[1])])


def ridge_covariance(stats, coef, intercept, alpha, fit_intercept, cov_type, *, backend=None, X=None, Y=None,
                     sw=None, groups=None, penalty=None, meat=None, cluster=None):
    """Covariance of ``(intercept, coef)`` for every target (see the module docstring).

    Parameters
    ----------
    stats : ridgejit.stats.SufficientStats
        The statistics of the fit's rows (the ones the coefficients were solved from).
    coef : ndarray (k, p) ; intercept : ndarray (k,) ; alpha : ndarray (k,)
    fit_intercept : bool
    cov_type : {"classical", "HC0", "HC1", "HC2", "HC3", "cluster"}
    backend, X, Y, sw : the fit's kernel backend and data (sandwich types only)
        X dense (C-contiguous) or CSR, Y ``(n, k)`` float64, ``sw`` ``(n,)``.
    groups : array-like of shape (n,), only for ``cluster``
    penalty : ndarray (p,) or (p, p), or None
        Per-feature penalty factors ``d`` (``M = G + alpha diag(d)``) or a penalty
        matrix ``P`` (``M = G + alpha P``).
    meat : ndarray (k, q', q'), optional
        ``HC0``..``HC3``: the :func:`meat_of_rows` of all rows, summed elsewhere (Dask
        blocks); X is then not read.
    cluster : tuple, optional
        ``cluster``: the :func:`cluster_sums` of all rows, merged elsewhere
        (:func:`merge_cluster_sums` over Dask blocks); X is then not read.

    Returns
    -------
    Covariance
        ``cov`` ``(k, q, q)`` with ``q = p + 1`` (intercept first) or ``p``.
    """
    if cov_type not in COV_TYPES:
        raise ValueError(f"cov_type must be one of {COV_TYPES}, got {cov_type!r}")
    bread = covariance_bread(stats, coef, alpha, fit_intercept, penalty)
    n, W, x_mean, factors, dof, sigma2 = bread[:6]
    k, p = coef.shape
    j0 = int(fit_intercept)
    q = p + j0
    T = np.eye(q)
    if fit_intercept:
        T[0, 1:] = -x_mean
    cov = np.empty((k, q, q))
    if cov_type == "classical":
        gram = stats.centred(fit_intercept)[0]
        for t, (Minv, _, _) in enumerate(factors):
            theta = np.zeros((q, q))
            theta[j0:, j0:] = sigma2[t] * (Minv @ gram @ Minv)
            if fit_intercept:
                theta[0, 0] = sigma2[t] / W
            cov[t] = T @ theta @ T.T
        return Covariance(cov, sigma2, dof)
    if meat is None and cluster is None and X is None:
        raise ValueError(f"cov_type={cov_type!r} reads X again: it needs the data (not available to "
                         "partial_fit streams); use cov_type='classical'")
    if cov_type == "cluster" and cluster is None:
        if groups is None or len(groups) != n:
            raise ValueError(f"cov_type='cluster' needs groups of length n_samples={n} in fit(..., groups=...)")
        cluster = cluster_sums(X, Y, sw, coef, intercept, x_mean, groups, fit_intercept)
    elif cov_type != "cluster" and meat is None:
        meat = meat_of_rows(X, Y, sw, coef, intercept, bread, cov_type, backend)
    for t, (Minv, half, _) in enumerate(factors):
        if cov_type in ("HC2", "HC3"):  # whitened meat: z = diag(1, half^-T) z~
            D = np.zeros((q, meat.shape[1]))
            D[j0:, j0 : j0 + half.shape[1]] = half
        else:
            D = np.zeros((q, q))
            D[j0:, j0:] = Minv
        if fit_intercept:
            D[0, 0] = 1.0 / W
        if cov_type == "cluster":
            U, n_groups = cluster[1][t], len(cluster[0])
            M = U.T @ U * (n_groups / (n_groups - 1.0) * (n - 1.0) / (n - dof[t]) if n_groups > 1 else 1.0)
        else:
            M = meat[t] * (n / (n - dof[t]) if cov_type == "HC1" else 1.0)
        cov[t] = T @ (D @ M @ D.T) @ T.T
    return Covariance(cov, sigma2, dof)


def solve_with_covariance(problem, cov_type, groups=None, verbose=0):
    """The exact fit from one pass of statistics, and its covariance (see the module docstring).

    Returns ``(result, covariance)``: a :class:`ridgejit.solvers.Result` of the
    ``direct`` solver and a :class:`Covariance`.  The classical covariance costs no
    pass beyond the fit's own; a sandwich type reads X once or twice more.
    """
    hist = History("direct", verbose)
    stats = SufficientStats.of_rows(problem.backend, problem.X, problem.y, problem.sw, problem.fit_intercept)
    coef, intercept, obj, grad, gap = stats.solve(problem.alpha, problem.fit_intercept, problem.penalty)
    hist.add(obj, np.linalg.norm(grad), gap)
    covariance = ridge_covariance(stats, coef, intercept, problem.alpha, problem.fit_intercept, cov_type,
                                  backend=problem.backend, X=problem.X, Y=problem.y, sw=problem.sw, groups=groups,
                                  penalty=problem.penalty)
    return Result(coef, intercept, 1, True, "direct", hist.data, gap), covariance
