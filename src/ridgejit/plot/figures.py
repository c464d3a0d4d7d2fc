"""Convergence histories, validation curves and coefficient paths of fitted models."""

import numpy as np

#: Gaps are drawn no lower than this (float64 resolution of a relative gap).
GAP_FLOOR = 1e-16


def _axes(ax):
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError('ridgejit.plot needs matplotlib: pip install "ridgejit[bench]" '
                          "(or pip install matplotlib)") from None
    return plt.subplots(figsize=(7, 4.5))[1]


def plot_history(model, *, metric="gap_bound", x="time", ax=None, label=None):
    """Draw a fitted model's convergence history: one line, ``metric`` against ``x``.

    Parameters
    ----------
    model : fitted ridgejit estimator
        Anything with ``history_`` (``Ridge``, ``SGDRidge``, their Dask twins).
    metric : {"gap_bound", "objective", "grad_norm"}, default="gap_bound"
        ``gap_bound``: the proven bound on the relative objective gap ``(J - J*) / J``
        (dimensionless, drawn from :data:`GAP_FLOOR` up); ``objective``: ``J(w, b)`` in
        the units of ``y^2`` (summed over targets); ``grad_norm``: ``||grad J||``.
        Log scale.
    x : {"time", "iteration"}, default="time"
        Seconds since the fit started (wall clock), or the iteration / epoch index.
    ax : matplotlib Axes, default=None
    label : str, default=None
        Legend label (default: the model's ``solver_``, else its ``solver``).

    Returns
    -------
    ax : matplotlib Axes
    """
    hist = model.history_
    if metric not in hist:
        raise ValueError(f"metric must be one of {sorted(k for k in hist if k != 'time')}, got {metric!r}")
    if x not in ("time", "iteration"):
        raise ValueError(f"x must be 'time' or 'iteration', got {x!r}")
    values = np.asarray(hist[metric], dtype=np.float64)  # gap_bound: the worst target's, per entry
    if metric == "gap_bound":
        values = np.maximum(values, GAP_FLOOR)
    xs = np.asarray(hist["time"], dtype=np.float64) if x == "time" else np.arange(len(values))
    ax = _axes(ax)
    ax.plot(xs, values, marker=".", label=label or getattr(model, "solver_", getattr(model, "solver", None)))
    ax.set_yscale("log")
    ax.set_xlabel("time (s)" if x == "time" else "iteration")
    ax.set_ylabel({"gap_bound": "relative gap bound", "objective": "objective J(w, b)",
                   "grad_norm": "||grad J||"}[metric])
    ax.grid(True, alpha=0.3)
    return ax


def validation_curve(model):
    """``(alphas, mean score, std over folds or None, chosen alpha)`` of a fitted RidgeCV.

    Scores are averaged over targets; the std is over the folds (k-fold) and None for
    leave-one-out, where there are no folds.
    """
    scores = np.asarray(model.mean_scores_, dtype=np.float64)
    mean = scores.mean(axis=0) if scores.ndim == 2 else scores
    std = None
    if model.fold_scores_ is not None:
        folds = np.asarray(model.fold_scores_, dtype=np.float64)
        std = (folds.mean(axis=1) if folds.ndim == 3 else folds).std(axis=0)
    return np.asarray(model.alphas_, dtype=np.float64), mean, std, float(np.ravel(model.alpha_)[0])


