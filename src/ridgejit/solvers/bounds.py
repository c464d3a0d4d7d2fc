"""Bounds on the objective gap: what ``tol`` means for every iterative solver.

``tol`` is the relative objective gap ``(J(w) - J*) / J(w)``, and a solver stops
when a proven *bound* on it is at most ``tol``.  For the centred normal equations
``A w = b`` (``A = Xc^T S Xc + alpha I``, ``b = Xc^T S yc``) and any ``w`` with
residual ``r = b - A w``,

    J(w) - J* = r^T A^{-1} r / (2n)                                   (exact)

and every bound is an upper bound on ``r^T A^{-1} r`` from the one eigenvalue
bound that costs nothing and always holds, ``A >= alpha I``:

``floor``
    ``r^T A^{-1} r <= ||r||^2 / alpha``; in the metric of the Jacobi
    preconditioner ``M = diag(A)``, ``lambda_min(M^-1 A) >= alpha / max_j M_jj``
    and ``r^T A^{-1} r <= r^T M^-1 r / (alpha / max_j M_jj)``.
``Gauss-Radau`` (:class:`CGCertificate`, conjugate gradient)
    CG's step lengths ``gamma_j`` and ratios ``delta_j`` are the entries of the
    Lanczos tridiagonal of ``M^-1 A``; with a node ``mu <= lambda_min(M^-1 A)``
    (the floor above) the Gauss-Radau rule gives ``r_k^T A^{-1} r_k <= g_k
    r_k^T M^-1 r_k``, ``g_0 = 1 / mu``, ``g_{j+1} = (g_j - gamma_j) / (mu (g_j -
    gamma_j) + delta_{j+1})`` (Golub and Meurant; Meurant and Tichy, Numer.
    Algorithms 2013).
``gradient``
    First-order and stochastic methods see only the gradient
    ``g = (A w - b) / n``: ``J(w) - J* <= n ||g||^2 / (2 alpha)`` (the floor; it
    equals the duality gap at the dual point ``theta = y - X w``).

These hold for any data, but they are loose by about ``lambda_min(A) / alpha``
when ``Xc^T S Xc`` is well conditioned (the Ritz values of CG estimate
``lambda_min`` well on such data, but an estimate is no bound: on rank-deficient
data they miss eigenvalues whose directions the residual barely holds, and a
"bound" from them was seen to be 3000 times below the true gap).  A loose bound
on the *last* iterate becomes a tight one on an *earlier* iterate ``x_j``:
``J(x_j) - J* = (J(x_j) - J(x_K)) + (J(x_K) - J*)``, where the first term is
known (CG: the Hestenes-Stiefel sum ``sum_{i=j}^{K-1} gamma_i r_i^T M^-1 r_i``,
exact in finite precision up to small multiples of the rounding, Strakos and
Tichy 2002) and the second is at most the bound on ``x_K``.
:class:`IterateWindow` keeps the last iterates and returns, once some iterate
is certified at ``tol``, the latest one whose certified bound is within
:data:`TIGHT` of its proven lower bound ``J(x_j) - J(x_K)``: the fit's gap is
at most ``tol`` and the reported bound is within a factor ``TIGHT`` of it.
The relative gap's denominator is ``J(w)``, never taken below the rounding of
its computation (:func:`ridgejit.problem.relative_gap`).
"""

import numpy as np

from ..problem import relative_gap


#: The returned iterate's bound is at most this many times its proven lower bound.
TIGHT = 100.0
#: Iterates an :class:`IterateWindow` keeps.
WINDOW = 64


