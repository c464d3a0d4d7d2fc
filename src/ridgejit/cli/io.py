"""Data files for the command line: ``.npy``, ``.npz``, CSV/TSV and svmlight/libsvm.

Readers are the libraries' own (``numpy.load``, ``pandas.read_csv``,
``sklearn.datasets.load_svmlight_file``); this module picks one by the file's
extension, checks what it read, and turns every problem into a
:class:`DataError` whose message names the file.  Output files are written
through :func:`atomic_output`, so a failure never leaves a partial file.
"""

import os
import uuid
import zipfile
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np

#: file extension -> format
FORMATS = {
    ".npy": "npy", ".npz": "npz",
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
    ".svm": "svmlight", ".svmlight": "svmlight", ".libsvm": "svmlight",
}
#: rows checked at a time for NaN/inf (bounded memory on memory-mapped files)
CHUNK_ROWS = 65536


class DataError(ValueError):
    """A file that cannot be used; the message names the file and the problem."""


class Dataset(NamedTuple):
    """What :func:`load_data` read.

    Attributes
    ----------
    X : ndarray of shape (n, p), np.memmap, or scipy CSR matrix
        Features; a ``.npy`` file is memory-mapped, svmlight gives CSR.
    y : ndarray of shape (n,) or (n, k), or None
        Targets, when the file (or ``y_path``) has them.
    feature_names : list of str or None
        Column names of a CSV/TSV file.
    target : str or None
        Name of the target column or key, when there is one.
    zero_based : bool or None
        Whether svmlight feature indices were read as zero-based.
    """

    X: object
    y: object
    feature_names: object = None
    target: object = None
    zero_based: object = None


def data_format(path):
    """The format of ``path`` by its extension: ``npy``, ``npz``, ``csv`` or ``svmlight``.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    str

    Raises
    ------
    DataError
        For an unknown extension.
    """
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext not in FORMATS:
        known = ", ".join(FORMATS)
        raise DataError(f"{path}: unknown file type {ext or '(no extension)'!r}; use one of {known}")
    return FORMATS[ext]


def check_file(path):
    """Raise :class:`DataError` unless ``path`` is an existing, non-empty regular file."""
    if not os.path.exists(path):
        raise DataError(f"{path}: no such file")
    if not os.path.isfile(path):
        raise DataError(f"{path}: not a regular file")
    if os.path.getsize(path) == 0:
        raise DataError(f"{path}: the file is empty")


def check_finite(A, path, what="X", columns=None):
    """Raise :class:`DataError` naming the first NaN or infinite entry of ``A``.

    Dense arrays are scanned in blocks of :data:`CHUNK_ROWS` rows (a memory-mapped
    file is never loaded whole); a sparse matrix has its stored values checked.

    Parameters
    ----------
    A : ndarray of shape (n,) or (n, p), or scipy sparse matrix
    path : str
        File named in the message.
    what : str, default="X"
    columns : sequence of str, default=None
        Column names, to name the column in the message.
    """
    if hasattr(A, "tocsr"):
        A = A.tocsr()
        bad = np.flatnonzero(~np.isfinite(A.data))
        if bad.size:
            row = int(np.searchsorted(A.indptr, bad[0], side="right") - 1)
            _raise_not_finite(path, what, row, int(A.indices[bad[0]]), columns)
        return
    for lo in range(0, A.shape[0], CHUNK_ROWS):
        block = np.asarray(A[lo : lo + CHUNK_ROWS]).reshape(min(CHUNK_ROWS, A.shape[0] - lo), -1)
        if not np.isfinite(block).all():
            row, col = np.argwhere(~np.isfinite(block))[0]
            _raise_not_finite(path, what, lo + int(row), int(col), columns)


def _raise_not_finite(path, what, row, col, columns):
    name = repr(columns[col]) if columns is not None else col
    raise DataError(f"{path}: {what} has a missing, NaN or infinite value "
                    f"(data row {row + 1}, column {name})")


def _numeric(A, path, what):
    if A.dtype.kind not in "biuf":
        raise DataError(f"{path}: {what} has dtype {A.dtype}; a numeric array is needed")
    return A


def _read_npy(path, target):
    try:
        A = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(f"{path}: not a readable .npy file ({exc})") from None
    _numeric(A, path, "the array")
    if A.ndim != 2:
        raise DataError(f"{path}: expected a 2-D array (rows x features), got shape {A.shape}")
    if target is None:
        return Dataset(A, None)
    try:
        j = int(target)
        col = range(A.shape[1])[j]
    except (ValueError, IndexError):
        raise DataError(f"{path}: --target must be a column index in [0, {A.shape[1]}) "
                        f"for a .npy file, got {target!r}") from None
    return Dataset(np.delete(A, col, axis=1), np.array(A[:, col]), target=str(col))


