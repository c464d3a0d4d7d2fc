"""``ridgejit compare --map``: ridgejit's default ``Ridge()`` against scikit-learn over a grid of shapes.

Every cell is one synthetic problem (:func:`ridgejit.bench.compare.make_regression`
or ``make_sparse_regression``) and two races at equal accuracy, measured as the
relative objective gap ``(J - J*) / J`` against an optimum ``J*`` that is not
ridgejit's (:func:`reference_objective`):

1. **exact**: ridgejit ``Ridge()`` (its default, a certified gap <= 1e-12)
   against scikit-learn's fastest way to reach the same gap: each of its
   solvers at the loosest ``tol`` (of ``1e-1 ... 1e-14``) whose fit reaches it.
2. **default**: scikit-learn's default ``Ridge()``, and ridgejit
   ``Ridge(tol=g)`` with ``g`` the gap scikit-learn's default reached.

A ratio is scikit-learn's time over ridgejit's (above 1: ridgejit is faster),
from the best of ``repeats`` fits of each; the medians are reported beside
them.  Every fit is warmed up on 256 rows first (JIT compilation and BLAS
start-up are never inside a timing); the data are generated outside every
timing.
"""

import time
import warnings

import numpy as np
from scipy import sparse

from .compare import make_regression, make_sparse_regression, objective

#: the default grid: (n, p, kind, density, fit_intercept, weighted)
GRID = (
    (200, 10, "float64", 1.0, True, False),
    (200, 1000, "float64", 1.0, True, False),
    (1000, 500, "float64", 1.0, True, False),
    (2000, 50, "float64", 1.0, False, False),
    (5000, 200, "float64", 1.0, True, True),
    (20000, 1000, "float64", 1.0, True, False),
    (50000, 2000, "float64", 1.0, True, False),
    (200000, 500, "float64", 1.0, True, False),
    (1000000, 100, "float64", 1.0, True, False),
    (1000000, 100, "float32", 1.0, True, False),
    (50000, 2000, "float32", 1.0, True, False),
    (100000, 5000, "csr", 1e-3, True, False),
    (200000, 50000, "csr", 1e-3, True, False),
    (200000, 2000, "csr", 1e-2, True, True),
)

#: a quick grid (CI-sized): shapes that run in seconds
QUICK_GRID = (
    (200, 10, "float64", 1.0, True, False),
    (1000, 500, "float64", 1.0, True, False),
    (5000, 200, "float32", 1.0, False, True),
    (20000, 500, "csr", 1e-2, True, False),
)

#: scikit-learn's tolerances tried, loosest first
SKLEARN_TOLS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-10, 1e-12, 1e-14)


def make_cell(n, p, kind, density, fit_intercept, weighted, seed=0):
    """``(X, y, sample_weight)`` of one cell (float64 y; weights ``U(0.5, 2)`` or None)."""
    if kind == "csr":
        X, y = make_sparse_regression(n, p, density, seed=seed)
    else:
        X, y = make_regression(n, p, dtype=np.dtype(kind), seed=seed)
    sw = np.random.default_rng(seed + 1).uniform(0.5, 2.0, n) if weighted else None
    return X, y, sw


def reference_objective(X, y, sw, alpha, fit_intercept):
    """``J*`` by an independent float64 solve: dense, the Cholesky of the centred Gram
    (SciPy); sparse, SciPy's ``lsqr`` on the centred, weighted rows to ``1e-14``."""
    from scipy import linalg
    from scipy.sparse.linalg import LinearOperator, lsqr

    n, p = X.shape
    s = np.ones(n) if sw is None else sw
    W = s.sum()
    xm = np.asarray(s @ X, dtype=np.float64).ravel() / W if fit_intercept else np.zeros(p)
    ym = float(s @ y / W) if fit_intercept else 0.0
    if sparse.issparse(X):
        root = np.sqrt(s)
        Xs = sparse.diags(root) @ X
        A = LinearOperator((n + p, p), dtype=np.float64,
                           matvec=lambda v: np.concatenate([Xs @ v - root * (xm @ v), np.sqrt(alpha) * v]),
                           rmatvec=lambda u: Xs.T @ u[:n] - xm * (root @ u[:n]) + np.sqrt(alpha) * u[n:])
        rhs = np.concatenate([root * (y - ym), np.zeros(p)])
        w = lsqr(A, rhs, atol=1e-14, btol=1e-14, iter_lim=20 * p)[0]
    else:
        X64 = np.asarray(X, dtype=np.float64)
        G = np.zeros((p, p))
        b = np.zeros(p)
        for lo in range(0, n, 65536):
            D = (X64[lo : lo + 65536] - xm) * np.sqrt(s[lo : lo + 65536])[:, None]
            G += D.T @ D
            b += D.T @ ((y[lo : lo + 65536] - ym) * np.sqrt(s[lo : lo + 65536]))
        G[np.diag_indices(p)] += alpha
        w = linalg.cho_solve(linalg.cho_factor(G, lower=True), b)
    return _objective(X, y, sw, w, ym - xm @ w, alpha)


