"""``ridgejit compare``: ridgejit's solvers beside scikit-learn's ``Ridge`` on one problem.

Everything is measured in one process, on the same arrays: data are generated
first (outside every timing), each estimator is fitted once on tiny data to
compile the Numba kernels (outside every timing), then each fit is timed
``repeats`` times and the best time is kept.
"""

import time
import warnings

import numpy as np

#: scikit-learn Ridge solvers timed by default; the speedup is against the
#: fastest of the first three.
SKLEARN_SOLVERS = ("cholesky", "lsqr", "sparse_cg")
SPEEDUP_BASELINE = ("cholesky", "lsqr", "sparse_cg")
RIDGEJIT_SOLVERS = ("auto", "direct", "cg", "nesterov", "gd")
#: ridgejit solvers that run as SGDRidge (epochs); scikit-learn's
#: "sgdregressor" is SGDRegressor with alpha converted to alpha / n.
STOCHASTIC = ("sgd", "asgd", "minibatch", "sag", "saga", "svrg")


def make_regression(n_samples, n_features, *, n_targets=1, dtype=np.float64, seed=0):
    """A seeded synthetic ridge problem with the features real data have.

    Correlated columns (``X = Z M`` with ``M = I + 0.3 G / sqrt(p)``, ``G`` Gaussian),
    column scales ``10**U(-1, 1)`` and offsets ``N(0, 3^2)`` (so centring
    matters), and ``y = X w + 0.5 * noise`` with ``w ~ N(0, 1)`` per unit
    scale.  Returns ``X`` (C-contiguous, ``dtype``) and ``y`` (float64, 1-D when
    ``n_targets == 1``).
    """
    rng = np.random.default_rng(seed)
    p = n_features
    M = np.eye(p) + 0.3 * rng.standard_normal((p, p)) / np.sqrt(p)
    scale = 10.0 ** rng.uniform(-1, 1, p)
    offset = rng.normal(0.0, 3.0, p)
    W = rng.standard_normal((p, n_targets)) / scale[:, None]
    X = np.empty((n_samples, p), dtype=dtype)
    y = np.empty((n_samples, n_targets))
    step = 65536
    for lo in range(0, n_samples, step):  # in blocks: no n x p float64 temporary
        hi = min(n_samples, lo + step)
        Z = rng.standard_normal((hi - lo, p)) @ M * scale + offset
        X[lo:hi] = Z
        y[lo:hi] = Z @ W + 0.5 * rng.standard_normal((hi - lo, n_targets))
    return X, (y[:, 0] if n_targets == 1 else y)


#: the families of :func:`random_problem`, in the order the seed cycles through them
FAMILIES = ("tall", "wide", "ill", "weighted", "sparse", "multi", "nointercept", "scaled")


def random_problem(seed, n_range=(40, 400), p_range=(3, 60)):
    """One random problem from a family a certified gap bound must survive.

    Families (by ``seed % 8``): tall, wide (``p > n``), ill-conditioned (mixed
    columns), weighted, sparse (CSR), several targets (per-target alpha), no
    intercept, scaled columns (``10**U(-2, 2)``).  ``alpha`` is ``10**U(-4, 3)``.
    Returns ``(X, y, sample_weight or None, alpha, fit_intercept)``.
    """
    from scipy import sparse

    rng = np.random.default_rng(seed)
    family = FAMILIES[seed % len(FAMILIES)]
    n = int(rng.integers(*n_range))
    p = int(rng.integers(*p_range)) if family != "wide" else int(rng.integers(n + 1, 2 * n + 10))
    k = 3 if family == "multi" else 1
    Z = rng.standard_normal((n, p))
    if family in ("ill", "scaled"):
        Z = Z @ (np.eye(p) + rng.uniform(0.5, 3) * rng.standard_normal((p, p)) / np.sqrt(p))
    scale = 10 ** rng.uniform(-2, 2, p) if family == "scaled" else np.ones(p)
    X = Z * scale + rng.normal(0, 3, p)
    if family == "sparse":
        X = sparse.random(n, p, density=rng.uniform(0.05, 0.4), format="csr", random_state=rng) * 3.0
    w = rng.standard_normal((p, k)) / scale[:, None] if family != "sparse" else rng.standard_normal((p, k))
    y = np.asarray(X @ w) + rng.uniform(0.01, 2.0) * rng.standard_normal((n, k)) + rng.normal(0, 5)
    sw = rng.uniform(0.1, 3.0, n) if family in ("weighted", "sparse") else None
    alpha = 10 ** rng.uniform(-4, 3) if k == 1 else 10 ** rng.uniform(-3, 2, k)
    return X, (y[:, 0] if k == 1 else y), sw, alpha, family != "nointercept"


