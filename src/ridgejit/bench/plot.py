"""``ridgejit compare --plot``: one picture of the comparison.

Left: fit time per solver (horizontal bars, log scale; ridgejit blue,
scikit-learn orange), each labelled with its speedup over scikit-learn's
fastest cholesky/lsqr/sparse_cg.  Right: relative objective gap
``(J - J*) / J*`` against wall time (log-log), one line per ridgejit solver
from its ``history_``, one marker per scikit-learn fit (final point only:
scikit-learn keeps no history).  Gaps are clipped at 1e-16 (float64
resolution).  Needs matplotlib (``pip install "ridgejit[bench]"``).
"""

import numpy as np

from .compare import row_label

COLORS = {"ridgejit": "#1f77b4", "scikit-learn": "#ff7f0e"}
FLOOR = 1e-16


def pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ImportError(
            'ridgejit compare --plot needs matplotlib: pip install "ridgejit[bench]" '
            "(or pip install matplotlib)"
        ) from None
    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt

    return plt


def _label(r):
    return f"{'ridgejit' if r['library'] == 'ridgejit' else 'sklearn'} {row_label(r)}"


def plot_comparison(rows, path, title=""):
    """Write the two-panel figure for the rows of :func:`ridgejit.bench.compare.run` to ``path``."""
    plt = pyplot()
    fig, (bars, curves) = plt.subplots(1, 2, figsize=(14, 6), gridspec_kw={"width_ratios": [1, 1.15]})
    order = sorted(rows, key=lambda r: r["time"], reverse=True)
    y = np.arange(len(order))
    times = [r["time"] for r in order]
    bars.barh(y, times, color=[COLORS[r["library"]] for r in order])
    bars.set_yticks(y, [_label(r) for r in order])
    bars.set_xscale("log")
    bars.set_xlabel("fit time [s] (best of repeats, log scale)")
    bars.set_title("Fit time (label: speedup over scikit-learn's fastest)")
    for yi, r in zip(y, order):
        bars.text(r["time"] * 1.08, yi, f"{r['speedup']:.2f}x  gap {r['gap']:.0e}", va="center", fontsize=9)
    bars.set_xlim(min(times) / 2, max(times) * 12)
    for lib, color in COLORS.items():
        bars.bar(0, 0, color=color, label=lib)
    bars.legend(loc="upper right")

    markers = iter("osD^v<>ph*")
    n_sk = 0
    for r in rows:
        if r["library"] == "ridgejit" and r.get("curve") and r["curve"]["time"]:
            t = np.maximum(np.asarray(r["curve"]["time"]), 1e-4)
            g = np.maximum(np.asarray(r["curve"]["gap"]), FLOOR)
            # the last point is the fit's exact final gap (the history's may be approximate)
            g[-1] = max(r["gap"], FLOOR)
            curves.plot(t, g, marker=next(markers, "o"), ms=9 if len(t) == 1 else 4, label=_label(r))
        elif r["library"] == "scikit-learn":
            curves.plot([r["time"]], [max(r["gap"], FLOOR)], "x", ms=10, mew=2.5,
                        color=COLORS["scikit-learn"], alpha=0.9)
            curves.annotate(r["solver"], (r["time"], max(r["gap"], FLOOR)), textcoords="offset points",
                            xytext=(6, 4 - 13 * n_sk), fontsize=9, color=COLORS["scikit-learn"])
            n_sk += 1
    curves.plot([], [], "x", color=COLORS["scikit-learn"], mew=2.5, label="scikit-learn (final)")
    curves.set_xscale("log")
    curves.set_yscale("log")
    curves.set_ylim(FLOOR / 3, None)
    curves.set_xlabel("wall time [s] (log scale)")
    curves.set_ylabel("relative objective gap (J - J*) / J*")
    curves.set_title("Convergence (lower left is better)")
    curves.grid(True, which="major", alpha=0.3)
    curves.legend(fontsize=8, loc="upper right")
    fig.text(0.99, 0.005, "gap 0 is drawn at 1e-16; cg/direct history objectives come from scalars "
             "(accurate to ~1e-11), their last point is the exact final gap", ha="right", fontsize=8,
             color="0.4")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
