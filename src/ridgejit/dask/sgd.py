"""``ridgejit.dask.SGDRidge``: :class:`ridgejit.SGDRidge` over the row blocks of a Dask collection.

Two modes (the ``mode`` parameter):

``sequential`` (exact SGD)
    An epoch is one ``partial_fit`` per block, in block order, each on the
    worker holding the block: the model (coefficients, the schedule's counter
    ``t``, the random generator: ``O(p)`` floats) moves from block to block,
    the rows never move.  This is the same sequence of updates as calling
    ``partial_fit`` on the blocks one after the other on one machine, so it
    converges as single-machine SGD does; the blocks run one at a time.
``average`` (parallel, approximate)
    Every block runs one epoch of SGD from the same model at the same time;
    the client averages the results weighted by the rows (iterative
    parameter mixing).  With a constant rate this converges to a point near
    the optimum, not to it: the gap depends on how different the blocks are
    and on the rate.  Measured (``tests/test_dask.py``, averaged SGD, 20
    epochs, four i.i.d. blocks of 1,000 x 10): relative objective gap 3.3e-4,
    against 5.9e-5 for ``sequential``; :class:`ridgejit.dask.Ridge` gives the
    exact answer.

In both modes each block's ``alpha`` is scaled by ``m_b / n`` so that the
per-sample penalty ``alpha / n`` is that of the whole data: the objective is
``J`` over all rows, as :class:`ridgejit.dask.Ridge`'s.  X is persisted on the
workers for the fit (SGD reads it every epoch).  After every epoch one
distributed pass computes the exact ``J`` and its gradient (history and the
``tol`` rule, as the single-machine ``fit``).
"""

import time
import warnings

import dask
import numpy as np
from sklearn.base import _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions

from ..initializers import initial_coef
from ..kernels import get_backend
from ..stochastic import SGDRidge as _SGDRidge
from . import tasks
from .blocks import persist_prepared, row_blocks
from .ridge import DaskRegressorMixin, local
from .solvers import objective_and_gradient

MODES = ("sequential", "average")


