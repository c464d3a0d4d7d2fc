"""``ridgejit.dask.RidgeCV``: k-fold alpha selection over row blocks, one pass over the data.

Folds are groups of consecutive row blocks: with ``cv=k`` and ``B`` blocks,
fold ``f`` holds the blocks of ``np.array_split(range(B), k)[f]`` (``KFold``
over blocks, no shuffling).  Each block's task runs the compiled
``sufficient_stats`` kernel around one provisional centre (the first row) and
returns ``(p + k + 1)^2`` floats; the blocks of a fold are tree-summed into
the fold's statistics (in block order), and only those ``k`` small results
reach the client.  There, as in :mod:`ridgejit.cv.kfold`, training statistics
are the total minus the fold's, and every (alpha, fold) solve and validation
score follows from ``p x p`` statistics, with no second pass.  The final model
solves the total statistics with ``alpha_``.
"""

import dask
import numpy as np
from sklearn.base import _fit_context

from .._validation import check_bounds, check_penalty
from ..cv.ridgecv import RidgeCV as _RidgeCV
from ..cv.kfold import AlphaSolves, check_weights, stats_scores
from ..cv.scores import Scoring
from ..kernels import get_backend
from ..cv.path import check_alphas
from . import tasks
from .blocks import row_blocks, tree_reduce
from .ridge import DaskRegressorMixin, local
from .solvers import centre


def block_folds(n_blocks, n_folds):
    """Fold of every row block: ``KFold(n_folds)`` over the blocks, in order.

    Raises ``ValueError`` when there are fewer blocks than folds.
    """
    if n_blocks < n_folds:
        raise ValueError(f"cv={n_folds} needs at least {n_folds} row blocks, X has {n_blocks}: "
                         "folds are groups of row blocks; rechunk X along the rows")
    label = np.empty(n_blocks, dtype=np.intp)
    for f, blocks in enumerate(np.array_split(np.arange(n_blocks), n_folds)):
        label[blocks] = f
    return label


class RidgeCV(DaskRegressorMixin, _RidgeCV):
    """``ridgejit.RidgeCV`` on Dask arrays and dataframes: k-fold over groups of row blocks.

    On a dask collection ``cv`` must be an int ``k`` (folds are groups of
    consecutive row blocks, see :func:`block_folds`; the same splits as
    ``ridgejit.RidgeCV(cv=PredefinedSplit(block_fold_of_each_row))``), and
    ``scoring`` one computed from sums of squares (None = ``r2``,
    ``neg_mean_squared_error``, ``neg_root_mean_squared_error``).  One pass
    over the data; what each task computes and what crosses the network is
    in :mod:`ridgejit.dask.cv`.  NumPy input runs :class:`ridgejit.RidgeCV`.

    Parameters and attributes are those of :class:`ridgejit.RidgeCV`
    (``gcv_mode_ == "blocks"`` on dask input).
    """

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Choose ``alpha_`` by k-fold cross-validation over row blocks, then refit.

        Parameters
        ----------
        X : dask array or dataframe of shape (n_samples, n_features), or array-like
        y : dask array / series / dataframe, chunked like the rows of X
        sample_weight : dask array / series of shape (n_samples,), float or None

        Returns
        -------
        self : RidgeCV
        """
        if not dask.is_dask_collection(X):
            return super().fit(X, *local(y, sample_weight))
        if isinstance(self.cv, bool) or not isinstance(self.cv, (int, np.integer)) or self.cv < 2:
            raise ValueError(f"cv={self.cv!r}: on dask collections cv must be a number of folds >= 2 "
                             "(folds are groups of row blocks; leave-one-out and splitters need NumPy data)")
        if self.solver == "cg":
            raise ValueError("solver='cg' is for sparse NumPy/SciPy X; dask RidgeCV uses 'eigen' or 'cholesky'")
        rb = row_blocks(X, y, sample_weight)
        alphas = check_alphas(self.alphas, strictly_positive=False)
        penalty = check_penalty(self.penalty_factor, self.penalty_matrix, rb.n_features)
        per_target = bool(self.alpha_per_target) and rb.y_ndim == 2
        scoring = Scoring(self, loo=False, per_target=per_target, weighted=sample_weight is not None)
        if scoring.needs_predictions:
            raise ValueError(f"scoring={self.scoring!r} needs predictions; on dask collections use r2, "
                             "neg_mean_squared_error or neg_root_mean_squared_error")
        folds = block_folds(len(rb), int(self.cv))
        backend = get_backend(self.backend).name
        x_shift, y_shift = centre(rb, self.fit_intercept)
        parts = [dask.delayed(tasks.stats)(*rb.raw(b), x_shift, y_shift, backend, self.n_jobs)
                 for b in range(len(rb))]
        trees = [tree_reduce([parts[b] for b in np.flatnonzero(folds == f)], tasks.merge_stats)
                 for f in range(int(self.cv))]
        fold_stats = dask.compute(*trees)  # the one pass: k small results reach the client
        total = tasks.merge_stats(*fold_stats)
        solver = "eigen" if self.solver == "auto" else self.solver
        bounds = check_bounds(self.bounds, self.positive, rb.n_features)
        solves = AlphaSolves(solver, penalty, bounds)
        out = []
        with np.errstate(over="ignore", invalid="ignore"):
            for f, test in enumerate(fold_stats):
                train = total.subtract(test)
                check_weights(f, train.weight_sum, test.weight_sum, total.weight_sum)
                out.append(stats_scores(train, test, alphas, self.fit_intercept, solves, scoring))
            fold_scores = np.array(out)
            scores = fold_scores.mean(axis=0)
            alpha = self._alpha_vector(scores, alphas, rb.n_targets)
            coef, intercept = solves.refit(total, alpha, self.fit_intercept)
        self.fold_scores_ = fold_scores.transpose(0, 2, 1) if fold_scores.ndim == 3 else fold_scores
        self.gcv_mode_, self.solver_, self.n_iter_ = "blocks", "positive" if bounds is not None else solver, 1
        self._store(alphas, scores, coef, intercept, rb.dtype, rb.y_ndim)
        self._remember_columns(rb)
        return self

    def _linear_model(self):
        return self.coef_, self.intercept_
