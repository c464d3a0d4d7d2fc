"""Measure the stochastic solvers against scikit-learn's SGDRegressor (issue 20's "Must show").

Run from the repository root::

    python benchmarks/sgd_measure.py            # everything (about 8 minutes on 2 cores)
    python benchmarks/sgd_measure.py --quick    # smaller shapes, one repeat

Sections:

1. Epoch time, ``(T6 - T1) / 5`` (fits of 6 and 1 epochs with ``tol=None``, so
   set-up passes cancel), for default ``SGDRidge(solver="sgd")`` (block shuffle,
   preconditioned), ``SGDRidge(shuffle=True)``, ``SGDRidge(precondition=False)``
   and ``SGDRegressor`` (its default shuffle) on the same data in the same run;
   median and best of the repeats.  Numba is
   compiled before any timing (a small fit of each variant).
2. Convergence of the block shuffle against the full shuffle: relative gap
   ``(J(w) - J*) / J(w)`` of averaged SGD after 1, 5 and 10 epochs, 5 seeds,
   on standardized data and on the same rows sorted by y; ``J*`` from
   scikit-learn's ``Ridge(solver="cholesky")``, ``J`` evaluated here in NumPy.
3. Mini-batch with defaults on standardized 20000 x 50: gap after the fit
   (``max_iter=30``) and per epoch against averaged ``sgd``.
4. Five of 20 columns multiplied by 1e3: R^2 after 20 default ``sgd`` epochs
   against ``Ridge``, and epochs to a gap of 1e-3 (and 1e-5) scaled against
   unscaled; ``precondition=False`` beside it.
5. Sparse text-like data (5e4 x 2e4, log counts of Zipf-distributed columns):
   gaps after 1, 5 and 10 epochs, preconditioned (the default) against plain;
   ``J*`` from scikit-learn's ``Ridge(solver="sparse_cg", tol=1e-10)``.
6. Ten targets in one pass: epoch time of every solver with its defaults,
   y of shape (n, 10) against 1-D y, (T6 - T1) / 5, 1e6 x 100, medians of 3
   (``--part targets``: this section alone).
"""

import argparse
import time
import warnings

import numpy as np
from scipy import sparse
from sklearn.linear_model import Ridge, SGDRegressor

from ridgejit import SGDRidge

warnings.filterwarnings("ignore")


def objective(X, y, alpha, w, b):
    r = X @ w + b - y
    return (r @ r + alpha * w @ w) / (2 * len(y))


def gap(X, y, alpha, model, J_star):
    J = objective(X, y, alpha, np.ravel(model.coef_), float(np.ravel(model.intercept_)[0]))
    return (J - J_star) / J


def optimum(X, y, alpha):
    ref = Ridge(alpha=alpha, solver="cholesky").fit(X, y)
    return objective(X, y, alpha, ref.coef_, ref.intercept_)


def epoch_times(n, p, repeats):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, p))
    y = X @ rng.standard_normal(p) + rng.standard_normal(n)
    alpha = 1.0
    makers = {
        "SGDRidge (blocks, default)": lambda e: SGDRidge(alpha=alpha, max_iter=e, tol=None, random_state=0),
        "SGDRidge (shuffle=True)": lambda e: SGDRidge(alpha=alpha, max_iter=e, tol=None, shuffle=True,
                                                      random_state=0),
        "SGDRidge (precondition=False)": lambda e: SGDRidge(alpha=alpha, max_iter=e, tol=None,
                                                            precondition=False, random_state=0),
        "SGDRegressor": lambda e: SGDRegressor(alpha=alpha / n, max_iter=e, tol=None, random_state=0),
    }
    for make in makers.values():  # compile Numba (and warm caches) outside the timings
        make(2).fit(X[:2000], y[:2000])
    out = {}
    for name, make in makers.items():
        per_epoch = []
        for _ in range(repeats):
            t = []
            for e in (6, 1):
                m = make(e)
                t0 = time.perf_counter()
                m.fit(X, y)
                t.append(time.perf_counter() - t0)
            per_epoch.append((t[0] - t[1]) / 5)
        out[name] = (float(np.median(per_epoch)), float(np.min(per_epoch)))
    sk = out["SGDRegressor"]
    print(f"\n## Epoch time, {n} x {p} float64 ({repeats} repeats; ratio = SGDRegressor / ours)")
    print("| estimator | median s/epoch | best s/epoch | ratio (median) | ratio (best) |")
    print("|---|---|---|---|---|")
    for name, (med, best) in out.items():
        print(f"| {name} | {med:.3f} | {best:.3f} | {sk[0] / med:.2f}x | {sk[1] / best:.2f}x |")


