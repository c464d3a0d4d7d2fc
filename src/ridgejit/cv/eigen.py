"""Eigendecompositions that give ridge solutions for every alpha at once.

Shared by :class:`ridgejit.RidgeCV` and :func:`ridgejit.ridge_path`.  With
``S = diag(s)`` the sample weights, ``Xc = X - 1 xbar^T`` and ``yc = y - ybar``
(weighted means; zero without an intercept), the ridge coefficients are

    w(a) = (Xc^T S Xc + a I)^-1 Xc^T S yc.

Primal (:class:`PrimalEigen`): ``Xc^T S Xc = V diag(l) V^T`` gives
``w(a) = V diag(1 / (l + a)) V^T Xc^T S yc`` for every ``a`` at ``O(p^2)``
each.  The Gram comes from :class:`~ridgejit.stats.SufficientStats`
(one pass over X, around a provisional centre, centred afterwards).

Dual (:class:`DualEigen`, ``n_features > n_samples``): the kernel
``K = S^1/2 Xc Xc^T S^1/2 = Q diag(l) Q^T`` gives the dual coefficients
``c(a) = (K + a I)^-1 S^1/2 yc`` and ``w(a) = Xc^T S^1/2 c(a)`` (one more
pass over X for all alphas at once).  No centred copy of X is made in either
form: centring happens in the statistics or in block-sized temporaries.

Per-feature penalty factors ``d`` (``penalty_factor``: ``a I`` becomes ``a D``,
``D = diag(d)``) and penalty matrices (``penalty_matrix``: ``D = P``) take the
primal form always, through
:func:`penalized_eigh`: directions ``V`` with ``V^T G V = diag(l)`` and
``V^T D V = diag(0 where free else 1)``, so every alpha is again one division
per direction.
"""

import numpy as np
from scipy import linalg, sparse

from ..problem import Problem, penalty_eigh, raise_if_not_finite

#: Bytes of one float64 row-block temporary in the passes over X.
BLOCK_BYTES = 8 << 20


