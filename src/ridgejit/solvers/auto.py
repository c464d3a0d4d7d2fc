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

Sparse (CSR) X: a fused CG pass costs about ``nnz * PASS_NS`` and the exact
solve ``pairs * PAIR_NS`` for its Gram (``pairs = sum_i nnz_i^2`` in the
primal, ``sum_j nnz_j^2`` over columns in the dual) plus ``m^3 / 3`` flops of
Cholesky (``m = min(n, p)``); ``budget`` is their ratio and the same rule
applies.  When the ``m x m`` matrix would pass ``SPARSE_GRAM_MAX_BYTES`` the
choice is ``cg`` with no cap (the exact fallback could not run).

``auto`` promises the answer of an exact solve: its CG runs to a relative
residual of ``min(tol, AUTO_CG_TOL)`` (1e-10), however loose ``tol`` is.
Choose ``solver="cg"`` for a looser, faster approximate answer.
``Result.solver`` records the solver that produced the coefficients.
"""

import dataclasses

import numpy as np

from .cg import solve_cg
from .direct import solve_direct

#: Gram flops per byte streamed in the time of one fused pass (40 Gflop/s / 20 GB/s).
FLOPS_PER_BYTE = 2.0
#: Below this many CG passes' worth of work, go straight to the exact solver.
MIN_CG_BUDGET = 30


#: Sparse cost model (seconds per stored value of one fused CG pass, per Gram
#: pair, per Cholesky flop), measured on the reference machine.
PASS_NS, PAIR_NS, CHOL_NS = 4.0, 2.0, 0.025
#: Largest dense m x m matrix the sparse exact solver may build.
SPARSE_GRAM_MAX_BYTES = 1 << 30


def cg_budget(n_samples, n_features, itemsize):
    """CG passes that cost as much as one exact solve (see the module docstring)."""
    m = min(n_samples, n_features)
    return int(m / (itemsize * FLOPS_PER_BYTE))


def sparse_cg_budget(X):
    """CG passes that cost as much as one exact solve on CSR ``X``; ``None`` when the
    exact solve's ``m x m`` matrix is too large to build."""
    n, p = X.shape
    m = min(n, p)
    if 8.0 * m * m > SPARSE_GRAM_MAX_BYTES:
        return None
    counts = np.diff(X.indptr) if n >= p else np.bincount(X.indices, minlength=p)
    pairs = float(np.dot(counts.astype(np.float64), counts))
    direct = pairs * PAIR_NS + m**3 / 3.0 * CHOL_NS
    return int(direct / (max(X.nnz, 1) * PASS_NS))


def solve_auto(problem, coef0, options):
    """Exact or CG solve chosen by the cost model above."""
    if problem.sparse:
        budget = sparse_cg_budget(problem.X)
    else:
        budget = cg_budget(problem.n_samples, problem.n_features, problem.X.dtype.itemsize)
    if budget is not None and budget < MIN_CG_BUDGET:
        return solve_direct(problem, coef0, options)
    exact_fallback = budget is not None
    if not exact_fallback:  # the m x m matrix is too large: CG runs to its own cap
        budget = options.max_iter
    cap = budget if options.max_iter is None else min(budget, options.max_iter)
    cg_options = dataclasses.replace(options, max_iter=cap)
    result = solve_cg(problem, coef0, cg_options)
    if result.converged or not exact_fallback:
        return result
    exact = solve_direct(problem, coef0, options)
    offset = result.history["time"][-1] if result.history["time"] else 0.0
    for key in ("objective", "grad_norm", "gap_bound"):
        exact.history[key] = result.history[key] + exact.history[key]
    exact.history["time"] = result.history["time"] + [t + offset for t in exact.history["time"]]
    exact.n_iter = result.n_iter + 1
    return exact


__all__ = ["solve_auto", "cg_budget"]
