"""``Ridge(solver="sag"|"saga")``: the variance-reduced methods run as batch solvers.

scikit-learn's ``Ridge`` offers ``sag`` and ``saga``; ridgejit runs its own
(:mod:`.variance_reduced`: one stored residual per row, compiled epochs, rows in
block-shuffled order) on every target in one pass (the step of the largest
``alpha``), from ``coef0``, with the ``auto`` rate, until the proven bound on
the relative objective gap is at most ``tol``
(:func:`~ridgejit.solvers.epochs.run_epochs`; the same meaning of ``tol`` as
every batch solver) or ``max_iter`` epochs (default :data:`DEFAULT_EPOCHS`).
``random_state`` seeds the visiting order: the same seed gives the same bits.

``sag`` steps ``1 / L_max`` here, as scikit-learn's ``sag`` does, not the proven
``1 / (16 L_max)`` of ``SGDRidge(solver="sag")``: on standardized 5000 x 50 data with
cond ~ 2e4 it needs 439 epochs to a gap of 1e-12 instead of 3356 (5000 x 30 with
column scales 0.1-10: 459 instead of more than 5000).  If the larger step diverges
(the objective turns non-finite), the fit starts again from ``coef0`` with the
proven step.

``positive=True`` or ``bounds`` (dense X): every step is projected onto the box
(projected SAGA is proximal SAGA with the box's indicator, which converges at
the unconstrained rate, Defazio et al. 2014; projected SAG has no such proof
and is judged by the same bound), one target at a time, the start is ``coef0``
clipped to the box, and ``tol`` bounds the gap through the least-norm element of
the gradient and the box's normal cone (:func:`~ridgejit.solvers.bounds.least_norm`).
CSR X is refused: its just-in-time updates apply a coordinate's missed steps at once.
"""

import numpy as np
from scipy import sparse
from sklearn.utils import check_random_state

from ..problem import Problem
from .base import Result
from .bounds import project
from .epochs import SGDOptions, run_epochs
from .variance_reduced import SAGAMethod, SAGMethod

#: Epochs at most when ``max_iter=None`` (scikit-learn's sag/saga default is 1000 too).
DEFAULT_EPOCHS = 1000

METHODS = {"sag": SAGMethod, "saga": SAGAMethod}


def _solve(name, problem, coef0, options):
    if problem.penalty is not None:
        raise ValueError(f"solver={name!r} does not take penalty_factor or penalty_matrix (its epochs "
                         "shrink every coefficient alike); use solver='direct', 'cg' or 'auto'")
    box = options.bounds
    if box is not None and sparse.issparse(problem.X):
        raise ValueError(f"solver={name!r} with positive=True or bounds needs dense X: its sparse steps "
                         "catch a coordinate up on all its missed steps at once, so none could be "
                         "projected; use solver='auto' (the exact QP on the p x p statistics, CSR "
                         "included) or pass X.toarray()")
    k = problem.n_targets
    coef, intercept, gap = np.empty_like(coef0), np.empty(k), np.empty(k)
    sgd_options = SGDOptions(learning_rate="auto", max_iter=options.max_iter or DEFAULT_EPOCHS,
                             tol=options.tol, verbose=options.verbose)
    rng = check_random_state(options.random_state)
    history, n_iter, converged = None, 0, True
    # every target in one pass (the *_multi kernels); with a box, one at a time (no boxed multi kernel)
    groups = [slice(0, k)] if box is None else [slice(t, t + 1) for t in range(k)]
    for g in groups:
        one = problem if g.stop - g.start == k else Problem(
            problem.X, np.ascontiguousarray(problem.y[:, g]), problem.sw, problem.alpha[g],
            problem.fit_intercept, problem.backend)
        start = project(coef0[g], box)
        b0 = one.y_mean - start @ one.x_mean if problem.fit_intercept else np.zeros(g.stop - g.start)
        result = None
        for factor in ((1.0, None) if name == "sag" else (None,)):
            method = METHODS[name](start.copy(), b0, one.x_mean, sgd_options, problem.n_samples)
            method.box = box
            if factor is not None:
                method.rate_factor = factor  # scikit-learn's step; None: the class's proven one
            try:
                result = run_epochs(one, method, sgd_options, rng, sgd_options.max_iter)
                break
            except ValueError:
                if factor is None:
                    raise
        coef[g], intercept[g], gap[g] = result.coef, result.intercept, result.gap_bound
        n_iter, converged = max(n_iter, result.n_iter), converged and result.converged
        history = result.history if history is None else history  # the first run's epochs
    return Result(coef, intercept, n_iter, converged, name, history, gap)


def solve_sag(problem, coef0, options):
    """SAG, every target in one pass (see the module docstring)."""
    return _solve("sag", problem, coef0, options)


def solve_saga(problem, coef0, options):
    """SAGA, every target in one pass (see the module docstring)."""
    return _solve("saga", problem, coef0, options)
