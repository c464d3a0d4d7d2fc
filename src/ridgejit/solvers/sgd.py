"""Stochastic gradient descent on the ridge objective, epoch by epoch.

Per sample the objective is ``f_i(w, b) = s_i r_i^2 / 2 + lam ||w||^2 / 2`` with
``lam = alpha / n`` (``n`` the rows of the ``fit``/``partial_fit`` call), so
``J = mean_i f_i`` is :class:`ridgejit.Ridge`'s objective and SGD converges to
its solution.  scikit-learn's ``SGDRegressor(alpha=a)`` uses ``lam = a``, i.e.
``alpha = a * n`` here.  Rows are implicitly centred by the weighted column
means (``r_i = (x_i - xbar).w + b - y_i``), which keeps the intercept
direction well conditioned on data with large offsets.

Learning rates (``eta_t`` at update ``t``):

==============  ==============================================================
``auto``        ``1 / (max_i s_i (||x_i - xbar||^2 + 1) + lam)``: the largest
                per-sample curvature, so every step contracts; never diverges
``constant``    ``eta0``
``invscaling``  ``eta0 / (t + 1)^power_t``
``optimal``     ``1 / (lam (t0 + t))``, ``t0`` by Bottou's heuristic (as
                scikit-learn; may diverge on unscaled data)
``adaptive``    ``eta0`` (default: the ``auto`` rate), divided by 5 whenever
                the stopping criterion stalls; stops below ``1e-6 eta0``
==============  ==============================================================

After every epoch the exact objective ``J(w, b)`` (one fused pass, recorded
in the history) is checked: a non-finite value raises ``ValueError`` naming the
epoch, the rate and the safe ``auto`` rate.
"""

import time
from dataclasses import dataclass

import numpy as np

from ..kernels import sgd_layout as L
from .base import Result

SCHEDULES = ("auto", "constant", "invscaling", "optimal", "adaptive")


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
    verbose: int = 0


class AdaptiveRate:
    """Shared by the methods with a base rate ``eta`` and an ``eta_floor`` (sgd, minibatch)."""

    def observe(self, grad_w, grad_b):
        """Gradient of the centred model at the current point (unused by these methods)."""

    def decay(self):
        """``adaptive``: divide the rate by 5; False when it may not (stop instead)."""
        if self.options.learning_rate == "adaptive" and self.eta / 5.0 > self.eta_floor:
            self.eta /= 5.0
            return True
        return False


class SGDState(AdaptiveRate):
    """Plain/averaged SGD: everything carried between epochs and ``partial_fit`` calls.

    ``v``, ``a`` and ``state`` are the kernel's lazy representation (see
    :mod:`ridgejit.kernels.sgd_layout`); ``x_mean`` the centring point
    (fixed at the first call: any fixed point gives the same model class);
    ``eta`` the current base rate of ``auto``/``constant``/``adaptive``.
    """

    name = "sgd"

    def __init__(self, coef0, intercept0, x_mean, options):
        self.options = options
        self.x_mean = np.asarray(x_mean, dtype=np.float64)
        w0 = np.asarray(coef0, dtype=np.float64).reshape(-1)
        self.v = w0.copy()
        self.a = w0.copy()
        # the centred model's intercept: x.w + b0 = (x - xbar).w + (b0 + xbar.w)
        self.state = L.new_state(float(intercept0) + float(self.x_mean @ w0))
        self.eta = None
        self.safe_eta = None
        self.eta_floor = 0.0
        self.hyper = None

    @property
    def t(self):
        """Updates done so far."""
        return self.state[L.T]

    def prepare(self, problem, lam):
        """Set the rates for this call's data (the ``auto`` rate only ever shrinks)."""
        o = self.options
        self.safe_eta = min(self.safe_eta or np.inf, safe_rate(problem, self.x_mean, lam))
        if self.eta is None or o.learning_rate == "auto":
            self.eta = self.safe_eta if o.eta0 is None or o.learning_rate == "auto" else float(o.eta0)
            self.eta_floor = 1e-6 * self.eta
        if o.learning_rate == "optimal" and lam == 0.0:
            raise ValueError("learning_rate='optimal' needs alpha > 0")
        self.lam = lam

    def run_epoch(self, problem, order):
        self.hyper = _hyper(self.options, self.lam, self.eta, problem.fit_intercept)
        problem.kernel("sgd_epoch")(problem.y[:, 0], problem.sw, self.x_mean, order,
                                  self.v, self.a, self.state, _CODES[self.options.learning_rate],
                                  self.hyper)

    def rate_text(self):
        rate = _rate_at(self.options.learning_rate, self.hyper, self.t)
        return f"learning_rate={self.options.learning_rate!r} (eta={rate:.3g})"

    def coef(self):
        """``(coef, intercept)`` of the plain or averaged iterate, in X's own frame."""
        averaged = self.options.average is not False and self.state[L.T] > 0
        w, b = L.to_coef(self.v, self.a, self.state, averaged)
        return w, b - float(self.x_mean @ w)


