"""What every ``ridgejit fit`` path shares: the estimator from the arguments, the
training scores, the progress line, the summary and the saved model.

``fit`` (one file, :mod:`ridgejit.cli.fit`) and ``fit --dask``
(:mod:`ridgejit.cli.fit_dask`) both call these, so neither imports the other.
"""

import json
import os
import sys
import threading
from contextlib import contextmanager

import numpy as np

from .io import DataError
from .model_file import save_model

#: seconds before a progress line appears (short steps show none)
PROGRESS_DELAY = 1.0


def make_estimator(args, *, dask=False):
    """The estimator of the ``fit`` command's ``args``.

    :class:`~ridgejit.RidgeCV` when ``--alphas`` or ``--cv`` is given (see
    :func:`ridgejit.cli.fit_cv.make_cv_estimator`), else :class:`~ridgejit.SGDRidge`
    for the stochastic solvers and :class:`~ridgejit.Ridge` for the others;
    with ``dask=True`` their :mod:`ridgejit.dask` twins.

    Parameters
    ----------
    args : argparse.Namespace
        ``solver``, ``alpha``, ``tol`` and ``max_iter`` (None keeps the
        estimator's default), ``no_intercept``, ``backend``, ``n_jobs``, ``seed``.
    dask : bool, default=False

    Returns
    -------
    Ridge, SGDRidge or RidgeCV
    """
    from ..stochastic import STOCHASTIC_SOLVERS

    positive, se = getattr(args, "positive", False), getattr(args, "se", None)
    factor = parse_penalty_factor(getattr(args, "penalty_factor", None))
    matrix = parse_penalty_matrix(getattr(args, "penalty_matrix", None))
    if matrix is not None and args.solver in STOCHASTIC_SOLVERS:
        raise DataError("--penalty-matrix is for Ridge and RidgeCV (the exact solvers and cg), not the "
                        "stochastic solvers")
    loo = check_cv_mode(args) and (args.cv is None or args.cv.lower() == "loo")
    if positive and (dask or loo or args.solver in STOCHASTIC_SOLVERS):
        raise DataError("--positive is for Ridge on one machine (solver auto or lbfgs) or RidgeCV with "
                        "--cv K, not with --dask, leave-one-out or the stochastic solvers")
    if se and (check_cv_mode(args) or args.solver in STOCHASTIC_SOLVERS):
        raise DataError("--se is for Ridge's exact solvers (auto, direct, cholesky), not with --alphas/--cv or "
                        "the stochastic solvers")
    if check_cv_mode(args):
        from .fit_cv import make_cv_estimator

        return make_cv_estimator(args, dask=dask, penalty_factor=factor, penalty_matrix=matrix, positive=positive)
    if dask:
        from ..dask import Ridge, SGDRidge
    else:
        from ..ridge import Ridge
        from ..stochastic import SGDRidge
    kw = {k: v for k, v in (("tol", args.tol), ("max_iter", args.max_iter)) if v is not None}
    cls = SGDRidge if args.solver in STOCHASTIC_SOLVERS else Ridge
    if positive:
        kw["positive"] = True
    if se:
        kw["cov_type"] = se
    if factor is not None:
        kw["penalty_factor"] = factor
    if matrix is not None:
        kw["penalty_matrix"] = matrix
    return cls(alpha=args.alpha, solver=args.solver, fit_intercept=not args.no_intercept,
               backend=args.backend, n_jobs=args.n_jobs, random_state=args.seed, **kw)


def parse_penalty_factor(text):
    """``--penalty-factor``: a file (``.npy``, or text with one number per line or comma
    separated) or a comma list such as ``0,1,1,2``; ``None`` when not given.

    Raises ``DataError`` naming the text when it is neither.
    """
    if text is None:
        return None
    try:
        if os.path.isfile(text):
            if text.endswith(".npy"):
                return np.load(text, allow_pickle=False).astype(np.float64).reshape(-1)
            with open(text) as fh:
                return np.array(fh.read().replace(",", " ").split(), dtype=np.float64)
        return np.array(text.split(","), dtype=np.float64)
    except ValueError:
        raise DataError(f"--penalty-factor {text!r}: give a comma list of numbers (one per feature) or a "
                        "file of them (.npy, or text)") from None


