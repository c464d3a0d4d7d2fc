"""``solver="auto"``: reach a gap of ``tol`` by the cheaper of an exact and an iterative solve.

Both routes are priced in seconds by a :class:`CostModel` whose constants were
measured on the machine by ``benchmarks/calibrate_auto.py`` (the defaults below
are this project's 2-core reference machine: AMD EPYC, OpenBLAS):

============================  ==================================================
route                         predicted time
============================  ==================================================
exact, primal (n >= p)        ``fixed + n m^2 / gram + m^3 / chol`` with
                              ``m = p + k + 1`` (one Gram by BLAS ``syrk``,
                              ``gram`` flop/s for X's dtype and thread count;
                              float32 adds its refinement passes)
exact, dual (p > n)           ``fixed + pass + p n^2 / gram + n^3 / chol``
cg                            ``fixed + iters * iter + (1 + iters + 1) pass``,
                              ``pass`` one fused pass over X, ``iter`` the work
                              of an iteration beside it, ``iters`` the CG iterations a
                              gap of ``tol`` needs on typical data of this
                              shape (:meth:`CostModel.iterations`)
CSR exact                     ``fixed + pairs * pair + m^3 / chol`` (``pairs``:
                              ``sum_i nnz_i^2`` over rows, or over columns in
                              the dual), only while its ``m x m`` matrix fits
                              ``SPARSE_GRAM_MAX_BYTES``
CSR cg                        ``fixed + (iters + 2) * (nnz * value + n * row)``
============================  ==================================================

``auto`` runs the exact solve unless CG is predicted at most half its cost
(:data:`CG_MARGIN`); then CG, capped
at the iterations that would cost as much as the exact solve, falling back to
it only when the data need more iterations than typical (the worst case is
about twice the exact solve).  It never starts a CG that the model prices above
the exact solve.  ``Result.solver`` records the route that produced the
coefficients; both routes certify a gap of at most ``tol``
(:mod:`ridgejit.solvers.bounds`).
"""

import dataclasses
from dataclasses import dataclass
import functools
import json
import math
import os
from pathlib import Path

import numpy as np

from .._threads import SERIAL_BELOW
from .cg import solve_cg
from .direct import solve_direct

#: CG runs only when priced at most 1 / CG_MARGIN of the exact solve: its iteration count
#: is an estimate (data worse conditioned than typical need more), and a CG that
#: overruns its cap is paid for twice.
CG_MARGIN = 2.0

#: Largest dense m x m matrix the sparse exact solver may build.
SPARSE_GRAM_MAX_BYTES = 1 << 30

#: Where a calibrated model is read from (``benchmarks/calibrate_auto.py`` writes it).
COST_MODEL_ENV = "RIDGEJIT_COST_MODEL"
DEFAULT_COST_MODEL_PATH = Path("~/.config/ridgejit/cost_model.json")


@dataclass
class CostModel:
    """Measured rates behind ``auto`` (seconds, flop/s, bytes/s); see the module docstring.

    Each rate has a one-thread value (problems below ``_threads.SERIAL_BELOW``
    stored values run on one thread) and an all-threads value.
    """

    fixed_direct: float = 1.2e-3  #: s: validation, statistics bookkeeping, the p x p solve's set-up
    fixed_cg: float = 1.2e-3  #: s: the same for CG
    cg_iter_fixed: float = 2.6e-4  #: s per CG iteration beside its pass (p-sized vector work, the bound)
    gram_flops_f64: tuple = (1.6e10, 3.0e10)  #: n m^2 flop/s of the float64 Gram, (1 thread, all)
    gram_flops_f32: tuple = (0.9e10, 2.6e10)  #: the float32 Gram, refinement included
    chol_flops: tuple = (2.9e10, 3.5e10)  #: m^3 flop/s of the Cholesky and its p^2 work
    pass_bytes: tuple = (3.0e10, 1.3e10)  #: bytes of X per second in one fused CG pass
    pass_row: float = 3e-9  #: s per row of a pass, beside the bytes
    sparse_value: tuple = (1.5e-9, 3.5e-9)  #: s per stored value of one CSR pass
    sparse_pair: float = 4.8e-9  #: s per Gram pair of the CSR exact solve
    cg_iters: float = 12.0  #: CG iterations to a gap of 1, typical tall data
    cg_iters_per_decade: float = 1.2  #: more iterations per decade of tol
    cg_iters_shape: float = 1.0  #: growth with r = p / n: times ``1 + c r / (1 - sqrt(r))``
    #: the same three for CSR data (``make_sparse_regression``: uncorrelated columns, far
    #: better conditioned; 9 iterations to 1e-12 on 2e5 x 2000, 25 on 2e5 x 5e4)
    sparse_iters: float = 3.0
    sparse_iters_per_decade: float = 0.7
    sparse_iters_shape: float = 2.5

    def threads(self, size):
        """0 for a one-thread problem, 1 for an all-threads one (index into the rate pairs)."""
        return 0 if size < SERIAL_BELOW else 1

    def iterations(self, tol, n=1, p=0, sparse=False):
        """CG iterations a gap of ``tol`` needs on typical ``n x p`` data (dense or CSR).

        More decades of ``tol`` cost ``cg_iters_per_decade`` each; squarer data are
        worse conditioned (the Marchenko-Pastur edge: ``sqrt(cond) ~ (1 + sqrt(r)) /
        (1 - sqrt(r))``, ``r = p / n``), measured here as ``1 + c r / (1 - sqrt(r))``
        (dense: 26 iterations to 1e-12 at ``r = 0.04``, 40 at 0.25, 63 at 0.5); wide data
        (``r >= 0.81``) take the value at ``sqrt(r) = 0.9``, times ``r``.  CSR data have
        constants of their own (``sparse_*``).
        """
        its, per, c = ((self.sparse_iters, self.sparse_iters_per_decade, self.sparse_iters_shape) if sparse
                       else (self.cg_iters, self.cg_iters_per_decade, self.cg_iters_shape))
        base = its + per * math.log10(1.0 / max(tol, 1e-300))
        r = p / max(n, 1)
        shape = 1.0 + c * min(r, 0.81) / (1.0 - math.sqrt(min(r, 0.81)))
        return base * shape * max(r / 0.81, 1.0)

    def dense_direct(self, n, p, k, itemsize):
        t = self.threads(n * p)
        gram = (self.gram_flops_f32 if itemsize == 4 else self.gram_flops_f64)[t]
        m = min(n, p) + k + 1
        pass_ = 0.0 if n >= p else self.dense_pass(n, p, itemsize)
        return self.fixed_direct + pass_ + max(n, p) * m * m / gram + m**3 / self.chol_flops[t]

    def dense_pass(self, n, p, itemsize):
        return n * p * itemsize / self.pass_bytes[self.threads(n * p)] + n * self.pass_row

    def dense_cg(self, n, p, itemsize, iters):
        return self.fixed_cg + iters * self.cg_iter_fixed + (iters + 2) * self.dense_pass(n, p, itemsize)

    def sparse_direct(self, X, k):
        n, p = X.shape
        m = min(n, p) + k + 1
        if 8.0 * m * m > SPARSE_GRAM_MAX_BYTES:
            return math.inf
        counts = np.diff(X.indptr) if n >= p else np.bincount(X.indices, minlength=p)
        pairs = float(np.dot(counts.astype(np.float64), counts))
        return self.fixed_direct + pairs * self.sparse_pair + m**3 / self.chol_flops[self.threads(X.nnz)]

    def sparse_pass(self, X):
        return X.nnz * self.sparse_value[self.threads(X.nnz)] + X.shape[0] * self.pass_row

    def sparse_cg(self, X, iters):
        return self.fixed_cg + iters * self.cg_iter_fixed + (iters + 2) * self.sparse_pass(X)


