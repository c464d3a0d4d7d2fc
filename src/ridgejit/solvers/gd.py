"""Full-batch gradient descent (``gd``) and Nesterov's accelerated gradient (``nesterov``).

Each iteration is one fused pass over X (objective and gradient together, at
the optimal intercept ``b*(w)``).  The default step is ``1 / L_t`` per target,
``L_t`` the Lipschitz constant of ``grad J_t`` from power iteration
(:meth:`ridgejit.problem.Problem.lipschitz`), which never diverges: should
the objective still rise steadily (an underestimated ``L``), ``L`` is
multiplied by 4 and the run restarts from ``coef0``.  A user-given
``learning_rate`` that makes the objective rise for 10 iterations in a row
above its start, or become non-finite, raises ``ValueError`` naming the rate
and the safe step ``1/L``.

Nesterov uses the FISTA momentum sequence with O'Donoghue-Candes gradient
restarts (momentum is reset when ``grad J(y).(w_new - w) > 0``), which keeps
the acceleration on strongly convex problems without knowing their curvature.

``positive=True`` or ``bounds``: projected gradient (FISTA for ``nesterov``):
every step is clipped to the box, and the gap bound uses the least-norm element
of ``grad J + N(w)`` (``N`` the box's normal cone), which is zero exactly at the
constrained optimum.  An extrapolated point outside the box is never returned
(its gap counts as unknown); the run ends on a projected iterate.

Stops when the gradient bound on the relative objective gap,
``n ||grad J_t||^2 / (2 alpha_t J_t)`` (:func:`ridgejit.solvers.bounds.gradient_bound`),
is at most ``tol`` for every target; it is proven, and loose by about
``lambda_min(Xc^T S Xc) / alpha`` (with ``alpha = 0`` there is no bound: the run
goes to ``max_iter``).  ``max_iter`` defaults to 5000.
"""

import numpy as np

from ..problem import relative_gap
from .base import History, Result
from .bounds import gradient_bound, least_norm, project, require_curvature_floor, start_at_known_optima


def _norms(g):
    return np.sqrt(np.einsum("tj,tj->t", g, g))


class _Divergence(Exception):
    pass


def _run(problem, coef0, options, eta, accelerated, hist, max_iter):
    n = problem.n_samples
    box = options.bounds
    w = project(np.array(start_at_known_optima(problem, coef0), dtype=np.float64), box)
    y = w.copy()
    g = np.empty_like(w)
    J = problem.value_and_gradient(y, g)
    J_start = float(np.sum(J))
    J_prev, rising = J_start, 0
    t = np.ones(problem.n_targets)
    for it in range(max_iter + 1):
        # an extrapolated point outside the box is no answer: its gap is not certified
        feasible = box is None or bool(((y >= box[0]) & (y <= box[1])).all())
        if it == max_iter and not feasible:  # end on the last projected iterate: one more pass
            y = w
            J = problem.value_and_gradient(y, g)
            feasible = True
        gn = _norms(least_norm(g, y, box))
        gap = relative_gap(gradient_bound(gn * gn, n, problem.strong_convexity), J, J)
        gap = gap if feasible else np.full_like(gap, np.inf)
        hist.add(J, np.linalg.norm(gn), gap)
        if (gap <= options.tol).all():
            return y, it, True, gap
        if it == max_iter:
            break
        w_new = project(y - eta[:, None] * g, box)
        if accelerated:
            restart = np.einsum("tj,tj->t", g, w_new - w) > 0
            t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
            beta = np.where(restart, 0.0, (t - 1.0) / t_new)
            t = np.where(restart, 1.0, t_new)
            y = w_new + beta[:, None] * (w_new - w)
        else:
            y = w_new
        w = w_new
        J = problem.value_and_gradient(y, g)
        total = float(np.sum(J))
        rising = rising + 1 if total > J_prev else 0
        J_prev = total
        if not np.isfinite(total) or (rising >= 10 and total > J_start):
            raise _Divergence(it + 1, J_start, total)
    return y, max_iter, False, gap


def _solve(problem, coef0, options, accelerated):
    name = "nesterov" if accelerated else "gd"
    require_curvature_floor(problem, name)
    max_iter = options.max_iter if options.max_iter is not None else 5000
    hist = History(name, options.verbose)
    if options.learning_rate is None:
        L = problem.lipschitz()
        for _ in range(8):
            try:
                w, n_iter, ok, gap = _run(problem, coef0, options, 1.0 / L, accelerated, hist, max_iter)
                break
            except _Divergence:
                L = 4.0 * L
        else:  # pragma: no cover - would need L underestimated by 4**8
            raise RuntimeError(f"{name}: no stable step size found")
    else:
        eta = np.full(problem.n_targets, float(options.learning_rate))
        try:
            w, n_iter, ok, gap = _run(problem, coef0, options, eta, accelerated, hist, max_iter)
        except _Divergence as exc:
            it, j0, j1 = exc.args
            safe = float(np.min(1.0 / problem.lipschitz()))
            raise ValueError(
                f"solver={name!r} diverges with learning_rate={options.learning_rate:g}: the "
                f"objective went from {j0:.6g} to {j1:.6g} by iteration {it}. The largest safe "
                f"step for this data is 1/L = {safe:.6g}; use learning_rate <= {safe:.6g}, or "
                "learning_rate=None to use it automatically."
            ) from None
    return Result(w, problem.intercept_for(w), n_iter, ok, name, hist.data, gap)


def solve_gd(problem, coef0, options):
    """Gradient descent with step ``1/L`` (or ``options.learning_rate``)."""
    return _solve(problem, coef0, options, accelerated=False)


def solve_nesterov(problem, coef0, options):
    """Nesterov-accelerated gradient descent with adaptive restart."""
    return _solve(problem, coef0, options, accelerated=True)
