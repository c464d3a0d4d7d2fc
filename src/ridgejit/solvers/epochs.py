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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from .base import Result
from .bounds import full_gradient_bound
from .order import block_layout, epoch_order, row_bytes


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
    shuffle: bool | str = "blocks"
    batch_size: int | str = "auto"
    precondition: bool = False
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
    #: evaluate epoch e on a second thread while epoch e + 1 runs (see :func:`run_epochs`):
    #: only for serial epoch kernels whose next epoch does not need the gradient
    overlap_evaluation = False
    #: ``(lower, upper)`` (each ``(p,)``) that every step is projected onto, or None; the gap
    #: bound then takes the least-norm element of the gradient and the box's normal cone
    box = None

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
        """The exact gradients ``(k, p)``, ``(k,)`` of the centred models after an epoch (SVRG
        keeps them)."""

    def decay(self):
        """``adaptive`` schedules: lower the rate on a stall; False means stop instead."""
        return False


def target_rates(lam, k):
    """The L2 rates per sample of ``k`` targets as a new float64 ``(k,)`` array (``lam``:
    ``run_epochs``' scalar for one target, or one value per target)."""
    return np.array(np.broadcast_to(np.asarray(lam, dtype=np.float64), (k,)))


def safe_rate(problem, x_mean, lam, q=None):
    """The ``auto`` rate ``1 / (max_i s_i (||x_i - xbar||_Q^2 + 1) + lam)`` (one pass).

    ``||z||_Q^2 = sum_j q_j z_j^2`` in the metric of a diagonal preconditioner
    ``q`` (default: all ones, the plain norm).
    """
    q = np.ones(problem.n_features) if q is None else q
    R = problem.kernel("max_row_norm")(problem.sw, x_mean, q)
    return 1.0 / (R + float(np.max(problem.sw)) * problem.fit_intercept + lam)


def run_epochs(problem, method, options, rng, max_epochs, train_idx=None, validation=None):
    """Run up to ``max_epochs`` epochs of ``method`` (a :class:`StochasticMethod`, updated in place).

    ``train_idx`` restricts the updates to those rows (the rest being a
    validation split); ``validation`` is ``None`` or a callable
    ``(coef, intercept) -> score`` (higher is better) used for stopping.
    Each epoch visits the rows in the order of ``options.shuffle``
    (:mod:`ridgejit.solvers.order`).  After each epoch the exact objective and
    gradient (one fused pass, or from the p x p statistics where those are repaid:
    :func:`evaluation_stats`) are recorded and checked for divergence, with a
    bound on the relative objective gap (``history["gap_bound"]``): the
    intercept's part exactly, ``n g_b^2 / (2 W)``, plus the gradient bound
    ``n ||g_c||^2 / (2 alpha)`` of the centred gradient ``g_c = g_w - xbar g_b``
    (:func:`ridgejit.solvers.bounds.gradient_bound`).  Methods with
    ``stop_on_gradient`` (SAG/SAGA/SVRG, which converge to the exact optimum)
    stop, without early stopping, when that bound is at most ``tol``, as
    ``Ridge``'s iterative solvers do.  Otherwise the run stops when the
    criterion (validation score, else the objective) fails to improve by
    ``tol`` (relative for the objective, absolute for a score) for
    ``n_iter_no_change`` epochs in a row.

    Methods with ``overlap_evaluation`` (a serial epoch kernel that does not
    need the gradient) evaluate epoch ``e`` on a second thread while epoch
    ``e + 1`` runs, so the exact objective costs no wall time where a core is
    free; the verdict on epoch ``e`` then arrives after epoch ``e + 1``: a stop
    (or a divergence) found at ``e`` ends the run after ``e + 1`` epochs, and
    the returned model (and the last history entry) is epoch ``e + 1``'s.  The
    same thread draws the next epoch's order (from ``rng``, in epoch order, so
    the orders do not depend on the overlap).
    """
    n = problem.n_samples
    method.prepare(problem, problem.alpha / n if problem.n_targets > 1 else float(problem.alpha[0]) / n)
    rows = np.arange(n, dtype=np.int64) if train_idx is None else np.sort(np.asarray(train_idx, np.int64))
    blocks = block_layout(row_bytes(problem.X), len(rows))
    monitor = _Monitor(problem, method, options, validation, evaluation_stats(problem, max_epochs))
    overlap = method.overlap_evaluation and max_epochs > 1
    pool = ThreadPoolExecutor(1, initializer=_one_thread_fewer, initargs=(problem.backend.name,
                                                                          _numba_threads(problem))) \
        if overlap else None

    def draw():
        if method.with_replacement:
            return rows[rng.randint(0, len(rows), len(rows))]
        return epoch_order(rows, rng, options.shuffle, *blocks)

    pending, stop, epoch, next_order = None, False, 0, None
    try:
        for epoch in range(1, max_epochs + 1):
            order = draw() if next_order is None else next_order.result()
            # The worker draws in submission order, so the orders are the same as drawn here.
            next_order = pool.submit(draw) if overlap and epoch < max_epochs else None
            method.run_epoch(problem, order)
            coef, intercept = method.coef()
            if pending is not None:
                stop = monitor.judge(pending[0], pending[1].result())
                pending = None
            if overlap and not stop and epoch < max_epochs:
                pending = (epoch, pool.submit(monitor.evaluate, coef, intercept))
                continue
            stop = monitor.judge(epoch, monitor.evaluate(coef, intercept)) or stop
            if stop:
                break
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
    coef, intercept = method.coef()
    return Result(np.atleast_2d(coef), np.atleast_1d(np.asarray(intercept, dtype=np.float64)), epoch, stop,
                  method.name, monitor.history, monitor.gap)