#: scikit-learn solvers for sparse X (its cholesky densifies the Gram, svd refuses sparse X).
SPARSE_SKLEARN_SOLVERS = ("sag", "lsqr", "sparse_cg")


def make_sparse_regression(n_samples, n_features, density, *, dtype=np.float64, seed=0):
    """A seeded sparse ridge problem: CSR X with ``density * n * p`` stored values.

    Stored values are ``U(0, 1)`` (non-negative like counts or tf-idf, so the
    column means are not zero and the intercept matters) at uniformly random
    positions; ``y = X w + 0.1 * noise`` with ``w ~ N(0, 1)``.  Returns CSR ``X``
    (``dtype``, int32 indices) and float64 ``y``.
    """
    from scipy import sparse

    rng = np.random.default_rng(seed)
    X = sparse.random(n_samples, n_features, density=density, format="csr", dtype=np.float64,
                      random_state=rng).astype(dtype)
    w = rng.standard_normal(n_features)
    y = X @ w.astype(dtype) + 0.1 * rng.standard_normal(n_samples)
    return X, np.asarray(y, dtype=np.float64)


#: A fit slower than this (seconds) is not repeated.
REPEAT_BELOW = 2.0


def _best_time(fit, repeats):
    """Best wall time of up to ``repeats`` calls of ``fit`` (one call if it is slow)."""
    best, model = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        model = fit()
        elapsed = time.perf_counter() - t0
        best = min(best, elapsed)
        if elapsed > REPEAT_BELOW:
            break
    return best, model


def ridgejit_estimator(solver, alpha, tol, max_iter, seed, backend="auto"):
    """``Ridge`` for exact/full-batch solvers, ``SGDRidge`` for the stochastic ones.

    Stochastic solvers run ``max_iter`` epochs (default 10) with ``tol=None``,
    so the row shows what that many epochs reach; ``asgd`` is averaged SGD.
    """
    from ..ridge import Ridge
    from ..stochastic import SGDRidge

    if solver in STOCHASTIC:
        return SGDRidge(alpha=alpha, solver="sgd" if solver == "asgd" else solver,
                        average=True if solver == "asgd" else "auto", max_iter=max_iter or 10, tol=None,
                        random_state=seed, backend=backend)
    kw = {"max_iter": max_iter or 100} if solver in ("gd", "nesterov", "cg") else {}
    return Ridge(alpha=alpha, solver=solver, tol=tol, backend=backend, **kw)


def sklearn_estimator(solver, alpha, n_samples, seed, max_iter=None, tol=None):
    """scikit-learn's ``Ridge(solver=...)``, or ``SGDRegressor`` for "sgdregressor".

    ``SGDRegressor`` minimizes the per-sample form: its ``alpha`` is ours / n.
    With ``max_iter`` it runs exactly that many epochs (``tol=None``), like
    ridgejit's stochastic rows.
    """
    from sklearn.linear_model import Ridge as SkRidge
    from sklearn.linear_model import SGDRegressor

    if solver == "sgdregressor":
        if max_iter:
            return SGDRegressor(alpha=alpha / n_samples, random_state=seed, max_iter=max_iter, tol=None)
        return SGDRegressor(alpha=alpha / n_samples, random_state=seed)
    kw = {} if tol is None else {"tol": tol}
    return SkRidge(alpha=alpha, solver=solver, random_state=seed, **kw)


def _iterations(model):
    """``n_iter_`` as an int (scikit-learn gives an array or None)."""
    n_iter = getattr(model, "n_iter_", None)
    return None if n_iter is None else int(np.max(n_iter))


def objective(X, y, coef, intercept, alpha):
    """Objective J of a fitted model (the compiled kernel, float64 accumulation)."""
    from ..problem import objective_value

    return objective_value(X, y, coef, intercept, alpha)


