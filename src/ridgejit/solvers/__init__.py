"""Solvers: batch functions ``(problem, coef0, options) -> Result`` and stochastic methods.

=============  ===============================================================
name           method
=============  ===============================================================
``direct``     Cholesky on the normal equations (primal or dual), exact
``cg``         Jacobi-preconditioned conjugate gradient, one pass per iteration
``gd``         gradient descent, step ``1/L``
``nesterov``   Nesterov's accelerated gradient with adaptive restart
``auto``       ``direct`` or ``cg`` by a measured cost model
``sag``        SAG epochs, every target in one pass (:mod:`.stochastic_batch`)
``saga``       SAGA epochs, every target in one pass
``positive``   exact, with ``w >= 0`` or ``lower <= w <= upper``: a QP on the p x p statistics (:mod:`.positive`)
=============  ===============================================================

scikit-learn's ``Ridge`` solver names are accepted too (:data:`SKLEARN_SOLVERS`,
:func:`resolve_solver`): each runs the ridgejit solver that computes the same
thing, and ``Ridge.solver_`` records which.

Stochastic methods (:class:`~ridgejit.solvers.epochs.StochasticMethod`, run by
:func:`~ridgejit.solvers.epochs.run_epochs`), by name in :data:`STOCHASTIC_METHODS`:
``sgd`` (:mod:`.sgd`; preconditioned: :mod:`.scaled_sgd`), ``minibatch`` (:mod:`.minibatch`), ``sag``, ``saga``,
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
from .positive import solve_positive
from .scaled_sgd import ScaledSGDMethod
from .sgd import SGDMethod
from .stochastic_batch import solve_saga, solve_sag
from .variance_reduced import SAGAMethod, SAGMethod, SVRGMethod

SOLVERS = {
    "auto": solve_auto,
    "direct": solve_direct,
    "cg": solve_cg,
    "gd": solve_gd,
    "nesterov": solve_nesterov,
    "sag": solve_sag,
    "saga": solve_saga,
    "positive": solve_positive,
}

#: scikit-learn ``Ridge`` solver name -> the ridgejit solver that computes the same thing
#: (``lbfgs``, which scikit-learn allows only with ``positive=True``, -> the exact QP).
SKLEARN_SOLVERS = {"cholesky": "direct", "svd": "direct", "lsqr": "cg", "sparse_cg": "cg",
                   "lbfgs": "positive"}

#: Solvers that honour ``positive=True`` (scikit-learn: ``auto`` and ``lbfgs``) by the exact QP.
POSITIVE_SOLVERS = frozenset({"auto", "direct", "cholesky", "lbfgs"})
#: Solvers that honour ``positive=True`` and ``bounds`` by projected steps (no Gram: wide X;
#: ``sag``/``saga`` on dense X).
PROJECTED_SOLVERS = frozenset({"gd", "nesterov", "sag", "saga"})

#: The names ``Ridge(solver=...)`` accepts (``positive`` is reached by ``positive=True``).
RIDGE_SOLVER_NAMES = frozenset(SOLVERS) - {"positive"} | frozenset(SKLEARN_SOLVERS)


def resolve_solver(name, positive=False):
    """The key of :data:`SOLVERS` that runs ``Ridge(solver=name, positive=positive)``.

    Raises ``ValueError`` for ``positive=True`` with a solver that does not bound the
    coefficients, and for ``lbfgs`` without ``positive`` (as scikit-learn does).
    """
    if positive:
        if name in PROJECTED_SOLVERS:
            return name
        if name not in POSITIVE_SOLVERS:
            raise ValueError(f"positive=True (or bounds) is solved exactly on the p x p statistics (solver in "
                             f"{sorted(POSITIVE_SOLVERS)}) or by projected steps (solver in "
                             f"{sorted(PROJECTED_SOLVERS)}), not solver={name!r}")
        return "positive"
    if name == "lbfgs":
        raise ValueError(f"solver={name!r} can be used only when positive=True; use another solver")
    return SKLEARN_SOLVERS.get(name, name)

#: ``tol`` (a bound on the relative objective gap) when ``Ridge(tol=None)``: an exact
#: solve's quality for the solvers that reach it in a few passes, less for plain
#: first-order methods whose proven bound is loose (see :mod:`.bounds`).
DEFAULT_TOL = {"auto": 1e-12, "direct": 1e-12, "cg": 1e-12, "gd": 1e-8, "nesterov": 1e-8, "sag": 1e-8,
               "saga": 1e-8, "positive": 1e-12}

#: Solvers that iterate (and therefore use ``init``, ``tol`` and ``max_iter``).
ITERATIVE = frozenset({"cg", "gd", "nesterov", "sag", "saga"})

#: SGDRidge's solvers: name -> StochasticMethod subclass (one constructor signature)
STOCHASTIC_METHODS = {cls.name: cls for cls in (SGDMethod, MinibatchMethod, SAGMethod, SAGAMethod, SVRGMethod)}


def stochastic_method(solver, options):
    """The :class:`StochasticMethod` subclass that runs ``solver`` with ``options``
    (``sgd`` with ``options.precondition``: :class:`~.scaled_sgd.ScaledSGDMethod`)."""
    if options.precondition:
        if solver != "sgd":
            raise ValueError(f"precondition=True is implemented for solver='sgd', not {solver!r}")
        return ScaledSGDMethod
    return STOCHASTIC_METHODS[solver]

__all__ = ["SOLVERS", "SKLEARN_SOLVERS", "POSITIVE_SOLVERS", "RIDGE_SOLVER_NAMES",
           "resolve_solver", "DEFAULT_TOL", "ITERATIVE", "STOCHASTIC_METHODS", "stochastic_method", "Result", "SolverOptions", "SGDOptions",
           "StochasticMethod", "run_epochs"]
