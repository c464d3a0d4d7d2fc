"""Issue 21's "Must show": scikit-learn's solver names, positive=True and partial_fit, measured.

Usage::

    python benchmarks/dropin_measure.py [--part names,positive,stream,classifier,sparse_loo,positive_cv]
        [--repeats 3]
        [--stream-rows 5000000]

* ``names``: each scikit-learn solver name on ``ridgejit.Ridge`` against scikit-learn's
  same-named solver at a tight ``tol`` (standardized 5000 x 50, dense and 1 % CSR):
  the normwise relative coefficient difference (where scikit-learn refuses CSR X with an
  intercept, against its fit of a dense copy).
* ``positive``: ``Ridge(positive=True)`` against ``sklearn.linear_model.Ridge(positive=True)``
  (L-BFGS-B at its default tol 1e-4 and at 1e-10) on 1e5 x 100 and 1e6 x 100, isotropic
  columns and correlated ones (cond(X'X) ~ 1e3), about half of the true coefficients
  negative: time (median and best of ``--repeats``), coefficient difference, and each side's
  relative objective gap against an independent optimum (SciPy's NNLS on the Cholesky
  factor of a NumPy-computed centred Gram).
* ``stream``: ``partial_fit`` over 20 chunks against ``fit`` on their concatenation (dense,
  CSR, weighted, 3 targets), then ``--stream-rows`` x 100 in 1e5-row chunks against one
  ``fit`` of the whole array (the data are made before any timing).

* ``classifier``: ``RidgeClassifier`` against scikit-learn's on ``load_digits`` and on
  1e6 x 100 with 5 classes: predictions, decision functions, time.
* ``sparse_loo``: ``RidgeCV(cv=None)`` on 1e5 x 1000 CSR (density 1 %, 13 alphas) against
  scikit-learn's: ``alpha_``, ``best_score_``, ``coef_``, time.
* ``positive_cv``: ``RidgeCV(positive=True, cv=KFold(5))`` (13 alphas) against scikit-learn's
  only route, ``GridSearchCV(Ridge(positive=True), cv=KFold(5))`` (L-BFGS-B at tol 1e-10), on
  2e5 x 50 with correlated columns: ``alpha_``, the fold scores, the refit's coefficients, time.

Every timing is of a fit only: data generation and JIT compilation happen before it.
"""

import argparse
import json
import time

import numpy as np
import scipy.sparse as sp
from scipy import linalg
from scipy.optimize import nnls
from sklearn.linear_model import Ridge as SkRidge
from sklearn.preprocessing import StandardScaler

from ridgejit import Ridge