def _objective(X, y, sw, coef, intercept, alpha):
    if sw is None:
        return objective(X, y, coef, intercept, alpha)
    r = np.asarray(X @ np.asarray(coef, dtype=np.float64)).ravel() + intercept - y  # float64 products
    return float((sw @ (r * r) + alpha * coef @ coef) / (2 * X.shape[0]))


def _cell(n, p, kind, density, fit_intercept, weighted, alpha):
    """``(X, y, sw, gap)`` of a cell, ``gap(model)`` its relative gap against :func:`reference_objective`."""
    X, y, sw = make_cell(n, p, kind, density, fit_intercept, weighted)
    J_star = reference_objective(X, y, sw, alpha, fit_intercept)

    def gap(model):
        J = _objective(X, y, sw, np.asarray(model.coef_, dtype=np.float64), float(model.intercept_), alpha)
        return max((J - J_star) / J, 0.0)

    return X, y, sw, gap


#: short fits repeat until their timings add up to this many seconds (at most MAX_REPEATS):
#: on a shared 2-core machine a 2 ms fit varies by 2x from one run to the next
MIN_TOTAL_SECONDS, MAX_REPEATS = 1.0, 200


def _timed(make, X, y, sw, repeats):
    """``(best, median, fitted model)`` of at least ``repeats`` fits, more for short ones
    (:data:`MIN_TOTAL_SECONDS`); one warm-up fit on 256 rows and one on all rows first."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        make().fit(X[:256], y[:256], sample_weight=None if sw is None else sw[:256])
        make().fit(X, y, sample_weight=sw)
        times = []
        while len(times) < repeats or (sum(times) < MIN_TOTAL_SECONDS and len(times) < MAX_REPEATS):
            est = make()
            t0 = time.perf_counter()
            est.fit(X, y, sample_weight=sw)
            times.append(time.perf_counter() - t0)
    return min(times), float(np.median(times)), est


def race_cell(n, p, kind, density, fit_intercept, weighted, *, alpha=1.0, repeats=3, log=None):
    """The two races on one cell; returns a dict of times (s), gaps and ratios."""
    from sklearn.linear_model import Ridge as SkRidge

    from ..ridge import Ridge

    say = log or (lambda *a: None)
    X, y, sw, gap = _cell(n, p, kind, density, fit_intercept, weighted, alpha)

    rj_best, rj_med, rj = _timed(lambda: Ridge(alpha=alpha, fit_intercept=fit_intercept), X, y, sw, repeats)
    rj_gap = gap(rj)
    sk_best, sk_med, sk = _timed(lambda: SkRidge(alpha=alpha, fit_intercept=fit_intercept), X, y, sw, repeats)
    sk_gap = gap(sk)
    say(f"  ridgejit default {rj_best:.4f} s gap {rj_gap:.1e} ({rj.solver_}); "
        f"sklearn default {sk_best:.4f} s gap {sk_gap:.1e}")
    # race 1: scikit-learn's fastest fit at ridgejit's gap; float32 X: scikit-learn computes in
    # float32 and stalls near 1e-7, so it races on a float64 copy (made outside the timing),
    # which is what its user needs for this accuracy
    target = max(rj_gap, 1e-15)
    fastest = sklearn_fastest(X, y, sw, alpha, fit_intercept, target, gap, repeats)
    if fastest[2] is None and X.dtype == np.float32:
        fastest = sklearn_fastest(X.astype(np.float64), y, sw, alpha, fit_intercept, target, gap, repeats)
        fastest = (*fastest[:2], f"{fastest[2]} (float64 X)", fastest[3])
    say(f"  sklearn fastest at gap {target:.1e}: {fastest[2]} tol={fastest[3]} {fastest[0]:.4f} s")
    # race 2: ridgejit at scikit-learn's default gap
    g = max(sk_gap, 1e-15)
    tg_best, tg_med, tg = _timed(lambda: Ridge(alpha=alpha, fit_intercept=fit_intercept, tol=g), X, y, sw, repeats)
    say(f"  ridgejit tol={g:.1e}: {tg_best:.4f} s gap {gap(tg):.1e} ({tg.solver_})")
    return {
        "n": n, "p": p, "kind": kind, "density": density, "fit_intercept": fit_intercept, "weighted": weighted,
        "size": float(X.nnz if sparse.issparse(X) else n * p),
        "ridgejit_default": rj_best, "ridgejit_default_median": rj_med, "ridgejit_gap": rj_gap,
        "ridgejit_solver": rj.solver_,
        "sklearn_fastest": fastest[0], "sklearn_fastest_median": fastest[1],
        "sklearn_fastest_solver": f"{fastest[2]}" + ("" if fastest[3] is None else f" tol={fastest[3]:g}"),
        "exact_ratio": fastest[0] / rj_best, "exact_ratio_median": fastest[1] / rj_med,
        "sklearn_default": sk_best, "sklearn_default_median": sk_med, "sklearn_gap": sk_gap,
        "ridgejit_at_sklearn_gap": tg_best, "ridgejit_at_sklearn_gap_median": tg_med,
        "ridgejit_at_sklearn_gap_gap": gap(tg), "ridgejit_at_sklearn_gap_solver": tg.solver_,
        "default_ratio": sk_best / tg_best, "default_ratio_median": sk_med / tg_med,
    }


def sklearn_fastest(X, y, sw, alpha, fit_intercept, target, gap, repeats):
    """``(best, median, solver, tol)``: scikit-learn's fastest fit reaching ``gap(model) <= target``,
    each solver at the loosest of :data:`SKLEARN_TOLS` that reaches it (a solver whose untimed
    trial already takes 1.5x the fastest time found is given up: tighter tols only cost more)."""
    from sklearn.linear_model import Ridge as SkRidge

    solvers = ("sparse_cg", "lsqr", "sag") if sparse.issparse(X) else ("cholesky", "lsqr", "sparse_cg")
    fastest = (np.inf, np.inf, None, None)
    for solver in solvers:
        reached = np.inf
        for tol in (None,) if solver == "cholesky" else SKLEARN_TOLS:
            kw = {} if tol is None else {"tol": tol, "max_iter": 100_000}
            make = lambda: SkRidge(alpha=alpha, fit_intercept=fit_intercept, solver=solver, **kw)  # noqa: B023,E731
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t0 = time.perf_counter()
                trial = make().fit(X, y, sample_weight=sw)
                took = time.perf_counter() - t0
            if took > 1.5 * fastest[0]:  # slower than the fastest found: tighter tols only add time
                break
            if gap(trial) <= target:
                best, med, _ = _timed(make, X, y, sw, repeats)
                if best < fastest[0]:
                    fastest = (best, med, solver, tol)
                break
            if gap(trial) > 0.5 * reached:  # stalled at its precision (float32): tighter tols won't reach
                break
            reached = gap(trial)
    return fastest


def race_to_gap(n, p, kind, density, fit_intercept, weighted, target, *, alpha=1.0, repeats=3, log=None):
    """ridgejit ``Ridge(tol=target)`` against scikit-learn's fastest fit to the same gap."""
    from ..ridge import Ridge

    say = log or (lambda *a: None)
    X, y, sw, gap = _cell(n, p, kind, density, fit_intercept, weighted, alpha)

    best, med, rj = _timed(lambda: Ridge(alpha=alpha, fit_intercept=fit_intercept, tol=target), X, y, sw, repeats)
    say(f"  ridgejit tol={target:g}: {best:.4f} s (median {med:.4f}), gap {gap(rj):.1e}, {rj.solver_}, "
        f"{rj.n_iter_} iterations")
    sk = sklearn_fastest(X, y, sw, alpha, fit_intercept, target, gap, repeats)
    say(f"  sklearn fastest to {target:g}: {sk[2]} tol={sk[3]} {sk[0]:.4f} s (median {sk[1]:.4f})")
    return {"ridgejit": best, "ridgejit_median": med, "ridgejit_gap": gap(rj), "sklearn": sk[0],
            "sklearn_median": sk[1], "sklearn_solver": f"{sk[2]} tol={sk[3]}", "ratio": sk[0] / best,
            "ratio_median": sk[1] / med}