class SGDRidge(DaskRegressorMixin, _SGDRidge):
    """Ridge regression by SGD on Dask collections (and NumPy, on one machine).

    Minimizes ``J(w, b) = 1/(2n) * sum_i s_i (x_i.w + b - y_i)^2 + alpha/(2n) * ||w||^2``
    over all rows of all blocks, as :class:`ridgejit.SGDRidge` on the
    concatenated data.  See :mod:`ridgejit.dask.sgd` for the two modes.

    Parameters
    ----------
    alpha, solver, learning_rate, eta0, power_t, batch_size, average, max_iter, tol, \
early_stopping, validation_fraction, n_iter_no_change, shuffle, fit_intercept, init, \
random_state, warm_start, backend, n_jobs, verbose
        As :class:`ridgejit.SGDRidge`.  On dask input: ``solver`` must be
        ``"sgd"`` or ``"minibatch"``; ``early_stopping`` and
        ``learning_rate="adaptive"`` are not supported; ``max_iter`` counts
        epochs over all blocks; ``shuffle`` (``"blocks"`` or ``True``) visits
        the dask blocks in a fresh seeded order each epoch (``"sequential"``)
        and orders the rows inside each block as ``SGDRidge`` does (the
        two-level shuffle of CorgiPile, with dask blocks as the outer level);
        ``False`` keeps blocks and rows in order; ``warm_start`` is not used.
    mode : {"sequential", "average"}, default="sequential"
        ``sequential``: exact SGD, blocks one after the other.  ``average``:
        blocks in parallel, models averaged after each epoch (an
        approximation; ``learning_rate`` ``"auto"`` or ``"constant"``).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : ndarray of shape (1,)
    n_iter_ : int
        Epochs.
    t_ : float
        Updates plus one (``average``: summed over the blocks).
    history_ : dict of lists
        ``objective`` and ``grad_norm`` of ``J`` over all rows, ``time``, per epoch.
    n_features_in_ : int
    """

    _parameter_constraints = {**_SGDRidge._parameter_constraints, "mode": [StrOptions(set(MODES))]}

    def __init__(self, alpha=1.0, *, mode="sequential", solver="sgd", learning_rate="auto", eta0=None,
                 power_t=0.25, batch_size="auto", average="auto", max_iter=1000, tol=1e-4,
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=5,
                 shuffle="blocks", precondition="auto", penalty_factor=None, fit_intercept=True, init="zeros", random_state=None,
                 warm_start=False, backend="auto", n_jobs=None, verbose=0):
        single = {k: v for k, v in locals().items() if k not in ("self", "mode", "__class__")}
        super().__init__(**single)
        self.mode = mode

    def _single_machine(self):
        """An unfitted :class:`ridgejit.SGDRidge` with these parameters (the model the tasks run)."""
        params = self.get_params()
        params.pop("mode")
        return _SGDRidge(**params)

    def _check_dask_options(self):
        if self.solver not in ("sgd", "minibatch"):
            raise ValueError(f"solver={self.solver!r} is single-machine only; on dask collections "
                             "use 'sgd' or 'minibatch'")
        if self.early_stopping:
            raise ValueError("early_stopping is not supported on dask collections")
        if self.penalty_factor is not None:
            raise ValueError("penalty_factor is not supported by ridgejit.dask.SGDRidge on dask "
                             "collections (its per-epoch objective is the plain ridge one); use "
                             "ridgejit.dask.Ridge(penalty_factor=...)")
        allowed = ("auto", "constant") if self.mode == "average" else ("auto", "constant", "invscaling", "optimal")
        if self.learning_rate not in allowed:
            raise ValueError(f"learning_rate={self.learning_rate!r} is not supported with "
                             f"mode={self.mode!r} on dask collections; use one of {allowed}")

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit by up to ``max_iter`` epochs over the blocks (NumPy input: single machine).

        Parameters
        ----------
        X : dask array or dataframe of shape (n_samples, n_features), or array-like
        y : dask array or series of shape (n_samples,), chunked like the rows of X
        sample_weight : float, dask array or series of shape (n_samples,), or None

        Returns
        -------
        self : SGDRidge
        """
        if not dask.is_dask_collection(X):
            return super().fit(X, *local(y, sample_weight))
        self._check_dask_options()
        rb = row_blocks(X, y, sample_weight)
        if rb.n_targets != 1:
            raise ValueError(f"ridgejit.dask.SGDRidge fits one target on dask collections; y has "
                             f"{rb.n_targets} columns: fit each column, or use ridgejit.SGDRidge on a "
                             "single machine (several targets per pass) or ridgejit.dask.Ridge (exact, "
                             "several targets)")
        backend = get_backend(self.backend).name
        blocks = persist_prepared(rb)
        rows = dask.compute(*[dask.delayed(tasks.block_rows)(blk) for blk in blocks])
        n = int(sum(rows))
        alphas = [float(self.alpha) * m / n for m in rows]
        epoch_fn = self._sequential_epoch if self.mode == "sequential" else self._average_epoch
        rng = check_random_state(self.random_state)
        state = {"model": self._single_machine(), "coef": None, "intercept": None, "t": 0.0}
        if self.mode == "average":  # the common start: init, with each block's best intercept
            state["coef"] = initial_coef(self.init, rb.n_features, 1, rng)[0]
        history = {"objective": [], "grad_norm": [], "time": []}
        start, best, stall, converged, epoch = time.perf_counter(), None, 0, False, 0
        for epoch in range(1, self.max_iter + 1):
            epoch_fn(state, blocks, alphas, rng)
            J, g = objective_and_gradient(blocks, n, state["coef"], state["intercept"],
                                          float(self.alpha), backend, self.n_jobs)
            if not np.isfinite(J):
                raise ValueError(f"SGD diverged in epoch {epoch}: the objective became non-finite; "
                                 "use learning_rate='auto' or a smaller eta0")
            history["objective"].append(J)
            history["grad_norm"].append(g)
            history["time"].append(time.perf_counter() - start)
            if self.verbose:
                print(f"[dask-sgd:{self.mode}] epoch {epoch}  objective {J:.10e}  |grad| {g:.3e}")
            improved = best is None or J < best * (1.0 - (self.tol or 0.0))
            best = J if best is None else min(best, J)
            stall = 0 if improved else stall + 1
            if self.tol is not None and stall >= self.n_iter_no_change:
                converged = True
                break
        if self.tol is not None and not converged:
            warnings.warn(f"SGDRidge: maximum number of epochs ({self.max_iter}) reached before the "
                          f"objective stopped improving by tol={self.tol:g}; increase max_iter",
                          ConvergenceWarning, stacklevel=2)
        self.coef_ = state["coef"].astype(rb.dtype)
        self.intercept_ = np.array([state["intercept"]], dtype=rb.dtype)
        self.n_iter_, self.t_, self.history_ = epoch, float(state["t"]) + 1.0, history
        self._remember_columns(rb)
        return self

    @staticmethod
    def _sequential_epoch(state, blocks, alphas, rng):
        """One ``partial_fit`` per block, chained (in a fresh order unless ``shuffle=False``):
        the model hops, rows stay."""
        model = state["model"]
        visit = rng.permutation(len(blocks)) if model.shuffle else range(len(blocks))
        for k in visit:
            model = dask.delayed(tasks.sgd_partial_fit)(model, blocks[k], alphas[k])
        (model,) = dask.compute(model)
        state.update(model=model, coef=model.coef_.astype(np.float64),
                     intercept=float(model.intercept_[0]), t=model.t_ - 1.0)

    @staticmethod
    def _average_epoch(state, blocks, alphas, rng):
        """Every block one epoch from the same model, in parallel; row-weighted average."""
        parts = [dask.delayed(tasks.sgd_epoch)(state["model"], state["coef"], state["intercept"], block,
                                               alpha, int(rng.randint(2**31 - 1)))
                 for block, alpha in zip(blocks, alphas)]
        results = dask.compute(*parts)
        m = np.array([r[2] for r in results], dtype=np.float64)
        state["coef"] = sum(r[0] * mi for r, mi in zip(results, m)) / m.sum()
        state["intercept"] = float(sum(r[1] * mi for r, mi in zip(results, m)) / m.sum())
        state["t"] += sum(r[3] for r in results)

    def _linear_model(self):
        return self.coef_, self.intercept_[0]