def run(n_samples=1_000_000, n_features=100, *, dtype="float64", seed=0, alpha=1.0,
        solvers=RIDGEJIT_SOLVERS, sklearn_solvers=None, repeats=3, tol=None,
        max_iter=None, n_test=10_000, backends=("auto",), density=1.0, sklearn_tol=None, log=None,
        cv=False, cv_alphas=None):
    """Time every solver on one synthetic problem and return one row per solver.

    ``solvers`` may name any ``Ridge`` solver and the stochastic ones
    (:data:`STOCHASTIC`, run as ``SGDRidge`` for ``max_iter`` epochs);
    ``sklearn_solvers`` any ``sklearn.linear_model.Ridge`` solver (``svd``,
    ``sag``, ``saga`` too) and ``sgdregressor``.  With several ``backends``
    each ridgejit solver runs once per backend, named ``solver[backend]``.  Each row: ``library``, ``solver``, ``time`` (best of ``repeats``, s;
    fits slower than ``REPEAT_BELOW`` run once), ``speedup`` (fastest scikit-learn cholesky/lsqr/sparse_cg time divided by
    this time), ``gap`` (relative objective gap ``(J - J*) / J*`` with ``J*``
    the smallest objective any exact solver reached, or, with no exact
    solver in the run, of an untimed ``cg`` fit to ``tol=1e-13``), ``coef_diff``
    (``max |coef - coef of sklearn cholesky|``), ``r2`` (held-out), ``n_iter``.
    ridgejit rows also carry ``curve``: ``time`` (s) and ``gap`` per
    iteration or epoch of the timed fit's history (for ``cg`` and ``direct``
    the history's objective comes from scalars, accurate to about 1e-12
    relative).  ridgejit's iterative solvers run with ``tol`` (a relative gap; None: each
    solver's default); scikit-learn's
    with ``sklearn_tol`` (default: its own default ``tol``, its fastest setting).

    ``density < 1`` runs on CSR data from :func:`make_sparse_regression`, with
    scikit-learn's sparse solvers (:data:`SPARSE_SKLEARN_SOLVERS`) by default;
    the speedup is then against the fastest of those.

    ``cv`` (``None`` for leave-one-out or a fold count; ``False``: no such
    rows) adds ``RidgeCV`` of ridgejit and of scikit-learn over ``cv_alphas``
    (default ``logspace(-3, 3, 20)``) on the same data (:func:`cv_rows`).
    """
    say = log or (lambda *a: None)
    dtype = np.dtype(dtype)
    sparse_data = density < 1.0
    if sklearn_solvers is None:
        sklearn_solvers = SPARSE_SKLEARN_SOLVERS if sparse_data else SKLEARN_SOLVERS
    baseline = SPARSE_SKLEARN_SOLVERS if sparse_data else SPEEDUP_BASELINE
    if sparse_data:
        X_all, y_all = make_sparse_regression(n_samples + n_test, n_features, density, dtype=dtype, seed=seed)
    else:
        X_all, y_all = make_regression(n_samples + n_test, n_features, dtype=dtype, seed=seed)
    X, y, X_test, y_test = X_all[:n_samples], y_all[:n_samples], X_all[n_samples:], y_all[n_samples:]
    kind = f"CSR, density {density:g}, " if sparse_data else ""
    say(f"data: {n_samples} x {n_features} {kind}{dtype.name}, alpha={alpha}")
    Xs, ys = X_all[:256], y_all[:256]
    rows = []
    tag = (lambda s, b: s) if len(backends) == 1 else (lambda s, b: f"{s}[{b}]")
    fits = [("ridgejit", tag(s, b), ridgejit_estimator(s, alpha, tol, max_iter, seed, b))
            for s in solvers for b in backends]
    fits += [("scikit-learn", s, sklearn_estimator(s, alpha, n_samples, seed, max_iter, sklearn_tol))
             for s in sklearn_solvers]
    for lib, s, est in fits:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(Xs, ys)  # compile / warm up outside the timing
            t, model = _best_time(lambda: est.fit(X, y), repeats)
        J = objective(X, y, model.coef_, model.intercept_, alpha)
        row = {
            "library": lib, "solver": s, "time": t, "objective": J,
            "n_iter": _iterations(model), "coef": model.coef_,
            "r2": float(model.score(X_test, y_test)) if n_test else float("nan"),
        }
        if lib == "ridgejit":
            row["chosen"] = getattr(model, "solver_", s)
            row["history"] = {"time": list(model.history_["time"]),
                              "objective": list(model.history_["objective"])}
        rows.append(row)
        say(f"  {lib:12s} {s:10s} {t:8.3f} s")
    exact = [r["objective"] for r in rows if r.get("chosen", r["solver"]) in ("direct", "cholesky", "svd")]
    if not exact:  # an untimed reference: CG run far past any timed tolerance
        from ..ridge import Ridge

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref_model = Ridge(alpha=alpha, solver="cg", tol=1e-13, max_iter=100_000).fit(X, y)
        exact = [objective(X, y, ref_model.coef_, ref_model.intercept_, alpha)]
    J_star = min(exact + [r["objective"] for r in rows])
    base_times = [r["time"] for r in rows if r["library"] == "scikit-learn" and r["solver"] in baseline]
    base = min(base_times) if base_times else np.nan
    ref = next((r["coef"] for r in rows if r["solver"] == "cholesky"), None)
    for r in rows:
        r["gap"] = max(0.0, (r["objective"] - J_star) / J_star)
        if "history" in r:
            h = r.pop("history")
            r["curve"] = {"time": h["time"],
                          "gap": [max(0.0, (j - J_star) / J_star) for j in h["objective"]]}
        r["speedup"] = base / r["time"]
        r["coef_diff"] = float(np.max(np.abs(r["coef"] - ref))) if ref is not None else float("nan")
        r["baseline"] = bool(r["library"] == "scikit-learn" and r["solver"] in baseline)
        del r["coef"]
    if cv is not False:
        rows += cv_rows(X, y, X_test, y_test, cv, cv_alphas, Xs, ys, repeats, say)
    return rows


