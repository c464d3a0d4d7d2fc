"""How tight the reported gap bounds are: bound / true gap at the returned iterate, over random problems.

Usage::

    python benchmarks/gap_bounds_measure.py [--problems 300] [--solvers cg,auto,nesterov,saga]

Each problem is drawn from eight families (tall, wide, ill-conditioned,
weighted, sparse, several targets, no intercept, scaled columns), sizes up to
2000 x 400, ``alpha`` from 1e-4 to 1e3, and a ``tol`` from 1e-3 to 1e-12.  The
true gap ``(J - J*) / J`` is against an independent float64 solve (NumPy's LU on
the centred normal equations, never ridgejit's).  Prints, per solver: how often
the true gap exceeded the bound (it must never), the quantiles of
``bound / true gap`` (the largest over the targets, which ``gap_bound_`` bounds) where
the true gap is above the rounding of ``J`` (1e-14), the fraction within 100x, and per
family how many fits are beyond 100x.
"""

import argparse
import warnings

import numpy as np
import scipy.sparse as sp

from ridgejit.bench.compare import FAMILIES


def problem(seed):
    """``(X, y, sw, alpha, fit_intercept, tol)``: a random problem up to 2000 x 400 and a tol."""
    from ridgejit.bench.compare import random_problem

    tol = 10.0 ** -np.random.default_rng(seed).integers(3, 13)
    return (*random_problem(seed, n_range=(200, 2000), p_range=(5, 400)), tol)


def true_gaps(X, y, sw, alpha, fit_intercept, model):
    X64 = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    n, p = X64.shape
    Y = np.asarray(y).reshape(n, -1)
    s = np.ones(n) if sw is None else sw
    a = np.broadcast_to(np.asarray(alpha, dtype=np.float64), (Y.shape[1],))
    xm = s @ X64 / s.sum() if fit_intercept else np.zeros(p)
    ym = s @ Y / s.sum() if fit_intercept else np.zeros(Y.shape[1])
    Xc = X64 - xm
    G, B = Xc.T @ (s[:, None] * Xc), Xc.T @ (s[:, None] * (Y - ym))
    W = np.asarray(model.coef_, dtype=np.float64).reshape(Y.shape[1], -1)
    b = np.atleast_1d(model.intercept_).astype(np.float64)
    out = []
    for t in range(Y.shape[1]):
        ws = np.linalg.solve(G + a[t] * np.eye(p), B[:, t])

        def J(w, b0):
            r = X64 @ w + b0 - Y[:, t]
            return (s @ (r * r) + a[t] * w @ w) / (2 * n)

        Jw = J(W[t], b[t])
        out.append((Jw - J(ws, ym[t] - xm @ ws)) / Jw)
    return np.array(out)


def main():
    from ridgejit import Ridge, SGDRidge

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", type=int, default=300)
    ap.add_argument("--solvers", default="cg,auto,nesterov,saga")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    for solver in args.solvers.split(","):
        violations, ratios, used, loose = 0, [], 0, {}
        for seed in range(args.problems):
            X, y, sw, alpha, fit_intercept, tol = problem(seed)
            if solver == "saga":
                if np.ndim(alpha) or sp.issparse(X):
                    continue
                X = (X - X.mean(0)) / X.std(0)
                model = SGDRidge(alpha=alpha, solver="saga", tol=tol, max_iter=300, random_state=0,
                                 fit_intercept=fit_intercept).fit(X, y, sample_weight=sw)
                bound = model.gap_bound_
            else:
                model = Ridge(alpha=alpha, solver=solver, tol=tol, fit_intercept=fit_intercept,
                              max_iter=2000).fit(X, y, sample_weight=sw)
                bound = model.gap_bound_
            used += 1
            gaps = true_gaps(X, y, sw, alpha, fit_intercept, model)
            violations += int(np.any(gaps > bound + 1e-13))
            worst = float(np.max(gaps))  # gap_bound_ bounds the largest gap over the targets
            if worst > 1e-14:
                ratios.append(bound / worst)
                family = FAMILIES[seed % len(FAMILIES)]
                total, over = loose.get(family, (0, 0))
                loose[family] = (total + 1, over + int(bound > 100 * worst))
        r = np.array(ratios)
        q = np.quantile(r, [0.5, 0.9, 0.99, 1.0]) if len(r) else [np.nan] * 4
        print(f"{solver:9s} problems {used}: true gap above the bound {violations} times; "
              f"bound / true gap (over {len(r)} fits with a gap above 1e-14): median {q[0]:.3g}, 90% {q[1]:.3g}, "
              f"99% {q[2]:.3g}, max {q[3]:.3g}; within 100x: {np.mean(r <= 100) if len(r) else np.nan:.1%}")
        print("          beyond 100x by family: " + ", ".join(f"{f} {o}/{t}" for f, (t, o) in loose.items() if t))


if __name__ == "__main__":
    main()