def read_npz(path, keys=None, what="a readable .npz file"):
    """The arrays of an ``.npz`` file (no pickles), and the names of all it holds.

    Parameters
    ----------
    path : str
    keys : collection of str, default=None
        Read only these (those present); ``None`` reads all.
    what : str, default="a readable .npz file"
        What the file should be, for the message when it is not.

    Returns
    -------
    arrays : dict of str to ndarray
    names : list of str

    Raises
    ------
    DataError
        When ``path`` is not an ``.npz`` archive numpy can read.
    """
    try:
        f = np.load(path, allow_pickle=False)
        if not isinstance(f, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array, not an archive")
        with f:
            names = list(f.keys())
            return {k: f[k] for k in names if keys is None or k in keys}, names
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: not {what} ({exc})") from None


def _read_npz(path, target):
    key = "y" if target is None else target
    arrays, keys = read_npz(path, ("X", key))
    for name in ("X", key) if target is not None else ("X",):
        if name not in arrays:
            raise DataError(f"{path}: no array {name!r} in the .npz file (keys: {', '.join(keys)})")
    X = _numeric(arrays["X"], path, "'X'")
    y = _numeric(arrays[key], path, repr(key)) if key in arrays else None
    if X.ndim != 2:
        raise DataError(f"{path}: 'X' must be 2-D (rows x features), got shape {X.shape}")
    return Dataset(X, y, target=key if y is not None else None)


def csv_separator(path):
    """``"\\t"`` for ``.tsv``, ``","`` for ``.csv``, None (sniffed by pandas' python engine) otherwise."""
    name = os.fspath(path).lower()
    return "\t" if name.endswith(".tsv") else ("," if name.endswith(".csv") else None)


def _read_csv(path, target):
    try:
        import pandas as pd
    except ImportError:
        raise DataError(f"{path}: reading CSV needs pandas: pip install \"ridgejit[cli]\"") from None
    sep = csv_separator(path)
    try:
        df = pd.read_csv(path, sep=sep, engine="c" if sep else "python")
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file has no header and no data") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path}: malformed CSV ({first})") from None
    columns = [str(c) for c in df.columns]
    if not isinstance(df.index, pd.RangeIndex):  # pandas took the extra leading fields as an index
        raise DataError(f"{path}: malformed CSV (rows with more fields than the header's "
                        f"{len(columns)})")
    if len(df) == 0:
        raise DataError(f"{path}: header only, no data rows")
    if target is not None and target not in columns:
        raise DataError(f"{path}: no column {target!r} (columns: {', '.join(columns)})")
    for name, dtype in zip(columns, df.dtypes):
        if not pd.api.types.is_numeric_dtype(dtype):
            values = df[name]
            bad = values[pd.to_numeric(values, errors="coerce").isna() & values.notna()]
            detail = f" (e.g. {bad.iloc[0]!r} in data row {bad.index[0] + 1})" if len(bad) else ""
            raise DataError(f"{path}: column {name!r} is not numeric{detail}")
    features = [c for c in columns if c != target]
    X = np.ascontiguousarray(df[features].to_numpy(dtype=np.float64))
    y = None if target is None else df[target].to_numpy(dtype=np.float64)
    return Dataset(X, y, feature_names=features, target=target)


def _read_svmlight(path, target, zero_based):
    from sklearn.datasets import load_svmlight_file

    if target is not None:
        raise DataError(f"{path}: --target does not apply to svmlight files (the first field "
                        "of each line is the target)")
    try:
        # Indices are read as given; the base is decided below, once for the
        # whole file, so that a model and later files agree on it.
        X, y = load_svmlight_file(path, dtype=np.float64, zero_based=True)
    except (ValueError, UnicodeDecodeError, OSError) as exc:
        raise DataError(f"{path}: malformed svmlight/libsvm file ({exc})") from None
    if X.shape[0] == 0:
        raise DataError(f"{path}: no data rows")
    has_zero = X.nnz > 0 and X.indices.min() == 0
    if zero_based == "auto":
        zero_based = bool(has_zero) or X.nnz == 0
    if not zero_based:
        if has_zero:
            raise DataError(f"{path}: feature index 0 in a file read as one-based "
                            "(the model was fitted on one-based indices)")
        X.indices -= 1
        X = type(X)((X.data, X.indices, X.indptr), shape=(X.shape[0], max(X.shape[1] - 1, 0)))
    return Dataset(X, y, zero_based=bool(zero_based))


