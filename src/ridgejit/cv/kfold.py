"""k-fold (or any splitter) cross-validation from per-fold sufficient statistics.

Pass 1 (the only one for ``r2`` / ``neg_mean_squared_error`` /
``neg_root_mean_squared_error``): when the splitter's test sets are disjoint
and each training set is the complement of its test set (``KFold``,
``StratifiedKFold``, ``GroupKFold``, ``LeaveOneGroupOut``, ...), the
``sufficient_stats`` kernel reads every row once and fills one
:class:`~ridgejit.stats.SufficientStats` per fold, all around one
common centre (the first row).  Fold ``f``'s training statistics are the total
minus fold ``f``'s (:meth:`ridgejit.stats.SufficientStats.subtract`).  Other splitters (``ShuffleSplit``,
``TimeSeriesSplit``, repeated k-fold) read each split's training and test rows
once (a pass per split) and all rows once more for the final refit.

Every (alpha, fold) solve then costs ``O(p^2)`` from the training statistics
(``solver="eigen"``: ``G_t = V diag(l) V^T`` once per fold,
``w(a) = V diag(1/(l + a)) V^T b_t``; ``solver="cholesky"``: one Cholesky per
alpha and fold), and the validation sum of squares comes from the test
statistics centred on their own means ``(xbar_v, ybar_v)``:

    SSE_t = yc_t^T S yc_t - 2 w_t . (Xc^T S yc_t) + w_t^T (Xc^T S Xc) w_t + W_v delta_t^2,
    delta_t = ybar_vt - b_t - xbar_v . w_t      (the mean validation residual)

with ``b_t`` the training intercept: no second pass.  A scorer that needs
predictions costs pass 2: each fold's test rows are read in blocks and
``X_b @ [w(a_1) ... w(a_m)]`` predicts every alpha at once.  The final model
refits ``alpha_`` from the total statistics (Cholesky, no pass).  With
``positive=True`` each (alpha, fold, target) model is the exact non-negative QP on
the same statistics (:class:`AlphaSolves`): still one pass over X for everything.
"""

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from .eigen import block_rows, inverse_shifts, penalized_eigh
from ..problem import penalty_matrix_of, readonly_view
from ..solvers.positive import box_qp, exact_from_stats
from ..stats import SufficientStats, solve_spd

def _index_blocks(rows, size):
    """Row selections of at most ``size`` rows: slices where rows are contiguous (views)."""
    rows = np.asarray(rows, dtype=np.intp)
    if rows.size and rows[-1] - rows[0] == rows.size - 1 and np.all(np.diff(rows) == 1):
        yield slice(int(rows[0]), int(rows[-1]) + 1)  # the kernels chunk it themselves
        return
    for lo in range(0, rows.size, size):
        yield rows[lo : lo + size]


def rows_stats(backend, X, Y, sw, rows, template):
    """Sufficient statistics of ``X[rows]`` around ``template``'s centre, in row blocks.

    Non-contiguous rows are gathered ``block_rows`` at a time into a temporary
    (never a copy of the whole selection).
    """
    stats = SufficientStats(template.x_shift, template.y_shift)
    for idx in _index_blocks(rows, block_rows(X.shape[1])):
        Xb = X[idx] if isinstance(idx, slice) else readonly_view(X[idx])
        stats.add(backend, Xb, Y[idx], sw[idx])
    return stats


def fold_labels(splits, n):
    """Fold index of every row (-1: in no test set), or None if ``splits`` is not a partition.

    A partition here: test sets are disjoint and each training set is exactly
    the complement of its test set.
    """
    label = np.full(n, -1, dtype=np.intp)
    for s, (train, test) in enumerate(splits):
        if np.bincount(test, minlength=n).max(initial=0) > 1 or (label[test] >= 0).any():
            return None
        label[test] = s
        in_train = np.zeros(n, dtype=bool)
        in_train[train] = True
        if len(train) != in_train.sum() or in_train[test].any() or len(train) + len(test) != n:
            return None
    return label


class AlphaSolves(NamedTuple):
    """How every alpha is solved from a training set's statistics (no pass over X).

    ``solver``: ``"eigen"`` (one generalized eigendecomposition,
    :func:`ridgejit.cv.eigen.penalized_eigh`, then ``O(p^2)`` per alpha) or
    ``"cholesky"`` (one per alpha); ``penalty``: ``None``, factors or a matrix;
    ``bounds``: ``(lower, upper)`` (``positive=True`` is ``(0, inf)``): the bound-constrained
    QP (:func:`ridgejit.solvers.positive.box_qp`) per alpha and target instead, whatever
    ``solver``.
    """

    solver: str = "eigen"
    penalty: np.ndarray | None = None
    bounds: tuple | None = None

    def coefs(self, train, alphas, fit_intercept):
        """Coefficients ``(A, k, p)`` and intercepts ``(A, k)`` of every alpha on ``train``."""
        gram, xty, _, x_mean, y_mean = train.centred(fit_intercept)
        p, k = xty.shape
        if self.bounds is not None:
            D = penalty_matrix_of(self.penalty, p)
            coefs = np.array([[box_qp(gram + a * D, xty[:, t], *self.bounds)[0] for t in range(k)] for a in alphas])
        elif self.solver == "eigen":
            lam, V, free = penalized_eigh(gram, self.penalty)
            D = inverse_shifts(lam, alphas, free)
            coefs = np.einsum("pj,ja,jt->atp", V, D, V.T @ xty)
        else:
            coefs = np.stack([solve_spd(gram, xty, np.full(k, a), penalty=self.penalty) for a in alphas])
        return coefs, y_mean - coefs @ x_mean

    def refit(self, total, alpha, fit_intercept):
        """``(coef (k, p), intercept (k,))`` with ``alpha[t]`` for target ``t`` on all rows."""
        return exact_from_stats(total, alpha, fit_intercept, penalty=self.penalty, bounds=self.bounds)[:2]


