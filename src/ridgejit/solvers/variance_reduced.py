"""Variance-reduced stochastic solvers: SAG, SAGA and SVRG on the ridge objective.

Same per-sample objective and implicit centring as :mod:`ridgejit.solvers.sgd`,
and the same epoch driver (:func:`ridgejit.solvers.sgd.run_epochs`).  Their
gradient estimates have vanishing variance, so a constant step converges to
the exact optimum (linearly, on this strongly convex problem).

==========  =================================================================
``saga``    stores ``s_i r_i`` per sample (n scalars, not n gradients) and
            their average gradient; unbiased step; rate ``1 / (3 L_max)``
``sag``     the same memory, biased step; rate ``1 / (16 L_max)``; rows are
            drawn with replacement (as scikit-learn's ``sag``): with
            without-replacement permutations this biased step diverged here
            (20000 x 20 standardized data, objective 3.6 -> 14 in 6 epochs)
``svrg``    per epoch one full gradient at a snapshot (the fused parallel
            kernel; it is the end-of-epoch objective pass, so it costs no
            extra pass), then ``n`` compiled inner steps; rate ``1 / (4 L_max)``
==========  =================================================================

``L_max = max_i s_i (||x_i - xbar||^2 + 1) + lam`` (the safe SGD rate's
inverse).  ``learning_rate="constant"`` with ``eta0`` overrides the rate.

Per-feature penalty factors ``d`` (``penalty_factor``): every ``lam w_j`` above
becomes ``lam d_j w_j`` and ``L_max`` takes ``lam max_j d_j``.  On CSR X the
just-in-time updates keep one lazy scale per distinct factor
(:mod:`ridgejit.kernels.numba_sparse_factors`: O(nnz + levels) a step), one
target at a time.

Several targets (``y`` of shape ``(n, k)``) share every row read
(``saga_epoch_multi``, ``svrg_inner_multi``): each has its own memory, average
gradient, snapshot and L2 rate, and the step is the one of the largest
``alpha`` (with one ``alpha``, each target takes exactly its own fit's steps).
The run stops when every target's gap bound is at most ``tol``.
"""

import numpy as np

from ..kernels import layout as L
from .epochs import StochasticMethod, safe_rate, target_rates
from .sgd import frame_coef

class _VarianceReduced(StochasticMethod):
    """Shared parts: centred iterates ``W`` (k, p), intercepts ``b`` (k,), rates."""

    stop_on_gradient = True
    #: the default step is ``rate_factor / L_max`` (see the module docstring)
    rate_factor = 1.0

    def __init__(self, coef0, intercept0, x_mean, options, n_samples):
        name = self.name
        if options.learning_rate not in ("auto", "constant"):
            raise ValueError(f"solver={name!r} takes learning_rate 'auto' or 'constant', "
                             f"not {options.learning_rate!r}")
        if options.average is not False:
            raise ValueError(f"solver={name!r} needs no averaging; use average=False")
        self.options = options
        self.x_mean = np.asarray(x_mean, dtype=np.float64)
        self.W = np.atleast_2d(np.asarray(coef0, dtype=np.float64)).copy()
        k = self.W.shape[0]
        self.b = np.broadcast_to(np.asarray(intercept0, dtype=np.float64), (k,)) + self.W @ self.x_mean
        self.updates = 0.0
        self.safe_eta = None

    @property
    def several(self):
        """Whether the targets go to the ``*_multi`` kernels (more than one target)."""
        return self.W.shape[0] > 1

    def prepare(self, problem, lam):
        self.lams = target_rates(lam, self.W.shape[0])
        self.lam = float(self.lams.max())
        # per-feature penalty factors d (dense X only): the rate's curvature is lam max_j d_j
        self.factor = np.empty(0) if problem.penalty is None else problem.penalty
        self.safe_eta = safe_rate(problem, self.x_mean, self.lam * float(np.max(self.factor, initial=1.0)))
        if self.options.learning_rate == "constant" and self.options.eta0 is not None:
            self.step = float(self.options.eta0)
        else:
            self.step = self.rate_factor * self.safe_eta

    @property
    def t(self):
        """Updates done so far."""
        return self.updates

    def rate_text(self):
        return f"step={self.step:.3g}"

    def coef(self):
        return frame_coef(self.W, self.b, self.x_mean)