def parse_penalty_matrix(path):
    """``--penalty-matrix``: a ``p x p`` matrix from a ``.npy`` file or a text file (one row per
    line, numbers separated by commas or spaces); ``None`` when not given.  The estimator checks
    that it is symmetric positive semi-definite.

    Raises ``DataError`` naming the file when it cannot be read as a square matrix.
    """
    if path is None:
        return None
    try:
        if path.endswith(".npy"):
            P = np.load(path, allow_pickle=False).astype(np.float64)
        else:
            with open(path) as fh:
                P = np.array([line.replace(",", " ").split() for line in fh if line.strip()], dtype=np.float64)
    except (OSError, ValueError) as exc:
        raise DataError(f"--penalty-matrix {path!r}: {exc}; give a .npy file or a text file with one row "
                        "of numbers per line") from None
    if P.ndim != 2 or P.shape[0] != P.shape[1]:
        raise DataError(f"--penalty-matrix {path!r}: a square matrix (n_features x n_features) is needed, "
                        f"got shape {P.shape}")
    return P


def training_scores(est, X, y, alpha):
    """Rows, objective ``J`` and R^2 of a fitted model on its training data.

    ``J = 1/(2n) * sum_t (||X w_t + b_t - y_t||^2 + alpha w_t^T D w_t)`` (unit
    weights, summed over targets as ``history_["objective"]`` is; ``D`` the model's
    ``penalty_matrix``, or ``diag(penalty_factor)``, the identity by default).  A
    :mod:`ridgejit.dask` model computes it in one distributed pass of its
    ``residual_sums`` (the rows never leave the workers); a local one by
    :func:`ridgejit.problem.objective_value` and ``sklearn.metrics.r2_score``
    on its predictions (dense or sparse X).

    Returns
    -------
    n_samples : int
    objective : float
    r2 : float
        Uniform average over targets (scikit-learn's ``r2_score``).
    """
    from .._validation import check_penalty
    from ..problem import objective_value, penalty_times

    penalty = check_penalty(getattr(est, "penalty_factor", None), getattr(est, "penalty_matrix", None),
                            np.shape(est.coef_)[-1])
    if hasattr(est, "residual_sums"):
        from ..dask.ridge import r2_from_parts

        n, ss_tot, ss_res = est.residual_sums(X, y)
        coef = np.asarray(est.coef_, dtype=np.float64).reshape(ss_res.size, -1)
        a = np.broadcast_to(np.asarray(alpha, dtype=np.float64), (ss_res.size,))
        objective = float((ss_res + (coef * penalty_times(a, penalty, coef)).sum(axis=1)).sum() / (2 * n))
        return int(round(n)), objective, r2_from_parts(ss_tot, ss_res)
    from sklearn.metrics import r2_score

    objective = objective_value(X, y, est.coef_, est.intercept_, alpha, penalty=penalty)
    return int(X.shape[0]), objective, float(r2_score(y, est.predict(X)))


@contextmanager
def progress(desc, enabled=True):
    """A tqdm line showing ``desc`` and the elapsed time while the block runs.

    It appears only after :data:`PROGRESS_DELAY` seconds, only on a terminal
    (``disable=None``), and is cleared at the end.  The fits report no
    per-iteration progress, so the line shows time, not a fraction.

    Parameters
    ----------
    desc : str
    enabled : bool, default=True
        False shows nothing (``--quiet``).
    """
    from tqdm import tqdm

    bar = tqdm(desc=desc, total=None, disable=None if enabled else True, delay=PROGRESS_DELAY,
               leave=False, file=sys.stderr, bar_format="{desc}: {elapsed}")
    stop = threading.Event()

    def tick():
        while not stop.wait(0.25):
            bar.update(0)  # redraws once PROGRESS_DELAY has passed (tqdm's ``delay``)

    thread = threading.Thread(target=tick, daemon=True)
    if not bar.disable:
        thread.start()
    try:
        yield bar
    finally:
        stop.set()
        if thread.is_alive():
            thread.join()
        bar.close()


