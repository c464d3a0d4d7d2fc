"""What every batch solver takes and returns, written down as types.

A batch solver is a function ``solve(problem, coef0, options) -> Result`` (the
kernel backend travels inside ``problem``).  ``coef0`` has shape ``(k, p)``;
exact solvers ignore it, iterative ones start from it.  There is no starting
intercept: every batch solver works on the implicitly centred problem and pairs
each ``w`` with its optimal intercept ``b*(w) = ybar - xbar.w`` (see
:mod:`ridgejit.problem`), so a starting intercept could only be discarded.

What a solver may ask of ``problem`` is one of three protocols, by solver:

=====================  ============================  ===============================
protocol               solvers                       implemented by
=====================  ============================  ===============================
:class:`NormalEquations`  ``cg``                     :class:`ridgejit.problem.Problem`,
                                                     ``ridgejit.dask.solvers.BlockProblem``
:class:`GradientProblem`  ``gd``, ``nesterov``       :class:`ridgejit.problem.Problem`
:class:`ridgejit.problem.Problem`  ``direct``, ``auto``  (needs the rows themselves)
=====================  ============================  ===============================

The stochastic methods have their own interface,
:class:`ridgejit.solvers.epochs.StochasticMethod`.
"""

import time
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class NormalEquations(Protocol):
    """The centred normal equations ``A_t w_t = b_t`` of every target ``t``.

    ``A_t = Xc^T S Xc + alpha_t I`` and ``b_t = Xc^T S yc``, with ``Xc``/``yc``
    the weighted-centred data (not centred without an intercept).  Everything
    here is ``O(p k)`` except :meth:`normal_product`, one pass over the rows.

    Attributes
    ----------
    n_samples, n_features, n_targets : int
    alpha : ndarray (k,)
        L2 strength per target, in scikit-learn ``Ridge`` units.
    fit_intercept : bool
    x_mean : ndarray (p,)
        Weighted column means (zeros without an intercept).
    x_var_sum : ndarray (p,)
        ``diag(Xc^T S Xc)``, the Jacobi preconditioner's diagonal.
    y_mean : ndarray (k,)
    rhs : ndarray (k, p)
        ``b_t = Xc^T S yc``.
    rhs_norms : ndarray (k,)
        ``||b_t||``, overflow-checked.
    centred_target_ss : ndarray (k,)
        ``yc^T S yc = 2 n J_t(0, ybar)``: with it, ``J_t(w) = (yc'S yc - 2 b.w + w'A w) / (2n)``
        needs no pass over the rows.
    penalty : ndarray (p,) or (p, p), or None
        Per-feature penalty factors ``d`` or a penalty matrix ``P`` (``None``: ``D = I``).
    penalty_diag : ndarray (k, p)
        ``alpha_t D_jj`` (:func:`ridgejit.problem.penalty_diagonal`): the diagonal of ``alpha_t D``.
    penalty_floor : float
        ``lambda_min(D)`` (:func:`ridgejit.problem.penalty_range`).
    """

    n_samples: int
    n_features: int
    n_targets: int
    alpha: np.ndarray
    fit_intercept: bool
    x_mean: np.ndarray
    x_var_sum: np.ndarray
    y_mean: np.ndarray
    rhs: np.ndarray
    rhs_norms: np.ndarray
    centred_target_ss: np.ndarray
    penalty: np.ndarray | None
    penalty_diag: np.ndarray
    penalty_floor: float

    def intercept_for(self, coef):
        """The optimal intercept ``b*(w)`` of every target, shape (k,)."""

    def normal_product(self, P, out, alpha=None):
        """``out[t] = (Xc^T S Xc + alpha_t D) P[t]`` for ``P`` of shape (k, p): one pass
        (``alpha`` given: ``+ alpha_t P[t]`` instead)."""


@runtime_checkable
class GradientProblem(NormalEquations, Protocol):
    """:class:`NormalEquations` plus the objective's value and gradient at any ``w``."""

    def value_and_gradient(self, coef, grad_out):
        """``J_t(w, b*(w))`` per target, writing ``grad_w J`` (k, p) into ``grad_out``: one pass."""

    def lipschitz(self):
        """The Lipschitz constants ``L_t`` of ``grad J_t``, shape (k,), by power iteration."""


@dataclass(frozen=True)
class SolverOptions:
    """Options shared by the solvers.

    Attributes
    ----------
    tol : float
        Iterative solvers stop when a bound on the relative objective gap
        ``(J(w) - J*) / J(w)`` is at most ``tol`` for every target (see
        :mod:`ridgejit.solvers.bounds`); ``auto`` returns a gap of at most
        ``tol`` by whichever route is cheaper.
    max_iter : int or None
        Iteration cap; ``None`` lets the solver pick (documented per solver).
    learning_rate : float or None
        Step ``eta`` of ``gd``/``nesterov`` (``w <- w - eta * grad J(w)``), in
        units of 1/curvature of ``J``; ``None`` means ``1 / L`` with ``L`` the
        Lipschitz constant of ``grad J`` from power iteration.
    verbose : int
    random_state : int, RandomState or None
        Seeds the visiting order of ``sag``/``saga``.
    bounds : tuple of two ndarrays of shape (p,) or None
        ``(lower, upper)`` of the ``positive`` solver's box (``None``: ``w >= 0``).
    """

    tol: float = 1e-12
    max_iter: int | None = None
    learning_rate: float | None = None
    verbose: int = 0
    random_state: object = None
    bounds: tuple | None = None


@dataclass
class Result:
    """Output of a solver.

    Attributes
    ----------
    coef : ndarray (k, p), float64
    intercept : ndarray (k,), float64
    n_iter : int
        Iterations (passes of the solver's main loop; 1 for exact solvers).
    converged : bool
    solver : str
        The solver that produced ``coef`` (``auto`` records its choice here).
    history : dict of lists
        ``objective`` (sum over targets of ``J_t``), ``grad_norm`` (Euclidean
        norm of ``grad_w J`` over all targets), ``gap_bound`` (the largest
        bound on a target's relative gap ``(J - J*) / J``, see
        :mod:`ridgejit.solvers.bounds`) and ``time`` (seconds since the solver
        started), one entry per iteration.
    gap_bound : ndarray (k,)
        Bound on each target's relative objective gap at ``coef``.
    """

    coef: np.ndarray
    intercept: np.ndarray
    n_iter: int
    converged: bool
    solver: str
    history: dict = field(default_factory=lambda: {"objective": [], "grad_norm": [], "gap_bound": [], "time": []})
    gap_bound: np.ndarray = None


class History:
    """Appends ``(objective, grad_norm, gap_bound, elapsed)`` rows; prints them when verbose."""

    def __init__(self, name, verbose=0):
        self.name = name
        self.verbose = verbose
        self.start = time.perf_counter()
        self.data = {"objective": [], "grad_norm": [], "gap_bound": [], "time": []}

    def add(self, objective, grad_norm, gap_bound=np.inf):
        elapsed = time.perf_counter() - self.start
        self.data["objective"].append(float(np.sum(objective)))
        self.data["grad_norm"].append(float(grad_norm))
        self.data["gap_bound"].append(float(np.max(gap_bound)))
        self.data["time"].append(elapsed)
        if self.verbose:
            it = len(self.data["time"]) - 1
            print(
                f"[{self.name}] iter {it:5d}  objective {np.sum(objective):.12e}  "
                f"|grad| {grad_norm:.3e}  gap <= {np.max(gap_bound):.2e}  {elapsed:.3f}s"
            )
