"""Issue 22's "Must show" for Ridge(cov_type=...): interval coverage and the cost of covariances.

Usage::

    python benchmarks/inference_measure.py [--replicates 1000] [--n-samples 1000000] [--repeats 3]

* coverage: a fixed design (200 x 5, correlated columns), ``alpha = 20``, true coefficients
  ``beta``; the ridge estimand is ``E[w] = M^-1 G beta`` (``M = G + alpha I``), the mean of the
  estimator given X.  For each of ``--replicates`` noise draws (homoscedastic for
  ``classical``, heteroscedastic for ``HC3``) the 95 % interval of every coefficient either
  covers the estimand or not; prints the coverage of each coefficient.
* cost: ``Ridge().fit`` against ``Ridge(cov_type="classical")`` and ``"HC3"`` on
  ``--n-samples`` x 100 (data made before timing, kernels compiled before timing): median and
  best of ``--repeats``, and the ratios to the plain fit.
"""

import argparse
import json
import time

import numpy as np

from ridgejit import Ridge


def coverage(replicates):
    rng = np.random.default_rng(0)
    n, p, alpha = 200, 5, 20.0
    X = rng.standard_normal((n, p)) @ (np.eye(p) + 0.5 * rng.standard_normal((p, p)))
    beta = rng.standard_normal(p)
    Xc = X - X.mean(axis=0)
    G = Xc.T @ Xc
    estimand = np.linalg.solve(G + alpha * np.eye(p), G @ beta)
    out = {}
    for cov_type, scale in (("classical", np.ones(n)), ("HC3", 0.3 + np.abs(X[:, 0]))):
        hits = np.zeros(p)
        for _ in range(replicates):
            y = 1.0 + X @ beta + scale * rng.standard_normal(n)
            table = Ridge(alpha=alpha, cov_type=cov_type).fit(X, y).coef_table(level=0.95)
            low, high = table["ci_low"].to_numpy()[1:], table["ci_high"].to_numpy()[1:]
            hits += (low <= estimand) & (estimand <= high)
        out[cov_type] = {"replicates": replicates, "coverage_per_coef": (hits / replicates).tolist()}
    return out


def cost(n, repeats):
    rng = np.random.default_rng(1)
    X = np.empty((n, 100))
    for lo in range(0, n, 100_000):
        X[lo:lo + 100_000] = rng.standard_normal((min(100_000, n - lo), 100))
    y = X @ rng.standard_normal(100) + rng.standard_normal(n)
    out = {}
    for cov_type in (None, "classical", "HC3"):
        Ridge(cov_type=cov_type).fit(X, y)  # compile, and the first large allocations, outside the timing
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            Ridge(cov_type=cov_type).fit(X, y)
            times.append(time.perf_counter() - t0)
        out[str(cov_type)] = {"median_s": float(np.median(times)), "best_s": float(np.min(times))}
    base = out["None"]
    for key in ("classical", "HC3"):
        out[key]["ratio_median"] = out[key]["median_s"] / base["median_s"]
        out[key]["ratio_best"] = out[key]["best_s"] / base["best_s"]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--replicates", type=int, default=1000)
    ap.add_argument("--n-samples", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(json.dumps({"coverage": coverage(args.replicates), "cost": cost(args.n_samples, args.repeats)}, indent=1))


if __name__ == "__main__":
    main()
