"""NumPy reference kernels: the definition every compiled backend must match.

Shapes and units shared by every backend (``n`` rows, ``p`` features,
``k`` targets; all outputs float64):

* ``X``: ``(n, p)`` float32 or float64, C-contiguous, never modified.
* ``y``: ``(n, k)`` float64; ``sw``: ``(n,)`` float64 sample weights ``s_i``.
* ``coef``: ``(k, p)`` float64; ``intercept``: ``(k,)``; ``alpha``: ``(k,)``.

The objective of target ``t`` is

    J_t(w, b) = 1/(2n) * sum_i s_i (x_i.w_t + b_t - y_it)^2 + alpha_t/(2n) * ||w_t||^2

with ``n = X.shape[0]`` (the row count, not the weight sum).  These functions
are written for clarity, not speed: they allocate ``(n, k)`` and, for the
Gram kernels, ``(n, p)`` temporaries.
"""

import numpy as np


def _residuals(X, y, coef, intercept):
    """``R[i, t] = x_i.w_t + b_t - y[i, t]``, shape ``(n, k)``."""
    return X.astype(np.float64, copy=False) @ coef.T + intercept - y


def objective(X, y, sw, coef, intercept, alpha):
    """Objective ``J_t(w, b)`` of every target, shape ``(k,)``, in units of y squared."""
    n = X.shape[0]
    R = _residuals(X, y, coef, intercept)
    return (sw @ R**2 + alpha * np.einsum("tj,tj->t", coef, coef)) / (2.0 * n)


def gradient(X, y, sw, coef, intercept, alpha, grad_coef, grad_intercept):
    """Objective and its gradient in one call.

    Writes ``grad_coef[t] = (X^T S r_t + alpha_t w_t) / n`` (``(k, p)``) and
    ``grad_intercept[t] = (sum_i s_i r_it) / n`` (``(k,)``) where
    ``r_t = X w_t + b_t - y_t``; returns ``J`` of shape ``(k,)``.
    """
    n = X.shape[0]
    R = _residuals(X, y, coef, intercept)
    SR = sw[:, None] * R
    grad_coef[...] = (SR.T @ X + alpha[:, None] * coef) / n
    grad_intercept[...] = SR.sum(axis=0) / n
    return (np.einsum("it,it->t", SR, R) + alpha * np.einsum("tj,tj->t", coef, coef)) / (2.0 * n)


def normal_product(X, sw, x_mean, P, alpha, out):
    """Normal-equations product ``out[t] = (Xc^T S Xc + alpha_t I) P[t]``.

    ``Xc = X - 1 x_mean^T`` is the implicitly centred design (``x_mean`` zero
    when there is no intercept); ``P`` and ``out`` are ``(k, p)``.
    """
    Xc = X.astype(np.float64) - x_mean
    Q = Xc @ P.T  # (n, k)
    out[...] = (sw[:, None] * Q).T @ Xc + alpha[:, None] * P


def column_moments(X, y, sw, x_shift, y_shift, sums, sumsq, xty):
    """Shifted weighted column moments and cross moments with y, in one pass.

    With ``D = X - x_shift`` and ``E = y - y_shift`` writes
    ``sums[j] = sum_i s_i D_ij``, ``sumsq[j] = sum_i s_i D_ij^2`` and
    ``xty[t, j] = sum_i s_i E_it D_ij`` (``(k, p)``; ``k`` may be 0); returns
    ``W = sum_i s_i``.  A shift near the means (e.g. the first row) keeps the
    centred moments ``sumsq - sums^2 / W`` and ``xty - sums E^T s / W`` free of
    cancellation: the latter is the right-hand side ``Xc^T S yc`` of the normal
    equations, so a solver needs no other pass before its first iteration.
    """
    D = X.astype(np.float64) - x_shift
    sums[...] = sw @ D
    sumsq[...] = sw @ D**2
    xty[...] = (sw[:, None] * (y - y_shift)).T @ D
    return float(sw.sum())


def sufficient_stats(X, y, sw, x_shift, y_shift, gram, xty, xsum, ysum, yty):
    """Sufficient statistics of weighted least squares, around a provisional centre.

    With ``D = X - x_shift`` and ``E = y - y_shift``: ``gram = D^T S D``
    (``(p, p)``), ``xty = D^T S E`` (``(p, k)``), ``xsum = D^T s``,
    ``ysum = E^T s``, ``yty = E^T S E`` (``(k, k)``); returns
    ``W = sum_i s_i``.  Centred statistics follow without a second pass, e.g.
    ``Xc^T S Xc = gram - xsum xsum^T / W``; a shift near the means (the first
    row, say) keeps that subtraction free of cancellation.
    """
    D = X.astype(np.float64) - x_shift
    E = y - y_shift
    SD = sw[:, None] * D
    gram[...] = SD.T @ D
    xty[...] = SD.T @ E
    xsum[...] = SD.sum(axis=0)
    ysum[...] = sw @ E
    yty[...] = (sw[:, None] * E).T @ E
    return float(sw.sum())


def dual_gram(X, sw, x_mean, out):
    """Weighted centred kernel matrix ``out = S^1/2 Xc Xc^T S^1/2``, shape ``(n, n)``."""
    Xc = (X.astype(np.float64) - x_mean) * np.sqrt(sw)[:, None]
    out[...] = Xc @ Xc.T


#: The low-precision variant is allowed float32 rounding; its definition is the exact one.
sufficient_stats_lowp = sufficient_stats