def run_map(grid=GRID, *, alpha=1.0, repeats=3, log=None):
    """Race every cell of ``grid``; one dict per cell (see :func:`race_cell`)."""
    say = log or (lambda *a: None)
    rows = []
    for cell in grid:
        say(f"cell {cell[0]} x {cell[1]} {cell[2]}" + (f" density {cell[3]:g}" if cell[2] == "csr" else "")
            + ("" if cell[4] else ", no intercept") + (", weighted" if cell[5] else ""))
        rows.append(race_cell(*cell, alpha=alpha, repeats=repeats, log=log))
    return rows


def cell_label(r):
    """``"1000000 x 100 float64"`` (+ density, no intercept, weighted)."""
    kind = f"csr {r['density']:g}" if r["kind"] == "csr" else r["kind"]
    extra = ("" if r["fit_intercept"] else " noint") + (" w" if r["weighted"] else "")
    return f"{r['n']} x {r['p']} {kind}{extra}"


def format_map(rows):
    """The map as a text table: both races' times, gaps and ratios (best, median)."""
    head = (f"{'cell':34s} {'rj default':>10s} {'rj gap':>8s} {'sk fastest':>10s} {'exact x':>7s} {'(med)':>6s} "
            f"{'sk default':>10s} {'sk gap':>8s} {'rj@sk gap':>9s} {'dflt x':>7s} {'(med)':>6s}  sklearn fastest")
    out = [head, "-" * len(head)]
    for r in rows:
        out.append(
            f"{cell_label(r):34s} {r['ridgejit_default']:10.4f} {r['ridgejit_gap']:8.1e} "
            f"{r['sklearn_fastest']:10.4f} {r['exact_ratio']:6.2f}x {r['exact_ratio_median']:5.2f}x "
            f"{r['sklearn_default']:10.4f} {r['sklearn_gap']:8.1e} {r['ridgejit_at_sklearn_gap']:9.4f} "
            f"{r['default_ratio']:6.2f}x {r['default_ratio_median']:5.2f}x  {r['sklearn_fastest_solver']}")
    return "\n".join(out)


