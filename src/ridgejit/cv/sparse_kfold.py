"""Sparse cross-validation: every (alpha, fold) from one multi-shift CG over all folds.

A ``p x p`` Gram does not fit for wide sparse data (50,000 columns: 20 GB), so
the k-fold statistics of :mod:`ridgejit.cv.kfold` are out of reach.  Instead,
for split ``s`` (its training rows ``T_s``, weighted column means ``xbar_s``,
target means ``ybar_s``) and target ``t``, the centred normal equations

    (G_s + a I) w = b_st,   G_s = Xc_s^T S Xc_s,   b_st = Xc_s^T S (y_t - ybar_st)

(``Xc_s = X[T_s] - xbar_s``, never formed) share one Krylov space for every
alpha ``a``: CG on the smallest alpha (the seed, the hardest system) also
solves every larger alpha, whose residuals are the seed's scaled by
``1 / pi_a`` (``pi_a = R_n(-sigma_a)``, the CG residual polynomial at the
shift ``sigma_a = a - a_min``; :func:`multishift_cg`).  The systems of every
split and target advance together, so each CG iteration is **one pass over
the stored values** for all of them (the ``fold_product_sparse`` kernel: row
``i`` counts for the systems of the splits it trains).  A last column, the
"split" of all rows, gives the final model of every alpha at no extra pass.

Passes over X: one (SciPy ``X^T [S M, U]``) for the training means and
right-hand sides, one per CG iteration, one for the validation predictions
of every alpha (each split's test rows times its ``(p, n_alphas)``
coefficients).  Memory: ``O(nnz + p * n_alphas * n_systems)`` plus an
``(n, n_splits + 1)`` byte mask.  No preconditioner: a diagonal one would make
the alphas' systems different Krylov problems (columns on very different
scales converge slowly; the iteration count is in ``n_iter_``).
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import _assert_all_finite

from .kfold import check_weights, predictions


def multishift_cg(apply, B, shifts, *, tol, max_iter):
    """Solve ``(A + a I) X_a = B`` for every shift ``a`` and column, one product per iteration.

    Parameters
    ----------
    apply : callable
        ``apply(P)`` returns ``A P`` for ``P`` of shape ``(p, C)``; ``A``
        symmetric positive semi-definite (each column its own matrix is fine:
        the recurrences are per column).
    B : ndarray of shape (p, C)
    shifts : ndarray of shape (n_shifts,), >= 0
    tol : float
        Stop a (shift, column) system when ``||B_c - (A + a I) x|| <= tol ||B_c||``
        (the recursive residual ``||r|| / |pi_a|``).
    max_iter : int

    Returns
    -------
    X : ndarray of shape (n_shifts, p, C)
    n_iter : int
        Products with ``A`` (passes).
    residual : ndarray of shape (n_shifts, C)
        Final relative residuals.

    Notes
    -----
    CG on the seed ``A + a_min I`` with steps ``alpha_n``, ``beta_n``; its
    residual polynomial obeys ``R_{n+1}(t) = (1 - alpha_n t) R_n(t) +
    (alpha_n beta_{n-1} / alpha_{n-1}) (R_n(t) - R_{n-1}(t))``, so
    ``pi_n = R_n(-sigma)`` follows with scalars only, and the shifted
    system's CG has residual ``r_n / pi_n``, steps ``alpha_n pi_n / pi_{n+1}``
    and ``beta_n (pi_n / pi_{n+1})^2`` (Frommer & Glaessner 1998; Jegerlehner
    1996).  ``pi >= 1`` for ``sigma >= 0``: larger alphas converge first and
    are frozen then (their ``pi`` may grow without bound).
    """
    p, C = B.shape
    seed = float(shifts.min())
    sigma = (shifts - seed)[:, None]
    b_norm = np.sqrt(np.einsum("pc,pc->c", B, B))
    r, d = B.copy(), B.copy()
    rr = b_norm**2
    X = np.zeros((len(shifts), p, C))
    D = np.repeat(B[None], len(shifts), axis=0)
    pi = np.ones((len(shifts), C))
    pi_prev = np.ones_like(pi)
    alpha_prev, beta_prev = np.ones(C), np.zeros(C)
    open_ = np.broadcast_to(b_norm > 0, pi.shape).copy()
    residual = np.where(open_, 1.0, 0.0)
    n_iter = 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        while open_.any() and n_iter < max_iter:
            n_iter += 1
            live = open_.any(axis=0)
            q = apply(d)
            q += seed * d
            dq = np.einsum("pc,pc->c", d, q)
            alpha = np.where(live & (dq > 0), rr / dq, 0.0)
            r -= alpha * q
            rr_new = np.einsum("pc,pc->c", r, r)
            beta = np.where(live & (rr > 0), rr_new / rr, 0.0)
            pi_next = (1.0 + alpha * sigma) * pi + (beta_prev * alpha / alpha_prev) * (pi - pi_prev)
            ratio = np.where(open_, pi / pi_next, 0.0)
            X += (alpha * ratio)[:, None, :] * D
            D *= (beta * ratio**2)[:, None, :]
            D += r[None] * np.where(open_, 1.0 / pi_next, 0.0)[:, None, :]
            d *= beta
            d += r
            residual = np.where(open_, np.sqrt(rr_new) / np.abs(pi_next) / np.where(b_norm > 0, b_norm, 1.0),
                                residual)
            stalled = ~(dq > 0) & live  # the seed is exact (or singular) in this column
            open_ &= ~(residual <= tol) & ~stalled[None, :]
            pi_prev, pi = pi, pi_next
            alpha_prev = np.where(live, alpha, alpha_prev)
            beta_prev, rr = beta, rr_new
    return X, n_iter, residual


def split_masks(splits, n):
    """``train`` (n, n_splits + 1) uint8: row ``i`` trains split ``s``; the last column is all rows."""
    train = np.zeros((n, len(splits) + 1), dtype=np.uint8)
    for s, (tr, _) in enumerate(splits):
        train[tr, s] = 1
    train[:, -1] = 1
    return train


class FoldSystems:
    """The centred normal equations of every (split, target), solved for every alpha.

    System ``c = s * k + t`` (split ``s`` of ``train``'s columns, target
    ``t``); see the module docstring for what it is.

    Parameters
    ----------
    X : scipy.sparse CSR matrix (n, p), canonical
    Y : ndarray (n, k) float64 ; sw : ndarray (n,) float64
    train : ndarray (n, n_splits) uint8, from :func:`split_masks`
    fit_intercept : bool ; backend : kernels.Backend
    """

    def __init__(self, X, Y, sw, train, fit_intercept, backend):
        n, p = X.shape
        k = Y.shape[1]
        S = train.shape[1]
        self.X, self.train, self.sw, self.backend, self.k = X, train, sw, backend, k
        self.column_split = np.repeat(np.arange(S), k)
        target = np.tile(np.arange(k), S)
        weights = train * sw[:, None]  # (n, S)
        self.weight = weights.sum(axis=0)
        self.y_mean = (weights.T @ Y) / self.weight[:, None] if fit_intercept else np.zeros((S, k))
        U = weights[:, self.column_split] * (Y[:, target] - self.y_mean.reshape(-1))
        sums = np.asarray(X.T @ np.hstack([weights, U]))  # pass: training sums and X^T S M y
        if not np.isfinite(sums).all():
            _assert_all_finite(X.data, input_name="X")
        x_mean = sums[:, :S] / self.weight if fit_intercept else np.zeros((p, S))
        self.x_mean_split = x_mean  # (p, S)
        self.x_mean = np.ascontiguousarray(x_mean[:, self.column_split])  # (p, C)
        self.rhs = sums[:, S:] - self.x_mean * U.sum(axis=0)  # U sums to 0 with an intercept

    def apply(self, P):
        """``G_s P[:, c]`` for every system (one pass)."""
        out = np.empty_like(P)
        X = self.X
        self.backend.fold_product_sparse(X.data, X.indices, X.indptr, self.train, self.sw,
                                         self.column_split, self.x_mean, np.ascontiguousarray(P), out)
        return out

    def solve(self, alphas, tol, max_iter):
        """Coefficients ``(A, S, k, p)`` and intercepts ``(A, S, k)`` of every alpha and system.

        Warns (``ConvergenceWarning``) when a system is not at ``tol`` after
        ``max_iter`` passes.  Sets ``n_iter`` and ``residual`` (A, S, k).
        """
        W, self.n_iter, res = multishift_cg(self.apply, self.rhs, alphas, tol=tol, max_iter=max_iter)
        A, p, C = W.shape
        S, k = C // self.k, self.k
        self.residual = res.reshape(A, S, k)
        if not (res <= tol).all():
            a, c = np.unravel_index(np.argmax(res), res.shape)
            warnings.warn(
                f"conjugate gradients stopped after {self.n_iter} passes with a relative residual of "
                f"{res[a, c]:.3g} > tol={tol:g} (alpha={alphas[a]:g}); the cross-validation scores "
                "of the small alphas may be inexact: raise max_iter or rescale the columns",
                ConvergenceWarning, stacklevel=4)
        coefs = W.transpose(0, 2, 1).reshape(A, S, k, p)
        intercepts = self.y_mean[None] - np.einsum("askp,ps->ask", coefs, self.x_mean_split)
        return coefs, intercepts


def sparse_cross_validate(X, y, Y, sw, alphas, splits, *, fit_intercept, scoring, backend, tol,
                          max_iter, verbose=0):
    """Scores of every alpha on every split of CSR ``X``, and every alpha's model on all rows.

    Parameters
    ----------
    X : CSR matrix (n, p) ; y : the validated target (passed to scorers)
    Y : ndarray (n, k) float64 ; sw : ndarray (n,)
    alphas : ndarray (n_alphas,), >= 0
    splits : list of (train, test) index arrays (any splitter)
    fit_intercept : bool ; scoring : ridgejit.cv.scores.Scoring ; backend : kernels.Backend
    tol : float ; max_iter : int
        Multi-shift CG stop (relative residual of every system) and pass cap.

    Returns
    -------
    fold_scores : ndarray (n_splits, n_alphas) or (n_splits, n_alphas, k) (per target)
    coefs : ndarray (n_alphas, k, p) ; intercepts : ndarray (n_alphas, k)
        Every alpha's fit on all rows.
    n_iter : int
        CG passes over X.
    """
    n = X.shape[0]
    total = sw.sum()
    for s, (tr, te) in enumerate(splits):
        check_weights(s, sw[tr].sum(), sw[te].sum(), total)
    systems = FoldSystems(X, Y, sw, split_masks(splits, n), fit_intercept, backend)
    coefs, intercepts = systems.solve(alphas, tol, max_iter)
    out = []
    for s, (_, test) in enumerate(splits):  # the validation pass: each split's test rows once
        P = predictions(X, test, coefs[:, s], intercepts[:, s])
        scores = scoring.from_predictions(P, y[test], sw[test])
        if verbose:
            print(f"[RidgeCV] fold {s}: scores {np.array2string(np.asarray(scores), precision=5)}")
        out.append(scores)
    return np.array(out), coefs[:, -1], intercepts[:, -1], systems.n_iter
