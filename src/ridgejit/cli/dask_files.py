"""A directory or glob of ``.npy``, CSV or parquet files read as one lazy Dask collection.

:func:`read_collection` is what ``ridgejit fit --dask`` reads.  Nothing is
loaded on the client beyond file headers (``.npy`` shapes, the CSV header
row, parquet schemas): each task of the returned collection reads its own
rows on the worker that runs it, so the files must be where the workers can
open them (one machine, or a shared filesystem).

Row order is the files in natural order (``part2`` before ``part10``), then
the rows of each file; with a fixed order the fits are deterministic.

* ``.npy``: 2-D numeric arrays with the same number of columns, memory-mapped
  by the task and cut into blocks of about ``blocksize`` bytes.  The target
  is a column (``target``, an index) or a separate collection of ``.npy``
  files (``y_source``) with the same total number of rows.
* CSV (``.csv``, ``.tsv``, ``.txt``) with a header row: ``dask.dataframe.read_csv``
  with every column read as float64 (blocks of ``blocksize`` bytes); the target
  is a column name.
* parquet (``.parquet``, ``.pq``): ``dask.dataframe.read_parquet`` (needs
  pyarrow); numeric columns, the target is a column name.
"""

import glob
import os
import re
from typing import NamedTuple

import dask
import dask.array as da
import numpy as np

from .io import FORMATS, DataError, check_file, csv_separator

#: file extension -> format read by :func:`read_collection` (``ridgejit fit``'s .npy and CSV, and parquet)
DASK_FORMATS = {**{e: f for e, f in FORMATS.items() if f in ("npy", "csv")},
                ".parquet": "parquet", ".pq": "parquet"}
#: bytes per block (CSV blocks, ``.npy`` rows per block), as Dask's default chunk size
BLOCKSIZE = 128 * 2**20


class Collection(NamedTuple):
    """What :func:`read_collection` returns.

    Attributes
    ----------
    X : dask.array.Array or dask.dataframe.DataFrame
        The features, rows in file order (lazy; a dataframe for CSV and parquet).
    y : dask.array.Array, dask.dataframe.Series or None
        The targets, row-aligned with ``X`` (None when no target was named).
    files : list of str
        The files read, in row order.
    fmt : str
        ``npy``, ``csv`` or ``parquet``.
    feature_names : list of str or None
    target : str or None
        The target column (name, or index for ``.npy``).
    """

    X: object
    y: object
    files: list
    fmt: str
    feature_names: list = None
    target: object = None


def _natural_key(path):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path)]


def list_files(source):
    """The data files of ``source`` (a file, a directory or a glob pattern) and their format.

    Parameters
    ----------
    source : str or os.PathLike
        A directory (its files with a known extension), a glob pattern
        (``data/part-*.csv``) or a single file.

    Returns
    -------
    files : list of str
        In natural order.
    fmt : str

    Raises
    ------
    DataError
        Nothing matches, an unknown extension, or several formats mixed.
    """
    source = os.fspath(source)
    if os.path.isdir(source):
        names = [os.path.join(source, f) for f in os.listdir(source)]
        files = [f for f in names if os.path.isfile(f) and os.path.splitext(f)[1].lower() in DASK_FORMATS]
        if not files:
            raise DataError(f"{source}: no {', '.join(DASK_FORMATS)} files in this directory")
    elif glob.has_magic(source):
        files = [f for f in glob.glob(source) if os.path.isfile(f)]
        if not files:
            raise DataError(f"{source}: no file matches this pattern")
    else:
        check_file(source)
        files = [source]
    files.sort(key=_natural_key)
    kinds = {}
    for f in files:
        ext = os.path.splitext(f)[1].lower()
        if ext not in DASK_FORMATS:
            raise DataError(f"{f}: --dask reads {', '.join(DASK_FORMATS)} files, not {ext or 'this file'!r}")
        kinds.setdefault(DASK_FORMATS[ext], f)
    if len(kinds) > 1:
        raise DataError(f"{source}: files of several formats ({', '.join(kinds.values())}); "
                        "read one format at a time")
    return files, next(iter(kinds))


def _npy_header(path):
    try:
        A = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(f"{path}: not a readable .npy file ({exc})") from None
    if A.dtype.kind not in "biuf":
        raise DataError(f"{path}: dtype {A.dtype} is not a real number type")
    return A.shape, A.dtype


def read_npy_rows(path, lo, hi):
    """Rows ``lo:hi`` of the ``.npy`` file ``path`` (memory-mapped, copied): one block's task."""
    return np.array(np.load(path, mmap_mode="r", allow_pickle=False)[lo:hi])