def block_rows(n_features):
    """Rows per block so that a ``rows x n_features`` float64 block is ~BLOCK_BYTES."""
    return max(64, BLOCK_BYTES // (8 * max(1, n_features)))


def inverse_shifts(eigvals, alphas, free=None):
    """``D[j, a] = 1 / (l_j + alpha_a)``, shape ``(len(eigvals), len(alphas))``.

    ``free`` (bool, ``(len(eigvals),)``): directions of unpenalized features
    (:func:`penalized_eigh`), whose entry is ``1 / l_j`` for every alpha.

    Eigenvalues are clipped at 0 (rounding makes those of a singular Gram
    slightly negative).  Where ``l_j + alpha_a`` is below
    ``size * eps * max(l)`` (``alpha = 0`` on a singular Gram) the entry is 0:
    the minimum-norm least-squares solution, as with a pseudo-inverse.
    """
    lam = np.maximum(eigvals, 0.0)
    shifted = lam[:, None] + np.asarray(alphas, dtype=np.float64)[None, :]
    if free is not None:
        shifted[free] = lam[free, None]
    cutoff = lam.max(initial=0.0) * lam.size * np.finfo(np.float64).eps
    out = np.zeros_like(shifted)
    np.divide(1.0, shifted, out=out, where=shifted > cutoff)
    return out


def penalized_eigh(gram, penalty=None):
    """``(l, V, free)``: the generalized eigendecomposition of ``G + a D`` for every ``a``.

    ``penalty`` is ``d`` (``D = diag(d)``; ``None``: all ones, plain ``eigh``) or a
    penalty matrix ``P = U diag(mu) U^T`` (then the same in the coordinates ``U^T w``,
    with factors ``mu``: its null space is the free directions).  With ``P`` the
    penalized features (``d_j > 0``) and ``Z`` the free ones (``d_j = 0``):
    ``T = G_ZZ^-1 G_ZP``, the Schur complement ``S = G_PP - G_PZ T`` scaled to
    ``D_P^-1/2 S D_P^-1/2 = U diag(l_P) U^T``; the directions are
    ``[D_P^-1/2 U ; -T D_P^-1/2 U]`` (eigenvalues ``l_P``) and ``[0 ; L^-T]``
    with ``G_ZZ = L L^T`` (eigenvalue 1, ``free``).  Then ``V^T G V = diag(l)``,
    ``V^T D V = diag(~free)`` and ``(G + a D)^-1 = V diag(1 / (l + a [~free])) V^T``:
    the unpenalized features are profiled out exactly (no small-factor
    approximation).  ``V`` is ``(p, p)``; ``ValueError`` when the free features'
    Gram is singular (their coefficients would not be determined).
    """
    p = len(gram)
    if penalty is None:
        lam, V = np.linalg.eigh(gram)
        return lam, V, None
    if penalty.ndim == 2:  # D = U diag(mu) U^T: factors mu in the rotated coordinates U^T w
        mu, U = penalty_eigh(penalty)
        lam, V, free = penalized_eigh(U.T @ gram @ U, mu)
        return lam, U @ V, free
    pen, free = np.flatnonzero(penalty > 0), np.flatnonzero(penalty == 0)
    scale = 1.0 / np.sqrt(penalty[pen])
    S = gram[np.ix_(pen, pen)]
    V = np.zeros((p, p))
    if free.size:
        try:
            L = linalg.cholesky(gram[np.ix_(free, free)], lower=True)
        except linalg.LinAlgError:
            raise ValueError("the unpenalized features (penalty_factor == 0, or the null space of "
                             "penalty_matrix) are linearly dependent (or constant) in this data: their "
                             "coefficients are not determined") from None
        T = linalg.cho_solve((L, True), gram[np.ix_(free, pen)])
        S = S - gram[np.ix_(pen, free)] @ T
        V[np.ix_(free, np.arange(pen.size, p))] = linalg.solve_triangular(L, np.eye(free.size), lower=True).T
    lam_p, U = np.linalg.eigh(scale[:, None] * S * scale[None, :])
    V[pen, : pen.size] = scale[:, None] * U
    if free.size:
        V[free, : pen.size] = -T @ V[pen, : pen.size]
    lam = np.concatenate([lam_p, np.ones(free.size)])
    return lam, V, np.arange(p) >= pen.size


def xt_dot(X, V):
    """``X^T V`` in float64, by row blocks (float32 X is converted block by block; CSR X
    in one sparse product, never densified)."""
    if sparse.issparse(X):
        return np.asarray(X.T @ V, dtype=np.float64)
    n, p = X.shape
    out = np.zeros((p, V.shape[1]))
    rows = block_rows(p)
    for lo in range(0, n, rows):
        hi = min(n, lo + rows)
        out += np.asarray(X[lo:hi], dtype=np.float64).T @ V[lo:hi]
    return out


class PrimalEigen:
    """``Xc^T S Xc = V diag(l) V^T`` from sufficient statistics (no pass over X).

    Parameters
    ----------
    stats : SufficientStats
        Statistics of the rows (``around_first_row`` with this ``fit_intercept``).
    fit_intercept : bool
    penalty : ndarray (p,) or (p, p), or None
        Per-feature penalty factors or a penalty matrix (:func:`penalized_eigh`).

    Attributes
    ----------
    eigvals : (p,) ; V : (p, p) ; B : (p, k), ``V^T Xc^T S yc``
    free : (p,) bool or None, the directions of unpenalized features
    x_mean, y_mean : weighted means (zeros without an intercept)
    yty : (k, k), ``yc^T S yc``
    """

    def __init__(self, stats, fit_intercept, penalty=None):
        gram, xty, self.yty, self.x_mean, self.y_mean = stats.centred(fit_intercept)
        self.eigvals, self.V, self.free = penalized_eigh(gram, penalty)
        self.B = self.V.T @ xty

    def inverse_shifts(self, alphas):
        """``1 / (l_j + alpha_a)`` (``1 / l_j`` for free directions), shape ``(p, n_alphas)``."""
        return inverse_shifts(self.eigvals, alphas, self.free)

    def coefs(self, alphas):
        """Coefficients for every alpha, shape ``(n_alphas, k, p)``: ``V diag(D[:, a]) B``."""
        D = self.inverse_shifts(alphas)
        return np.einsum("pj,ja,jt->atp", self.V, D, self.B)

    def coef_per_target(self, alpha):
        """Coefficients with ``alpha[t]`` for target ``t``, shape ``(k, p)``."""
        D = self.inverse_shifts(alpha)  # (p, k)
        return (self.V @ (D * self.B)).T


class DualEigen:
    """``K = S^1/2 Xc Xc^T S^1/2 = Q diag(l) Q^T``: two passes over X (means, kernel).

    With an intercept, ``u = S^1/2 1 / sqrt(W)`` spans the null space of
    ``K`` (``Xc^T S 1 = 0``).  The eigendecomposition is taken of
    ``K + mu u u^T`` (``mu = trace K``) instead: ``u`` becomes an eigenvector
    with a well separated eigenvalue, and since ``S^1/2 yc`` is orthogonal to
    ``u`` the dual coefficients are unchanged, while the intercept term of
    the leave-one-out denominator (``u_i^2 / a`` in scikit-learn's form) is
    ``u_i^2 / (mu + a)`` here, without the cancellation of two large terms at
    small ``a``.
    """

    def __init__(self, X, Y, sw, fit_intercept, backend):
        n, k = Y.shape
        problem = Problem(X, Y, sw, np.zeros(k), fit_intercept, backend)
        self.x_mean, self.y_mean = problem.x_mean, problem.y_mean  # pass 1 (column means)
        self.root = np.sqrt(sw)
        K = np.empty((n, n))
        problem.kernel("dual_gram")(sw, self.x_mean, K)  # pass 2 (CSR: SciPy's X X^T, corrected)
        raise_if_not_finite(problem.X, np.diag(K))
        self.mu, self.u2 = 0.0, np.zeros(n)
        if fit_intercept:
            u = self.root / np.sqrt(problem.weight_sum)
            self.mu = max(float(np.trace(K)), 1.0)
            K += self.mu * np.outer(u, u)
            self.u2 = u * u
        self.eigvals, self.Q = np.linalg.eigh(K)
        self.QTy = self.Q.T @ (self.root[:, None] * (Y - self.y_mean))

    def dual_coefs(self, alphas):
        """``c(a) = (K + a I)^-1 S^1/2 yc`` for every alpha, shape ``(n, n_alphas, k)``."""
        D = inverse_shifts(self.eigvals, alphas)
        return np.einsum("ij,ja,jt->iat", self.Q, D, self.QTy)

    def loo_denominators(self, alphas):
        """``diag((K + a I)^-1)`` minus the intercept's share, shape ``(n, n_alphas)``."""
        D = inverse_shifts(self.eigvals, alphas)
        d = (self.Q * self.Q) @ D
        if self.mu:
            d -= self.u2[:, None] / (self.mu + np.asarray(alphas, dtype=np.float64))[None, :]
        return d

    def primal(self, X, C):
        """``Xc^T S^1/2 C`` for dual coefficients ``C`` of shape ``(n, m)``: one pass over X."""
        V = self.root[:, None] * C
        return xt_dot(X, V) - np.outer(self.x_mean, V.sum(axis=0))
