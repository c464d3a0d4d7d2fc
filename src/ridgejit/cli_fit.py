"""``ridgejit fit`` and ``ridgejit predict``: fit a model on a data file, save it, predict.

The model file is described in :mod:`ridgejit.model_file`.  Models and
predictions are written through :func:`ridgejit.io.atomic_output`: a failure
leaves no partial file.  ``--dask`` fits are in :mod:`ridgejit.cli_dask`.
"""

import json
import os
import sys
import threading
import time
from contextlib import contextmanager

import numpy as np

from .io import DataError, atomic_output, load_data
from .model_file import load_model, save_model

#: seconds before a progress line appears (short steps show none)
PROGRESS_DELAY = 1.0
#: predictions written per chunk
WRITE_ROWS = 65536


# -- fitting and scoring -------------------------------------------------------
def make_estimator(args, *, dask=False):
    """The estimator of the ``fit`` command's ``args``.

    :class:`~ridgejit.RidgeCV` when ``--alphas`` or ``--cv`` is given (see
    :func:`ridgejit.cli_cv.make_cv_estimator`), else :class:`~ridgejit.SGDRidge`
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
    from .stochastic import STOCHASTIC_SOLVERS

    if check_cv_mode(args):
        from .cli_cv import make_cv_estimator

        return make_cv_estimator(args, dask=dask)
    if dask:
        from .dask import Ridge, SGDRidge
    else:
        from .estimators import Ridge
        from .stochastic import SGDRidge
    kw = {k: v for k, v in (("tol", args.tol), ("max_iter", args.max_iter)) if v is not None}
    cls = SGDRidge if args.solver in STOCHASTIC_SOLVERS else Ridge
    return cls(alpha=args.alpha, solver=args.solver, fit_intercept=not args.no_intercept,
               backend=args.backend, n_jobs=args.n_jobs, random_state=args.seed, **kw)


def training_scores(est, X, y, pred, alpha):
    """Objective ``J`` and R^2 of a fitted model on its training data.

    ``J = 1/(2n) * sum_t (||X w_t + b_t - y_t||^2 + alpha ||w_t||^2)`` (unit
    weights, summed over targets as ``history_["objective"]`` is), by
    :func:`ridgejit.problem.objective_value` (dense or sparse X).

    Returns
    -------
    objective : float
    r2 : float
        ``sklearn.metrics.r2_score`` (uniform average over targets).
    """
    from sklearn.metrics import r2_score

    from .problem import objective_value

    objective = objective_value(X, y, est.coef_, est.intercept_, alpha)
    return objective, float(r2_score(y, pred))


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


def write_predictions(pred, out=None):
    """Write one prediction per line (targets comma-separated), exactly (``repr``).

    Parameters
    ----------
    pred : ndarray of shape (n,) or (n, k)
    out : str, default=None
        File to write (atomically); ``None`` writes to standard output.
    """
    pred = np.asarray(pred)

    def write(fh):
        for lo in range(0, pred.shape[0], WRITE_ROWS):
            rows = pred[lo : lo + WRITE_ROWS].tolist()
            if pred.ndim == 1:
                fh.write("\n".join(map(repr, rows)) + "\n")
            else:
                fh.write("".join(",".join(map(repr, row)) + "\n" for row in rows))

    if out is None:
        try:
            write(sys.stdout)
            sys.stdout.flush()
        except BrokenPipeError:  # the reader stopped early (``| head``): not an error
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    else:
        with atomic_output(out) as fh:
            write(fh)


# -- the commands --------------------------------------------------------------
def _fit(args):
    if args.dask is not None:
        from .cli_dask import fit_dask

        return fit_dask(args)
    if args.data is None:
        raise DataError("no DATA: give the data file to fit")
    show = not args.quiet
    t0 = time.perf_counter()
    with progress(f"reading {args.data}", show):
        data = load_data(args.data, args.target, args.y)
    if data.y is None:
        raise DataError(f"{args.data}: no target; name its column with --target COL or give --y FILE")
    read_time = time.perf_counter() - t0
    cv_mode = check_cv_mode(args)
    est = make_estimator(args)
    try:
        with progress(f"fitting {args.data} ({'RidgeCV' if cv_mode else 'solver ' + args.solver})", show):
            t1 = time.perf_counter()
            est.fit(data.X, data.y)
            fit_time = time.perf_counter() - t1
        pred = est.predict(data.X)
    except (ValueError, TypeError) as exc:
        raise DataError(f"{args.data}: the fit failed: {exc}") from None
    objective, r2 = training_scores(est, data.X, data.y, pred, fitted_alpha(args, est))
    summary = {"n_samples": int(data.X.shape[0]), "target": data.target, "read_time": read_time,
               "fit_time": fit_time, "objective": objective, "r2": r2}
    return report(args, est, summary, data.feature_names, zero_based=data.zero_based)


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
        from .cli_cv import cv_summary, format_cv_table, plot_validation_curve

        summary["cv"] = cv_summary(est)
        if args.plot:
            plot_validation_curve(summary["cv"], args.plot, f"RidgeCV on {os.path.basename(args.data)}")
            summary["plot"] = args.plot
    if args.json:
        print(json.dumps(summary, indent=2))
    elif not args.quiet:
        print(format_summary(summary))
        if cv_mode:
            print(format_cv_table(summary["cv"]))
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


def _predict(args):
    est, meta = load_model(args.model)
    p = est.n_features_in_
    with progress(f"reading {args.data}", not args.quiet):
        data = load_data(args.data, args.target, n_features=p,
                         zero_based=meta.get("svmlight_zero_based", "auto"))
    X = data.X
    if X.shape[1] != p:
        hint = ""
        if meta.get("target") in (data.feature_names or ()):
            hint = f"; pass --target {meta['target']} to ignore the target column"
        raise DataError(f"{args.data}: {X.shape[1]} features, but the model {args.model} "
                        f"was fitted on {p}{hint}")
    names = meta.get("feature_names")
    if names is not None and data.feature_names is not None and list(names) != data.feature_names:
        raise DataError(f"{args.data}: columns {data.feature_names} differ from the model's "
                        f"features {list(names)} ({args.model})")
    try:
        pred = est.predict(X)
    except (ValueError, TypeError) as exc:
        raise DataError(f"{args.data}: prediction failed: {exc}") from None
    write_predictions(pred, args.out)
    return 0


def _guarded(command):
    """Run ``command(args)``; a :class:`DataError` becomes one line on stderr and exit code 2."""
    def run(args):
        try:
            return command(args)
        except DataError as exc:
            print(f"ridgejit: error: {exc}", file=sys.stderr)
            return 2
    return run


def add_parsers(sub):
    """Register ``fit`` and ``predict`` on the ``ridgejit`` subparsers ``sub``.

    Parameters
    ----------
    sub : argparse._SubParsersAction
    """
    from .kernels import BACKENDS
    from .solvers import SOLVERS
    from .stochastic import STOCHASTIC_SOLVERS

    formats = "DATA is .npy, .npz, .csv/.tsv/.txt (header row) or .svm/.svmlight/.libsvm"
    f = sub.add_parser("fit", help="fit a model on a data file and save it (.npz)", epilog=formats)
    f.add_argument("data", metavar="DATA", nargs="?",
                   help="a data file; with --dask also a directory or glob of .npy/CSV/parquet files")
    src = f.add_mutually_exclusive_group()
    src.add_argument("--target", metavar="COL",
                     help="target column (CSV name, .npy column index, .npz key; default: .npz key y)")
    src.add_argument("--y", metavar="FILE", help="targets from a .npy or text file (one per line)")
    f.add_argument("--out", metavar="MODEL.npz", required=True)
    f.add_argument("--alpha", type=float, default=1.0)
    f.add_argument("--alphas", metavar="GRID", default=None,
                   help="choose alpha by cross-validation (RidgeCV) among LOW:HIGH:COUNT "
                        "(log-spaced, e.g. 1e-3:1e3:20) or a comma list; default grid 1e-3:1e3:20 with --cv")
    f.add_argument("--cv", metavar="K", default=None,
                   help="folds for RidgeCV (an int >= 2) or 'loo' (leave-one-out, the default with --alphas)")
    f.add_argument("--scoring", default=None, help="RidgeCV scorer name (default: r2 for k-fold, "
                                                   "mean squared error for leave-one-out)")
    f.add_argument("--plot", metavar="FILE.png", default=None,
                   help="with --alphas/--cv: draw the validation curve (needs matplotlib)")
    f.add_argument("--solver", choices=(*SOLVERS, *STOCHASTIC_SOLVERS), default="auto",
                   help="Ridge's solvers, or SGDRidge's for sgd, minibatch, sag, saga, svrg")
    f.add_argument("--tol", type=float, default=None, help="default: the estimator's")
    f.add_argument("--max-iter", type=int, default=None, help="iterations, or epochs for SGDRidge")
    f.add_argument("--no-intercept", action="store_true")
    f.add_argument("--n-jobs", type=int, default=None)
    f.add_argument("--backend", choices=BACKENDS, default="auto")
    f.add_argument("--seed", type=int, default=0, help="random_state of the estimator")
    f.add_argument("--json", action="store_true", help="print the summary as JSON")
    f.add_argument("--quiet", action="store_true", help="no progress line and no text summary")
    from .cli_dask import add_dask_arguments

    add_dask_arguments(f)
    f.set_defaults(func=_guarded(_fit))
    p = sub.add_parser("predict", help="predict with a saved model, one value per line",
                       epilog=formats)
    p.add_argument("model", metavar="MODEL.npz")
    p.add_argument("data", metavar="DATA")
    p.add_argument("--target", metavar="COL", help="column (or .npz key, .npy index) to ignore")
    p.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.set_defaults(func=_guarded(_predict))
