"""``ridgejit fit --alphas GRID --cv K``: choose alpha by cross-validation from the command line.

``--alphas`` is a log-spaced grid ``LOW:HIGH:COUNT`` (``1e-3:1e3:20``) or a
comma list (``0.1,1,10``); ``--cv`` is a fold count or ``loo`` (leave-one-out,
the default when only ``--alphas`` is given, as in scikit-learn's
``RidgeCV``).  The fit is :class:`ridgejit.RidgeCV`; the command prints the
chosen alpha and the score of every alpha, saves the refitted model like
``ridgejit fit`` does, and ``--plot FILE.png`` draws the validation curve.
"""

import numpy as np

from .io import DataError


def parse_alphas(text):
    """The alpha grid of ``--alphas``: ``LOW:HIGH:COUNT`` (log-spaced) or ``a,b,c``.

    Parameters
    ----------
    text : str

    Returns
    -------
    ndarray of shape (n_alphas,)
        Float64, as given (order kept; RidgeCV checks the values).

    Raises
    ------
    DataError
        On anything else, naming the expected forms.
    """
    expected = "expected LOW:HIGH:COUNT (log-spaced, e.g. 1e-3:1e3:20) or a comma list (e.g. 0.1,1,10)"
    try:
        if ":" in text:
            low, high, count = text.split(":")
            low, high, count = float(low), float(high), int(count)
            if not (low > 0 and high > 0 and count >= 1):
                raise ValueError("bounds must be > 0 and COUNT >= 1")
            return np.logspace(np.log10(low), np.log10(high), count)
        values = np.array([float(v) for v in text.split(",") if v.strip()])
        if values.size == 0:
            raise ValueError("no value")
        return values
    except ValueError as exc:
        raise DataError(f"--alphas {text!r}: {exc}; {expected}") from None


def parse_cv(text):
    """``--cv``: ``loo`` (None, leave-one-out) or a fold count >= 2."""
    if text is None or text.lower() == "loo":
        return None
    try:
        k = int(text)
    except ValueError:
        k = 0
    if k < 2:
        raise DataError(f"--cv {text!r}: expected a number of folds >= 2 or 'loo'")
    return k


def make_cv_estimator(args, *, dask=False, penalty_factor=None, penalty_matrix=None, positive=False):
    """The :class:`ridgejit.RidgeCV` (``dask=True``: :class:`ridgejit.dask.RidgeCV`) of ``args``
    (``penalty_factor``, ``penalty_matrix``: the parsed ``--penalty-factor`` and
    ``--penalty-matrix``; ``positive``: ``--positive``).

    On Dask, folds are groups of row blocks: ``--cv K`` is required
    (leave-one-out needs the data on one machine).
    """
    cv = parse_cv(args.cv)
    if dask:
        from ..dask import RidgeCV

        if cv is None:
            raise DataError("--dask: give --cv K (folds are groups of row blocks; "
                            "leave-one-out needs the data on one machine)")
    else:
        from ..cv.ridgecv import RidgeCV

    alphas = parse_alphas(args.alphas) if args.alphas else np.logspace(-3, 3, 20)
    kw = {"tol": args.tol} if args.tol is not None else {}
    if args.max_iter is not None:
        kw["max_iter"] = args.max_iter
    if penalty_matrix is not None:
        kw["penalty_matrix"] = penalty_matrix
    return RidgeCV(alphas=alphas, cv=cv, scoring=args.scoring, penalty_factor=penalty_factor, positive=positive,
                   fit_intercept=not args.no_intercept, backend=args.backend, n_jobs=args.n_jobs, **kw)


def cv_summary(est):
    """The cross-validation part of the ``fit`` summary (plain lists, JSON-ready).

    ``score``: the mean validation score of every alpha (averaged over targets);
    ``std``: its standard deviation over the folds (None for leave-one-out).
    """
    from ..plot import validation_curve

    alphas, score, std, best = validation_curve(est)
    return {
        "cv": "loo" if est.cv is None else str(est.cv),
        "scoring": est.scoring if isinstance(est.scoring, str) or est.scoring is None else "callable",
        "alphas": alphas.tolist(),
        "score": score.tolist(),
        "std": None if std is None else std.tolist(),
        "best_alpha": best,
        "best_score": float(np.mean(est.best_score_)),
        "mode": est.gcv_mode_,
    }


def format_cv_table(cv):
    """The text table of :func:`cv_summary`: one line per alpha, the chosen one marked."""
    name = cv["scoring"] or ("-mean squared LOO error" if cv["cv"] == "loo" else "r2")
    lines = [f"cross-validation: cv={cv['cv']} ({cv['mode']}), score {name}",
             f"  {'alpha':>12s} {'score':>14s}" + (f" {'fold std':>10s}" if cv["std"] else "")]
    for i, (a, s) in enumerate(zip(cv["alphas"], cv["score"])):
        mark = "  <- chosen" if a == cv["best_alpha"] else ""
        std = f" {cv['std'][i]:10.3g}" if cv["std"] else ""
        lines.append(f"  {a:12.4g} {s:14.8g}{std}{mark}")
    return "\n".join(lines)


def save_validation_curve(est, path, title=""):
    """Write a fitted RidgeCV's validation curve (:func:`ridgejit.plot.plot_validation_curve`)
    to the image file ``path`` (matplotlib: ``pip install "ridgejit[bench]"``)."""
    from ..bench.plot import pyplot
    from ..plot import plot_validation_curve

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    plot_validation_curve(est, ax=ax, title=title or None)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