def convergence(n, p):
    rng = np.random.default_rng(1)
    C = rng.standard_normal((p, p)) * 0.3 + np.eye(p)
    X = rng.standard_normal((n, p)) @ C
    X = (X - X.mean(0)) / X.std(0)
    y = X @ rng.standard_normal(p) + 2.0 * rng.standard_normal(n)
    alpha = 1.0
    order = np.argsort(y, kind="stable")
    print(f"\n## Block shuffle against full shuffle, averaged SGD, {n} x {p}, median over 5 seeds")
    print("| data | epochs | gap, blocks | gap, full shuffle | ratio |")
    print("|---|---|---|---|---|")
    for label, (Xs, ys) in (("standardized", (X, y)), ("sorted by y", (X[order], y[order]))):
        J_star = optimum(Xs, ys, alpha)
        gaps = {}
        for shuffle in ("blocks", True):
            g = np.zeros((5, 3))
            for seed in range(5):
                for k, epochs in enumerate((1, 5, 10)):
                    m = SGDRidge(alpha=alpha, average=True, max_iter=epochs, tol=None, shuffle=shuffle,
                                 random_state=seed).fit(Xs, ys)
                    g[seed, k] = gap(Xs, ys, alpha, m, J_star)
            gaps[shuffle] = np.median(g, axis=0)
        for k, epochs in enumerate((1, 5, 10)):
            b, f = gaps["blocks"][k], gaps[True][k]
            print(f"| {label} | {epochs} | {b:.3e} | {f:.3e} | {b / f:.2f} |")