def _npy_blocks(files, ndim, blocksize):
    """The ``.npy`` files as one dask array, each file cut into blocks of about ``blocksize`` bytes."""
    pieces, width, dtypes = [], None, []
    for f in files:
        shape, dtype = _npy_header(f)
        if len(shape) not in ndim:
            raise DataError(f"{f}: expected a {' or '.join(map(str, ndim))}-D array, got shape {shape}")
        if shape[0] == 0:
            raise DataError(f"{f}: no rows")
        if width is not None and shape[1:] != width:
            raise DataError(f"{f}: shape {shape} does not continue {files[0]} (trailing shape {width})")
        width = shape[1:]
        dtypes.append(dtype)
        step = max(1, blocksize // max(1, dtype.itemsize * int(np.prod(width))))
        mtime = os.stat(f).st_mtime_ns
        for lo in range(0, shape[0], step):
            hi = min(lo + step, shape[0])
            key = f"read-npy-{dask.base.tokenize(f, mtime, lo, hi)}"
            part = dask.delayed(read_npy_rows)(f, lo, hi, dask_key_name=key)
            pieces.append(da.from_delayed(part, shape=(hi - lo, *width), dtype=dtype))
    return da.concatenate(pieces, axis=0) if len(pieces) > 1 else pieces[0]


def _read_npy(files, target, y_source, blocksize):
    A = _npy_blocks(files, (2,), blocksize)
    if y_source is not None:
        y_files, fmt = list_files(y_source)
        if fmt != "npy":
            raise DataError(f"{y_source}: with --dask, --y reads .npy files")
        Y = _npy_blocks(y_files, (1, 2), blocksize)
        if Y.shape[0] != A.shape[0]:
            raise DataError(f"{y_source}: {Y.shape[0]} target rows, but the data has {A.shape[0]} rows")
        return Collection(A, Y.rechunk({0: A.chunks[0]}), files, "npy")
    if target is None:
        return Collection(A, None, files, "npy")
    p = A.shape[1]
    try:
        j = int(target)
        if not -p <= j < p:
            raise ValueError
    except ValueError:
        raise DataError(f"{files[0]}: --target must be a column index in [0, {p}) for .npy files, "
                        f"got {target!r}") from None
    j %= p
    keep = np.delete(np.arange(p), j)
    return Collection(A[:, keep], A[:, j], files, "npy", target=str(j))


def _frame_target(df, files, target):
    """``(X, y)`` of a dataframe: every column but ``target``, and ``target``.

    The estimators take these column selections as one frame (see
    :func:`ridgejit.dask.blocks.one_frame`), so X and y share partitions.
    """
    columns = [str(c) for c in df.columns]
    if target is not None and target not in columns:
        raise DataError(f"{files[0]}: no column {target!r} (columns: {', '.join(columns)})")
    features = [c for c in columns if c != target]
    if not features:
        raise DataError(f"{files[0]}: no feature column besides the target {target!r}")
    y = None if target is None else df[target]
    return Collection(df[features], y, files, None, features, target)


def _read_csv(files, target, blocksize):
    import dask.dataframe as dd
    import pandas as pd

    sep = csv_separator(files[0])
    engine = "c" if sep else "python"
    try:
        header = pd.read_csv(files[0], sep=sep, engine=engine, nrows=0).columns
        df = dd.read_csv(files, sep=sep, engine=engine, blocksize=blocksize if sep else None,
                         dtype={c: np.float64 for c in header})
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{files[0]}: cannot read as CSV with numeric columns ({first})") from None
    return _frame_target(df, files, target)._replace(fmt="csv")


def _read_parquet(files, target):
    import dask.dataframe as dd
    import pandas as pd

    try:
        df = dd.read_parquet(files)
    except (ImportError, ValueError, OSError) as exc:
        raise DataError(f"{files[0]}: cannot read as parquet ({exc})") from None
    for name, dtype in df.dtypes.items():
        if not (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)):
            raise DataError(f"{files[0]}: column {name!r} is {dtype}, not numeric")
    return _frame_target(df, files, target)._replace(fmt="parquet")


def read_collection(source, target=None, y_source=None, *, blocksize=BLOCKSIZE):
    """Read ``source`` as one lazy Dask collection (see the module docstring).

    Parameters
    ----------
    source : str or os.PathLike
        A file, a directory or a glob pattern of ``.npy``, CSV or parquet files.
    target : str, default=None
        The target column: a name (CSV, parquet) or an index (``.npy``).
    y_source : str or os.PathLike, default=None
        ``.npy`` only: the targets as another file/directory/glob of ``.npy``
        files (1-D, or 2-D for several targets), ``n_samples`` rows in all.
    blocksize : int, default=BLOCKSIZE
        Bytes per block of rows (CSV and ``.npy``; parquet keeps its row groups).

    Returns
    -------
    Collection

    Raises
    ------
    DataError
        Naming the file: no file, unknown or mixed formats, unreadable
        headers, column counts that differ between files, a missing target.
        NaN in a block is found during the fit (a ValueError naming the block).
    """
    if not (isinstance(blocksize, (int, np.integer)) and blocksize > 0):
        raise DataError(f"blocksize must be a positive number of bytes, got {blocksize!r}")
    files, fmt = list_files(source)
    if y_source is not None and fmt != "npy":
        raise DataError(f"{source}: --y goes with .npy files; for {fmt} name the target column with --target")
    if fmt == "npy":
        return _read_npy(files, target, y_source, int(blocksize))
    if fmt == "csv":
        return _read_csv(files, target, int(blocksize))
    return _read_parquet(files, target)
