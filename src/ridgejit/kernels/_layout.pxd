# Mirror of ridgejit/kernels/layout.py for the Cython kernels (tests/test_layout.py
# checks that the compiled values agree).  See layout.py for what each name means.

cdef enum:
    BLOCK_MIN_ROWS = 256
    MAX_BLOCKS = 64
    MAX_BLOCK_DOUBLES = 8388608  # 1 << 23
    SPARSE_VALUES_PER_SLOT = 8
    BATCH_MAX_BLOCKS = 8
    BATCH_MIN_ROWS = 32
    PREFETCH_AHEAD = 8
    PREFETCH_LINES = 32
    CACHE_LINE_BYTES = 64
    T = 0
    WDIV = 1
    ADIV = 2
    WFRAC = 3
    B = 4
    BAVG = 5
    STATE_SIZE = 6
    ETA0 = 0
    POWER_T = 1
    LAM = 2
    T0 = 3
    AVG_START = 4
    FIT_B = 5
    HYPER_SIZE = 6
    CONSTANT = 0
    INVSCALING = 1
    OPTIMAL = 2
    SAGA_B = 0
    SAGA_GB = 1
    SAGA_STATE_SIZE = 2
    SAGA_STEP = 0
    SAGA_LAM = 1
    SAGA_FIT_B = 2
    SAGA_UNBIASED = 3
    SAGA_HYPER_SIZE = 4
    SVRG_B = 0
    SVRG_B_SNAP = 1
    SVRG_GB = 2
    SVRG_STATE_SIZE = 3
    SVRG_STEP = 0
    SVRG_LAM = 1
    SVRG_FIT_B = 2
    SVRG_HYPER_SIZE = 3
    MB_T = 0
    MB_STATE_SIZE = 1
    MB_ETA = 0
    MB_FIT_B = 1
    MB_BATCH = 2
    MB_AVG_START = 3
    MB_HYPER_SIZE = 4
    PS_T = 0
    PS_B = 1
    PS_BAVG = 2
    PS_PENDING = 3
    PS_NAVG = 4
    PS_STATE_SIZE = 5
    PS_ETA = 0
    PS_AVG_START = 1
    PS_FIT_B = 2
    PS_STRETCH = 3
    PS_HYPER_SIZE = 4


cdef inline Py_ssize_t n_blocks(Py_ssize_t n, Py_ssize_t width) noexcept nogil:
    """``numba_dense.n_blocks``: row blocks of a pass with ``width`` accumulators per block."""
    cdef Py_ssize_t nb = min(<Py_ssize_t>MAX_BLOCKS, max(<Py_ssize_t>1, n // BLOCK_MIN_ROWS))
    cdef Py_ssize_t cap = max(<Py_ssize_t>1, MAX_BLOCK_DOUBLES // max(<Py_ssize_t>1, width))
    return min(nb, cap)


cdef inline Py_ssize_t sparse_blocks(Py_ssize_t n, Py_ssize_t nnz, Py_ssize_t width) noexcept nogil:
    """``numba_sparse.sparse_blocks``: also at most one block per ``SPARSE_VALUES_PER_SLOT * width`` stored values."""
    return max(<Py_ssize_t>1, min(n_blocks(n, width), nnz // (SPARSE_VALUES_PER_SLOT * max(<Py_ssize_t>1, width))))

