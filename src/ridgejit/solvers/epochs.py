"""The interface of the stochastic methods, and the epoch driver they share.

Per sample the objective is ``f_i(w, b) = s_i r_i^2 / 2 + lam ||w||^2 / 2`` with
``lam = alpha / n`` (``n`` the rows of the ``fit``/``partial_fit`` call), so
``J = mean_i f_i`` is :class:`ridgejit.Ridge`'s objective.  A method is a
:class:`StochasticMethod`: the iterate and everything carried between epochs
and ``partial_fit`` calls, built by one constructor signature and looked up by
name in :data:`ridgejit.solvers.STOCHASTIC_METHODS`.  :func:`run_epochs` runs
its epochs, records the exact objective after each and stops.
"""

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from .base import Result
from .bounds import full_gradient_bound


@dataclass(frozen=True)
class SGDOptions:
    """Options of :func:`run_epochs` (the meaning of ``SGDRidge``'s parameters)."""

    learning_rate: str = "auto"
    eta0: float | None = None
    power_t: float = 0.25
    average: bool | int = False
    max_iter: int = 1000
    tol: float | None = 1e-4
    n_iter_no_change: int = 5
    shuffle: bool = True
    batch_size: int = 256
    verbose: int = 0


class StochasticMethod(ABC):
    """A stochastic method's state: the iterate, its rate and what its kernel carries.

    Subclasses set the class attributes and implement the abstract methods;
    :func:`run_epochs` uses nothing else.

    Parameters
    ----------
    coef0 : ndarray (p,)
        Starting coefficients, in X's own frame.
    intercept0 : float
        Starting intercept, in X's own frame.
    x_mean : ndarray (p,)
        The centring point (fixed for the life of the state: any fixed point
        gives the same model class; the column means keep the intercept
        direction well conditioned).
    options : SGDOptions
    n_samples : int
        Rows of the data the state is built for (memory of SAG/SAGA).
    """

    #: the solver name, as ``SGDRidge(solver=...)`` spells it
    name = ""
    #: stop like ``Ridge``'s iterative solvers, on a relative objective gap bound ``<= tol``
    #: (methods that converge to the exact optimum), instead of on stalls
    stop_on_gradient = False
    #: draw each epoch's rows with replacement (SAG) instead of a permutation
    with_replacement = False

    @abstractmethod
    def __init__(self, coef0, intercept0, x_mean, options, n_samples):
        ...

    @property
    @abstractmethod
    def t(self):
        """Updates done so far."""

    @abstractmethod
    def prepare(self, problem, lam):
        """Set the rates for this call's data (``lam = alpha / n``)."""

    @abstractmethod
    def run_epoch(self, problem, order):
        """One pass over the rows ``order`` (int64 indices): the compiled epoch kernel."""

    @abstractmethod
    def coef(self):
        """``(coef (p,), intercept)`` of the current (or averaged) iterate, in X's frame."""

    @abstractmethod
    def rate_text(self):
        """The current rate, for error messages."""

    def observe(self, grad_w, grad_b):
        """The exact gradient of the centred model after an epoch (SVRG keeps it)."""

    def decay(self):
        """``adaptive`` schedules: lower the rate on a stall; False means stop instead."""
        return False


def safe_rate(problem, x_mean, lam):
    """The ``auto`` rate ``1 / (max_i s_i (||x_i - xbar||^2 + 1) + lam)`` (one pass)."""
    R = problem.kernel("max_row_norm")(problem.sw, x_mean)
    return 1.0 / (R + float(np.max(problem.sw)) * problem.fit_intercept + lam)