#: Evaluate epochs from the p x p statistics (:func:`evaluation_stats`) up to this many
#: features per target ...
STATS_FEATURES_PER_TARGET = 12
#: ... and up to this many features (the p x p Gram's memory).
STATS_MAX_FEATURES = 2048


def evaluation_stats(problem, max_epochs):
    """The :class:`ridgejit.stats.SufficientStats` of the problem's rows when the monitor
    should evaluate every epoch from them, else ``None`` (a pass over X per epoch).

    The evaluation pass costs ``2 n p k`` flops per epoch; the statistics ``n p^2 / 2``
    once (OpenBLAS ``syrk``), after which an epoch's evaluation is ``O(k p^2)``.  Measured
    on 1e6 x 100, 10 targets, 2 cores: statistics 0.36 s, an evaluation pass 0.13-0.14 s
    (which also holds a core while a parallel several-target epoch runs).  So the
    statistics are taken for dense X with ``p <= 12 k`` (repaid within about three
    epochs) and ``p <= 2048``, when at least three epochs may run.
    """
    p, k = problem.n_features, problem.n_targets
    if problem.sparse or max_epochs < 3 or p > STATS_FEATURES_PER_TARGET * k or p > STATS_MAX_FEATURES:
        return None
    from ..stats import SufficientStats

    return SufficientStats.of_rows(problem.backend, problem.X, problem.y, problem.sw, problem.fit_intercept)


def _numba_threads(problem):
    """The fit's Numba thread count (thread-local: set by ``n_jobs`` in this thread), or None."""
    if problem.backend.name != "numba":
        return None
    import numba

    return numba.get_num_threads()


def _one_thread_fewer(backend_name, threads):
    """Thread initializer of the overlapped evaluation: one Numba thread fewer than the fit's
    ``threads`` (Numba's count is thread-local), leaving a core to the epoch kernel."""
    if backend_name == "numba":
        import numba

        numba.set_num_threads(max(1, threads - 1))


