"""Measure the constants of ``solver="auto"``'s cost model on this machine, and write them.

Usage::

    python benchmarks/calibrate_auto.py [--out ~/.config/ridgejit/cost_model.json] [--quick]

``auto`` (:mod:`ridgejit.solvers.auto`) prices the exact and the CG route in
seconds; this script times, with the thread counts a fit would use (one thread
below ``ridgejit._threads.SERIAL_BELOW`` stored values, all above):

* exact fits (``Ridge(solver="direct")``) over shapes where the Gram, then the
  Cholesky dominate, float64 and float32, and fits ``fixed + n m^2 / gram +
  m^3 / chol`` by least squares;
* one fused CG pass (the ``normal_product`` kernel) over dense float64/float32
  and CSR data: bytes of X per second, seconds per row and per stored value;
* CSR exact fits: seconds per Gram pair;
* CG iterations to gaps of 1e-6 and 1e-12 on ``make_regression`` data, and on
  ``make_sparse_regression`` data (constants of their own: uncorrelated columns).

Every timing is the best of several runs after a warm-up (no JIT compilation, no
data generation inside).  The constants are printed and written as JSON to
``--out`` (default: where ``auto`` reads them, ``$RIDGEJIT_COST_MODEL`` or
``~/.config/ridgejit/cost_model.json``); the defaults in ``solvers/auto.py``
came from this script on the project's 2-core reference machine.
"""

import argparse
import dataclasses
import json
import os
import time
import warnings
from pathlib import Path

import numpy as np


def best(f, repeats=5):
    f()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def fit_direct(shapes, dtype, fixed, log):
    """``(gram, chol)`` rates: non-negative least squares of ``t - fixed = n m^2 / gram +
    m^3 / chol`` over exact fits, each weighted by ``1 / t`` (relative errors)."""
    from scipy.optimize import nnls

    from ridgejit import Ridge
    from ridgejit.bench.compare import make_regression

    rows, times = [], []
    for n, p in shapes:
        X, y = make_regression(n, p, dtype=dtype)
        m = p + 2
        t = best(lambda: Ridge(solver="direct").fit(X, y), 3)
        log(f"  direct {n} x {p} {dtype}: {t * 1e3:.2f} ms")
        rows.append(np.array([n * m * m, m**3]) / t)
        times.append(max(t - fixed, 0.0) / t)
    per_gram, per_chol = nnls(np.array(rows), np.array(times))[0]
    return 1.0 / max(per_gram, 1e-15), 1.0 / max(per_chol, 1e-15)


def pass_rates(shapes, dtype, log):
    """``(bytes/s, s per row)`` of one fused CG pass over dense X."""
    from ridgejit.bench.compare import make_regression
    from ridgejit.kernels import get_backend

    nb = get_backend("numba")
    rows, times = [], []
    for n, p in shapes:
        X, _ = make_regression(n, p, dtype=dtype)
        sw, mean, P, a, out = np.ones(n), np.zeros(p), np.ones((1, p)), np.ones(1), np.empty((1, p))
        t = best(lambda: nb.normal_product(X, sw, mean, P, a, out))
        log(f"  pass {n} x {p} {dtype}: {t * 1e3:.2f} ms")
        rows.append([n * p * X.dtype.itemsize, n])
        times.append(t)
    coef, *_ = np.linalg.lstsq(np.array(rows), np.array(times), rcond=None)
    return 1.0 / max(coef[0], 1e-15), max(coef[1], 0.0)