def run_epochs(problem, method, options, rng, max_epochs, train_idx=None, validation=None):
    """Run up to ``max_epochs`` epochs of ``method`` (a :class:`StochasticMethod`, updated in place).

    ``train_idx`` restricts the updates to those rows (the rest being a
    validation split); ``validation`` is ``None`` or a callable
    ``(coef, intercept) -> score`` (higher is better) used for stopping.
    After each epoch the exact objective and gradient (one fused pass) are
    recorded and checked for divergence, with a bound on the relative
    objective gap (``history["gap_bound"]``): the intercept's part exactly,
    ``n g_b^2 / (2 W)``, plus the gradient bound ``n ||g_c||^2 / (2 alpha)`` of
    the centred gradient ``g_c = g_w - xbar g_b``
    (:func:`ridgejit.solvers.bounds.gradient_bound`).  Methods with
    ``stop_on_gradient`` (SAG/SAGA/SVRG, which converge to the exact optimum)
    stop, without early stopping, when that bound is at most ``tol``, as
    ``Ridge``'s iterative solvers do.  Otherwise the run stops when the criterion (validation score, else the
    objective) fails to improve by ``tol`` (relative for the objective,
    absolute for a score) for ``n_iter_no_change`` epochs in a row.
    """
    n = problem.n_samples
    method.prepare(problem, float(problem.alpha[0]) / n)
    rows = np.arange(n, dtype=np.int64) if train_idx is None else np.asarray(train_idx, dtype=np.int64)
    history = {"objective": [], "grad_norm": [], "gap_bound": [], "time": []}
    if validation is not None:
        history["validation_score"] = []
    start = time.perf_counter()
    grad, grad_b = np.empty((1, problem.n_features)), np.empty(1)
    best, stall, converged, epoch = None, 0, False, 0
    # Methods that converge to the exact optimum stop like cg/gd, on the gap bound.
    gradient_rule = method.stop_on_gradient and validation is None
    gap = np.array([np.inf])
    for epoch in range(1, max_epochs + 1):
        if method.with_replacement:
            order = rows[rng.randint(0, len(rows), len(rows))]
        else:
            order = rng.permutation(rows) if options.shuffle else rows
        method.run_epoch(problem, order)
        coef, intercept = method.coef()
        J = problem.kernel("gradient")(problem.y, problem.sw, coef[None, :],
                                     np.array([intercept]), problem.alpha, grad, grad_b)[0]
        if not (np.isfinite(J) and np.isfinite(coef).all()):
            raise ValueError(
                f"{method.name} diverged in epoch {epoch} with {method.rate_text()}: the "
                f"objective became non-finite. The safe constant rate for this data is "
                f"{method.safe_eta:.3g} (learning_rate='auto' uses it)."
            )
        centred = grad[0] - method.x_mean * grad_b[0]
        method.observe(centred, grad_b[0])
        history["objective"].append(float(J))
        grad_norm = float(np.hypot(np.linalg.norm(grad), grad_b[0]))
        history["grad_norm"].append(grad_norm)
        gap = full_gradient_bound(np.array([J]), grad, grad_b, method.x_mean, problem.weight_sum, n,
                                  problem.alpha, problem.fit_intercept)
        history["gap_bound"].append(float(gap[0]))
        history["time"].append(time.perf_counter() - start)
        if gradient_rule:
            if options.verbose:
                print(f"[{method.name}] epoch {epoch}  objective {J:.10e}  gap <= {gap[0]:.3e}")
            if options.tol is not None and gap[0] <= options.tol:
                converged = True
                break
            continue
        if validation is not None:
            score = float(validation(coef, intercept))
            history["validation_score"].append(score)
            improved = best is None or score > best + (options.tol or 0.0)
            best = score if best is None else max(best, score)
        else:
            improved = best is None or J < best * (1.0 - (options.tol or 0.0))
            best = J if best is None else min(best, J)
        if options.verbose:
            print(f"[{method.name}] epoch {epoch}  objective {J:.10e}  t {method.t:.0f}")
        stall = 0 if improved else stall + 1
        if options.tol is not None and stall >= options.n_iter_no_change:
            if method.decay():
                stall = 0
                continue
            converged = True
            break
    coef, intercept = method.coef()
    return Result(coef[None, :], np.array([intercept]), epoch, converged, method.name, history, gap)