def cv_rows(X, y, X_test, y_test, cv, alphas, X_warm, y_warm, repeats, say):
    """Rows timing ridgejit's and scikit-learn's ``RidgeCV(alphas, cv)`` on the same data.

    ``speedup`` is scikit-learn's time over this one, ``coef_diff`` the
    largest difference from scikit-learn's ``coef_``, ``alpha`` the chosen
    alpha, ``gap`` NaN (each picks its own alpha: no common optimum), and
    ``objective`` the training objective at the chosen alpha.  Leave-one-out
    on sparse X has no ridgejit row (it needs a dense matrix).
    """
    import scipy.sparse as sp
    from sklearn.linear_model import RidgeCV as SkRidgeCV

    from ..cv.ridgecv import RidgeCV

    alphas = np.logspace(-3, 3, 20) if alphas is None else np.asarray(alphas, dtype=np.float64)
    name = f"RidgeCV(cv={'loo' if cv is None else cv})"
    fits = [("scikit-learn", SkRidgeCV(alphas=alphas, cv=cv))]
    if not (cv is None and sp.issparse(X)):
        fits.insert(0, ("ridgejit", RidgeCV(alphas=alphas, cv=cv)))
    rows = []
    for lib, est in fits:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X_warm, y_warm)
            t, model = _best_time(lambda: est.fit(X, y), repeats)
        alpha = float(model.alpha_)
        rows.append({"library": lib, "solver": f"{name} a={alpha:.4g}", "time": t, "alpha": alpha,
                     "objective": objective(X, y, model.coef_, model.intercept_, alpha),
                     "n_iter": _iterations(model), "coef": np.asarray(model.coef_),
                     "r2": float(model.score(X_test, y_test)) if X_test.shape[0] else float("nan"),
                     "gap": float("nan"), "baseline": False})
        say(f"  {lib:12s} {name:10s} {t:8.3f} s  alpha_={alpha:.4g}")
    ref_time, ref_coef = rows[-1]["time"], rows[-1]["coef"]
    for r in rows:
        r["speedup"] = ref_time / r["time"]
        r["coef_diff"] = float(np.max(np.abs(r.pop("coef") - ref_coef)))
    return rows


def row_label(r):
    """``solver``, or ``solver->chosen`` when auto picked another."""
    chosen = r.get("chosen", r["solver"])
    return r["solver"] if chosen == r["solver"] or r["solver"].startswith(chosen) else f"{r['solver']}->{chosen}"


def format_table(rows):
    """The rows of :func:`run` as a fixed-width text table."""
    width = max([14] + [len(row_label(r)) for r in rows])
    head = f"{'library':12s} {'solver':{width}s} {'time [s]':>9s} {'speedup':>8s} {'rel. gap':>9s} {'max|dcoef|':>10s} {'R^2':>8s} {'iters':>6s}"
    out = [head, "-" * len(head)]
    for i, r in enumerate(rows):
        if "alpha" in r and (i == 0 or "alpha" not in rows[i - 1]):
            out.append("RidgeCV (speedup: scikit-learn's RidgeCV time / this; max|dcoef| against it):")
        it = "" if r["n_iter"] is None else str(r["n_iter"])
        out.append(
            f"{r['library']:12s} {row_label(r):{width}s} {r['time']:9.3f} {r['speedup']:7.2f}x {r['gap']:9.1e} "
            f"{r['coef_diff']:10.1e} {r['r2']:8.5f} {it:>6s}"
        )
    return "\n".join(out)