def main():
    from ridgejit import _threads
    from ridgejit.solvers.auto import COST_MODEL_ENV, DEFAULT_COST_MODEL_PATH, CostModel

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.environ.get(COST_MODEL_ENV, str(DEFAULT_COST_MODEL_PATH)))
    ap.add_argument("--quick", action="store_true", help="fewer and smaller shapes (a minute)")
    args = ap.parse_args()
    log = print
    warnings.simplefilter("ignore")
    small = [(2000, 60), (4000, 120), (1500, 300), (600, 500), (1000, 700)]
    large = [(400_000, 60), (200_000, 120), (40_000, 500), (8000, 1200), (2200, 1600)]
    if args.quick:
        large = [(200_000, 60), (40_000, 300), (6000, 900), (1600, 1200)]
    assert all(n * p < _threads.SERIAL_BELOW for n, p in small)
    assert all(n * p >= _threads.SERIAL_BELOW for n, p in large)
    model = CostModel()
    values = {}
    from ridgejit import Ridge
    from ridgejit.bench.compare import make_regression

    Xt, yt = make_regression(200, 10)
    fixed = best(lambda: Ridge(solver="direct").fit(Xt, yt), 20)
    log(f"exact fits (fixed cost {fixed * 1e3:.2f} ms at 200 x 10), one thread and all threads:")
    f64 = [fit_direct(small, "float64", fixed, log), fit_direct(large, "float64", fixed, log)]
    f32 = [fit_direct(small, "float32", fixed, log), fit_direct(large, "float32", fixed, log)]
    values["fixed_direct"] = fixed
    values["gram_flops_f64"] = [f64[0][0], f64[1][0]]
    values["gram_flops_f32"] = [f32[0][0], f32[1][0]]
    # a rate the shapes did not pin down (the fit gave it no time) takes the other class's
    small_chol, large_chol = f64[0][1], f64[1][1]
    values["chol_flops"] = [small_chol if small_chol < 1e14 else large_chol,
                            large_chol if large_chol < 1e14 else small_chol]
    log("one CG pass:")
    pass_small = pass_rates([(20_000, 20), (5000, 200), (1000, 1000)], "float64", log)
    pass_large = pass_rates([(500_000, 20), (100_000, 200), (10_000, 2000)], "float64", log)
    values["pass_bytes"] = [pass_small[0], pass_large[0]]
    values["pass_row"] = pass_large[1]
    from ridgejit.bench.compare import make_sparse_regression
    from ridgejit.kernels import get_backend

    nb = get_backend("numba")
    per_value = []
    for n, p, d in ((50_000, 2000, 0.01), (400_000, 20_000, 1e-3)):
        X, _ = make_sparse_regression(n, p, d)
        sw, mean, P, a, out = np.ones(n), np.zeros(p), np.ones((1, p)), np.ones(1), np.empty((1, p))
        t = best(lambda: nb.normal_product_sparse(X.data, X.indices, X.indptr, sw, mean, P, a, out))
        log(f"  pass CSR {n} x {p}, {X.nnz} stored: {t * 1e3:.2f} ms")
        per_value.append(t / X.nnz)
    values["sparse_value"] = per_value
    X, y = make_sparse_regression(20_000, 400, 0.02)
    counts = np.diff(X.indptr).astype(float)
    t = best(lambda: Ridge(solver="direct").fit(X, y), 3)
    values["sparse_pair"] = max(t - values["fixed_direct"] - 402**3 / values["chol_flops"][0], 1e-6) / (counts @ counts)
    log(f"  CSR exact fit 20000 x 400: {t * 1e3:.2f} ms")
    log("CG iterations:")
    its = {}
    for tol in (1e-6, 1e-12):
        counts = []
        for n, p in ((20_000, 300), (5000, 200), (20_000, 800)):
            Xd, yd = make_regression(n, p)
            counts.append(Ridge(solver="cg", tol=tol).fit(Xd, yd).n_iter_)
        its[tol] = float(np.median(counts))
        log(f"  tol {tol:g}: {counts}")
    values["cg_iters_per_decade"] = (its[1e-12] - its[1e-6]) / 6.0
    values["cg_iters"] = its[1e-6] - 6.0 * values["cg_iters_per_decade"]
    # CSR: two tall shapes give the constants, a square-ish one (r = 0.25) the shape growth
    sparse_its = {}
    for tol in (1e-6, 1e-12):
        counts = [Ridge(solver="cg", tol=tol).fit(*make_sparse_regression(n, p, d)).n_iter_
                  for n, p, d in ((20_000, 400, 0.02), (50_000, 2000, 0.01), (20_000, 5000, 0.01))]
        sparse_its[tol] = counts
        log(f"  CSR tol {tol:g}: {counts}")
    tall = {tol: float(np.mean(c[:2])) for tol, c in sparse_its.items()}
    values["sparse_iters_per_decade"] = (tall[1e-12] - tall[1e-6]) / 6.0
    values["sparse_iters"] = tall[1e-6] - 6.0 * values["sparse_iters_per_decade"]
    r = 5000 / 20_000
    values["sparse_iters_shape"] = max(sparse_its[1e-12][2] / tall[1e-12] - 1.0, 0.0) * (1 - r**0.5) / r
    # the work of a CG iteration beside its pass, on data whose pass is negligible
    Xs, ys = make_regression(400, 8)
    t = best(lambda: Ridge(solver="cg", tol=1e-12).fit(Xs, ys), 10)
    iters = Ridge(solver="cg", tol=1e-12).fit(Xs, ys).n_iter_
    values["cg_iter_fixed"] = max(t - fixed, 0.0) / max(iters, 1)
    values["fixed_cg"] = fixed
    log(f"  400 x 8 to 1e-12: {t * 1e3:.2f} ms, {iters} iterations")
    merged = {**dataclasses.asdict(model), **values}
    print(json.dumps(merged, indent=2))
    out = Path(args.out).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(merged, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
