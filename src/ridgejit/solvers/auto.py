"""``solver="auto"``: pick the cheaper of an exact and an iterative solve.

Cost model, measured on this project's 2-core reference machine (AMD EPYC,
OpenBLAS, ``ridgejit compare``):

================================  ===========================================
operation                         measured rate
================================  ===========================================
Gram ``syrk`` (direct, primal)    ~40 Gflop/s; ``n p^2`` flops
one fused CG pass over X          ~20 GB/s; ``n p * itemsize`` bytes
================================  ===========================================

So one exact solve costs as much as ``budget = p * 20e9 / (itemsize * 40e9)``
CG passes, i.e. ``p / 16`` for float64 and ``p / 8`` for float32 (use ``n``
instead of ``p`` in the dual case ``p > n``).  The rule:

===========================  ===============================================
condition                    choice
===========================  ===============================================
``budget < 30``              ``direct``: Jacobi-CG needs ~25 passes to reach
                             a relative residual of 1e-10 on typical data,
                             so it cannot win (float64 p < 480, float32
                             p < 240)
otherwise                    ``cg`` capped at ``budget`` iterations; if it has
                             not converged by then, ``direct`` (the worst case
                             costs about twice an exact solve)
===========================  ===============================================

The sweep behind the threshold (``n * p = 1e8``, ``make_regression`` data,
seconds, best of 2, CG to 1e-10)::

    dtype    n x p           direct   cg (passes)   auto (choice)
    float64  2000000 x 50    0.232    0.967 (22)    0.233 direct
    float64  1000000 x 100   0.285    0.982 (24)    0.276 direct
    float64   500000 x 200   0.568    1.154 (25)    direct
    float64   250000 x 400   0.787    1.276 (25)    direct
    float64   125000 x 800   1.200    1.158 (26)    cg
    float64    62500 x 1600  2.316    1.346 (28)    1.288 cg
    float32  1000000 x 100   0.343    0.690 (24)    direct
    float32   500000 x 200   0.748    0.753 (25)    direct
    float32   250000 x 400   0.924    0.684 (25)    0.645 cg
    float32    62500 x 1600  2.596    0.817 (28)    0.811 cg

Density: sparse input is not accepted yet; its rules come with the sparse
kernels.

``auto`` promises the answer of an exact solve: its CG runs to a relative
residual of ``min(tol, AUTO_CG_TOL)`` (1e-10), however loose ``tol`` is.
Choose ``solver="cg"`` for a looser, faster approximate answer.
``Result.solver`` records the solver that produced the coefficients.
"""

import dataclasses

from .cg import solve_cg
from .direct import solve_direct

#: Gram flops per byte streamed in the time of one fused pass (40 Gflop/s / 20 GB/s).
FLOPS_PER_BYTE = 2.0
#: Relative residual at which auto's CG answer counts as exact.
AUTO_CG_TOL = 1e-10
#: Below this many CG passes' worth of work, go straight to the exact solver.
MIN_CG_BUDGET = 30


def cg_budget(n_samples, n_features, itemsize):
    """CG passes that cost as much as one exact solve (see the module docstring)."""
    m = min(n_samples, n_features)
    return int(m / (itemsize * FLOPS_PER_BYTE))


def solve_auto(problem, coef0, intercept0, options):
    """Exact or CG solve chosen by the cost model above."""
    budget = cg_budget(problem.n_samples, problem.n_features, problem.X.dtype.itemsize)
    if budget < MIN_CG_BUDGET:
        return solve_direct(problem, coef0, intercept0, options)
    cap = budget if options.max_iter is None else min(budget, options.max_iter)
    cg_options = dataclasses.replace(options, max_iter=cap, tol=min(options.tol, AUTO_CG_TOL))
    result = solve_cg(problem, coef0, intercept0, cg_options)
    if result.converged:
        return result
    exact = solve_direct(problem, coef0, intercept0, options)
    offset = result.history["time"][-1] if result.history["time"] else 0.0
    for key in ("objective", "grad_norm"):
        exact.history[key] = result.history[key] + exact.history[key]
    exact.history["time"] = result.history["time"] + [t + offset for t in exact.history["time"]]
    exact.n_iter = result.n_iter + 1
    return exact


__all__ = ["solve_auto", "cg_budget"]
