"""One-off measurement: ridgejit.RidgeCV against scikit-learn's RidgeCV (cv=None and cv=5).

    python benchmarks/cv_measure.py --n-samples 1000000 --n-features 100
    python benchmarks/cv_measure.py --n-samples 200000 --n-features 50000 --density 1e-3 --n-alphas 10

With ``--density < 1`` the data are CSR (:func:`ridgejit.bench.compare.make_sparse_regression`),
only k-fold runs (``cv=5``; leave-one-out needs a dense matrix), the reference
is scikit-learn's ``GridSearchCV(Ridge(), {"alpha": alphas}, cv=KFold(5))``
(scikit-learn's ``RidgeCV(cv=5)`` does the same fits), and the peak resident
memory added by ridgejit's fit is reported (Linux: the peak is reset before
the fit through ``/proc/self/clear_refs`` and ``VmHWM`` read after it).

Data come from :func:`ridgejit.bench.compare.make_regression` (seed 0, generated
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
from sklearn.linear_model import Ridge as SkRidge
from sklearn.linear_model import RidgeCV as SkRidgeCV
from sklearn.model_selection import GridSearchCV, KFold
from threadpoolctl import threadpool_limits

from ridgejit import RidgeCV
from ridgejit.bench.compare import make_regression, make_sparse_regression


def _timed(label, est, X, y, threads):
    t0 = time.perf_counter()
    with warnings.catch_warnings(), threadpool_limits(limits=threads):
        warnings.simplefilter("ignore")
        est.fit(X, y)
    elapsed = time.perf_counter() - t0
    alpha = est.best_params_["alpha"] if hasattr(est, "best_params_") else est.alpha_
    print(f"{label:<28s} {elapsed:9.3f} s   alpha_={alpha:.6g}", flush=True)
    return elapsed, float(alpha)


def _status_mb(field):
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024.0
    raise KeyError(field)


def _reset_peak():
    """Reset the peak resident size (Linux: ``clear_refs`` 5); return the current RSS in MB."""
    try:
        pathlib.Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    return _status_mb("VmRSS")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-samples", type=int, default=1_000_000)
    ap.add_argument("--n-features", type=int, default=100)
    ap.add_argument("--n-alphas", type=int, default=20)
    ap.add_argument("--density", type=float, default=1.0, help="< 1: CSR data of this density")
    ap.add_argument("--modes", default="loo,kfold", help="comma list of loo, kfold (CSR: kfold)")
    ap.add_argument("--no-sklearn", action="store_true", help="time ridgejit only")
    ap.add_argument("--threads", type=int, default=None,
                    help="BLAS/OpenMP threads for every fit (default: as configured); "
                         "1 is steadier on a machine shared with other jobs")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args(argv)

    alphas = np.logspace(-3, 3, args.n_alphas)
    sparse = args.density < 1.0
    if sparse:
        X, y = make_sparse_regression(args.n_samples, args.n_features, args.density, seed=0)
        modes = ["kfold"]
    else:
        X, y = make_regression(args.n_samples, args.n_features, seed=0)
        modes = args.modes.split(",")
    kind = f"CSR nnz={X.nnz} " if sparse else ""
    print(f"data: {X.shape[0]} x {X.shape[1]} {kind}{X.dtype}, {args.n_alphas} alphas logspace(-3, 3), "
          f"threads={args.threads or 'default'}", flush=True)
    for cv in ((5,) if sparse else (None, 5)):  # warm-up: JIT compilation and thread pools, outside the timings
        RidgeCV(alphas=alphas, cv=cv).fit(X[:2000], y[:2000])
    results = {"shape": list(X.shape), "threads": args.threads, "density": args.density}
    for mode in modes:
        cv = None if mode == "loo" else 5
        before = _reset_peak()
        ours = _timed(f"ridgejit RidgeCV cv={cv}", RidgeCV(alphas=alphas, cv=cv), X, y, args.threads)
        entry = {"ridgejit_s": ours[0], "ridgejit_alpha": ours[1], "ridgejit_peak_extra_mb": _status_mb("VmHWM") - before}
        print(f"  peak resident memory added by the fit: {entry['ridgejit_peak_extra_mb']:.0f} MB", flush=True)
        if sparse and not args.no_sklearn:
            grid = GridSearchCV(SkRidge(), {"alpha": alphas}, cv=KFold(5))
            ref = _timed("sklearn  GridSearchCV(Ridge) cv=5", grid, X, y, args.threads)
            entry.update(sklearn_s=ref[0], sklearn_alpha=ref[1], ratio=ref[0] / ours[0],
                         same_alpha=ours[1] == ref[1])
        elif not args.no_sklearn:
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
