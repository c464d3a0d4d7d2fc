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


class SGDState:
    """Everything an SGD run carries between epochs and ``partial_fit`` calls.

    ``v``, ``a`` and ``state`` are the kernel's lazy representation (see
    :mod:`ridgejit.kernels.sgd_layout`); ``x_mean`` the centring point
    (fixed at the first call: any fixed point gives the same model class);
    ``eta`` the current base rate of ``auto``/``constant``/``adaptive``.
    """

    def __init__(self, coef0, intercept0, x_mean):
        self.x_mean = np.asarray(x_mean, dtype=np.float64)
        w0 = np.asarray(coef0, dtype=np.float64).reshape(-1)
        self.v = w0.copy()
        self.a = w0.copy()
        # the centred model's intercept: x.w + b0 = (x - xbar).w + (b0 + xbar.w)
        self.state = L.new_state(float(intercept0) + float(self.x_mean @ w0))
        self.eta = None
        self.safe_eta = None

    @property
    def t(self):
        """Updates done so far."""
        return self.state[L.T]

    def coef(self, averaged):
        """``(coef, intercept)`` of the plain or averaged iterate, in X's own frame."""
        averaged = averaged and self.state[L.T] > 0
        w, b = L.to_coef(self.v, self.a, self.state, averaged)
        return w, b - float(self.x_mean @ w)


def safe_rate(problem, x_mean, lam):
    """The ``auto`` rate ``1 / (max_i s_i (||x_i - xbar||^2 + 1) + lam)`` (one pass)."""
    R = problem.backend.max_row_norm(problem.X, problem.sw, x_mean)
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


def run_epochs(problem, st, options, rng, max_epochs, train_idx=None, validation=None):
    """Run up to ``max_epochs`` SGD epochs from ``st`` (updated in place).

    ``train_idx`` restricts the updates to those rows (the rest being a
    validation split); ``validation`` is ``None`` or a callable
    ``(coef, intercept) -> score`` (higher is better) used for stopping.
    Stops when the criterion (validation score, else the exact training
    objective) fails to improve by ``tol`` (relative for the objective,
    absolute for a score) for ``n_iter_no_change`` epochs in a row.
    """
    n = problem.n_samples
    lam = float(problem.alpha[0]) / n
    st.safe_eta = min(st.safe_eta or np.inf, safe_rate(problem, st.x_mean, lam))
    schedule = options.learning_rate
    if st.eta is None or schedule == "auto":
        st.eta = st.safe_eta if options.eta0 is None or schedule == "auto" else float(options.eta0)
    if schedule == "optimal" and lam == 0.0:
        raise ValueError("learning_rate='optimal' needs alpha > 0")
    eta_floor = 1e-6 * st.eta
    rows = np.arange(n, dtype=np.int64) if train_idx is None else np.asarray(train_idx, dtype=np.int64)
    y = problem.y[:, 0]
    averaged = options.average is not False
    history = {"objective": [], "grad_norm": [], "time": []}
    if validation is not None:
        history["validation_score"] = []
    start = time.perf_counter()
    grad = np.empty((1, problem.n_features))
    best, stall, converged, epoch = None, 0, False, 0
    for epoch in range(1, max_epochs + 1):
        order = rng.permutation(rows) if options.shuffle else rows
        hyper = _hyper(options, lam, st.eta, problem.fit_intercept)
        problem.backend.sgd_epoch(problem.X, y, problem.sw, st.x_mean, order, st.v, st.a,
                                  st.state, _CODES[schedule], hyper)
        coef, intercept = st.coef(averaged)
        J = problem.backend.gradient(problem.X, problem.y, problem.sw, coef[None, :],
                                     np.array([intercept]), problem.alpha, grad, np.empty(1))[0]
        if not (np.isfinite(J) and np.isfinite(coef).all()):
            raise ValueError(
                f"SGD diverged in epoch {epoch} with learning_rate={schedule!r} "
                f"(eta={_rate_at(schedule, hyper, st.t):.3g}): the objective became non-finite. "
                f"The safe constant rate for this data is {st.safe_eta:.3g} "
                "(learning_rate='auto' uses it)."
            )
        history["objective"].append(float(J))
        history["grad_norm"].append(float(np.linalg.norm(grad)))
        history["time"].append(time.perf_counter() - start)
        if validation is not None:
            score = float(validation(coef, intercept))
            history["validation_score"].append(score)
            improved = best is None or score > best + (options.tol or 0.0)
            best = score if best is None else max(best, score)
        else:
            improved = best is None or J < best * (1.0 - (options.tol or 0.0))
            best = J if best is None else min(best, J)
        if options.verbose:
            print(f"[sgd] epoch {epoch}  objective {J:.10e}  eta {st.eta:.3g}  t {st.t:.0f}")
        stall = 0 if improved else stall + 1
        if options.tol is not None and stall >= options.n_iter_no_change:
            if schedule == "adaptive" and st.eta / 5.0 > eta_floor:
                st.eta /= 5.0
                stall = 0
                continue
            converged = True
            break
    coef, intercept = st.coef(averaged)
    return Result(coef[None, :], np.array([intercept]), epoch, converged, "sgd", history)


def _rate_at(schedule, hyper, t):
    from ..kernels.reference_sgd import step_size

    return step_size(_CODES[schedule], t, hyper)