def _sse(test, coefs, intercepts):
    """Weighted validation SSE ``(A, k)`` and SST ``(k,)`` from the test statistics."""
    gram, xty, yty, x_mean, y_mean = test.centred(True)
    delta = y_mean - intercepts - coefs @ x_mean
    sse = (np.diag(yty) - 2.0 * np.einsum("atp,pt->at", coefs, xty)
           + np.einsum("atp,pq,atq->at", coefs, gram, coefs) + test.weight_sum * delta**2)
    return np.maximum(sse, 0.0), np.diag(yty).copy()


def stats_scores(train, test, alphas, fit_intercept, solves, scoring):
    """Scores of every alpha on one split from its training and test statistics alone.

    ``solves`` is an :class:`AlphaSolves`; ``scoring`` must not need predictions (``r2``,
    ``neg_mean_squared_error``, ``neg_root_mean_squared_error``).  Returns
    ``(n_alphas,)`` or ``(n_alphas, k)``.
    """
    coefs, intercepts = solves.coefs(train, alphas, fit_intercept)
    sse, sst = _sse(test, coefs, intercepts)
    return scoring.from_sums(sse, sst, test.weight_sum, test.n_samples)


def predictions(X, rows, coefs, intercepts):
    """Predictions ``(m, A, k)`` of every alpha for ``X[rows]``: one product per row block.

    ``X`` dense or CSR (a CSR block is a row selection, multiplied by SciPy).
    """
    A, k, p = coefs.shape
    Wm = coefs.reshape(A * k, p).T
    b = intercepts.reshape(A * k)
    out = np.empty((len(rows), A * k))
    pos = 0
    for idx in _index_blocks(rows, block_rows(p)):
        Xb = X[idx]
        m = Xb.shape[0]
        out[pos : pos + m] = (Xb if sp.issparse(Xb) else np.asarray(Xb, dtype=np.float64)) @ Wm + b
        pos += m
    return out.reshape(len(rows), A, k)


def check_weights(s, train_weight, test_weight, total_weight):
    """ValueError naming split ``s`` when its test or training set has no weight."""
    if not test_weight > 0:
        raise ValueError(
            f"fold {s} of the cross-validation has zero total sample weight in its test set: "
            "its validation score is undefined; change the weights or the folds"
        )
    if not train_weight > 1e-12 * total_weight:
        raise ValueError(f"fold {s} of the cross-validation has zero total sample weight in its training set")


def cross_validate(X, y, Y, sw, alphas, splits, *, fit_intercept, solves, scoring, backend, verbose=0):
    """Scores of every alpha on every split, and the total statistics for the refit.

    Parameters
    ----------
    X : ndarray (n, p) ; y : the validated target (1-D or 2-D, passed to scorers)
    Y : ndarray (n, k) float64 ; sw : ndarray (n,)
    alphas : ndarray (n_alphas,), >= 0
    splits : list of (train, test) index arrays
    fit_intercept : bool ; solves : AlphaSolves
    scoring : ridgejit.cv.scores.Scoring ; backend : kernels.Backend

    Returns
    -------
    fold_scores : ndarray (n_splits, n_alphas) or (n_splits, n_alphas, k) (per target)
    total : SufficientStats of all rows
    mode : {"folds", "splits"}
        ``folds``: one pass for all folds (partition); ``splits``: a pass per split.
    """
    n = X.shape[0]
    X = X if sp.issparse(X) else readonly_view(X)
    centre = SufficientStats.around_first_row(X, Y, fit_intercept)
    labels = fold_labels(splits, n)
    if labels is not None:  # pass 1: each row once, into its fold's statistics
        tests = [rows_stats(backend, X, Y, sw, test, centre) for _, test in splits]
        total = rows_stats(backend, X, Y, sw, np.flatnonzero(labels < 0), centre)
        for t in tests:
            total.merge(t)
        pairs = [(total.subtract(t), t) for t in tests]
        mode = "folds"
    else:
        pairs = [(rows_stats(backend, X, Y, sw, tr, centre), rows_stats(backend, X, Y, sw, te, centre))
                 for tr, te in splits]
        total = rows_stats(backend, X, Y, sw, np.arange(n), centre)
        mode = "splits"
    out = []
    for s, ((_, test_rows), (train, test)) in enumerate(zip(splits, pairs)):
        check_weights(s, train.weight_sum, test.weight_sum, total.weight_sum)
        if scoring.needs_predictions:  # pass 2, over this fold's test rows
            coefs, intercepts = solves.coefs(train, alphas, fit_intercept)
            P = predictions(X, test_rows, coefs, intercepts)
            scores = scoring.from_predictions(P, y[test_rows], sw[test_rows])
        else:
            scores = stats_scores(train, test, alphas, fit_intercept, solves, scoring)
        if verbose:
            print(f"[RidgeCV] fold {s}: scores {np.array2string(np.asarray(scores), precision=5)}")
        out.append(scores)
    return np.array(out), total, mode