def plot_validation_curve(model, *, ax=None, title=None):
    """Draw a fitted RidgeCV's mean validation score against alpha (log scale), a band of
    +-1 std over the folds (k-fold), and the chosen alpha.

    Parameters
    ----------
    model : fitted ridgejit.RidgeCV (or RidgeClassifierCV, or their Dask twins)
    ax : matplotlib Axes, default=None
    title : str, default=None

    Returns
    -------
    ax : matplotlib Axes
    """
    alphas, mean, std, best = validation_curve(model)
    order = np.argsort(alphas)
    ax = _axes(ax)
    ax.plot(alphas[order], mean[order], "o-", color="#1f77b4", label="mean validation score")
    if std is not None:
        ax.fill_between(alphas[order], (mean - std)[order], (mean + std)[order], color="#1f77b4", alpha=0.2,
                        label="+-1 std over folds")
    ax.axvline(best, color="#d62728", ls="--", label=f"chosen alpha = {best:.4g}")
    ax.set_xscale("log")
    ax.set_xlabel("alpha (log scale)")
    scoring = model.scoring if isinstance(model.scoring, str) else None
    ax.set_ylabel(f"score ({scoring or ('neg. LOO MSE' if model.cv is None else 'r2')})")
    ax.set_title(title or f"RidgeCV validation curve (cv={'loo' if model.cv is None else model.cv})")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=9)
    return ax


def plot_coef_path(alphas, coefs, *, ax=None, feature_names=None):
    """Draw every coefficient against alpha (log scale): the ridge path.

    Parameters
    ----------
    alphas : array-like of shape (n_alphas,)
    coefs : array-like of shape (n_alphas, n_features)
        As :func:`ridgejit.ridge_path` returns for 1-D y (coefficients in the units
        of ``y`` per unit of each feature).
    ax : matplotlib Axes, default=None
    feature_names : sequence of str, default=None
        Legend labels (only drawn for up to 12 features).

    Returns
    -------
    ax : matplotlib Axes
    """
    alphas = np.asarray(alphas, dtype=np.float64)
    coefs = np.asarray(coefs, dtype=np.float64)
    if coefs.ndim != 2 or coefs.shape[0] != alphas.size:
        raise ValueError(f"coefs must have shape (n_alphas, n_features) = ({alphas.size}, p), got {coefs.shape}")
    order = np.argsort(alphas)
    ax = _axes(ax)
    names = feature_names if feature_names is not None else [f"x{j}" for j in range(coefs.shape[1])]
    for j in range(coefs.shape[1]):
        ax.plot(alphas[order], coefs[order, j], label=str(names[j]))
    ax.set_xscale("log")
    ax.set_xlabel("alpha (log scale)")
    ax.set_ylabel("coefficient")
    ax.axhline(0.0, color="k", lw=0.5)
    if coefs.shape[1] <= 12:
        ax.legend(fontsize=8, ncol=2)
    ax.grid(True, alpha=0.3)
    return ax


def plot_thread_scaling(rows, *, ax=None, time="median"):
    """Draw each pass's speed-up over one thread against the thread count, beside the ideal.

    Parameters
    ----------
    rows : list of dict
        As :func:`ridgejit.bench.measure.thread_scaling` returns: ``{"pass", "threads",
        "best", "median"}`` (seconds per call); every pass needs a one-thread row.
    ax : matplotlib Axes, default=None
    time : {"median", "best"}, default="median"
        Which timing the speed-up ``t_1 / t_threads`` (dimensionless) is taken from.

    Returns
    -------
    ax : matplotlib Axes
    """
    if time not in ("median", "best"):
        raise ValueError(f"time must be 'median' or 'best', got {time!r}")
    passes = list(dict.fromkeys(r["pass"] for r in rows))
    ax = _axes(ax)
    top = 1
    for name in passes:
        mine = sorted((r["threads"], r[time]) for r in rows if r["pass"] == name)
        one = [s for t, s in mine if t == 1]
        if not one:
            raise ValueError(f"pass {name!r} has no one-thread timing to compare with")
        ts = [t for t, _ in mine]
        ax.plot(ts, [one[0] / s for _, s in mine], marker="o", label=name)
        top = max(top, *ts)
    ax.plot([1, top], [1, top], color="k", lw=0.8, ls="--", label="ideal")
    ax.set_xlabel("threads (n_jobs)")
    ax.set_ylabel(f"speed-up over one thread ({time} times)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=9)
    return ax
