"""What every solver takes and returns.

A solver is a function ``solve(problem, coef0, intercept0, options) -> Result``
(the backend travels inside ``problem``).  ``coef0`` has shape
``(k, p)``; exact solvers ignore it, iterative ones start from it.  Solvers
built on implicit centring ignore ``intercept0``: they pair every ``w`` with
its optimal intercept ``b*(w)`` (see :mod:`ridgejit.problem`).
"""

import time
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class SolverOptions:
    """Options shared by the solvers.

    Attributes
    ----------
    tol : float
        Iterative solvers stop when ``||grad J(w)|| <= tol * ||grad J(0)||``
        for every target (for CG this is the relative residual of the normal
        equations, ``||b - A w|| / ||b||``).
    max_iter : int or None
        Iteration cap; ``None`` lets the solver pick (documented per solver).
    learning_rate : float or None
        Step ``eta`` of ``gd``/``nesterov`` (``w <- w - eta * grad J(w)``), in
        units of 1/curvature of ``J``; ``None`` means ``1 / L`` with ``L`` the
        Lipschitz constant of ``grad J`` from power iteration.
    verbose : int
    """

    tol: float = 1e-6
    max_iter: int | None = None
    learning_rate: float | None = None
    verbose: int = 0


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
        norm of ``grad_w J`` over all targets) and ``time`` (seconds since the
        solver started), one entry per iteration.
    """

    coef: np.ndarray
    intercept: np.ndarray
    n_iter: int
    converged: bool
    solver: str
    history: dict = field(default_factory=lambda: {"objective": [], "grad_norm": [], "time": []})


class History:
    """Appends ``(objective, grad_norm, elapsed)`` rows; prints them when verbose."""

    def __init__(self, name, verbose=0):
        self.name = name
        self.verbose = verbose
        self.start = time.perf_counter()
        self.data = {"objective": [], "grad_norm": [], "time": []}

    def add(self, objective, grad_norm):
        elapsed = time.perf_counter() - self.start
        self.data["objective"].append(float(np.sum(objective)))
        self.data["grad_norm"].append(float(grad_norm))
        self.data["time"].append(elapsed)
        if self.verbose:
            it = len(self.data["time"]) - 1
            print(
                f"[{self.name}] iter {it:5d}  objective {np.sum(objective):.12e}  "
                f"|grad| {grad_norm:.3e}  {elapsed:.3f}s"
            )
