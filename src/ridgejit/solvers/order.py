"""The order in which a stochastic epoch visits the rows.

``shuffle`` of :class:`ridgejit.SGDRidge`:

``"blocks"`` (the default)
    CorgiPile's two-level shuffle (Xu et al., "Stochastic gradient descent
    without full data shuffle", SIGMOD 2022).  The rows are cut into blocks of
    consecutive rows; each epoch visits the blocks in a fresh random order,
    ``buffer_blocks`` at a time, and shuffles the rows inside each such
    buffer.  A buffer spans ``BUFFER_L2_MULTIPLE`` L2 caches of rows (8 MiB
    with a 512 KiB L2) in ``BUFFER_BLOCKS`` blocks (8 KiB each there, two
    pages), so an epoch reads memory almost as fast as rows in order (1e6 x 100
    float64 on this project's AMD EPYC, one averaged SGD pass: 0.51 s with a
    full shuffle, 0.24 s with blocks, 0.10 s in order) and mixes rows from
    enough places to converge like a full shuffle (see ``BUFFER_BLOCKS``).
    When all of X fits in one buffer this *is* a full shuffle.
``True``
    A fresh uniform permutation of the rows every epoch.
``False``
    The rows in the order given.

Every order comes from the caller's ``RandomState`` (the same seed gives the
same order) and is a permutation of ``rows``: each row once per epoch.  The
order is built here, before any kernel runs, so every backend, dense or
sparse, visits the same rows in the same order.
"""

import os

import numpy as np

SHUFFLES = ("blocks", True, False)

#: the L2 cache size assumed where the operating system does not report it
DEFAULT_L2_BYTES = 512 * 1024
#: a buffer spans this many L2 caches of rows (8 MiB with a 512 KiB L2); one averaged
#: SGD pass over 1e6 x 100 float64 with 16 KiB blocks: 0.22 s at 8 MiB, 0.29 s at 16 MiB
BUFFER_L2_MULTIPLE = 16
#: blocks per buffer: the rows one buffer mixes come from this many places in X.
#: Averaged SGD on y-sorted data (the adversarial order for blocks), median relative gap
#: after 10 epochs over 5 seeds against a full shuffle's: 1e5 x 50, 3.1x with 127 blocks;
#: 2e5 x 50, 1.50x with 512 blocks and 1.25x with 1024 (8 KiB blocks: 10 % slower epochs
#: on 1e6 x 100 than 16 KiB ones)
BUFFER_BLOCKS = 1024


def l2_cache_bytes(base="/sys/devices/system/cpu/cpu0/cache"):
    """The L2 cache size of CPU 0 in bytes, from sysfs (Linux), else ``DEFAULT_L2_BYTES``.

    ``base`` is the sysfs cache directory; its entries that are not readable cache
    ``index*`` directories are skipped.
    """
    try:
        entries = sorted(os.listdir(base))
    except OSError:
        return DEFAULT_L2_BYTES
    for index in entries:  # index0, index1, ...; skip anything else (uevent, power/)
        path = os.path.join(base, index)
        try:
            with open(os.path.join(path, "level")) as f:
                if int(f.read()) != 2:
                    continue
            with open(os.path.join(path, "size")) as f:
                text = f.read().strip().upper()
            return int(text.rstrip("KMG")) * {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
        except (OSError, ValueError):
            continue
    return DEFAULT_L2_BYTES


def row_bytes(X):
    """Bytes of one dense row of ``X``: ``n_features * itemsize``, for CSR too.

    The layout follows the dense row size for every format, so a CSR matrix and
    its dense twin are visited in the same order (and fit to the same model).
    """
    return X.shape[1] * X.dtype.itemsize


def block_layout(row_bytes, n_rows, l2_bytes=None):
    """``(block_rows, buffer_blocks)`` for rows of ``row_bytes`` bytes.

    Parameters
    ----------
    row_bytes : float
        Bytes one row occupies (``p * itemsize`` dense; stored values times
        value plus index size for CSR).
    n_rows : int
        Rows to order.
    l2_bytes : int, optional
        L2 cache bytes; :func:`l2_cache_bytes` by default.

    Returns
    -------
    block_rows : int
        Consecutive rows per block: ``floor(buffer / (BUFFER_BLOCKS row_bytes))``
        with ``buffer = BUFFER_L2_MULTIPLE * l2_bytes``, at least 1.
    buffer_blocks : int
        Blocks per buffer: ``buffer / (block_rows row_bytes)``, at least
        ``BUFFER_BLOCKS`` (rows wider than ``buffer / BUFFER_BLOCKS`` make
        longer buffers).
    """
    buffer = BUFFER_L2_MULTIPLE * (l2_bytes or l2_cache_bytes())
    row_bytes = max(float(row_bytes), 1.0)
    block_rows = max(1, min(int(n_rows), int(buffer // (BUFFER_BLOCKS * row_bytes))))
    buffer_blocks = max(BUFFER_BLOCKS, int(buffer // (block_rows * row_bytes)))
    return block_rows, buffer_blocks


def epoch_order(rows, rng, shuffle, block_rows=1, buffer_blocks=1):
    """The rows one epoch visits, as a new int64 array.

    Parameters
    ----------
    rows : ndarray of int
        The rows to visit (ascending: memory order), each once.
    rng : numpy.random.RandomState
        Drawn from for the block order and the in-buffer shuffles.
    shuffle : {"blocks", True, False}
        See the module docstring.
    block_rows, buffer_blocks : int
        The blocks of ``"blocks"`` (from :func:`block_layout`).

    Returns
    -------
    ndarray of int64
        A permutation of ``rows``.
    """
    rows = np.asarray(rows, dtype=np.int64)
    if not isinstance(shuffle, str):  # a bool, NumPy's included
        return rng.permutation(rows) if shuffle else rows.copy()
    if shuffle != "blocks":
        raise ValueError(f"shuffle must be one of {SHUFFLES}, got {shuffle!r}")
    m = len(rows)
    n_blocks = -(-m // block_rows)
    starts = rng.permutation(n_blocks) * block_rows
    positions = (starts[:, None] + np.arange(block_rows)).ravel()
    if m % block_rows:
        positions = positions[positions < m]
    order = rows[positions]
    span = block_rows * buffer_blocks
    for lo in range(0, m, span):
        rng.shuffle(order[lo:lo + span])
    return order
