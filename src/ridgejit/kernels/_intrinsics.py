"""LLVM intrinsics that Numba does not expose.

``prefetch_row(X, i, j)`` issues a software prefetch (read, into L2 and the
levels above it: ``prefetcht1``) of the cache line holding ``X[i, j]``.
Stochastic kernels visit rows in a shuffled order, so each row is a fresh DRAM
miss: prefetching the rows a few positions ahead in the permutation overlaps
those misses with the arithmetic on the current row (measured on 1e6 x 100
float64, one shuffled SGD pass: 0.40 s without, 0.23 s with, 0.08 s for rows
in order).  Into L2 rather than L1 (``prefetcht0``): the L1 has few miss
buffers, and a row's thirteen lines eight rows ahead fill them (one averaged
preconditioned pass over 1e6 x 100 in block order on this project's AMD EPYC:
0.17-0.19 s into L1, 0.137-0.140 s into L2).
A prefetch never faults and changes no value, so results are unaffected.
"""

from llvmlite import ir
from numba import config, njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from .._config import JIT
from . import layout as L


def _prefetch(builder, ptr):
    """Emit ``llvm.prefetch`` of the address ``ptr`` (read, into L2 and up, data)."""
    i8p = builder.bitcast(ptr, ir.IntType(8).as_pointer())
    i32 = ir.IntType(32)
    # LLVM names the intrinsic by pointer type: "p0" with opaque pointers.
    suffix = "p0" if str(i8p.type) == "ptr" else "p0i8"
    fnty = ir.FunctionType(ir.VoidType(), [i8p.type, i32, i32, i32])
    fn = cgutils.get_or_insert_function(builder.module, fnty, f"llvm.prefetch.{suffix}")
    # (address, rw=0 read, locality=2 (prefetcht1: L2 and up), cache type=1 data)
    builder.call(fn, [i8p, ir.Constant(i32, 0), ir.Constant(i32, 2), ir.Constant(i32, 1)])


@intrinsic
def prefetch_row(typingctx, arr, i, j):
    """Prefetch the cache line of ``arr[i, j]`` (2-D array, no bounds check)."""
    sig = types.void(arr, i, j)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1], args[2]],
                                       wraparound=False)
        _prefetch(builder, ptr)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def prefetch_item(typingctx, arr, i):
    """Prefetch the cache line of ``arr[i]`` (1-D array, no bounds check)."""
    sig = types.void(arr, i)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]], wraparound=False)
        _prefetch(builder, ptr)
        return context.get_dummy_value()

    return sig, codegen


if config.DISABLE_JIT:  # kernels run as Python (coverage): an intrinsic cannot, a no-op can

    def prefetch_row(arr, i, j):  # noqa: F811
        """No-op stand-in for the prefetch intrinsic under ``NUMBA_DISABLE_JIT=1``."""

    def prefetch_item(arr, i):  # noqa: F811
        """No-op stand-in for the prefetch intrinsic under ``NUMBA_DISABLE_JIT=1``."""


@njit(inline="always", **JIT)
def prefetch_ahead(X, order, idx):
    """Prefetch the row ``order[idx + PREFETCH_AHEAD]`` (its first ``PREFETCH_LINES``
    cache lines; the hardware prefetcher follows longer rows; see :mod:`.layout`).
    Called at the top of each stochastic step."""
    if idx + L.PREFETCH_AHEAD < order.shape[0]:
        row = order[idx + L.PREFETCH_AHEAD]
        line = max(1, L.CACHE_LINE_BYTES // X.itemsize)
        for j in range(0, min(X.shape[1], L.PREFETCH_LINES * line), line):
            prefetch_row(X, row, j)


@njit(inline="always", **JIT)
def prefetch_sample(X, y, sw, order, idx):
    """:func:`prefetch_ahead` and that row's target ``y`` and weight ``sw`` (1-D): in block
    order those are random reads as well."""
    prefetch_ahead(X, order, idx)
    if idx + L.PREFETCH_AHEAD < order.shape[0]:
        row = order[idx + L.PREFETCH_AHEAD]
        prefetch_item(y, row)
        prefetch_item(sw, row)


@njit(inline="always", **JIT)
def prefetch_targets(X, Y, sw, order, idx):
    """:func:`prefetch_ahead` of ``X`` and of the targets ``Y`` (n, k), and the weight ``sw``
    of that row: the several-target kernels' reads of one row."""
    prefetch_ahead(X, order, idx)
    prefetch_ahead(Y, order, idx)
    if idx + L.PREFETCH_AHEAD < order.shape[0]:
        prefetch_item(sw, order[idx + L.PREFETCH_AHEAD])