def floor_bound(rr, alpha):
    """``||r||^2 / alpha`` per target (an upper bound on ``r^T A^-1 r``; inf when alpha = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(alpha > 0, rr / np.where(alpha > 0, alpha, 1.0), np.where(rr > 0, np.inf, 0.0))


class CGCertificate:
    """Gauss-Radau upper bounds on ``r_k^T A^-1 r_k`` from (preconditioned) CG's coefficients.

    One per fit, for ``k`` targets in lockstep.  Feed each iteration's step
    lengths and ratios to :meth:`step`; :meth:`bound` gives the bound for the
    current residual, with the proven node ``mu``, a floor of
    ``lambda_min(M^-1/2 A M^-1/2)``: ``A = G + alpha D`` with ``G`` semi-definite, so
    it is at least ``min_j alpha d_j / M_jj`` for a diagonal ``D = diag(d)`` and
    ``alpha lambda_min(D) / max_j M_jj`` for any ``D``.

    Parameters
    ----------
    problem : NormalEquations
        Its ``alpha``, ``penalty`` and ``penalty_floor`` (``lambda_min(D)``).
    diag : ndarray (k, p)
        The preconditioner ``M_t = diag(A_t)``.
    """

    def __init__(self, problem, diag):
        self.alpha = problem.alpha * problem.penalty_floor  # lambda_min(A) >= alpha lambda_min(D)
        with np.errstate(divide="ignore", invalid="ignore"):
            if problem.penalty is None or problem.penalty.ndim == 1:
                floor = np.min(problem.penalty_diag / diag, axis=1, initial=np.inf)
            else:
                floor = self.alpha / np.max(diag, axis=1)
        self.mu = np.where(np.isfinite(floor) & (floor > 0), floor, 0.0)
        self.g = np.where(self.mu > 0, 1.0 / np.where(self.mu > 0, self.mu, 1.0), np.inf)

    def step(self, gamma, delta, active):
        """Advance the Gauss-Radau recurrence by one CG step of every active target."""
        mu = self.mu
        with np.errstate(divide="ignore", invalid="ignore"):
            h = self.g - gamma
            g = h / (mu * h + delta)
        ok = active & (mu > 0) & np.isfinite(g) & (g > 0)
        self.g = np.where(ok, g, np.where(active, np.inf, self.g))

    def bound(self, rz, rr):
        """Upper bounds on ``r^T A^-1 r`` per target from ``r^T M^-1 r`` and ``r^T r``."""
        out = floor_bound(rr, self.alpha)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            naive = np.where(self.mu > 0, rz / np.where(self.mu > 0, self.mu, 1.0), np.inf)
            radau = self.g * rz
        out = np.minimum(out, np.minimum(naive, np.where(np.isfinite(radau), radau, np.inf)))
        return np.where(rz == 0, 0.0, out)


class IterateWindow:
    """The last iterates of a solver, and the choice of the one to return (see the module docstring).

    Parameters
    ----------
    coef_shape : tuple
        ``(k, p)``.
    tol : float
        The relative gap to certify.
    size : int, default=WINDOW
    """

    def __init__(self, coef_shape, tol, size=WINDOW):
        self.tol = tol
        self.size = size
        self.coefs, self.J, self.scale, self.drops = [], [], [], []

    def add(self, coef, J, scale, drop):
        """Record an iterate, its objective ``J`` (k,), the rounding scale of ``J`` and the
        proven decrease of ``J`` since the previous iterate (k,; 0 for the first)."""
        self.coefs.append(np.array(coef, copy=True))
        self.J.append(np.asarray(J, dtype=np.float64))
        self.scale.append(np.asarray(scale, dtype=np.float64))
        self.drops.append(np.maximum(np.asarray(drop, dtype=np.float64), 0.0))
        if len(self.coefs) > self.size:
            for seq in (self.coefs, self.J, self.scale, self.drops):
                seq.pop(0)

    def select(self, upper):
        """``(coef (k, p), relative gap bound (k,), certified (k,) bool)`` given ``upper``,
        a bound on ``J - J*`` of the latest iterate (k,).

        Per target, once the latest iterate is certified at ``tol``: the latest
        earlier iterate whose bound is certified and within :data:`TIGHT` of its
        proven lower bound, else the latest iterate with its own bound.
        """
        gap = relative_gap(upper, self.J[-1], self.scale[-1])
        certified = gap <= self.tol
        if not certified.any():
            return self.coefs[-1], gap, certified
        coef = np.array(self.coefs[-1], copy=True)
        chosen = np.zeros(len(upper), dtype=bool)
        below = np.zeros(len(upper))  # J(x_j) - J(x_K), proven, accumulated backwards
        for j in range(len(self.coefs) - 2, -1, -1):
            below = below + self.drops[j + 1]
            bound = below + upper
            rel = relative_gap(bound, self.J[j], self.scale[j])
            pick = certified & ~chosen & (rel <= self.tol) & (bound <= TIGHT * below)
            coef[pick] = self.coefs[j][pick]
            gap = np.where(pick, rel, gap)
            chosen |= pick
        return coef, gap, certified


def require_curvature_floor(problem, name):
    """Raise ``ValueError`` when a penalty with a null space (a zero factor, a singular penalty
    matrix) leaves ``name``'s gap bound without its proven floor ``alpha lambda_min(D)``."""
    if problem.penalty is not None and not problem.penalty_floor > 0:
        what = ("every penalty_factor > 0" if problem.penalty.ndim == 1
                else "a positive definite penalty_matrix")
        raise ValueError(
            f"solver={name!r} stops on a proven gap bound, which needs {what}: with an unpenalized "
            "direction the objective's curvature has no known floor. Use solver='direct' (or 'auto')")


