"""Fit a memory-mapped X larger than the fit should ever copy, and measure the extra memory.

Usage::

    python benchmarks/memmap_measure.py [--gb 4] [--n-features 100] [--dir /tmp] [--solver auto]

Writes a float64 ``.npy`` of about ``--gb`` GB (in blocks, outside any
measurement), then fits ``ridgejit.Ridge`` on ``np.load(path, mmap_mode="r")``
in a fresh process while a thread samples ``RssAnon`` (anonymous memory, not
the file pages the kernels stream through) every 2 ms from
``/proc/self/status``.  Prints the peak ``RssAnon`` growth during the fit as a
fraction of X's size (the memmap promise is at most 10%).  Linux only.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

CHILD = r"""
import json, sys, threading, time
import numpy as np
import ridgejit

def rss_anon():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
path, ypath, solver = sys.argv[1], sys.argv[2], sys.argv[3]
X = np.load(path, mmap_mode="r")
y = np.load(ypath)
ridgejit.Ridge(solver=solver).fit(X[:2000], y[:2000])  # compile outside the measurement
base = rss_anon()
peak = [base]
stop = threading.Event()
def sample():
    while not stop.is_set():
        peak[0] = max(peak[0], rss_anon())
        time.sleep(0.002)
t = threading.Thread(target=sample)
t.start()
t0 = time.perf_counter()
m = ridgejit.Ridge(solver=solver).fit(X, y)
elapsed = time.perf_counter() - t0
stop.set(); t.join()
print(json.dumps({"x_bytes": X.nbytes, "rss_anon_before": base, "rss_anon_peak": peak[0],
                  "fit_seconds": elapsed, "solver": m.solver_}))
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gb", type=float, default=4.0)
    ap.add_argument("--n-features", type=int, default=100)
    ap.add_argument("--dir", default=tempfile.gettempdir())
    ap.add_argument("--solver", default="auto")
    args = ap.parse_args()
    p = args.n_features
    n = int(args.gb * 1e9 / (8 * p))
    path = os.path.join(args.dir, f"ridgejit_memmap_{n}x{p}.npy")
    ypath = path.replace(".npy", "_y.npy")
    if not os.path.exists(path):
        rng = np.random.default_rng(0)
        X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(n, p))
        w = rng.standard_normal(p)
        y = np.empty(n)
        for lo in range(0, n, 1 << 18):
            hi = min(n, lo + (1 << 18))
            block = rng.standard_normal((hi - lo, p)) + 1.0
            X[lo:hi] = block
            y[lo:hi] = block @ w + rng.standard_normal(hi - lo)
        X.flush()
        del X
        np.save(ypath, y)
    out = subprocess.run([sys.executable, "-c", CHILD, path, ypath, args.solver],
                         check=True, capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    extra = r["rss_anon_peak"] - r["rss_anon_before"]
    r["extra_fraction"] = extra / r["x_bytes"]
    print(json.dumps(r, indent=2))
    print(f"X {r['x_bytes'] / 1e9:.2f} GB (memmap), fit {r['fit_seconds']:.2f} s ({r['solver']}): "
          f"extra anonymous memory {extra / 1e6:.1f} MB = {100 * r['extra_fraction']:.2f}% of X")


if __name__ == "__main__":
    main()