@functools.lru_cache(maxsize=1)
def cost_model():
    """The calibrated :class:`CostModel` of this machine if one was written, else the defaults.

    Read from ``$RIDGEJIT_COST_MODEL`` or ``~/.config/ridgejit/cost_model.json`` (once per
    process); unknown or malformed content falls back to the defaults.
    """
    path = Path(os.environ.get(COST_MODEL_ENV, DEFAULT_COST_MODEL_PATH)).expanduser()
    try:
        values = json.loads(path.read_text())
        fields = {f.name for f in dataclasses.fields(CostModel)}
        return CostModel(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items() if k in fields})
    except (OSError, ValueError, TypeError):
        return CostModel()


def plan(problem, tol, model=None):
    """``(route, cap)``: ``("direct", 0)``, or ``("cg", max iterations before the exact
    fallback)`` with ``cap = None`` when no exact fallback can run."""
    model = model or cost_model()
    n, p, k = problem.n_samples, problem.n_features, problem.n_targets
    if problem.penalty is not None and not problem.penalty_floor > 0:
        return "direct", 0  # an unpenalized direction: CG's gap bound has no curvature floor
    iters = model.iterations(tol, n, p, sparse=problem.sparse)
    if problem.sparse:
        direct, cg, one = model.sparse_direct(problem.X, k), model.sparse_cg(problem.X, iters), \
            model.sparse_pass(problem.X)
    else:
        itemsize = problem.X.dtype.itemsize
        # a penalty other than alpha I always takes the primal form (p x p), never the dual
        rows = n if problem.penalty is None else max(n, p)
        direct, cg = model.dense_direct(rows, p, k, itemsize), model.dense_cg(n, p, itemsize, iters)
        one = model.dense_pass(n, p, itemsize)
    if direct <= CG_MARGIN * cg:
        return "direct", 0
    if not math.isfinite(direct):
        return "cg", None
    return "cg", max(int(iters), int((direct - model.fixed_cg) / (one + model.cg_iter_fixed)) - 2)


def solve_auto(problem, coef0, options):
    """Exact or CG solve, whichever :func:`plan` prices cheaper (see the module docstring)."""
    route, cap = plan(problem, options.tol)
    if route == "direct":
        return solve_direct(problem, coef0, options)
    if cap is not None and options.max_iter is not None:
        cap = min(cap, options.max_iter)
    result = solve_cg(problem, coef0, dataclasses.replace(options, max_iter=cap if cap is not None
                                                           else options.max_iter))
    if result.converged or cap is None:
        return result
    exact = solve_direct(problem, coef0, options)
    offset = result.history["time"][-1] if result.history["time"] else 0.0
    for key in ("objective", "grad_norm", "gap_bound"):
        exact.history[key] = result.history[key] + exact.history[key]
    exact.history["time"] = result.history["time"] + [t + offset for t in exact.history["time"]]
    exact.n_iter = result.n_iter + 1
    return exact


__all__ = ["solve_auto", "plan", "cost_model", "CostModel"]
