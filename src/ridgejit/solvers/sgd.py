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

import numpy as np

from ..kernels import layout as L
from .epochs import StochasticMethod, safe_rate

SCHEDULES = ("auto", "constant", "invscaling", "optimal", "adaptive")


class AdaptiveRate(StochasticMethod):
    """Shared by the methods with a base rate ``eta`` and an ``eta_floor`` (sgd, minibatch)."""

    eta = None
    safe_eta = None
    eta_floor = 0.0
    hyper = None

    def set_rate(self, safe):
        """Take this call's safe rate ``safe`` (the ``auto`` rate only ever shrinks) and set
        ``eta``: the safe rate for ``auto``, else ``eta0`` (the safe rate when it is None) at
        the first call; ``adaptive`` may lower it to ``1e-6`` of its start."""
        o = self.options
        self.safe_eta = min(self.safe_eta or np.inf, safe)
        if self.eta is None or o.learning_rate == "auto":
            self.eta = self.safe_eta if o.eta0 is None or o.learning_rate == "auto" else float(o.eta0)
            self.eta_floor = 1e-6 * self.eta

    def decay(self):
        """``adaptive``: divide the rate by 5; False when it may not (stop instead)."""
        if self.options.learning_rate == "adaptive" and self.eta / 5.0 > self.eta_floor:
            self.eta /= 5.0
            return True
        return False


class SeveralTargets:
    """The iterates of ``k`` targets that share every row read (preconditioned sgd, minibatch).

    ``W`` and ``A`` (k, p): the iterates and their averages in the centred
    frame; ``intercepts`` (2, k): their intercepts and averages.  A target whose
    stopping rule fires is frozen (:meth:`freeze`): its values are put back
    after every later epoch (:meth:`restore_frozen`) while the others go on.
    """

    def start_targets(self, coef0, intercept0, options):
        """Set ``W``, ``A``, ``intercepts`` from the starting point (X's own frame) about
        ``self.x_mean``; ``adaptive`` lowers one rate for all, so it takes one target only."""
        C0 = np.atleast_2d(np.asarray(coef0, dtype=np.float64))  # (k, p)
        if C0.shape[0] > 1 and options.learning_rate == "adaptive":
            raise ValueError("learning_rate='adaptive' lowers one rate for all targets: fit the "
                             "targets one at a time, or use 'auto' or 'constant'")
        self.W = C0.copy()
        self.A = C0.copy()
        b0 = np.broadcast_to(np.asarray(intercept0, dtype=np.float64), C0.shape[:1]) + C0 @ self.x_mean
        self.intercepts = np.vstack([b0, b0])
        self.frozen = {}

    def freeze(self, c):
        """Stop updating target ``c``: it keeps its current iterate, average and intercepts."""
        self.frozen[c] = (self.W[c].copy(), self.A[c].copy(), self.intercepts[:, c].copy())

    def restore_frozen(self):
        """Put the frozen targets back after an epoch that updated them all."""
        for c, (w, a, b) in self.frozen.items():
            self.W[c], self.A[c], self.intercepts[:, c] = w, a, b

    def targets_coef(self, averaged):
        """``(coef (k, p), intercept (k,))`` of the averaged or plain iterates, in X's own frame
        (``(coef (p,), intercept float)`` for one target)."""
        C, b = (self.A, self.intercepts[1]) if averaged else (self.W, self.intercepts[0])
        return frame_coef(C, b, self.x_mean)


def frame_coef(C, b, x_mean):
    """Centred-frame coefficients ``C`` (k, p) and intercepts ``b`` (k,) as new arrays in X's
    own frame, ``(C, b - C xbar)``; ``(coef (p,), intercept float)`` for one target."""
    C, b = C.copy(), b - C @ x_mean
    return (C[0], float(b[0])) if C.shape[0] == 1 else (C, b)


class SGDMethod(AdaptiveRate):
    """Plain/averaged SGD: everything carried between epochs and ``partial_fit`` calls.

    ``v``, ``a`` and ``state`` are the kernel's lazy representation (see
    :mod:`ridgejit.kernels.layout`); ``x_mean`` the centring point
    (fixed at the first call: any fixed point gives the same model class);
    ``eta`` the current base rate of ``auto``/``constant``/``adaptive``.
    """

    name = "sgd"
    overlap_evaluation = True

    def __init__(self, coef0, intercept0, x_mean, options, n_samples):
        self.options = options
        self.x_mean = np.asarray(x_mean, dtype=np.float64)
        w0 = np.asarray(coef0, dtype=np.float64).reshape(-1)
        self.v = w0.copy()
        self.a = w0.copy()
        # the centred model's intercept: x.w + b0 = (x - xbar).w + (b0 + xbar.w)
        self.state = L.new_state(float(intercept0) + float(self.x_mean @ w0))

    @property
    def t(self):
        """Updates done so far."""
        return self.state[L.T]

    def prepare(self, problem, lam):
        """Set the rates for this call's data (the ``auto`` rate only ever shrinks)."""
        self.set_rate(safe_rate(problem, self.x_mean, lam))
        if self.options.learning_rate == "optimal" and lam == 0.0:
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


def _rate_at(schedule, hyper, t):
    from ..kernels.reference_sgd import step_size

    return step_size(_CODES[schedule], t, hyper)