class SAGAMethod(_VarianceReduced):
    """SAGA with one stored residual per sample and target (unbiased step); with :attr:`box`
    set, every step is projected onto it (the proximal step of the box: ``Ridge(solver=
    "saga", positive=True)``, one target at a time)."""

    name = "saga"
    rate_factor = 1.0 / 3.0
    #: 1.0: the unbiased SAGA step; 0.0: SAG's biased one (the kernel's hyper flag)
    unbiased = 1.0

    def __init__(self, coef0, intercept0, x_mean, options, n_samples):
        super().__init__(coef0, intercept0, x_mean, options, n_samples)
        k, p = self.W.shape
        self.memory = np.zeros((k, n_samples))  # a target's memory contiguous
        self.grad_avg = np.zeros((k, p))
        self.state = np.zeros((L.SAGA_STATE_SIZE, k))

    def run_epoch(self, problem, order):
        hyper = np.empty(L.SAGA_HYPER_SIZE)
        hyper[L.SAGA_STEP], hyper[L.SAGA_LAM] = self.step, self.lam
        hyper[L.SAGA_FIT_B], hyper[L.SAGA_UNBIASED] = float(problem.fit_intercept), self.unbiased
        self.state[L.SAGA_B] = self.b
        if self.several:
            problem.kernel("saga_epoch_multi")(np.ascontiguousarray(problem.y), problem.sw, self.x_mean, order,
                                             self.W, self.state, self.memory, self.grad_avg, hyper,
                                             self.lams, self.factor)
        else:  # views of the (.., 1) arrays: the kernel updates them in place
            box = np.empty((0, self.W.shape[1])) if self.box is None else np.ascontiguousarray(np.vstack(self.box))
            problem.kernel("saga_epoch")(problem.y[:, 0], problem.sw, self.x_mean, order, self.W[0],
                                       self.state.reshape(-1), self.memory.reshape(-1), self.grad_avg[0],
                                       hyper, self.factor, box)
        self.b = self.state[L.SAGA_B].copy()
        self.updates += len(order)


class SAGMethod(SAGAMethod):
    """SAG: SAGA's memory with the biased step, rows drawn with replacement."""

    name = "sag"
    rate_factor = 1.0 / 16.0
    unbiased = 0.0
    with_replacement = True


class SVRGMethod(_VarianceReduced):
    """SVRG: snapshot, full gradient, compiled inner loop (every target)."""

    name = "svrg"
    rate_factor = 1.0 / 4.0

    def __init__(self, coef0, intercept0, x_mean, options, n_samples):
        super().__init__(coef0, intercept0, x_mean, options, n_samples)
        self.full_grad = None  # (grad_w (k, p), grad_b (k,)) of the centred models at the current point

    def observe(self, grad_w, grad_b):
        self.full_grad = (np.array(grad_w, dtype=np.float64), np.array(grad_b, dtype=np.float64))

    def run_epoch(self, problem, order):
        if self.full_grad is None:  # first epoch: one fused pass at the start point
            g, gb = np.empty(self.W.shape), np.empty(self.W.shape[0])
            problem.gradient_at(self.W, self.b - self.W @ self.x_mean, g, gb)  # the penalty included
            self.observe(g - np.outer(gb, self.x_mean), gb)
        snapshot = self.W.copy()
        grad_w, grad_b = self.full_grad
        state = np.empty((L.SVRG_STATE_SIZE, self.W.shape[0]))
        state[L.SVRG_B], state[L.SVRG_B_SNAP], state[L.SVRG_GB] = self.b, self.b, grad_b
        hyper = np.empty(L.SVRG_HYPER_SIZE)
        hyper[L.SVRG_STEP], hyper[L.SVRG_LAM], hyper[L.SVRG_FIT_B] = self.step, self.lam, float(problem.fit_intercept)
        if self.several:
            problem.kernel("svrg_inner_multi")(np.ascontiguousarray(problem.y), problem.sw, self.x_mean, order,
                                             self.W, snapshot, np.ascontiguousarray(grad_w), state, hyper,
                                             self.lams, self.factor)
        else:
            problem.kernel("svrg_inner")(problem.y[:, 0], problem.sw, self.x_mean, order, self.W[0], snapshot[0],
                                       np.ascontiguousarray(grad_w[0]), state.reshape(-1), hyper, self.factor)
        self.b = state[L.SVRG_B].copy()
        self.updates += len(order)
        self.full_grad = None