def plot_map(rows, path):
    """A heat map of both races' ratios (PNG): one row per cell, coloured by the ratio of best
    times (green above 1), each cell labelled with it and the ratio of medians."""
    from .plot import pyplot

    plt = pyplot()
    from matplotlib.colors import TwoSlopeNorm

    ratios = np.array([[r["exact_ratio"], r["default_ratio"]] for r in rows])
    medians = np.array([[r["exact_ratio_median"], r["default_ratio_median"]] for r in rows])
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * len(rows) + 1.6))
    im = ax.imshow(np.log2(ratios), cmap="RdYlGn", aspect="auto",
                   norm=TwoSlopeNorm(vcenter=0.0, vmin=min(-1.0, np.log2(ratios).min()),
                                     vmax=max(2.0, np.log2(ratios).max())))
    for i, row in enumerate(ratios):
        for j, v in enumerate(row):
            ax.text(j, i, f"{v:.2f}x (median {medians[i, j]:.2f}x)", ha="center", va="center", fontsize=8)
    ax.set_xticks([0, 1], ["exact: Ridge() vs sklearn\nfastest at the same gap",
                           "at sklearn's default gap:\nRidge(tol=g) vs Ridge()"])
    ax.set_yticks(range(len(rows)), [cell_label(r) for r in rows], fontsize=8)
    ax.xaxis.tick_top()
    fig.colorbar(im, ax=ax, label="log2(scikit-learn time / ridgejit time)")
    ax.set_title("ridgejit vs scikit-learn: ratio of best times (of medians); above 1x ridgejit is faster",
                 fontsize=9, pad=34)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