def check_cv_mode(args):
    """Whether ``args`` ask for RidgeCV (``--alphas`` or ``--cv``); ``--plot`` needs it."""
    cv_mode = args.cv is not None or args.alphas is not None
    if args.plot and not cv_mode:
        raise DataError("--plot draws the cross-validation curve: give --alphas GRID and/or --cv K")
    return cv_mode


def fitted_alpha(args, est):
    """The alpha of the fitted model: RidgeCV's ``alpha_`` (its first target's), else ``--alpha``."""
    return float(np.ravel(est.alpha_)[0]) if check_cv_mode(args) else args.alpha


def report(args, est, summary, feature_names, zero_based=None):
    """Save the fitted model, complete ``summary`` and print it (text or ``--json``).

    Parameters
    ----------
    args : argparse.Namespace
        The ``fit`` command's arguments.
    est : fitted estimator
    summary : dict
        ``n_samples``, ``target``, ``read_time``, ``fit_time`` (seconds),
        ``objective``, ``r2`` (training data), and optionally ``dask``.
    feature_names : list of str or None
    zero_based : bool, default=None
        Base of svmlight indices, saved with the model.

    Returns
    -------
    int
        The exit code, 0.
    """
    cv_mode = check_cv_mode(args)
    alpha = fitted_alpha(args, est)
    solver = "ridgecv" if cv_mode else args.solver
    save_model(args.out, est, solver=solver, feature_names=feature_names,
               target=summary["target"], zero_based=zero_based)
    summary = {"data": os.fspath(args.data), "model": os.fspath(args.out),
               "n_features": int(est.n_features_in_), "alpha": alpha, "solver": solver,
               "solver_used": getattr(est, "solver_", solver), "n_iter": int(np.max(est.n_iter_)),
               **summary}
    if cv_mode:
        from .fit_cv import cv_summary, format_cv_table, save_validation_curve

        summary["cv"] = cv_summary(est)
        if args.plot:
            save_validation_curve(est, args.plot, f"RidgeCV on {os.path.basename(args.data)}")
            summary["plot"] = args.plot
    table = est.coef_table() if getattr(est, "cov_type_", None) else None
    if table is not None and feature_names is not None:  # the file's column names
        table.index = [*table.index[: len(table) - len(feature_names)], *map(str, feature_names)]
    if table is not None:
        summary["coef_table"] = {"cov_type": est.cov_type_, "rows": table.reset_index(names="name").to_dict("records")}
    if args.json:
        print(json.dumps(summary, indent=2))
    elif not args.quiet:
        print(format_summary(summary))
        if cv_mode:
            print(format_cv_table(summary["cv"]))
        if table is not None:
            print(f"standard errors ({est.cov_type_}; first target):")
            print(table.to_string(float_format=lambda v: f"{v:.6g}"))
    return 0


def format_summary(s):
    """The text ``ridgejit fit`` prints: data, solver, time, iterations, objective, R^2.

    Parameters
    ----------
    s : dict
        The summary (the keys ``ridgejit fit --json`` prints).

    Returns
    -------
    str
    """
    target = f", target {s['target']!r}" if s["target"] is not None else ""
    d = s.get("dask")
    cluster = (f"cluster    {d['scheduler']}, {d['workers']} worker(s); {d['files']} {d['format']} "
               f"file(s) in {d['blocks']} block(s)\n") if d else ""
    solver = s["solver"] if s["solver_used"] == s["solver"] else f"{s['solver']} -> {s['solver_used']}"
    return (f"data       {s['data']}: {s['n_samples']} x {s['n_features']}{target} "
            f"(read in {s['read_time']:.3f} s)\n"
            f"{cluster}"
            f"fit        solver {solver}, alpha {s['alpha']:g}, {s['n_iter']} iteration(s), "
            f"{s['fit_time']:.3f} s\n"
            f"objective  {s['objective']:.10g}\n"
            f"R^2        {s['r2']:.6f} (training data)\n"
            f"model      {s['model']}")


def guarded(command):
    """Run ``command(args)``; a :class:`DataError` becomes one line on stderr and exit code 2."""
    def run(args):
        try:
            return command(args)
        except DataError as exc:
            print(f"ridgejit: error: {exc}", file=sys.stderr)
            return 2
    return run
