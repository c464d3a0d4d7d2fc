"""``ridgejit fit`` and ``ridgejit predict``: fit a model on a data file, save it, predict.

The model file is a ``.npz`` of plain arrays (no pickle): ``coef``,
``intercept``, ``alpha``, ``fit_intercept``, ``n_features_in``, ``solver``
(asked for), ``solver_used``, ``n_iter``, ``dtype``, ``ridgejit_version``,
``ridgejit_model`` (the format version), and when known ``feature_names``,
``target`` and ``svmlight_zero_based``.  Models and predictions are written
through :func:`ridgejit.io.atomic_output`: a failure leaves no partial file.
"""

import json
import os
import sys
import threading
import time
from contextlib import contextmanager

import numpy as np

from .io import DataError, atomic_output, check_file, load_data, read_npz

#: version of the model file layout
MODEL_FORMAT = 1
#: arrays every model file has
MODEL_KEYS = ("ridgejit_model", "coef", "intercept", "alpha", "fit_intercept", "n_features_in")
#: seconds before a progress line appears (short steps show none)
PROGRESS_DELAY = 1.0
#: predictions written per chunk
WRITE_ROWS = 65536


# -- the model file ------------------------------------------------------------
def save_model(path, est, *, solver, feature_names=None, target=None, zero_based=None):
    """Write a fitted :class:`ridgejit.Ridge` or :class:`ridgejit.SGDRidge` to ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.npz`` file to write (atomically: see :func:`ridgejit.io.atomic_output`).
    est : Ridge, SGDRidge or RidgeCV
        A fitted estimator (a RidgeCV's ``alpha_`` is saved as ``alpha``; with
        ``alpha_per_target`` only the first target's).
    solver : str
        The solver asked for (``est.solver_`` records the one used, if any).
    feature_names : list of str, default=None
    target : str, default=None
        Name of the target column or key.
    zero_based : bool, default=None
        Base of the svmlight indices the model was fitted on.
    """
    from . import __version__

    coef = np.asarray(est.coef_)
    arrays = {
        "ridgejit_model": np.int64(MODEL_FORMAT),
        "ridgejit_version": np.str_(__version__),
        "coef": coef,
        "intercept": np.ravel(np.asarray(est.intercept_, dtype=np.float64)),
        "alpha": np.float64(np.ravel(getattr(est, "alpha_", getattr(est, "alpha", None)))[0]),
        "fit_intercept": np.bool_(est.fit_intercept),
        "n_features_in": np.int64(est.n_features_in_),
        "solver": np.str_(solver),
        "solver_used": np.str_(getattr(est, "solver_", solver)),
        "n_iter": np.int64(np.max(est.n_iter_)),
        "dtype": np.str_(coef.dtype.name),
    }
    if feature_names is not None:
        arrays["feature_names"] = np.array(feature_names, dtype=np.str_)
    if target is not None:
        arrays["target"] = np.str_(target)
    if zero_based is not None:
        arrays["svmlight_zero_based"] = np.bool_(zero_based)
    with atomic_output(path, "wb") as fh:
        np.savez(fh, **arrays)


def load_model(path):
    """Read a model file written by :func:`save_model`.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    est : ridgejit.Ridge
        Fitted (``coef_``, ``intercept_``, ``n_features_in_``, ``n_iter_``,
        ``solver_``), ready for ``predict``, whichever estimator fitted it.
    meta : dict
        The other entries of the file (``solver``, ``feature_names``, ``target``, ...).

    Raises
    ------
    DataError
        When ``path`` is missing or not a ridgejit model file.
    """
    from .estimators import Ridge, fitted_shapes

    path = os.fspath(path)
    check_file(path)
    m, _ = read_npz(path, what="a ridgejit model file")
    missing = [k for k in MODEL_KEYS if k not in m]
    if missing:
        raise DataError(f"{path}: not a ridgejit model file (no {', '.join(missing)}); "
                        "models are made by `ridgejit fit`")
    coef, p = m["coef"], int(m["n_features_in"])
    intercept = np.ravel(m["intercept"]).astype(np.float64)
    if coef.ndim not in (1, 2) or coef.shape[-1] != p or coef.size != p * intercept.size:
        raise DataError(f"{path}: damaged model file (coef of shape {coef.shape}, "
                        f"{intercept.size} intercepts, {p} features)")
    est = Ridge(alpha=float(m["alpha"]), fit_intercept=bool(m["fit_intercept"]))
    est.coef_, est.intercept_ = fitted_shapes(coef.reshape(-1, p).astype(np.float64), intercept,
                                              coef.dtype, coef.ndim)
    est.n_features_in_ = p
    est.n_iter_ = int(m.get("n_iter", 1))
    est.solver_ = str(m.get("solver_used", m.get("solver", "")))
    meta = {k: (v.tolist() if v.ndim else v.item()) for k, v in m.items() if k not in ("coef", "intercept")}
    return est, meta