def safe_rate(problem, x_mean, lam):
    """The ``auto`` rate ``1 / (max_i s_i (||x_i - xbar||^2 + 1) + lam)`` (one pass)."""
    R = problem.kernel("max_row_norm")(problem.sw, x_mean)
    return 1.0 / (R + float(np.max(problem.sw)) * problem.fit_intercept + lam)


def _hyper(options, lam, eta, fit_intercept):
    h = np.zeros(L.HYPER_SIZE)
    h[L.ETA0] = eta
    h[L.POWER_T] = options.power_t
    h[L.LAM] = lam
    typw = np.sqrt(1.0 / np.sqrt(lam)) if lam > 0 else 1.0
    h[L.T0] = 1.0 / (typw * lam) if lam > 0 else 1.0
    avg = options.average
    h[L.AVG_START] = np.inf if avg is False else (0.0 if avg is True else float(avg))
    h[L.FIT_B] = 1.0 if fit_intercept else 0.0
    return h


_CODES = {"auto": L.CONSTANT, "constant": L.CONSTANT, "adaptive": L.CONSTANT,
          "invscaling": L.INVSCALING, "optimal": L.OPTIMAL}


def run_epochs(problem, method, options, rng, max_epochs, train_idx=None, validation=None):
    """Run up to ``max_epochs`` epochs of ``method`` (an SGD/SAGA/SVRG state, updated in place).

    ``train_idx`` restricts the updates to those rows (the rest being a
    validation split); ``validation`` is ``None`` or a callable
    ``(coef, intercept) -> score`` (higher is better) used for stopping.
    After each epoch the exact objective and gradient (one fused pass) are
    recorded and checked for divergence.  Methods with ``stop_on_gradient``
    (SAG/SAGA/SVRG, which converge to the exact optimum) stop, without early
    stopping, when ``||grad J|| <= tol * ||grad J(0)||`` as ``cg``/``gd`` do.
    Otherwise the run stops when the criterion (validation score, else the
    objective) fails to improve by ``tol`` (relative for the objective,
    absolute for a score) for ``n_iter_no_change`` epochs in a row.
    """
    n = problem.n_samples
    method.prepare(problem, float(problem.alpha[0]) / n)
    rows = np.arange(n, dtype=np.int64) if train_idx is None else np.asarray(train_idx, dtype=np.int64)
    history = {"objective": [], "grad_norm": [], "time": []}
    if validation is not None:
        history["validation_score"] = []
    start = time.perf_counter()
    grad, grad_b = np.empty((1, problem.n_features)), np.empty(1)
    best, stall, converged, epoch = None, 0, False, 0
    # Methods that converge to the exact optimum stop like cg/gd, on the gradient.
    gradient_rule = getattr(method, "stop_on_gradient", False) and validation is None
    g_ref = float(np.linalg.norm(problem.rhs_norms)) / n if gradient_rule else None
    for epoch in range(1, max_epochs + 1):
        if getattr(method, "with_replacement", False):
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
        method.observe(grad[0] - method.x_mean * grad_b[0], grad_b[0])
        history["objective"].append(float(J))
        grad_norm = float(np.hypot(np.linalg.norm(grad), grad_b[0]))
        history["grad_norm"].append(grad_norm)
        history["time"].append(time.perf_counter() - start)
        if gradient_rule:
            if options.verbose:
                print(f"[{method.name}] epoch {epoch}  objective {J:.10e}  |grad| {grad_norm:.3e}")
            if options.tol is not None and grad_norm <= options.tol * g_ref:
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
    return Result(coef[None, :], np.array([intercept]), epoch, converged, method.name, history)


def _rate_at(schedule, hyper, t):
    from ..kernels.reference_sgd import step_size

    return step_size(_CODES[schedule], t, hyper)
