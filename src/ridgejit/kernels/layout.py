"""Constants every kernel backend shares, named once.

``_layout.pxd`` mirrors each of them for the Cython kernels (a ``cdef enum``
and inline functions); ``tests/test_layout.py`` checks that the compiled values
equal these.  Numba compiles module-level ints as constants, so kernels use the
names at no cost.

**Row blocks.**  The parallel passes split the rows into ``n_blocks(n, width)``
fixed blocks (a function of the shape only), each with a private float64
accumulator of ``width`` doubles, summed in block order afterwards: the result
is the same bits for any thread count.  At least ``BLOCK_MIN_ROWS`` rows per
block, at most ``MAX_BLOCKS`` blocks and ``MAX_BLOCK_DOUBLES`` accumulator
doubles in all; CSR passes also keep at least ``SPARSE_VALUES_PER_SLOT`` stored
values per accumulator slot.  Mini-batch gradients use at most
``BATCH_MAX_BLOCKS`` blocks of at least ``BATCH_MIN_ROWS`` rows per batch.

**Prefetch.**  Stochastic epochs visit rows in a shuffled order; the row
``PREFETCH_AHEAD`` steps ahead is prefetched, its first ``PREFETCH_LINES``
cache lines of ``CACHE_LINE_BYTES``.

**State and hyper-parameter slots.**  The stochastic kernels take two small
float64 arrays instead of a long positional list: ``state``
(updated in place, carried across epochs and ``partial_fit`` calls) and
``hyper`` (read only).  Plain/averaged SGD keeps the coefficients in two vectors
``v`` and ``a`` with Bottou's lazy scaling:

    w    = v / state[WDIV]
    wbar = (a + state[WFRAC] * v) / state[ADIV]       (averaged SGD)

so the L2 shrink ``w <- (1 - eta lam) w`` costs O(1) and an update costs
O(row length).  :func:`to_coef` recovers both.
"""

import numpy as np

# -- row blocks and prefetch -----------------------------------------------------------
BLOCK_MIN_ROWS = 256
MAX_BLOCKS = 64
MAX_BLOCK_DOUBLES = 1 << 23  # 64 MiB of accumulators
SPARSE_VALUES_PER_SLOT = 8
BATCH_MAX_BLOCKS = 8
BATCH_MIN_ROWS = 32
PREFETCH_AHEAD = 8
PREFETCH_LINES = 32
CACHE_LINE_BYTES = 64

# -- sgd_epoch: state ------------------------------------------------------------------
T = 0  # updates done so far (the schedule's t; carried by partial_fit)
WDIV = 1  # divisor of v
ADIV = 2  # divisor of the average
WFRAC = 3  # fraction of v inside the average
B = 4  # intercept (of the centred model: prediction = (x - xbar).w + b)
BAVG = 5  # averaged intercept
STATE_SIZE = 6

# -- sgd_epoch: hyper ------------------------------------------------------------------
ETA0 = 0  # base step
POWER_T = 1  # invscaling exponent
LAM = 2  # L2 per sample: alpha / n
T0 = 3  # offset of the optimal schedule
AVG_START = 4  # update count from which the average is taken (inf: no averaging)
FIT_B = 5  # 1.0 to fit the intercept
HYPER_SIZE = 6

# -- sgd_epoch: schedules inside an epoch ------------------------------------------------
CONSTANT = 0  # eta0 (also "auto" and "adaptive", which change eta0 between epochs)
INVSCALING = 1  # eta0 / (t + 1) ** power_t
OPTIMAL = 2  # 1 / (lam * (t0 + t))

# -- saga_epoch (SAG and SAGA) -----------------------------------------------------------
SAGA_B = 0  # state: intercept of the centred model
SAGA_GB = 1  # state: intercept part of the average stored gradient, (1/n) sum memory
SAGA_STATE_SIZE = 2
SAGA_STEP = 0  # hyper: step
SAGA_LAM = 1  # hyper: L2 per sample
SAGA_FIT_B = 2  # hyper: 1.0 to fit the intercept
SAGA_UNBIASED = 3  # hyper: 1.0 SAGA's unbiased step, 0.0 SAG's
SAGA_HYPER_SIZE = 4

# -- svrg_inner --------------------------------------------------------------------------
SVRG_B = 0  # state: intercept
SVRG_B_SNAP = 1  # state: intercept at the snapshot
SVRG_GB = 2  # state: intercept part of the full gradient at the snapshot
SVRG_STATE_SIZE = 3
SVRG_STEP = 0  # hyper: step
SVRG_LAM = 1  # hyper: L2 per sample
SVRG_FIT_B = 2  # hyper: 1.0 to fit the intercept
SVRG_HYPER_SIZE = 3

# -- minibatch_epoch (k targets; their intercepts (2, k), penalty rates (k,) are arguments) --
MB_T = 0  # state: batch updates done so far
MB_STATE_SIZE = 1
MB_ETA = 0  # hyper: step
MB_FIT_B = 1  # hyper: 1.0 to fit the intercept
MB_BATCH = 2  # hyper: rows per batch
MB_AVG_START = 3  # hyper: update count from which the average is taken (inf: none)
MB_HYPER_SIZE = 4

# -- scaled_sgd_epoch (diagonally preconditioned SGD, a constant step) --------------------
PS_T = 0  # state: updates done so far
PS_B = 1  # state: intercept of the centred model
PS_BAVG = 2  # state: averaged intercept
PS_PENDING = 3  # state: updates since the penalty was last applied
PS_NAVG = 4  # state: iterates in the average so far
PS_STATE_SIZE = 5
PS_ETA = 0  # hyper: step
PS_AVG_START = 1  # hyper: update count from which the average is taken (inf: none)
PS_FIT_B = 2  # hyper: 1.0 to fit the intercept
PS_STRETCH = 3  # hyper: updates between two applications of the penalty (>= 1)
PS_HYPER_SIZE = 4


def new_state(intercept=0.0):
    """A fresh ``sgd_epoch`` ``state``: no updates yet, unit divisors, intercept ``intercept``."""
    s = np.zeros(STATE_SIZE)
    s[WDIV] = s[ADIV] = 1.0
    s[B] = s[BAVG] = intercept
    return s


def to_coef(v, a, state, averaged):
    """``(w, b)`` from the lazy representation; the averaged pair when ``averaged``."""
    if averaged:
        return (a + state[WFRAC] * v) / state[ADIV], state[BAVG]
    return v / state[WDIV], state[B]


def names():
    """``{name: value}`` of every shared constant (what ``_layout.pxd`` must mirror)."""
    return {k: v for k, v in globals().items() if k.isupper() and isinstance(v, int)}
