"""Solvers: batch functions ``(problem, coef0, options) -> Result`` and stochastic methods.

=============  ===============================================================
name           method
=============  ===============================================================
``direct``     Cholesky on the normal equations (primal or dual), exact
``cg``         Jacobi-preconditioned conjugate gradient, one pass per iteration
``gd``         gradient descent, step ``1/L``
``nesterov``   Nesterov's accelerated gradient with adaptive restart
``auto``       ``direct`` or ``cg`` by a measured cost model
=============  ===============================================================

Stochastic methods (:class:`~ridgejit.solvers.epochs.StochasticMethod`, run by
:func:`~ridgejit.solvers.epochs.run_epochs`), by name in :data:`STOCHASTIC_METHODS`:
``sgd`` (:mod:`.sgd`), ``minibatch`` (:mod:`.minibatch`), ``sag``, ``saga``,
``svrg`` (:mod:`.variance_reduced`).

Layer: imports :mod:`ridgejit.stats`, :mod:`ridgejit.problem` and
:mod:`ridgejit.kernels`; imported by the estimators.  Only solvers call kernels.
"""

from .auto import solve_auto
from .base import Result, SolverOptions
from .cg import solve_cg
from .direct import solve_direct
from .epochs import SGDOptions, StochasticMethod, run_epochs
from .gd import solve_gd, solve_nesterov
from .minibatch import MinibatchMethod
from .sgd import SGDMethod
from .variance_reduced import SAGAMethod, SAGMethod, SVRGMethod

SOLVERS = {
    "auto": solve_auto,
    "direct": solve_direct,
    "cg": solve_cg,
    "gd": solve_gd,
    "nesterov": solve_nesterov,
}

#: ``tol`` (a bound on the relative objective gap) when ``Ridge(tol=None)``: an exact
#: solve's quality for the solvers that reach it in a few passes, less for plain
#: first-order methods whose proven bound is loose (see :mod:`.bounds`).
DEFAULT_TOL = {"auto": 1e-12, "direct": 1e-12, "cg": 1e-12, "gd": 1e-8, "nesterov": 1e-8}

#: Solvers that iterate (and therefore use ``init``, ``tol`` and ``max_iter``).
ITERATIVE = frozenset({"cg", "gd", "nesterov"})

#: SGDRidge's solvers: name -> StochasticMethod subclass (one constructor signature)
STOCHASTIC_METHODS = {cls.name: cls for cls in (SGDMethod, MinibatchMethod, SAGMethod, SAGAMethod, SVRGMethod)}

__all__ = ["SOLVERS", "DEFAULT_TOL", "ITERATIVE", "STOCHASTIC_METHODS", "Result", "SolverOptions", "SGDOptions",
           "StochasticMethod", "run_epochs"]
