"""The ridge problem: validated arrays, the objective, and the intercept by implicit centring.

For target ``t`` the objective is

    J_t(w, b) = 1/(2n) * sum_i s_i (x_i.w + b - y_it)^2 + alpha_t/(2n) * w^T D w

with ``n`` the number of rows and ``D = I`` unless ``penalty_factor`` (``D =
diag(d)``) or ``penalty_matrix`` (``D = P``) is given: the kernels then get
``alpha = 0`` and the penalty is added here (``O(kp)``, or ``O(kp^2)`` for a
matrix, per call).  For a fixed ``w`` the best intercept is
``b*(w) = ybar - xbar.w`` (weighted means), and ``J_t(w, b*(w))`` is the
objective of the centred problem ``Xc = X - 1 xbar^T``, ``yc = y - ybar``.
Iterative solvers therefore optimise over ``w`` alone and always pair it with
``b*(w)``; centring is *implicit*: kernels receive ``xbar`` or ``b`` and never
a centred copy of X.

X is a dense array or a canonical SciPy CSR matrix; :func:`bind` hands the
right twin of a kernel its data (``name(X, ...)`` or
``name_sparse(data, indices, indptr, ...)``), so solvers never branch on it.
"""

from functools import cached_property, partial

import numpy as np
from scipy import sparse

from ._threads import weighted_sum

#: Sparse X: when a column's centred sum of squares falls below this fraction of its raw
#: one, ``sum s x^2 - W xbar^2`` may have lost more than ~1e-10 of its relative accuracy
#: and the moments are taken again around the means (a second pass).
CANCELLATION = 1e-6


def bind(backend, name, X):
    """Kernel ``name`` of ``backend`` with X's arguments filled in.

    Dense X gives ``backend.name`` with ``X`` first; CSR X gives
    ``backend.name_sparse`` with ``X.data, X.indices, X.indptr`` first (as
    read-only views).  Raises ``ValueError`` if the backend has no such twin.
    """
    if not sparse.issparse(X):
        return partial(getattr(backend, name), X)
    try:
        fn = backend.functions[name + "_sparse"]
    except KeyError:
        raise ValueError(
            f"backend {backend.name!r} has no sparse kernels; use backend='numba' "
            "for sparse X (or convert X to a dense array)"
        ) from None
    return partial(fn, readonly_view(X.data), readonly_view(X.indices), readonly_view(X.indptr))


def objective_value(X, y, coef, intercept, alpha, backend="auto", penalty=None):
    """``J(w, b)`` of a fitted model summed over targets (unit weights), in one kernel pass.

    ``J = sum_t 1/(2n) (||X w_t + b_t - y_t||^2 + alpha w_t^T D w_t)``: the
    objective every solver minimizes (float64 accumulation; dense or CSR X;
    ``penalty`` as in :func:`penalty_diagonal`, ``None`` for ``D = I``).
    """
    from .kernels import get_backend

    n = X.shape[0]
    Y = np.asarray(y, dtype=np.float64).reshape(n, -1)
    C = np.asarray(coef, dtype=np.float64).reshape(Y.shape[1], -1)
    b = np.asarray(intercept, dtype=np.float64).reshape(-1)
    a = np.broadcast_to(np.asarray(alpha, dtype=np.float64), (Y.shape[1],)).copy()
    X = X if sparse.issparse(X) else readonly_view(np.asarray(X))
    fit = bind(get_backend(backend), "objective", X)(Y, np.ones(n), C, b, np.zeros_like(a))
    return float(np.sum(fit) + np.sum(penalty_times(a, penalty, C) * C) / (2 * n))


def penalty_diagonal(alpha, penalty, n_features):
    """``alpha_t D_jj``, shape (k, p): the diagonal the penalty adds to ``Xc^T S Xc``.

    ``penalty`` is ``None`` (``D = I``), the per-feature factors ``d`` (``D = diag(d)``)
    or a symmetric positive semi-definite matrix ``P`` (``D = P``, a Tikhonov penalty).
    """
    if penalty is None:
        d = np.ones(n_features)
    else:
        d = penalty if penalty.ndim == 1 else np.diag(penalty)
    return np.asarray(alpha, dtype=np.float64)[:, None] * d[None, :]


def penalty_times(alpha, penalty, W):
    """``alpha_t D W_t`` for every row ``W_t`` of ``W`` (k, p) (``D`` as in :func:`penalty_diagonal`)."""
    a = np.asarray(alpha, dtype=np.float64)[:, None]
    if penalty is None:
        return a * W
    return a * (penalty * W if penalty.ndim == 1 else W @ penalty)