def timed(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, float(np.median(times)), float(np.min(times))


def rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def names(repeats):
    rng = np.random.default_rng(0)
    X = StandardScaler().fit_transform(rng.standard_normal((5000, 50)) @ rng.standard_normal((50, 50)))
    y = X @ rng.standard_normal(50) + rng.standard_normal(5000)
    S = sp.random(5000, 50, density=0.01, format="csr", random_state=0)
    ys = S @ rng.standard_normal(50) + 0.1 * rng.standard_normal(5000)
    rows = []
    for name in ("cholesky", "svd", "lsqr", "sparse_cg", "sag", "saga"):
        for label, data, target in (("dense", X, y), ("csr", S, ys)):
            # tol is a relative objective gap: with cond ~ 2e4, a coefficient error of 1e-8 needs
            # a gap near 1e-20, which the stochastic solvers reach only in thousands of epochs
            tol = 1e-22 if name in ("sag", "saga") else 1e-15
            ours = Ridge(alpha=1.0, solver=name, tol=tol, max_iter=30_000, random_state=0).fit(data, target)
            sk = SkRidge(alpha=1.0, solver=name, tol=1e-12, max_iter=100_000, random_state=0)
            try:
                theirs, against = sk.fit(data, target), label
            except (ValueError, TypeError):  # cholesky/svd with an intercept refuse CSR X
                theirs, against = sk.fit(data.toarray(), target), "dense copy"
            rows.append({"solver": name, "data": label, "ran": ours.solver_, "sklearn_on": against, "tol": tol,
                         "ridgejit_iter": ours.n_iter_, "sklearn_iter": int(np.max(theirs.n_iter_ or 1)),
                         "coef_rel_diff": rel(ours.coef_, theirs.coef_)})
    return rows


def _objective(X, y, alpha, w, b):
    r = X @ w + b - y
    return (r @ r + alpha * w @ w) / (2 * len(y))


def _independent_positive(X, y, alpha):
    """J* of the non-negative problem: NumPy centred Gram, Cholesky, SciPy NNLS."""
    xm, ym = X.mean(axis=0), y.mean()
    G = X.T @ X - len(y) * np.outer(xm, xm)
    c = X.T @ y - len(y) * xm * ym
    R = linalg.cholesky(G + alpha * np.eye(len(c)))  # A = R^T R
    w = nnls(R, linalg.solve_triangular(R, c, trans="T"), maxiter=50 * len(c))[0]
    return _objective(X, y, alpha, w, ym - xm @ w)


def positive(repeats):
    rows = []
    for kind in ("isotropic", "correlated"):
        for n in (100_000, 1_000_000):
            rng = np.random.default_rng(1)
            M = np.eye(100)
            if kind == "correlated":  # singular values from 1 down to 0.03: cond(X'X) ~ 1e3
                M = rng.standard_normal((100, 100)) * np.logspace(0, -1.5, 100)
            X = np.empty((n, 100))
            for lo in range(0, n, 100_000):
                X[lo:lo + 100_000] = rng.standard_normal((min(100_000, n - lo), 100)) @ M.T
            X += rng.normal(0, 1, 100)
            y = X @ rng.standard_normal(100) + rng.standard_normal(n)
            Ridge(positive=True).fit(X[:1000], y[:1000])  # compile outside the timing
            J_star = _independent_positive(X, y, 1.0)
            gap = lambda m: (_objective(X, y, 1.0, m.coef_, m.intercept_) - J_star) / J_star  # noqa: E731
            ours, t_med, t_best = timed(lambda: Ridge(alpha=1.0, positive=True).fit(X, y), repeats)
            row = {"data": kind, "n": n, "p": 100, "ridgejit_s_median": t_med, "ridgejit_s_best": t_best,
                   "ridgejit_gap": gap(ours), "zeros": int((ours.coef_ == 0).sum()),
                   "min_coef": float(ours.coef_.min()), "ridgejit_exchanges": ours.n_iter_}
            for label, tol in (("default_tol", 1e-4), ("tol_1e-10", 1e-10)):
                theirs, s_med, s_best = timed(lambda: SkRidge(alpha=1.0, positive=True, tol=tol).fit(X, y),
                                              repeats)
                row[label] = {"sklearn_s_median": s_med, "sklearn_s_best": s_best,
                              "speedup_median": s_med / t_med, "speedup_best": s_best / t_best,
                              "sklearn_gap": gap(theirs), "coef_rel_diff": rel(ours.coef_, theirs.coef_)}
            rows.append(row)
    return rows


def stream(repeats, stream_rows):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((4000, 30)) * rng.uniform(0.1, 10, 30) + rng.normal(0, 5, 30)
    Y = X @ rng.standard_normal((30, 3)) + rng.standard_normal((4000, 3))
    sw = rng.uniform(0.1, 3, 4000)
    rows = []
    for label, data in (("dense", X), ("csr", sp.csr_matrix(np.where(rng.random(X.shape) < 0.9, 0, X)))):
        model = Ridge(alpha=2.0)
        for part in np.array_split(np.arange(4000), 20):
            model.partial_fit(data[part], Y[part], sw[part])
        whole = Ridge(alpha=2.0, solver="direct").fit(data, Y, sw)
        rows.append({"chunks": 20, "data": label, "targets": 3, "weighted": True,
                     "coef_rel_diff": rel(model.coef_, whole.coef_)})
    Xl = np.empty((stream_rows, 100))
    for lo in range(0, stream_rows, 100_000):  # made in blocks, before any timing
        Xl[lo:lo + 100_000] = rng.standard_normal((min(100_000, stream_rows - lo), 100))
    yl = Xl @ rng.standard_normal(100) + rng.standard_normal(stream_rows)
    Ridge().partial_fit(Xl[:100_000], yl[:100_000]).coef_  # compile outside the timing (the path of a chunk)

    def by_chunks():
        m = Ridge()
        for lo in range(0, stream_rows, 100_000):
            m.partial_fit(Xl[lo:lo + 100_000], yl[lo:lo + 100_000])
        m.coef_  # noqa: B018  (the solve)
        return m

    streamed, c_med, c_best = timed(by_chunks, repeats)
    whole, f_med, f_best = timed(lambda: Ridge().fit(Xl, yl), repeats)
    rows.append({"n": stream_rows, "p": 100, "chunk_rows": 100_000, "partial_fit_s_median": c_med,
                 "partial_fit_s_best": c_best, "fit_s_median": f_med, "fit_s_best": f_best,
                 "speed_vs_fit_median": f_med / c_med, "speed_vs_fit_best": f_best / c_best,
                 "fit_solver": whole.solver_, "coef_rel_diff": rel(streamed.coef_, whole.coef_)})
    return rows


def classifier(repeats):
    from sklearn.datasets import load_digits
    from sklearn.linear_model import RidgeClassifier as SkRidgeClassifier

    from ridgejit import RidgeClassifier

    rows = []
    Xd, yd = load_digits(return_X_y=True)
    rng = np.random.default_rng(3)
    X = rng.standard_normal((1_000_000, 100)) + rng.normal(0, 1, 100)
    y = np.argmax(X[:, :5] + rng.standard_normal((1_000_000, 5)), axis=1)
    RidgeClassifier().fit(X[:2000], y[:2000])  # compile outside the timing
    for label, data, target in (("load_digits", Xd / 16.0, yd), ("1e6 x 100, 5 classes", X, y)):
        ours, t_med, t_best = timed(lambda: RidgeClassifier(alpha=1.0).fit(data, target), repeats)
        theirs, s_med, s_best = timed(lambda: SkRidgeClassifier(alpha=1.0).fit(data, target), repeats)
        rows.append({"data": label, "ridgejit_s_median": t_med, "ridgejit_s_best": t_best,
                     "sklearn_s_median": s_med, "sklearn_s_best": s_best, "speedup_median": s_med / t_med,
                     "speedup_best": s_best / t_best,
                     "same_predictions": bool(np.array_equal(ours.predict(data), theirs.predict(data))),
                     "decision_rel_diff": rel(ours.decision_function(data), theirs.decision_function(data))})
    return rows


def sparse_loo(repeats):
    from sklearn.linear_model import RidgeCV as SkRidgeCV

    from ridgejit import RidgeCV

    rng = np.random.default_rng(4)
    X = sp.random(100_000, 1000, density=0.01, format="csr", random_state=4)
    y = X @ rng.standard_normal(1000) + 0.1 * rng.standard_normal(100_000)
    alphas = np.logspace(-3, 3, 13)
    RidgeCV(alphas=alphas).fit(X[:2000], y[:2000])  # compile outside the timing
    ours, t_med, t_best = timed(lambda: RidgeCV(alphas=alphas).fit(X, y), repeats)
    theirs, s_med, s_best = timed(lambda: SkRidgeCV(alphas=alphas).fit(X, y), repeats)
    return [{"n": 100_000, "p": 1000, "density": 0.01, "ridgejit_s_median": t_med, "ridgejit_s_best": t_best,
             "sklearn_s_median": s_med, "sklearn_s_best": s_best, "speedup_median": s_med / t_med,
             "speedup_best": s_best / t_best, "same_alpha": bool(ours.alpha_ == theirs.alpha_),
             "best_score_rel_diff": abs(ours.best_score_ - theirs.best_score_) / abs(theirs.best_score_),
             "coef_rel_diff": rel(ours.coef_, theirs.coef_)}]


def positive_cv(repeats):
    from sklearn.model_selection import GridSearchCV, KFold

    from ridgejit import RidgeCV

    rng = np.random.default_rng(5)
    n, p = 200_000, 50
    X = rng.standard_normal((n, p)) @ (rng.standard_normal((p, p)) * np.logspace(0, -1, p)).T + 1.0
    y = X @ rng.standard_normal(p) + rng.standard_normal(n)
    alphas = np.logspace(-2, 4, 13)
    RidgeCV(alphas=alphas, cv=KFold(5), positive=True).fit(X[:1000], y[:1000])  # compile outside the timing
    ours, t_med, t_best = timed(lambda: RidgeCV(alphas=alphas, cv=KFold(5), positive=True).fit(X, y), repeats)
    grid = GridSearchCV(SkRidge(positive=True, tol=1e-10), {"alpha": alphas}, cv=KFold(5))
    theirs, s_med, s_best = timed(lambda: grid.fit(X, y), repeats)
    sk_scores = np.array([theirs.cv_results_[f"split{s}_test_score"] for s in range(5)])
    return [{"n": n, "p": p, "n_alphas": len(alphas), "folds": 5, "ridgejit_s_median": t_med,
             "ridgejit_s_best": t_best, "sklearn_s_median": s_med, "sklearn_s_best": s_best,
             "speedup_median": s_med / t_med, "speedup_best": s_best / t_best,
             "alpha": float(ours.alpha_), "sklearn_alpha": float(theirs.best_params_["alpha"]),
             "fold_score_max_abs_diff": float(np.abs(ours.fold_scores_ - sk_scores).max()),
             "coef_rel_diff": rel(ours.coef_, theirs.best_estimator_.coef_)}]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--part", default="names,positive,stream,classifier,sparse_loo,positive_cv")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--stream-rows", type=int, default=5_000_000)
    args = ap.parse_args()
    parts = args.part.split(",")
    out = {}
    if "names" in parts:
        out["names"] = names(args.repeats)
    if "positive" in parts:
        out["positive"] = positive(args.repeats)
    if "stream" in parts:
        out["stream"] = stream(args.repeats, args.stream_rows)
    if "classifier" in parts:
        out["classifier"] = classifier(args.repeats)
    if "sparse_loo" in parts:
        out["sparse_loo"] = sparse_loo(args.repeats)
    if "positive_cv" in parts:
        out["positive_cv"] = positive_cv(args.repeats)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
