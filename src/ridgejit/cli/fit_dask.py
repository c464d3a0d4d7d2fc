"""``ridgejit fit --dask [SCHEDULER]``: fit on a Dask cluster from a directory or glob of files.

``DATA`` (a file, a directory or a glob of ``.npy``, CSV or parquet files) is
read as one lazy collection by :func:`ridgejit.cli.dask_files.read_collection`
and fitted by :class:`ridgejit.dask.Ridge` (``auto``, ``direct``, ``cg``),
:class:`ridgejit.dask.SGDRidge` (``sgd``, ``minibatch``) or, with ``--cv K``,
:class:`ridgejit.dask.RidgeCV`.  With no address a ``distributed.LocalCluster``
is started for the command (``--workers`` processes) and closed after it;
with one (``tcp://host:8786``) the command connects to that scheduler, whose
workers must be able to open the files.  The model file is the one
``ridgejit fit`` writes, so ``ridgejit predict`` reads it.

After the fit, one more pass computes the training objective and R^2.
"""

import re
import time
from contextlib import contextmanager


from .common import check_cv_mode, fitted_alpha, make_estimator, progress, report, training_scores
from .io import DataError

#: what ``--dask`` with no address means
LOCAL = "local"
#: how long to wait for a scheduler given by address
CONNECT_TIMEOUT = "10s"
#: ``scheme://anything`` or ``host:port``
ADDRESS = re.compile(r"^(\w+://\S+|[\w.\-]+:\d+)$")


def add_dask_arguments(parser):
    """Add ``--dask``, ``--workers`` and ``--blocksize`` to the ``fit`` parser."""
    parser.add_argument("--dask", nargs="?", const=LOCAL, default=None, metavar="SCHEDULER",
                        help="fit on Dask: connect to SCHEDULER (tcp://host:port) or, with no "
                             "address, start a local cluster; DATA may be a directory or glob")
    parser.add_argument("--workers", type=int, default=None,
                        help="with --dask and no address: worker processes (default: Dask's choice)")
    parser.add_argument("--blocksize", default=None, metavar="BYTES",
                        help="with --dask: bytes per block of rows of CSV and .npy files "
                             "(e.g. 64MiB; default 128MiB)")


def data_and_address(data, address):
    """``(DATA, scheduler)``: ``--dask DATA`` (no address, DATA after it) is read as intended.

    argparse gives the word after ``--dask`` to ``--dask``; when DATA is then
    missing and that word is not an address, it is the data.
    """
    if data is None and address != LOCAL and not ADDRESS.match(address):
        data, address = address, LOCAL
    if data is None:
        raise DataError("no DATA: give the data file, directory or glob to fit")
    return data, address


@contextmanager
def connect(address, workers=None):
    """A ``distributed.Client``: on a new :class:`distributed.LocalCluster` for ``LOCAL``.

    The local cluster has ``workers`` processes (None: Dask's choice from the
    CPU count) and no dashboard, and is closed on exit.

    Raises
    ------
    DataError
        The scheduler cannot be reached within :data:`CONNECT_TIMEOUT`, or
        ``workers`` is given with an address.
    """
    try:
        import distributed
    except ImportError:
        raise DataError('--dask needs dask and distributed: pip install "ridgejit[dask]"') from None
    if address == LOCAL:
        if workers is not None and workers < 1:
            raise DataError(f"--workers {workers}: expected at least 1")
        with distributed.LocalCluster(n_workers=workers, processes=True, dashboard_address=None) as cluster:
            with distributed.Client(cluster) as client:
                yield client
        return
    if workers is not None:
        raise DataError("--workers starts a local cluster; it does not apply with a scheduler address")
    try:
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise DataError(f"--dask {address}: cannot reach the scheduler ({exc})") from None
    with client:
        yield client


def fit_dask(args):
    """``ridgejit fit --dask``: read, fit on the cluster, score, save and report (exit code)."""
    data, address = data_and_address(args.data, args.dask)
    args.data = data
    show = not args.quiet
    est = make_estimator(args, dask=True)
    cv_mode = check_cv_mode(args)
    with connect(address, args.workers) as client:
        import dask.utils

        from ..dask.blocks import row_blocks
        from .dask_files import BLOCKSIZE, read_collection

        try:
            blocksize = BLOCKSIZE if args.blocksize is None else dask.utils.parse_bytes(args.blocksize)
        except (ValueError, TypeError):
            raise DataError(f"--blocksize {args.blocksize!r}: expected bytes such as 64MiB") from None
        t0 = time.perf_counter()
        coll = read_collection(data, args.target, args.y, blocksize=blocksize)
        if coll.y is None:
            raise DataError(f"{data}: no target; name its column with --target COL or give --y FILES")
        read_time = time.perf_counter() - t0
        try:
            with progress(f"fitting {data} on {address} ({'RidgeCV' if cv_mode else 'solver ' + args.solver})",
                          show):
                t1 = time.perf_counter()
                est.fit(coll.X, coll.y)
                fit_time = time.perf_counter() - t1
            n, objective, r2 = training_scores(est, coll.X, coll.y, fitted_alpha(args, est))
        except (ValueError, TypeError, OSError) as exc:
            raise DataError(f"{data}: the fit failed: {exc}") from None
        blocks = len(row_blocks(coll.X, coll.y))  # as the fit saw them
        cluster = {"scheduler": client.scheduler.address, "workers": len(client.scheduler_info()["workers"]),
                   "files": len(coll.files), "format": coll.fmt, "blocks": int(blocks)}
    summary = {"n_samples": n, "target": coll.target, "read_time": read_time, "fit_time": fit_time,
               "objective": objective, "r2": r2, "dask": cluster}
    return report(args, est, summary, coll.feature_names)
