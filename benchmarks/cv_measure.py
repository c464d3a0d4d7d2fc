"""One-off measurement: ridgejit.RidgeCV against scikit-learn's RidgeCV (cv=None and cv=5).

    python benchmarks/cv_measure.py --n-samples 1000000 --n-features 100

Data come from :func:`ridgejit.compare.make_regression` (seed 0, generated
before any timing); the JIT and the BLAS thread pools are warmed on 2,000 rows
first.  Each fit is timed once (wall clock): on a 2-core machine scikit-learn's
fits take tens of seconds, and repeating them would say little more.  Prints
one line per fit and a summary with the ratios and whether ``alpha_`` agrees.
"""

import argparse
import json
import pathlib
import time
import warnings

import numpy as np
from sklearn.linear_model import RidgeCV as SkRidgeCV
from threadpoolctl import threadpool_limits

from ridgejit import RidgeCV
from ridgejit.compare import make_regression


def _timed(label, est, X, y, threads):
    t0 = time.perf_counter()
    with warnings.catch_warnings(), threadpool_limits(limits=threads):
        warnings.simplefilter("ignore")
        est.fit(X, y)
    elapsed = time.perf_counter() - t0
    print(f"{label:<28s} {elapsed:9.3f} s   alpha_={est.alpha_:.6g}", flush=True)
    return elapsed, float(est.alpha_)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-samples", type=int, default=1_000_000)
    ap.add_argument("--n-features", type=int, default=100)
    ap.add_argument("--n-alphas", type=int, default=20)
    ap.add_argument("--modes", default="loo,kfold", help="comma list of loo, kfold")
    ap.add_argument("--no-sklearn", action="store_true", help="time ridgejit only")
    ap.add_argument("--threads", type=int, default=None,
                    help="BLAS/OpenMP threads for every fit (default: as configured); "
                         "1 is steadier on a machine shared with other jobs")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args(argv)

    alphas = np.logspace(-3, 3, args.n_alphas)
    X, y = make_regression(args.n_samples, args.n_features, seed=0)
    print(f"data: {X.shape[0]} x {X.shape[1]} {X.dtype}, {args.n_alphas} alphas logspace(-3, 3), "
          f"threads={args.threads or 'default'}", flush=True)
    for cv in (None, 5):  # warm-up: JIT compilation and thread pools, outside the timings
        RidgeCV(alphas=alphas, cv=cv).fit(X[:2000], y[:2000])
    results = {"shape": list(X.shape), "threads": args.threads}
    for mode in args.modes.split(","):
        cv = None if mode == "loo" else 5
        ours = _timed(f"ridgejit RidgeCV cv={cv}", RidgeCV(alphas=alphas, cv=cv), X, y, args.threads)
        entry = {"ridgejit_s": ours[0], "ridgejit_alpha": ours[1]}
        if not args.no_sklearn:
            ref = _timed(f"sklearn  RidgeCV cv={cv}", SkRidgeCV(alphas=alphas, cv=cv), X, y, args.threads)
            entry.update(sklearn_s=ref[0], sklearn_alpha=ref[1], ratio=ref[0] / ours[0],
                         same_alpha=ours[1] == ref[1])
        results[mode] = entry
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        pathlib.Path(args.json).write_text(text + "\n")


if __name__ == "__main__":
    main()
