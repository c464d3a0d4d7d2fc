"""The three ways :class:`~ridgejit.cv.ridgecv.RidgeCV` scores every alpha, and what they store.

:class:`AlphaModes` is a mixin of ``RidgeCV`` (it reads the estimator's parameters):
``_fit_loo`` (leave-one-out, :mod:`ridgejit.cv.leave_one_out`), ``_fit_kfold`` (fold
statistics, :mod:`ridgejit.cv.kfold`) and ``_fit_sparse`` (multi-shift CG on CSR X,
:mod:`ridgejit.cv.sparse_kfold`) each return ``(coef, intercept, scores)``; ``_store``
sets the fitted attributes from them.
"""

import numpy as np

from .kfold import cross_validate
from .leave_one_out import leave_one_out
from .path import DEFAULT_MAX_ITER
from .scores import select_best
from .sparse_kfold import sparse_cross_validate
from .._threads import weighted_sum
from .._validation import fitted_shapes


class AlphaModes:
    """Leave-one-out, k-fold and sparse k-fold for :class:`RidgeCV` (see the module docstring)."""

    def _store(self, alphas, scores, coef, intercept, dtype, y_ndim):
        """Set ``alphas_``, ``mean_scores_``, ``best_score_``, ``alpha_``, ``coef_``, ``intercept_``.

        ``scores``: ``(n_alphas,)`` or ``(n_alphas, k)`` (per target);
        ``coef`` ``(k, p)`` and ``intercept`` ``(k,)`` fitted with ``alpha_``.
        """
        best = select_best(scores)
        self.alphas_ = alphas
        self.mean_scores_ = scores.T if scores.ndim == 2 else scores
        if scores.ndim == 2:
            self.best_score_ = scores[best, np.arange(scores.shape[1])]
            self.alpha_ = alphas[best] if coef.shape[0] > 1 else float(alphas[best[0]])
        else:
            self.best_score_ = float(scores[best])
            self.alpha_ = float(alphas[best])
        if not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
            raise ValueError("RidgeCV produced non-finite coefficients: rescale X and y")
        self.coef_, self.intercept_ = fitted_shapes(coef, intercept, dtype, y_ndim)
        if not self.fit_intercept:
            self.intercept_ = 0.0  # scikit-learn's RidgeCV (and LinearModel) convention
        return self

    @staticmethod
    def _best_per_target(scores, k):
        """Index of the chosen alpha for each of ``k`` targets (one shared index unless per target)."""
        best = select_best(scores)
        return best if scores.ndim == 2 else np.full(k, best)

    def _alpha_vector(self, scores, alphas, k):
        return alphas[self._best_per_target(scores, k)]

    def _fit_loo(self, X, y, Y, sw, alphas, scoring, backend, penalty):
        keep = None
        if self.store_cv_results:
            keep = "squared" if scoring.kind == "loo_mse" else "predictions"
        elif scoring.needs_predictions:
            keep = "predictions"
        tally, coef_for, x_mean, y_mean, mode = leave_one_out(
            X, Y, sw, alphas, self.fit_intercept, backend, keep, penalty)
        if scoring.needs_predictions:
            scores = np.array([scoring.call(tally.stored[:, :, a], y, sw) for a in range(len(alphas))])
        else:
            ybar = weighted_sum(sw, Y) / sw.sum()
            sst = weighted_sum(sw, (Y - ybar) ** 2)
            scores = scoring.from_sums(tally.sse, sst, sw.sum(), X.shape[0])
        if self.verbose:
            for a, s in zip(alphas, scores):
                print(f"[RidgeCV] alpha={a:.6g} leave-one-out score {s}")
        if self.store_cv_results:
            stored = tally.stored[:, 0, :] if y.ndim == 1 else tally.stored
            self.cv_results_ = stored.astype(X.dtype, copy=False)  # scikit-learn: X's dtype
        self.gcv_mode_, self.solver_, self.fold_scores_ = mode, "eigen", None
        coef = coef_for(self._alpha_vector(scores, alphas, Y.shape[1]))
        return coef, y_mean - coef @ x_mean, scores

    def _fit_kfold(self, X, y, Y, sw, alphas, scoring, backend, split_params, solves):
        splits = self._splits(X, y, split_params)
        fold_scores, total, mode = cross_validate(
            X, y, Y, sw, alphas, splits, fit_intercept=self.fit_intercept, solves=solves,
            scoring=scoring, backend=backend, verbose=self.verbose)
        scores = fold_scores.mean(axis=0)
        self.fold_scores_ = fold_scores.transpose(0, 2, 1) if fold_scores.ndim == 3 else fold_scores
        self.gcv_mode_, self.solver_ = mode, "positive" if solves.bounds is not None else solves.solver
        coef, intercept = solves.refit(total, self._alpha_vector(scores, alphas, Y.shape[1]), self.fit_intercept)
        return coef, intercept, scores

    def _fit_sparse(self, X, y, Y, sw, alphas, scoring, backend, split_params):
        splits = self._splits(X, y, split_params)
        fold_scores, coefs, intercepts, self.n_iter_ = sparse_cross_validate(
            X, y, Y, sw, alphas, splits, fit_intercept=self.fit_intercept, scoring=scoring,
            backend=backend, tol=self.tol, max_iter=self.max_iter or DEFAULT_MAX_ITER, verbose=self.verbose)
        scores = fold_scores.mean(axis=0)
        self.fold_scores_ = fold_scores.transpose(0, 2, 1) if fold_scores.ndim == 3 else fold_scores
        self.gcv_mode_, self.solver_ = "multishift", "cg"
        best = self._best_per_target(scores, Y.shape[1])
        t = np.arange(Y.shape[1])
        return coefs[best, t], intercepts[best, t], scores