def start_at_known_optima(problem, coef0):
    """``coef0`` with the rows of targets whose centred y is zero set to 0: their optimum is
    ``w = 0`` (``b = Xc^T S yc = 0``) and ``J* = 0``, where no relative gap can certify
    any other point."""
    return np.where((problem.centred_target_ss == 0)[:, None], 0.0, coef0)


def gradient_bound(grad_norms_sq, n, alpha):
    """``J - J* <= n ||g||^2 / (2 alpha)`` per target (``g`` the gradient of ``J`` in ``w``)."""
    return floor_bound(n * n * np.asarray(grad_norms_sq), np.asarray(alpha)) / (2.0 * n)


def project(w, box):
    """``w`` clipped to the box ``(lower, upper)`` (each ``(p,)``); ``w`` itself without one."""
    return w if box is None else np.clip(w, box[0], box[1])


def least_norm(g, w, box):
    """The least-norm element of ``g + N(w)`` (``N`` the normal cone of the box ``(lower,
    upper)`` at a feasible ``w``); ``g`` itself without a box.  Zero exactly at the
    constrained optimum, and ``J - J* <= n ||.||^2 / (2 alpha)`` as for a gradient
    (:func:`gradient_bound`: the objective is ``alpha/n``-strongly convex on the box)."""
    if box is None:
        return g
    g = np.where(w <= box[0], np.minimum(g, 0.0), g)
    return np.where(w >= box[1], np.maximum(g, 0.0), g)


def full_gradient_bound(J, grad, grad_b, x_mean, weight_sum, n, alpha, fit_intercept, coef=None, box=None):
    """Relative gap bound at ``(w, b)`` from its full gradient ``(g_w, g_b)`` (``k`` targets).

    ``J`` is quadratic in ``b`` with curvature ``W / n``, so the intercept's part is exact,
    ``n g_b^2 / (2 W)``; at the best ``b`` for this ``w`` the gradient in ``w`` is the
    centred one, ``g_w - xbar g_b``, whose :func:`gradient_bound` covers the rest (its
    :func:`least_norm` element at ``coef`` (k, p) for coefficients held in ``box``; the
    intercept stays free).  ``J``, ``grad_b`` and ``alpha`` are ``(k,)``, ``grad`` is ``(k, p)``.
    """
    centred = grad - np.outer(grad_b, x_mean) if fit_intercept else grad
    centred = least_norm(centred, coef, box)
    part_b = n * grad_b * grad_b / (2.0 * weight_sum) if fit_intercept else 0.0
    part_w = gradient_bound(np.einsum("tj,tj->t", centred, centred), n, alpha)
    return relative_gap(part_b + part_w, J, J)


def rounded_bound(problem, coef, intercept, gap, dtype):
    """The relative gap bound of ``(coef, intercept)`` after rounding both to ``dtype``.

    Float32 X gets float32 ``coef_``/``intercept_`` (as in scikit-learn); the rounding
    ``delta = z~ - z`` of ``z = (w, b)`` raises the objective.  ``J`` is quadratic with
    a positive semi-definite Hessian ``H``, so with ``g~`` the gradient at ``z~``
    (one fused pass over X, float64 accumulation)

        J(z~) - J(z) = g~^T delta - delta^T H delta / 2 <= g~^T delta,

    and ``J(z) <= J*/(1 - gap) <= J(z~)/(1 - gap)`` gives, per target,
    ``(J(z~) - J*) / J(z~) <= max(g~^T delta, 0) / J(z~) + gap / (1 - gap)`` (plus the
    rounding of the dot product).  Returns ``gap`` itself when nothing rounds.
    """
    c = coef.astype(dtype).astype(np.float64)
    b = intercept.astype(dtype).astype(np.float64)
    if np.array_equal(c, coef) and np.array_equal(b, intercept):
        return gap
    k, p = c.shape
    g, g_b = np.empty((k, p)), np.empty(k)
    J = problem.gradient_at(c, b, g, g_b)
    delta, delta_b = c - coef, b - intercept
    rise = np.einsum("tj,tj->t", g, delta) + g_b * delta_b
    rounding = 4 * p * np.finfo(np.float64).eps * (np.einsum("tj,tj->t", np.abs(g), np.abs(delta))
                                                   + np.abs(g_b * delta_b))
    with np.errstate(divide="ignore", invalid="ignore"):
        carried = np.where(gap < 1, gap / (1 - gap), np.inf)
    return relative_gap(np.maximum(rise + rounding, 0.0), J, J) + carried