# -- fitting and scoring -------------------------------------------------------
def make_estimator(solver, *, alpha=1.0, tol=None, max_iter=None, fit_intercept=True,
                   backend="auto", n_jobs=None, random_state=0):
    """The estimator for ``solver``: :class:`~ridgejit.SGDRidge` for the stochastic
    solvers, :class:`~ridgejit.Ridge` for the others.

    Parameters
    ----------
    solver : str
        A ``Ridge`` solver (``auto``, ``direct``, ``cg``, ``gd``, ``nesterov``) or an
        ``SGDRidge`` one (``sgd``, ``minibatch``, ``sag``, ``saga``, ``svrg``).
    alpha, fit_intercept, backend, n_jobs, random_state
        Passed to the estimator.
    tol, max_iter : default=None
        Passed when given; ``None`` keeps the estimator's default.

    Returns
    -------
    Ridge or SGDRidge
    """
    from .estimators import Ridge
    from .stochastic import STOCHASTIC_SOLVERS, SGDRidge

    kw = {k: v for k, v in (("tol", tol), ("max_iter", max_iter)) if v is not None}
    cls = SGDRidge if solver in STOCHASTIC_SOLVERS else Ridge
    return cls(alpha=alpha, solver=solver, fit_intercept=fit_intercept, backend=backend,
               n_jobs=n_jobs, random_state=random_state, **kw)


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
    show = not args.quiet
    t0 = time.perf_counter()
    with progress(f"reading {args.data}", show):
        data = load_data(args.data, args.target, args.y)
    if data.y is None:
        raise DataError(f"{args.data}: no target; name its column with --target COL or give --y FILE")
    read_time = time.perf_counter() - t0
    cv_mode = args.cv is not None or args.alphas is not None
    if args.plot and not cv_mode:
        raise DataError("--plot draws the cross-validation curve: give --alphas GRID and/or --cv K")
    if cv_mode:
        from .cli_cv import cv_summary, format_cv_table, make_cv_estimator, plot_validation_curve

        est = make_cv_estimator(args)
    else:
        est = make_estimator(args.solver, alpha=args.alpha, tol=args.tol, max_iter=args.max_iter,
                             fit_intercept=not args.no_intercept, backend=args.backend,
                             n_jobs=args.n_jobs, random_state=args.seed)
    try:
        with progress(f"fitting {args.data} ({'RidgeCV' if cv_mode else 'solver ' + args.solver})", show):
            t1 = time.perf_counter()
            est.fit(data.X, data.y)
            fit_time = time.perf_counter() - t1
        pred = est.predict(data.X)
    except (ValueError, TypeError) as exc:
        raise DataError(f"{args.data}: the fit failed: {exc}") from None
    alpha = float(np.ravel(est.alpha_)[0]) if cv_mode else args.alpha
    solver = "ridgecv" if cv_mode else args.solver
    objective, r2 = training_scores(est, data.X, data.y, pred, alpha)
    save_model(args.out, est, solver=solver, feature_names=data.feature_names,
               target=data.target, zero_based=data.zero_based)
    summary = {
        "data": os.fspath(args.data), "model": os.fspath(args.out),
        "n_samples": int(data.X.shape[0]), "n_features": int(data.X.shape[1]),
        "target": data.target, "alpha": alpha, "solver": solver,
        "solver_used": getattr(est, "solver_", solver), "n_iter": int(np.max(est.n_iter_)),
        "read_time": read_time, "fit_time": fit_time, "objective": objective, "r2": r2,
    }
    if cv_mode:
        summary["cv"] = cv_summary(est)
        if args.plot:
            plot_validation_curve(summary["cv"], args.plot, f"RidgeCV on {os.path.basename(args.data)}")
            summary["plot"] = args.plot
    if args.json:
        print(json.dumps(summary, indent=2))
    elif show:
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
    solver = s["solver"] if s["solver_used"] == s["solver"] else f"{s['solver']} -> {s['solver_used']}"
    return (f"data       {s['data']}: {s['n_samples']} x {s['n_features']}{target} "
            f"(read in {s['read_time']:.3f} s)\n"
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
    f.add_argument("data", metavar="DATA")
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
    f.set_defaults(func=_guarded(_fit))
    p = sub.add_parser("predict", help="predict with a saved model, one value per line",
                       epilog=formats)
    p.add_argument("model", metavar="MODEL.npz")
    p.add_argument("data", metavar="DATA")
    p.add_argument("--target", metavar="COL", help="column (or .npz key, .npy index) to ignore")
    p.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.set_defaults(func=_guarded(_predict))
