"""Fit a lazily generated dask array larger than this machine's memory, in one pass.

Usage::

    python benchmarks/dask_large_measure.py [--gb 40] [--n-features 100] [--chunk-rows 250000]

Starts a two-worker ``LocalCluster`` (one thread each, 4 GiB memory limit per
worker) with spilling to disk switched off, so the fit can only succeed if each
worker holds a few blocks at a time.  X is ``da.random`` (generated on the
workers, never materialized whole) and ``y = X w + noise`` is derived from the
same blocks.  Prints the fit time, the rows per second, and the coefficient
error against the generating ``w`` (the noise is small, so it must be small).
"""

import argparse
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gb", type=float, default=40.0)
    ap.add_argument("--n-features", type=int, default=100)
    ap.add_argument("--chunk-rows", type=int, default=250_000)
    args = ap.parse_args()

    import dask
    import dask.array as da
    from distributed import Client, LocalCluster

    import ridgejit.dask

    p = args.n_features
    n = int(args.gb * 1e9 / (8 * p))
    with dask.config.set({"distributed.worker.memory.target": False,
                          "distributed.worker.memory.spill": False}):
        with LocalCluster(n_workers=2, threads_per_worker=1, memory_limit="4GiB",
                          dashboard_address=None) as cluster, Client(cluster) as client:
            w = np.random.default_rng(0).standard_normal(p)
            X = da.random.default_rng(1).standard_normal((n, p), chunks=(args.chunk_rows, p))
            y = X @ w + 0.01 * da.random.default_rng(2).standard_normal(n, chunks=args.chunk_rows)
            t0 = time.perf_counter()
            model = ridgejit.dask.Ridge(alpha=1.0, solver="direct").fit(X, y)
            elapsed = time.perf_counter() - t0
            spilled = client.run(lambda dask_worker: len(dask_worker.data.slow)
                                 if hasattr(dask_worker.data, "slow") else 0)
    err = np.linalg.norm(model.coef_ - w) / np.linalg.norm(w)
    print(f"X: {n} x {p} float64 = {n * p * 8 / 1e9:.1f} GB (lazy, {X.numblocks[0]} blocks), "
          f"2 workers x 4 GiB, spilling off (spilled keys per worker: {spilled})")
    print(f"fit {elapsed:.1f} s ({n / elapsed / 1e6:.2f} M rows/s), "
          f"relative coefficient error vs the generating w: {err:.2e}")


if __name__ == "__main__":
    main()
