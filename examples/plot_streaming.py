"""
Streaming a file larger than a memory budget
============================================

A 200,000 x 50 float32 matrix is written to a ``.npy`` file and read back as a memory map,
then fed in chunks of 20,000 rows, as a file larger than memory would be.
``Ridge.partial_fit`` accumulates the exact p x p statistics chunk by chunk, so after the
last chunk it *is* the fit on all rows; ``SGDRidge.partial_fit`` makes one stochastic pass
per chunk.  The lines show each model's distance to ``Ridge`` fitted on the whole file, by
rows seen (drawn at 1e-16 where it is zero: the exact stream's last point).
"""

import pathlib
import tempfile

import matplotlib.pyplot as plt
import numpy as np

import ridgejit

rng = np.random.default_rng(0)
n, p, chunk = 200_000, 50, 20_000
workdir = pathlib.Path(tempfile.mkdtemp())
X_all = rng.standard_normal((n, p)).astype(np.float32)
np.save(workdir / "X.npy", X_all)
y = X_all @ rng.standard_normal(p).astype(np.float32) + rng.standard_normal(n).astype(np.float32)
del X_all
X = np.load(workdir / "X.npy", mmap_mode="r")  # nothing read yet

full = ridgejit.Ridge(alpha=1.0).fit(X, y)
exact, sgd = ridgejit.Ridge(alpha=1.0), ridgejit.SGDRidge(alpha=1.0, random_state=0)
seen, distance = [], {"Ridge.partial_fit (exact)": [], "SGDRidge.partial_fit": []}
for lo in range(0, n, chunk):
    rows = slice(lo, lo + chunk)
    exact.partial_fit(X[rows], y[rows])
    sgd.partial_fit(X[rows], y[rows])
    seen.append(lo + chunk)
    for name, model in (("Ridge.partial_fit (exact)", exact), ("SGDRidge.partial_fit", sgd)):
        err = np.linalg.norm(model.coef_ - full.coef_) / np.linalg.norm(full.coef_)
        distance[name].append(max(err, 1e-16))

fig, ax = plt.subplots(figsize=(7, 4.5))
for name, values in distance.items():
    ax.semilogy(seen, values, marker="o", label=name)
ax.set_xlabel("rows seen")
ax.set_ylabel("||coef - coef(all rows)|| / ||coef(all rows)||")
ax.set_title("Streaming chunks of a memory-mapped file")
ax.legend()
fig.tight_layout()