def penalty_matrix_of(penalty, n_features):
    """``D`` as a dense ``(p, p)`` matrix (for the ``p x p`` solves that form ``G + alpha D``)."""
    if penalty is None:
        return np.eye(n_features)
    return np.diag(penalty) if penalty.ndim == 1 else penalty


def penalty_eigh(P):
    """``(mu, U)`` with ``P = U diag(mu) U^T`` (ascending), for a penalty matrix ``P``.

    Eigenvalues within rounding of zero (``p eps mu_max``: a singular difference penalty
    computes its null space as +-1e-16) are set to 0, so a penalty with a null space
    never passes for positive definite and its null space is left unpenalized exactly.
    """
    mu, U = np.linalg.eigh(P)
    mu[mu <= len(mu) * np.finfo(np.float64).eps * max(mu.max(initial=0.0), 0.0)] = 0.0
    return mu, U


def penalty_range(penalty):
    """``(lambda_min(D), lambda_max(D))``: the penalty's curvature per unit alpha."""
    if penalty is None:
        return 1.0, 1.0
    if penalty.ndim == 1:
        return float(penalty.min(initial=np.inf)), float(penalty.max(initial=0.0))
    mu = penalty_eigh(penalty)[0]
    return (float(mu[0]), float(mu[-1])) if mu.size else (np.inf, 0.0)


def stored_values(X):
    """The stored values of X: X itself when dense, ``X.data`` when sparse."""
    return X.data if sparse.issparse(X) else X


def raise_if_not_finite(X, *stats):
    """Raise if any of ``stats`` (computed from X in a pass) is NaN or infinite.

    Fits do not spend a separate pass checking X: NaN and inf in X always
    reach the first statistics a solver computes (a weight of 0 gives
    ``0 * nan = nan``).  Only then is X scanned, in chunks, to say which:
    ``ValueError`` "Input X contains NaN/infinity" (scikit-learn's wording), or,
    when X is finite, ``FloatingPointError`` (the arithmetic overflowed).
    """
    if all(np.isfinite(s).all() for s in stats):
        return
    X = stored_values(X)
    for lo in range(0, X.shape[0], 65536):
        block = X[lo : lo + 65536]
        if np.isnan(block).any():
            raise ValueError("Input X contains NaN.")
        if np.isinf(block).any():
            raise ValueError(f"Input X contains infinity or a value too large for {X.dtype!r}.")
    raise FloatingPointError("non-finite statistics from finite X")


