"""SGD in implicitly standardized coordinates: steps that do not depend on the columns' units.

Plain SGD's safe step is set by the largest column: with a few columns in
larger units the others barely move (5 of 20 standardized columns times 1e3:
R^2 0.13 after 20 epochs, where ``Ridge`` reaches 0.95).  This method
preconditions every step by ``Q = diag(q)``, ``q_j`` one over column j's
scale squared (:func:`column_scales`: the weighted variance for dense X, the
mean square of the stored values for CSR X; from the column moments of the
problem's first pass), i.e. it runs SGD on the standardized columns
``x_j sqrt(q_j)`` without forming them:

    r = (x_i - xbar).w + b - y_i,   g = eta s_i r
    w <- w - g Q (x_i - xbar),      b <- b - g
    every K updates:  w <- w / (1 + eta K lam q)     (the penalty's proximal step)

Multiplying column ``j`` by ``c`` divides ``q_j`` by ``c^2`` and the iterates
move exactly as the unscaled ones do (the penalty apart, whose rate
``lam q_j`` follows the column's unit, as the objective does).

* The rate ``auto`` is ``1 / (max_i s_i (sum_j q_j (x_ij - xbar_j)^2 + 1))``:
  the largest per-sample curvature in the metric of ``Q`` (one pass).
* The penalty is applied every ``K`` updates by its proximal step, whose fixed
  point is the ridge solution.  ``K = 1`` for dense X;
  ``K = ceil(p n / nnz)`` for CSR X, so its O(p) cost is O(nnz of a row) per
  update on average (a per-coordinate shrink has no O(1) lazy form, unlike the
  isotropic ``(1 - eta lam)`` of :mod:`.sgd`).
* Averaging (on by default with the ``auto`` rate) is the uniform average of
  the iterates just after each proximal step (every iterate when ``K = 1``):
  between two, an iterate drifts from the penalty by up to ``eta K lam q``
  (relative), and averaging that saw tooth biases the average (a column in
  units of 1e-3 with ``K = 8``: a coefficient 100x too large; averaging only
  the iterates after each step: a relative gap of 1.5e-5 after 60 epochs,
  6e-6 with ``K = 1``).  On CSR text-like data (5e4 x 2e4, 26 values per
  row, ``K = 765``) the gaps after 1, 5 and 10 epochs equal those of
  ``K = 1`` to two digits.

:func:`ridgejit.kernels.reference_sgd.scaled_sgd_epoch` is the kernel's spec.
"""

import math

import numpy as np

from ..kernels import layout as L
from .epochs import safe_rate, target_rates
from .sgd import AdaptiveRate, SeveralTargets


def column_scales(problem):
    """The preconditioner ``q`` (p,): one over each column's scale squared.

    Dense X: ``W / sum_i s_i (x_ij - xbar_j)^2`` (the weighted variance; the
    second moment without an intercept).  CSR X: ``f_j W / sum_i s_i x_ij^2``
    with ``f_j`` the fraction of rows that store column j, i.e. one over the
    mean square of the stored values (sparse data is scaled, never shifted, as
    ``MaxAbsScaler`` does; one over the variance would give a rare feature a
    scale ``sqrt(f_j)`` times its values', and the rows holding it a curvature
    ``1 / f_j`` that sets the step for all).  1 where the scale is 0.
    """
    W = problem.weight_sum
    second = problem.x_var_sum
    if problem.sparse and problem.fit_intercept:
        second = second + W * problem.x_mean**2
    q = np.ones_like(second)
    ok = second > 0.0
    q[ok] = W / second[ok]
    if problem.sparse:
        stored = np.bincount(problem.X.indices, minlength=problem.n_features)
        q[ok] *= stored[ok] / problem.n_samples
    return q


def stretch(problem):
    """``K``: updates between two proximal steps of the penalty (1 for dense X)."""
    if not problem.sparse:
        return 1
    nnz = max(int(problem.X.nnz), 1)
    return max(1, math.ceil(problem.n_features * problem.n_samples / nnz))


class ScaledSGDMethod(SeveralTargets, AdaptiveRate):
    """Preconditioned plain/averaged SGD (``SGDRidge(solver="sgd", precondition=True)``).

    ``W`` and ``A`` (k, p) are the iterates of the ``k`` targets and their
    averages, ``intercepts`` (2, k) their intercepts and averages, ``state =
    (t, -, -, pending, navg)`` what the targets share (see
    :mod:`ridgejit.kernels.layout`); ``q`` and the centring point ``x_mean`` are
    fixed at the first call (``partial_fit`` keeps them).  Rates ``auto``,
    ``constant`` and ``adaptive`` (constant within an epoch; ``adaptive`` for
    one target only).  Several targets share every row read
    (``scaled_sgd_epoch_multi``), each evolving exactly as its own fit would;
    a target whose stopping rule fires is frozen (:meth:`freeze`) while the
    others go on.
    """

    name = "sgd"
    overlap_evaluation = True

    def __init__(self, coef0, intercept0, x_mean, options, n_samples):
        if options.learning_rate not in ("auto", "constant", "adaptive"):
            raise ValueError(f"precondition=True needs a constant step (learning_rate 'auto', "
                             f"'constant' or 'adaptive'), not {options.learning_rate!r}")
        self.options = options
        self.x_mean = np.asarray(x_mean, dtype=np.float64)
        self.start_targets(coef0, intercept0, options)
        self.state = np.zeros(L.PS_STATE_SIZE)
        self.q = None

    @property
    def t(self):
        """Updates done so far."""
        return self.state[L.PS_T]

    def prepare(self, problem, lam):
        """Fix ``q`` (first call) and set this call's rate, penalty rates ``lam q d`` (one row
        per target; ``lam`` scalar or (k,), ``d`` the problem's penalty factors) and stretch."""
        if self.q is None:
            self.q = column_scales(problem)
        self.set_rate(safe_rate(problem, self.x_mean, 0.0, self.q))
        self.lam = lam
        d = self.q if problem.penalty is None else self.q * problem.penalty  # factors: (p,)
        self.H = np.outer(target_rates(lam, self.W.shape[0]), d)
        self.K = stretch(problem)

    def run_epoch(self, problem, order):
        avg = self.options.average
        self.hyper = np.array([self.eta, np.inf if avg is False else (0.0 if avg is True else float(avg)),
                               1.0 if problem.fit_intercept else 0.0, float(self.K)])
        if self.W.shape[0] == 1:
            st = self.state
            st[L.PS_B], st[L.PS_BAVG] = self.intercepts[:, 0]
            problem.kernel("scaled_sgd_epoch")(problem.y[:, 0], problem.sw, self.x_mean, order, self.q,
                                             self.H[0], self.W[0], self.A[0], st, self.hyper)
            self.intercepts[:, 0] = st[L.PS_B], st[L.PS_BAVG]
        else:
            problem.kernel("scaled_sgd_epoch_multi")(np.ascontiguousarray(problem.y), problem.sw,
                                                   self.x_mean, order, self.q, self.H, self.W, self.A,
                                                   self.intercepts, self.state, self.hyper)
        self.restore_frozen()

    def rate_text(self):
        return (f"learning_rate={self.options.learning_rate!r} (eta={self.eta:.3g}, in standardized "
                f"columns)")

    def coef(self):
        return self.targets_coef(self.options.average is not False and self.state[L.PS_NAVG] > 0)
