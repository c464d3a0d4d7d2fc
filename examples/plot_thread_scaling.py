"""
Thread scaling of the kernels
=============================

Every pass over X (the fused objective and gradient, the normal-equation product, the
column moments, the Gram matrix of an exact fit) splits the rows into fixed blocks that
run on Numba's threads; ``n_jobs`` sets how many.  :func:`ridgejit.bench.measure.thread_scaling`
times each pass at every thread count, after an untimed call at that count, and
:func:`ridgejit.plot.plot_thread_scaling` draws the speed-up over one thread beside the
ideal line.  BLAS's ``X @ v`` is drawn too: it reads X once, as the kernels do, so where it
stops scaling the memory bus, not the arithmetic, is the limit.

This page is built on the documentation machine, which has few cores (often 2); run the
same two calls on yours to see its curve.  Results do not depend on the thread count
(fixed row blocks, summed in block order).
"""

import os

import matplotlib.pyplot as plt

from ridgejit.bench.compare import make_regression
from ridgejit.bench.measure import thread_scaling
from ridgejit.plot import plot_thread_scaling

X, y = make_regression(400_000, 64, seed=0)
rows = thread_scaling(X, y, repeats=5)

print(f"{os.cpu_count()} CPUs")
for r in rows:
    print(f"{r['pass']:>15}  {r['threads']:>2} threads  median {r['median'] * 1e3:7.2f} ms"
          f"  best {r['best'] * 1e3:7.2f} ms")

fig, ax = plt.subplots(figsize=(7, 4.5))
plot_thread_scaling(rows, ax=ax)
ax.set_title(f"Speed-up over one thread, 400,000 x 64 float64 ({os.cpu_count()} CPUs)")
fig.tight_layout()