class _Monitor:
    """The after-epoch checks of :func:`run_epochs`: evaluation, divergence, history, stopping."""

    def __init__(self, problem, method, options, validation, stats=None):
        self.problem, self.method, self.options, self.validation = problem, method, options, validation
        self.stats = stats  # evaluate from these (no pass over X), or None
        self.history = {"objective": [], "grad_norm": [], "gap_bound": [], "time": []}
        if validation is not None:
            self.history["validation_score"] = []
        self.start = time.perf_counter()
        # one rule per target; a target whose rule fires is frozen (method.freeze) while the rest go on
        self.rules = [StallRule(options.tol, options.n_iter_no_change, validation is not None)
                      for _ in range(problem.n_targets)]
        self.stopped = set()
        # Methods that converge to the exact optimum stop like cg/gd, on the gap bound.
        self.gradient_rule = method.stop_on_gradient and validation is None
        self.gap = np.array([np.inf])

    def evaluate(self, coef, intercept):
        """``(coef, intercept, J (k,), grad (k, p), grad_b (k,), score)``: one fused pass (thread-safe)."""
        pb = self.problem
        C, b = np.atleast_2d(coef), np.atleast_1d(np.asarray(intercept, dtype=np.float64))
        grad, grad_b = np.empty(C.shape), np.empty(C.shape[0])
        J = np.asarray(pb.gradient_at(C, b, grad, grad_b, self.stats), dtype=np.float64)  # the penalty included
        score = None
        if self.validation is not None and np.isfinite(J).all() and np.isfinite(coef).all():
            score = float(self.validation(coef, intercept))
        return coef, intercept, J, grad, grad_b, score

    def judge(self, epoch, evaluation):
        """Record epoch ``epoch``'s evaluation; True when the run should stop (raises on divergence)."""
        coef, intercept, J, grad, grad_b, score = evaluation
        method, options, pb = self.method, self.options, self.problem
        if not (np.isfinite(J).all() and np.isfinite(coef).all()):
            raise ValueError(
                f"{method.name} diverged in epoch {epoch} with {method.rate_text()}: the "
                f"objective became non-finite. The safe constant rate for this data is "
                f"{method.safe_eta:.3g} (learning_rate='auto' uses it)."
            )
        method.observe(grad - np.outer(grad_b, method.x_mean), grad_b)
        history = self.history
        # several targets: the sum of their objectives, the largest gap bound
        history["objective"].append(float(J.sum()))
        history["grad_norm"].append(float(np.hypot(np.linalg.norm(grad), np.linalg.norm(grad_b))))
        self.gap = full_gradient_bound(J, grad, grad_b, method.x_mean, pb.weight_sum, pb.n_samples,
                                       pb.strong_convexity, pb.fit_intercept, np.atleast_2d(coef), method.box)
        history["gap_bound"].append(float(self.gap.max()))
        history["time"].append(time.perf_counter() - self.start)
        if self.gradient_rule:
            if options.verbose:
                print(f"[{method.name}] epoch {epoch}  objective {J.sum():.10e}  gap <= {self.gap.max():.3e}")
            return options.tol is not None and self.gap.max() <= options.tol
        if score is not None:
            history["validation_score"].append(score)
        if options.verbose:
            print(f"[{method.name}] epoch {epoch}  objective {J.sum():.10e}  t {method.t:.0f}")
        if len(J) == 1:
            return self._stalled(0, J[0] if score is None else score, method)
        for c in range(len(J)):
            if c not in self.stopped and self._stalled(c, J[c], method):
                self.stopped.add(c)
                method.freeze(c)
        return len(self.stopped) == len(J)

    def _stalled(self, c, value, method):
        """Target ``c``'s stopping rule on ``value``: True when it should stop (``adaptive``
        lowers the rate instead while it may)."""
        stalled = self.rules[c].update(value)
        if self.options.tol is not None and stalled:
            if method.decay():
                self.rules[c].stall = 0
                return False
            return True
        return False


class StallRule:
    """``n_iter_no_change`` epochs in a row without an improvement by ``tol``: scikit-learn's rule.

    A validation score (higher is better) improves when it exceeds the best so
    far by more than ``tol`` (absolute), as ``SGDRegressor(early_stopping=True)``
    judges its ``validation_scores_``; an objective (lower is better) when it
    falls below the best by more than ``tol`` relative.  ``tol=None`` counts
    strict improvements only.
    """

    def __init__(self, tol, n_iter_no_change, higher_is_better):
        self.tol = tol or 0.0
        self.n_iter_no_change = n_iter_no_change
        self.higher = higher_is_better
        self.best, self.stall = None, 0

    def update(self, value):
        """Count ``value``; True when the last ``n_iter_no_change`` values did not improve."""
        if self.best is None:
            improved = True
        elif self.higher:
            improved = value > self.best + self.tol
        else:
            improved = value < self.best * (1.0 - self.tol)
        if self.best is None:
            self.best = value
        else:
            self.best = max(self.best, value) if self.higher else min(self.best, value)
        self.stall = 0 if improved else self.stall + 1
        return self.stall >= self.n_iter_no_change
