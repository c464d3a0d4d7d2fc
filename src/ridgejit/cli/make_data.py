"""``ridgejit make-data``: a seeded regression data file, so every README command can run as written.

The rows are ``y = X w + b + noise`` with ``X`` standard normal columns scaled by
``10^U(-1, 1)`` and shifted by ``N(0, 3)`` (so centring and scaling matter), ``w``
standard normal, ``b = 4``, noise of standard deviation ``0.5``; with ``--density
d < 1`` each value of X is kept with probability ``d`` (the rest are zeros).  The
same ``--seed`` gives the same file.  The format follows the extension:

==========================  ===========================================================
``.csv``, ``.tsv``, ``.txt``  a header row ``x0, ..., x{p-1}`` and the ``--target`` column
``.svm`` ``.svmlight``      svmlight/libsvm (only the nonzero values; the label first)
``.libsvm``
``.npy``                    X only when ``--y FILE.npy`` is given (y there), else
                            ``[X | y]`` with y as the last column
``.npz``                    arrays ``X`` and ``y``
``.parquet``                columns as CSV's (needs pandas and pyarrow)
==========================  ===========================================================

Files are written atomically (a temporary file renamed at the end).
"""

import os

import numpy as np

from .io import DataError, atomic_output


def make_rows(n_samples, n_features, density=1.0, seed=0):
    """``(X, y)``: the seeded regression data described in the module docstring."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features)) * 10 ** rng.uniform(-1, 1, n_features)
    X += rng.normal(0, 3, n_features)
    if density < 1.0:
        X[rng.random(X.shape) >= density] = 0.0
    y = X @ rng.standard_normal(n_features) + 4.0 + 0.5 * rng.standard_normal(n_samples)
    return X, y


def _write(path, X, y, target, y_path):
    ext = os.path.splitext(path)[1].lower()
    names = [f"x{j}" for j in range(X.shape[1])]
    if ext in (".csv", ".tsv", ".txt"):
        sep = "\t" if ext == ".tsv" else ","
        with atomic_output(path) as fh:
            fh.write(sep.join([*names, target]) + "\n")
            np.savetxt(fh, np.column_stack([X, y]), delimiter=sep, fmt="%.17g")
    elif ext in (".svm", ".svmlight", ".libsvm"):
        from sklearn.datasets import dump_svmlight_file

        with atomic_output(path, "wb") as fh:
            dump_svmlight_file(X, y, fh, zero_based=False)
    elif ext == ".npy":
        with atomic_output(path, "wb") as fh:
            np.save(fh, X if y_path else np.column_stack([X, y]))
        if y_path:
            with atomic_output(y_path, "wb") as fh:
                np.save(fh, y)
    elif ext == ".npz":
        with atomic_output(path, "wb") as fh:
            np.savez(fh, X=X, y=y)
    elif ext in (".parquet", ".pq"):
        try:
            import pandas as pd
        except ImportError:
            raise DataError(f"{path}: writing parquet needs pandas and pyarrow "
                            "(pip install \"ridgejit[dask]\" pyarrow)") from None
        frame = pd.DataFrame(X, columns=names).assign(**{target: y})
        with atomic_output(path, "wb") as fh:
            frame.to_parquet(fh, index=False)
    else:
        raise DataError(f"{path}: unknown file type {ext or '(no extension)'!r}; use .csv, .tsv, .txt, "
                        ".svm, .svmlight, .libsvm, .npy, .npz or .parquet")


def _make_data(args):
    if args.n_samples < 1 or args.n_features < 1:
        raise DataError("--n-samples and --n-features must be at least 1")
    if not 0.0 < args.density <= 1.0:
        raise DataError(f"--density must be in (0, 1], got {args.density}")
    directory = os.path.dirname(os.path.abspath(args.file))
    os.makedirs(directory, exist_ok=True)
    X, y = make_rows(args.n_samples, args.n_features, args.density, args.seed)
    _write(args.file, X, y, args.target, args.y)
    if not args.quiet:
        print(f"wrote {args.file}: {args.n_samples} x {args.n_features}" + (f" and {args.y}" if args.y else ""))
    return 0


def add_parser(sub):
    """Register ``ridgejit make-data`` on the ``ridgejit`` subparsers ``sub``."""
    from .common import guarded

    m = sub.add_parser("make-data", help="write a seeded regression data file (csv, svmlight, npy, npz, parquet)")
    m.add_argument("file", metavar="FILE", help="the file to write; its extension sets the format")
    m.add_argument("--n-samples", type=int, default=1000)
    m.add_argument("--n-features", type=int, default=10)
    m.add_argument("--target", default="y", help="name of the target column (csv, parquet)")
    m.add_argument("--y", metavar="Y.npy", default=None, help="with a .npy FILE: write y to this file")
    m.add_argument("--density", type=float, default=1.0, help="fraction of nonzero values in X")
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--quiet", action="store_true")
    m.set_defaults(func=guarded(_make_data))
