"""Solvers: functions ``(problem, coef0, intercept0, options) -> Result``.

=============  ===============================================================
name           method
=============  ===============================================================
``direct``     Cholesky on the normal equations (primal or dual), exact
``cg``         Jacobi-preconditioned conjugate gradient, one pass per iteration
``gd``         gradient descent, step ``1/L``
``nesterov``   Nesterov's accelerated gradient with adaptive restart
``auto``       ``direct`` or ``cg`` by a measured cost model
=============  ===============================================================
"""

from .auto import solve_auto
from .base import Result, SolverOptions
from .cg import solve_cg
from .direct import solve_direct
from .gd import solve_gd, solve_nesterov

SOLVERS = {
    "auto": solve_auto,
    "direct": solve_direct,
    "cg": solve_cg,
    "gd": solve_gd,
    "nesterov": solve_nesterov,
}

#: Solvers that iterate (and therefore use ``init``, ``tol`` and ``max_iter``).
ITERATIVE = frozenset({"cg", "gd", "nesterov"})

__all__ = ["SOLVERS", "ITERATIVE", "Result", "SolverOptions"]
