"""``ridgejit fit`` and ``ridgejit predict``: fit a model on a data file, save it, predict.

The model file is described in :mod:`ridgejit.cli.model_file`.  Models and
predictions are written through :func:`ridgejit.cli.io.atomic_output`: a failure
leaves no partial file.  ``--dask`` fits are in :mod:`ridgejit.cli.fit_dask`.
"""

import os
import sys
import time

import numpy as np

from .common import check_cv_mode, fitted_alpha, guarded, make_estimator, progress, report, training_scores
from .fit_dask import add_dask_arguments, fit_dask
from .io import DataError, atomic_output, load_data
from .model_file import load_model

#: predictions written per chunk
WRITE_ROWS = 65536


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
        n, objective, r2 = training_scores(est, data.X, data.y, fitted_alpha(args, est))
    except (ValueError, TypeError) as exc:
        raise DataError(f"{args.data}: the fit failed: {exc}") from None
    summary = {"n_samples": n, "target": data.target, "read_time": read_time,
               "fit_time": fit_time, "objective": objective, "r2": r2}
    return report(args, est, summary, data.feature_names, zero_based=data.zero_based)


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
    if args.interval is not None:
        pred = prediction_intervals(pred, X, meta, args.interval, args.model)
    write_predictions(pred, args.out)
    return 0


def prediction_intervals(pred, X, meta, level, model_path):
    """``(n, 3)``: prediction, low, high for a new observation of unit weight.

    ``pred +- q sqrt(z^T C z + sigma^2)`` with ``z = (1, x)`` (or ``x``), ``C`` the
    saved covariance of ``(intercept, coef)`` and ``sigma^2 = RSS / (n - df)``; ``q``
    from Student's t with ``n - df`` degrees of freedom for a classical covariance,
    the normal distribution for the sandwich types (whose ``sigma^2`` still assumes one
    noise level for the new observation).  One target only.
    """
    from scipy import sparse, stats

    if "covariance" not in meta:
        raise DataError(f"{model_path}: no covariance in the model; fit it with --se TYPE to predict intervals")
    C = np.asarray(meta["covariance"], dtype=np.float64)
    if C.ndim != 2 or np.ndim(pred) != 1:
        raise DataError(f"{model_path}: --interval takes a single-target model")
    if not 0 < level < 1:
        raise DataError(f"--interval must be a level in (0, 1), e.g. 0.95; got {level}")
    f = C.shape[0] - X.shape[1]  # 1 with an intercept
    XC = np.asarray(X @ C[f:, f:])
    quad = np.asarray(X.multiply(XC).sum(axis=1)).ravel() if sparse.issparse(X) else np.einsum("ij,ij->i", XC, X)
    if f:
        quad = quad + C[0, 0] + 2 * np.asarray(X @ C[1:, 0]).ravel()
    sigma2, dof = float(np.ravel(meta["sigma2"])[0]), float(np.ravel(meta["residual_dof"])[0])
    dist = stats.t(dof) if meta["cov_type"] == "classical" else stats.norm()
    half = dist.ppf(0.5 + level / 2) * np.sqrt(np.maximum(quad, 0.0) + sigma2)
    return np.column_stack([pred, pred - half, pred + half])


def add_parsers(sub):
    """Register ``fit`` and ``predict`` on the ``ridgejit`` subparsers ``sub``.

    Parameters
    ----------
    sub : argparse._SubParsersAction
    """
    from ..kernels import BACKENDS
    from ..solvers import RIDGE_SOLVER_NAMES
    from ..stochastic import STOCHASTIC_SOLVERS

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
    f.add_argument("--solver", choices=sorted(RIDGE_SOLVER_NAMES | set(STOCHASTIC_SOLVERS)), default="auto",
                   help="Ridge's solvers (scikit-learn's names too), or SGDRidge's for sgd, minibatch, "
                        "sag, saga, svrg")
    f.add_argument("--tol", type=float, default=None, help="default: the estimator's")
    f.add_argument("--max-iter", type=int, default=None, help="iterations, or epochs for SGDRidge")
    f.add_argument("--no-intercept", action="store_true")
    f.add_argument("--se", metavar="TYPE", default=None, choices=("classical", "HC0", "HC1", "HC2", "HC3"),
                   help="also compute standard errors (Ridge's cov_type: classical, HC0..HC3; with --dask "
                        "too), print the coefficient table and save the standard errors in the model file")
    f.add_argument("--positive", action="store_true",
                   help="coefficients >= 0 (the exact QP: Ridge with solver auto or lbfgs, or RidgeCV with --cv K)")
    f.add_argument("--penalty-factor", metavar="FILE|LIST", default=None,
                   help="per-feature penalty factors (0 = unpenalized), one per feature column: a comma "
                        "list (0,1,1,2) or a file of them (.npy or text); Ridge, RidgeCV, and SGDRidge's "
                        "sgd (and sag/saga/svrg on dense data, every factor > 0)")
    f.add_argument("--penalty-matrix", metavar="FILE", default=None,
                   help="a Tikhonov penalty alpha w'Pw: P (n_features x n_features, symmetric positive "
                        "semi-definite) in a .npy file or a text file of rows; Ridge (exact solvers, cg) "
                        "and RidgeCV")
    f.add_argument("--n-jobs", type=int, default=None)
    f.add_argument("--backend", choices=BACKENDS, default="auto")
    f.add_argument("--seed", type=int, default=0, help="random_state of the estimator")
    f.add_argument("--json", action="store_true", help="print the summary as JSON")
    f.add_argument("--quiet", action="store_true", help="no progress line and no text summary")
    add_dask_arguments(f)
    f.set_defaults(func=guarded(_fit))
    p = sub.add_parser("predict", help="predict with a saved model, one value per line",
                       epilog=formats)
    p.add_argument("model", metavar="MODEL.npz")
    p.add_argument("data", metavar="DATA")
    p.add_argument("--target", metavar="COL", help="column (or .npz key, .npy index) to ignore")
    p.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    p.add_argument("--interval", metavar="LEVEL", type=float, default=None,
                   help="also the prediction interval at LEVEL (e.g. 0.95): lines 'pred,low,high'; "
                        "needs a model fitted with --se")
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.set_defaults(func=guarded(_predict))