def row_norms_checked(rhs):
    """``||rhs[t]||`` per row: the scale of every gradient stopping rule.

    Raises ``FloatingPointError`` when it overflows (data near the float64
    range, e.g. scaled by 1e150): a rule ``||g|| <= tol * inf`` would hold
    at once and return a wrong answer silently.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        norms = np.sqrt(np.einsum("tj,tj->t", rhs, rhs))
    if not np.isfinite(norms).all():
        raise FloatingPointError("||X^T y|| overflows float64")
    return norms


def relative_gap(gap_abs, J, scale):
    """``gap_abs / J`` per target, with ``J`` floored at its rounding (``64 eps * scale``).

    ``scale`` is the size of the terms ``J`` was computed from (``J`` can be a
    tiny difference of large numbers when the fit is nearly perfect); a zero gap
    is zero, whatever ``J``.
    """
    denom = np.maximum(J, 64 * np.finfo(np.float64).eps * np.abs(scale))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(gap_abs > 0, gap_abs / denom, 0.0)
    return np.where(np.isnan(out), np.inf, out)


def readonly_view(a):
    """A read-only view of ``a``: kernels can never write to the user's data,
    and Numba compiles one specialization (read-only arrays) instead of two."""
    v = a.view()
    v.flags.writeable = False
    return v


class Problem:
    """Validated data of one fit, plus the objective and its derivatives.

    Parameters
    ----------
    X : ndarray of shape (n, p), float32 or float64, C-contiguous, or CSR matrix
        Design matrix; kept as a read-only view, never copied.  A CSR matrix
        must be canonical (sorted indices, no duplicates).
    y : ndarray of shape (n, k), float64
    sample_weight : ndarray of shape (n,), float64, non-negative
    alpha : ndarray of shape (k,), float64
        L2 strength per target, in scikit-learn ``Ridge`` units.
    fit_intercept : bool
    backend : ridgejit.kernels.Backend
    penalty : ndarray of shape (p,) or (p, p), float64, or None
        Per-feature penalty factors ``d_j >= 0`` or a symmetric positive
        semi-definite penalty matrix (``None``: the identity), validated by
        :func:`ridgejit._validation.check_penalty`.
    """

    def __init__(self, X, y, sample_weight, alpha, fit_intercept, backend, penalty=None):
        self.sparse = sparse.issparse(X)
        self.X = X if self.sparse else readonly_view(X)
        self.y = y
        self.sw = sample_weight
        self.alpha = alpha
        self.fit_intercept = bool(fit_intercept)
        self.backend = backend
        self.penalty = penalty
        self.n_samples, self.n_features = X.shape
        self.n_targets = y.shape[1]
        # the kernels' own alpha * I term, or none when the penalty is added here
        self._kernel_alpha = alpha if penalty is None else np.zeros_like(alpha)

    def kernel(self, name):
        """The backend's kernel ``name`` bound to X (its dense or CSR twin, see :func:`bind`)."""
        return bind(self.backend, name, self.X)

    # -- statistics computed once, on first use ---------------------------------
    @cached_property
    def _first_pass(self):
        """``(x_mean, x_var_sum, weight_sum, rhs)`` from ONE pass over X.

        The ``column_moments`` kernel gives the column moments and the cross
        moments with y around ``(c, ybar)``: ``x_var_sum[j] = sum_i s_i (x_ij -
        xbar_j)^2`` (the diagonal of ``Xc^T S Xc``, the Jacobi preconditioner)
        and ``rhs = Xc^T S yc`` (the right-hand side of the normal equations), so
        an iterative solver starts after this single pass.  With
        ``fit_intercept=False`` nothing is centred.  Dense X is shifted by its
        first row; sparse X (whose zeros must stay zeros) by nothing, with a second
        pass of the moments around the means only when a mean dominates a column
        (:data:`CANCELLATION`); y is always shifted by its mean, which makes the
        cross moments free of cancellation whatever the column means.
        """
        p, k = self.n_features, self.n_targets
        moments = self.kernel("column_moments")
        sums, sumsq, xty = np.empty(p), np.empty(p), np.empty((k, p))
        if not self.fit_intercept or self.sparse:
            shift = np.zeros(p)
        else:
            shift = np.array(self.X[0], dtype=np.float64)
        W = moments(self.y, self.sw, shift, self.y_mean, sums, sumsq, xty)
        raise_if_not_finite(self.X, sums, sumsq, xty)
        if not self.fit_intercept:
            return np.zeros(p), sumsq, W, xty
        d = sums / W
        var = sumsq - sums * d
        # Xc'S yc = sum s (x - c - d)(y - ybar) = xty - d * sum s (y - ybar), the last ~0
        rhs = xty - np.outer(weighted_sum(self.sw, self.y - self.y_mean), d)
        if self.sparse and np.any(var < CANCELLATION * sumsq):
            # a mean dominates some column: sum s x^2 - W xbar^2 lost digits; a second
            # pass around the means (the zeros are exact in the kernel) recovers them
            shift = d
            W = moments(self.y[:, :0], self.sw, shift, self.y_mean[:0], sums, sumsq, xty[:0])
            d = sums / W
            var = sumsq - sums * d
        return shift + d, np.maximum(var, 0.0), W, rhs

    @property
    def x_mean(self):
        """Weighted column means of X (zeros without an intercept), shape (p,)."""
        return self._first_pass[0]

    @property
    def x_var_sum(self):
        """Diagonal of ``Xc^T S Xc``, shape (p,)."""
        return self._first_pass[1]

    @cached_property
    def weight_sum(self):
        """``sum_i s_i``."""
        return float(self.sw.sum())

    @cached_property
    def y_mean(self):
        """Weighted means of y (zeros without an intercept), shape (k,)."""
        if not self.fit_intercept:
            return np.zeros(self.n_targets)
        return weighted_sum(self.sw, self.y) / self.weight_sum

    @property
    def rhs(self):
        """``Xc^T S yc``, shape (k, p): the right-hand side of the normal equations.

        It is ``-n * grad J(0, b*(0))``; it comes from the same first pass as the
        column moments.
        """
        return self._first_pass[3]

    @cached_property
    def rhs_norms(self):
        """``||Xc^T S yc||`` per target, shape (k,) (see :func:`row_norms_checked`)."""
        return row_norms_checked(self.rhs)

    @cached_property
    def centred_target_ss(self):
        """``yc^T S yc`` per target, shape (k,): ``2n`` times the objective at ``w = 0``."""
        yc = self.y - self.y_mean
        return weighted_sum(self.sw, yc * yc)

    # -- the penalty --------------------------------------------------------------
    @cached_property
    def penalty_diag(self):
        """``alpha_t D_jj``, shape (k, p) (:func:`penalty_diagonal`)."""
        return penalty_diagonal(self.alpha, self.penalty, self.n_features)

    @cached_property
    def penalty_floor(self):
        """``lambda_min(D)`` (1 for plain ridge, ``min_j d_j`` for factors)."""
        return penalty_range(self.penalty)[0]

    @property
    def strong_convexity(self):
        """``alpha_t lambda_min(D)``, shape (k,): a proven floor of ``lambda_min(Xc^T S Xc + alpha_t D)``."""
        return self.alpha * self.penalty_floor

    def _add_penalty(self, coef, J=None, grad=None):
        if self.penalty is None:
            return J
        scaled = penalty_times(self.alpha, self.penalty, coef)
        if grad is not None:
            grad += scaled / self.n_samples
        return None if J is None else J + np.einsum("tj,tj->t", scaled, coef) / (2 * self.n_samples)

    # -- the objective ----------------------------------------------------------
    def intercept_for(self, coef):
        """Optimal intercept ``b*(w) = ybar - xbar.w`` for ``coef`` of shape (k, p)."""
        if not self.fit_intercept:
            return np.zeros(self.n_targets)
        return self.y_mean - coef @ self.x_mean

    def objective(self, coef, intercept=None):
        """``J_t(w, b)`` per target, shape (k,); ``b`` defaults to ``b*(w)``."""
        if intercept is None:
            intercept = self.intercept_for(coef)
        J = self.kernel("objective")(self.y, self.sw, coef, intercept, self._kernel_alpha)
        return self._add_penalty(coef, J)

    def gradient_at(self, coef, intercept, grad_out, grad_b_out, stats=None):
        """``J_t(w, b)`` per target at any ``(w, b)``, writing ``grad_w J`` (k, p) and
        ``dJ/db`` (k,) into the outputs: one fused pass over X, or none given this
        problem's :class:`ridgejit.stats.SufficientStats` ``stats`` (``O(k p^2)``, from
        their ``residual_sums``)."""
        ka = self._kernel_alpha
        if stats is None:
            J = self.kernel("gradient")(self.y, self.sw, coef, intercept, ka, grad_out, grad_b_out)
        else:
            L, G, R = stats.residual_sums(coef, intercept)
            n = self.n_samples
            grad_out[...] = (G + ka[:, None] * coef) / n
            grad_b_out[...] = R / n
            J = 0.5 * (L + ka * np.einsum("tj,tj->t", coef, coef)) / n
        return self._add_penalty(coef, J, grad_out)

    def value_and_gradient(self, coef, grad_out):
        """``J_t(w, b*(w))`` per target, writing ``grad_w J`` (k, p) into ``grad_out``.

        At ``b = b*(w)`` the intercept gradient is zero and ``grad_w J`` equals
        the gradient of the centred problem, ``(Xc^T S (Xc w - yc) + alpha w) / n``.
        """
        return self.gradient_at(coef, self.intercept_for(coef), grad_out, np.empty(self.n_targets))

    def normal_product(self, P, out, alpha=None):
        """``out[t] = (Xc^T S Xc + alpha_t D) P[t]`` for ``P`` of shape (k', p)
        (``alpha=zeros``: the Gram alone)."""
        if alpha is not None:
            self.kernel("normal_product")(self.sw, self.x_mean, P, alpha, out)
            return out
        self.kernel("normal_product")(self.sw, self.x_mean, P, self._kernel_alpha, out)
        if self.penalty is not None:
            out += penalty_times(self.alpha, self.penalty, P)
        return out

    def lipschitz(self, n_iter=100, rtol=1e-3):
        """Lipschitz constants ``L_t`` of ``grad J_t``, shape (k,), in units of 1/n.

        ``L_t = (lambda_max(Xc^T S Xc) + alpha_t lambda_max(D)) / n``; ``lambda_max`` by power
        iteration (one normal-equations pass each) from a fixed start, stopped
        when the Rayleigh quotient changes by less than ``rtol``, then inflated
        by ``2 * rtol`` since the quotient approaches from below.
        """
        p = self.n_features
        v = np.random.default_rng(0).standard_normal((1, p))
        v /= np.linalg.norm(v)
        Av = np.empty_like(v)
        lam = 0.0
        zero = np.zeros(1)
        for _ in range(n_iter):
            self.normal_product(v, Av, alpha=zero)
            new = float(v[0] @ Av[0])
            norm = np.linalg.norm(Av)
            if norm == 0.0:
                break
            v = Av / norm
            if abs(new - lam) <= rtol * new:
                lam = new
                break
            lam = new
        return (lam * (1.0 + 2.0 * rtol) + self.alpha * penalty_range(self.penalty)[1]) / self.n_samples