def standardized(n, p, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X = (X - X.mean(0)) / X.std(0)
    return X, X @ rng.standard_normal(p) + rng.standard_normal(n)


def minibatch():
    X, y = standardized(20000, 50)
    alpha = 1.0
    J_star = optimum(X, y, alpha)
    m = SGDRidge(alpha=alpha, solver="minibatch", max_iter=30, random_state=0).fit(X, y)
    print("\n## Mini-batch with defaults, standardized 20000 x 50")
    print(f"defaults (max_iter=30): {m.n_iter_} epochs, batch {m._sgd_state.batch_size}, "
          f"relative gap {gap(X, y, alpha, m, J_star):.2e}")
    print("| epochs | minibatch (defaults) | sgd, average=True | sgd (defaults) |")
    print("|---|---|---|---|")
    for epochs in (1, 2, 5, 10, 30):
        row = [gap(X, y, alpha, SGDRidge(alpha=alpha, random_state=0, max_iter=epochs, tol=None, **kw)
                   .fit(X, y), J_star)
               for kw in (dict(solver="minibatch"), dict(average=True), dict())]
        print(f"| {epochs} | " + " | ".join(f"{g:.2e}" for g in row) + " |")


def epochs_to(X, y, alpha, target, J_star, limit=200, **kw):
    m = SGDRidge(alpha=alpha, random_state=0, max_iter=1, tol=None, **kw)
    for epoch in range(1, limit + 1):
        m.partial_fit(X, y)
        if gap(X, y, alpha, m, J_star) <= target:
            return epoch
    return None


def scaled_columns():
    X, y = standardized(20000, 20)
    Xs = X.copy()
    Xs[:, :5] *= 1e3
    alpha = 1.0
    print("\n## Five of 20 columns times 1e3, default sgd (precondition=False in brackets)")
    print("| data | Ridge R^2 | SGDRidge R^2 (20 epochs) | epochs to gap 1e-3 | epochs to gap 1e-5 |")
    print("|---|---|---|---|---|")
    for label, Z in (("unscaled", X), ("scaled", Xs)):
        r2_ridge = Ridge(alpha=alpha).fit(Z, y).score(Z, y)
        J_star = optimum(Z, y, alpha)
        cells = []
        for kw in ({}, {"precondition": False}):
            r2 = SGDRidge(alpha=alpha, max_iter=20, tol=None, random_state=0, **kw).fit(Z, y).score(Z, y)
            cells.append((f"{r2:.4f}", epochs_to(Z, y, alpha, 1e-3, J_star, **kw),
                          epochs_to(Z, y, alpha, 1e-5, J_star, **kw)))
        row = [f"{a} ({b})" for a, b in zip(*cells)]
        print(f"| {label} | {r2_ridge:.4f} | " + " | ".join(row) + " |")


def text_like(n=50000, p=20000, per_row=50, seed=0):
    """CSR X with Zipf-distributed columns (a few frequent, most rare) and log1p counts."""
    rng = np.random.default_rng(seed)
    cols = np.minimum(rng.zipf(1.3, n * per_row) - 1, p - 1)
    rows = np.repeat(np.arange(n), per_row)
    X = sparse.csr_matrix((rng.poisson(1.0, n * per_row) + 1.0, (rows, cols)), shape=(n, p))
    X.sum_duplicates()
    X.data = np.log1p(X.data)
    w = rng.standard_normal(p) * (rng.random(p) < 0.1)
    return X, X @ w + 0.5 * rng.standard_normal(n)


def sparse_text():
    X, y = text_like()
    alpha = 10.0
    ref = Ridge(alpha=alpha, solver="sparse_cg", tol=1e-10, max_iter=5000).fit(X, y)
    J_star = objective(X, y, alpha, ref.coef_, ref.intercept_)
    print(f"\n## Sparse text-like {X.shape[0]} x {X.shape[1]}, {X.nnz / X.shape[0]:.1f} values per row")
    print("| epochs | gap, preconditioned (default) | gap, precondition=False |")
    print("|---|---|---|")
    for epochs in (1, 5, 10):
        g = [gap(X, y, alpha, SGDRidge(alpha=alpha, max_iter=epochs, tol=None, random_state=0, **kw)
                 .fit(X, y), J_star) for kw in ({}, {"precondition": False})]
        print(f"| {epochs} | {g[0]:.3e} | {g[1]:.3e} |")


def many_targets(n=1000000, p=100, k=10, repeats=3, solver="sgd"):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, p))
    Y = X @ rng.standard_normal((p, k)) + rng.standard_normal((n, k))
    targets = {"1 target": Y[:, 0].copy(), f"{k} targets": Y}
    for y in targets.values():  # compile outside the timings
        SGDRidge(solver=solver, max_iter=2, tol=None, random_state=0).fit(X[:2000], y[:2000])
    per_epoch = {name: [] for name in targets}
    for _ in range(repeats):  # interleaved, so a slow spell of the machine hits both
        for name, y in targets.items():
            t = []
            for e in (6, 1):
                t0 = time.perf_counter()
                SGDRidge(solver=solver, max_iter=e, tol=None, random_state=0).fit(X, y)
                t.append(time.perf_counter() - t0)
            per_epoch[name].append((t[0] - t[1]) / 5)
    med = {name: float(np.median(v)) for name, v in per_epoch.items()}
    best = {name: float(np.min(v)) for name, v in per_epoch.items()}
    print(f"\n## {k} targets in one pass, default {solver}, {n} x {p} ({repeats} repeats)")
    print("| y | median s/epoch | best s/epoch |")
    print("|---|---|---|")
    for name in targets:
        print(f"| {name} | {med[name]:.3f} | {best[name]:.3f} |")
    one, many = "1 target", f"{k} targets"
    print(f"ratio {many} / {one}: {med[many] / med[one]:.2f}x (median), {best[many] / best[one]:.2f}x (best)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller shapes, one repeat")
    parser.add_argument("--part", choices=["all", "targets"], default="all",
                        help="'targets': section 6 alone")
    args = parser.parse_args()
    repeats = 1 if args.quick else 3
    n_targets_rows = 200000 if args.quick else 1000000
    if args.part == "all":
        if args.quick:
            epoch_times(200000, 100, repeats)
            convergence(20000, 20)
        else:
            epoch_times(1000000, 100, repeats)
            epoch_times(50000, 2000, repeats)
            convergence(1000000, 100)
            convergence(200000, 50)
        minibatch()
        scaled_columns()
        sparse_text()
    for solver in ("sgd", "minibatch", "sag", "saga", "svrg"):
        many_targets(n_targets_rows, repeats=repeats, solver=solver)


if __name__ == "__main__":
    main()