def _pad_features(data, path, n_features):
    """svmlight files list only the features they use: widen ``X`` to ``n_features``."""
    X = data.X
    if n_features is None or X.shape[1] == n_features:
        return data
    if X.shape[1] > n_features:
        raise DataError(f"{path}: {X.shape[1]} features, more than the {n_features} expected")
    X = type(X)((X.data, X.indices, X.indptr), shape=(X.shape[0], n_features))
    return data._replace(X=X)


def load_target(path):
    """Targets from ``path``: a ``.npy`` array, or a text file of one value per line.

    Text lines may hold several comma-separated values (one per target), the
    format ``ridgejit predict`` writes.

    Parameters
    ----------
    path : str

    Returns
    -------
    ndarray of shape (n,) or (n, k), float64
    """
    path = os.fspath(path)
    check_file(path)
    try:
        if path.lower().endswith(".npy"):
            y = np.load(path, allow_pickle=False)
        else:
            y = np.loadtxt(path, dtype=np.float64, delimiter=",", ndmin=1)
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read targets ({exc})") from None
    _numeric(y, path, "the target array")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim not in (1, 2):
        raise DataError(f"{path}: targets must be 1-D or 2-D, got shape {y.shape}")
    return np.asarray(y, dtype=np.float64)


def load_data(path, target=None, y_path=None, *, n_features=None, zero_based="auto"):
    """Read a data file for ``ridgejit fit`` or ``ridgejit predict``.

    Parameters
    ----------
    path : str or os.PathLike
        ``.npy`` (a 2-D array, memory-mapped), ``.npz`` (arrays ``X`` and
        ``y``), ``.csv``/``.tsv``/``.txt`` (a header row, then numbers), or
        ``.svm``/``.svmlight``/``.libsvm`` (read as CSR, never densified).
    target : str, default=None
        The target: a column name (CSV), a key (``.npz``, default ``y``) or
        a column index (``.npy``); the other columns are the features.
    y_path : str, default=None
        Read the targets from this file instead (see :func:`load_target`).
    n_features : int, default=None
        Number of features the caller expects; an svmlight file that uses
        fewer is widened to it.
    zero_based : bool or "auto", default="auto"
        Base of svmlight feature indices; ``"auto"`` means zero-based when
        index 0 occurs, else one-based (libsvm's convention).

    Returns
    -------
    Dataset
        ``(X, y, feature_names, target, zero_based)``; ``y`` is None when
        there is no target.

    Raises
    ------
    DataError
        For a missing, empty, malformed or non-numeric file, an unknown
        extension, a target that is not there, NaN or infinity in the data,
        or targets whose count differs from the number of rows.
    """
    path = os.fspath(path)
    fmt = data_format(path)
    check_file(path)
    if fmt == "svmlight":
        data = _pad_features(_read_svmlight(path, target, zero_based), path, n_features)
    else:
        data = {"npy": _read_npy, "npz": _read_npz, "csv": _read_csv}[fmt](path, target)
    if data.X.shape[0] == 0:
        raise DataError(f"{path}: no data rows")
    check_finite(data.X, path, "X", data.feature_names)
    y, y_file = data.y, path
    if y_path is not None:
        y, y_file = load_target(y_path), os.fspath(y_path)
        data = data._replace(y=y, target=None)
    if y is not None:
        check_finite(y, y_file, "the target")
        if y.shape[0] != data.X.shape[0]:
            raise DataError(f"{y_file}: {y.shape[0]} target values, but {path} has {data.X.shape[0]} rows")
    return data


@contextmanager
def atomic_output(path, mode="w"):
    """Open a temporary file beside ``path``; it becomes ``path`` only on success.

    The temporary file is in the same directory (so the final ``os.replace``
    is atomic) and is removed when the block raises: readers never see a
    partial file, and an existing ``path`` is kept until the new one is complete.

    Parameters
    ----------
    path : str or os.PathLike
    mode : {"w", "wb"}, default="w"

    Yields
    ------
    file object
    """
    path = os.fspath(path)
    directory, base = os.path.split(os.path.abspath(path))
    tmp = os.path.join(directory, f".{base}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        fh = open(tmp, mode.replace("w", "x"))
    except OSError as exc:
        raise DataError(f"{path}: cannot write ({exc.strerror})") from None
    try:
        with fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
