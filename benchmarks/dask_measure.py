"""One-off measurement: ridgejit.dask.Ridge against dask-ml and dask.array on a two-worker LocalCluster.

    python benchmarks/dask_measure.py --n-samples 2000000 --n-features 100 --chunk-rows 250000

Data: ``X = Z M`` with ``Z`` standard normal and ``M = I + 0.3 G / sqrt(p)``
(correlated columns, unit scales, zero means: fair to a gradient method),
``y = X w + 0.5 noise``, generated on the workers (seeded) and persisted
before any timing.  Timed, wall clock, best of ``--repeats`` where cheap:

* ``ridgejit.dask.Ridge(alpha, fit_intercept=False)`` (``solver="direct"``),
  and with ``fit_intercept=True`` for reference;
* ``dask.compute(X.T @ X, X.T @ y)`` on the same collection (dask.array's
  own products: what an exact fit cannot avoid computing);
* dask-ml ``LinearRegression(penalty="l2", solver="lbfgs",
  fit_intercept=False, C=1/(2 alpha))`` with decreasing ``tol`` until its
  relative objective gap is <= 1e-8 (dask-glm minimises
  ``||y - X b||^2 + (1/C) ||b||^2 / 2``, i.e. ``2n J`` with ``alpha = 1/(2C)``;
  dask-ml penalises an intercept column too, hence ``fit_intercept=False``).
  Each fit is timed once, loosest ``tol`` first; the time reported is that of
  the first (so the fastest tried) fit that reaches the gap.

Gaps use one evaluation for every model:
``J(w) = (||X w - y||^2 + alpha ||w||^2) / (2n)`` by dask.array, relative to
ridgejit's exact optimum.  dask-ml is optional (``pip install dask-ml``).
"""

import argparse
import json
import time
import warnings

import dask
import dask.array as da
import numpy as np
from distributed import Client, LocalCluster, wait

from ridgejit.dask import Ridge


def _best(fn, repeats):
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _data(n, p, rows, seed=0):
    rng = np.random.default_rng(seed)
    M = np.eye(p) + 0.3 * rng.standard_normal((p, p)) / np.sqrt(p)
    w = rng.standard_normal(p)
    gen = da.random.default_rng(seed + 1)
    X = gen.standard_normal((n, p), chunks=(rows, p)) @ M
    y = X @ w + 0.5 * gen.standard_normal(n, chunks=rows)
    return X, y


def _objective(X, y, w, alpha):
    n = X.shape[0]
    (rss,) = dask.compute(((X @ w - y) ** 2).sum())
    return (float(rss) + alpha * float(w @ w)) / (2 * n)


def _relative_gradient(X, y, w, alpha):
    """``||grad J(w)|| / ||grad J(0)||``: how far ``w`` is from the optimum, without a reference."""
    g, g0 = dask.compute(X.T @ (X @ w - y), X.T @ y)
    return float(np.linalg.norm(g + alpha * w) / np.linalg.norm(g0))


def _dask_ml(X, y, alpha, J_star, tols, max_iter):
    try:
        from dask_ml.linear_model import LinearRegression
    except ImportError as exc:
        print(f"dask-ml not available ({exc}): skipped", flush=True)
        return None
    LinearRegression(penalty="l2", solver="lbfgs", fit_intercept=False).fit(X[:2000], y[:2000])
    runs = []
    for tol in tols:
        est = LinearRegression(penalty="l2", solver="lbfgs", fit_intercept=False, C=1 / (2 * alpha),
                               tol=tol, max_iter=max_iter)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y)
        elapsed = time.perf_counter() - t0
        gap = (_objective(X, y, np.asarray(est.coef_), alpha) - J_star) / J_star
        runs.append({"tol": tol, "seconds": elapsed, "gap": gap, "coef": np.asarray(est.coef_),
                     "n_iter": getattr(est, "n_iter_", None)})
        print(f"dask-ml lbfgs tol={tol:<8g} {elapsed:9.3f} s   gap {gap:.2e}", flush=True)
        if gap <= 1e-8:
            break
    return runs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-samples", type=int, default=2_000_000)
    ap.add_argument("--n-features", type=int, default=100)
    ap.add_argument("--chunk-rows", type=int, default=250_000)
    ap.add_argument("--alpha", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--memory-limit", default="6GiB", help="per worker")
    ap.add_argument("--tols", default="100,30,10,1,0.1", help="dask-ml tol values, tried in order")
    ap.add_argument("--max-iter", type=int, default=1000)
    ap.add_argument("--no-dask-ml", action="store_true")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args(argv)

    alpha = args.alpha
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit=args.memory_limit,
                      dashboard_address=None) as cluster, Client(cluster):
        X, y = dask.persist(*_data(args.n_samples, args.n_features, args.chunk_rows))
        wait([X, y])
        print(f"data: {X.shape[0]} x {X.shape[1]} float64 in {X.numblocks[0]} blocks of "
              f"{args.chunk_rows} rows, persisted on 2 workers", flush=True)
        Ridge(alpha=alpha, fit_intercept=False).fit(X[:2000], y[:2000])  # worker imports, BLAS pools
        t_rj, model = _best(lambda: Ridge(alpha=alpha, fit_intercept=False).fit(X, y), args.repeats)
        t_rj_b, _ = _best(lambda: Ridge(alpha=alpha).fit(X, y), args.repeats)
        print(f"ridgejit.dask.Ridge direct       {t_rj:9.3f} s   (fit_intercept=True: {t_rj_b:.3f} s)",
              flush=True)
        t_gram, _ = _best(lambda: dask.compute(X.T @ X, X.T @ y), args.repeats)
        print(f"dask.array X.T @ X, X.T @ y      {t_gram:9.3f} s", flush=True)
        J_star = _objective(X, y, model.coef_, alpha)
        results = {"n_samples": args.n_samples, "n_features": args.n_features, "chunk_rows": args.chunk_rows,
                   "alpha": alpha, "ridgejit_s": t_rj, "ridgejit_intercept_s": t_rj_b,
                   "dask_array_products_s": t_gram, "ratio_products_over_ridgejit": t_gram / t_rj,
                   "objective": J_star, "ridgejit_relative_gradient": _relative_gradient(X, y, model.coef_, alpha)}
        print(f"ridgejit relative gradient norm  {results['ridgejit_relative_gradient']:.2e}", flush=True)
        runs = None if args.no_dask_ml else _dask_ml(X, y, alpha, J_star, [float(t) for t in args.tols.split(",")],
                                                     args.max_iter)
        if runs:
            last = runs[-1]
            results.update(
                dask_ml_runs=[{k: v for k, v in r.items() if k != "coef"} for r in runs],
                dask_ml_s=last["seconds"], dask_ml_gap=last["gap"], ratio_dask_ml_over_ridgejit=last["seconds"] / t_rj,
                coef_rel_diff=float(np.linalg.norm(last["coef"] - model.coef_) / np.linalg.norm(model.coef_)),
            )
    print(json.dumps(results, indent=2))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
