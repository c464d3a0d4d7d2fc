"""The ``cython`` backend: the compiled extension plus the blocked-BLAS Gram kernels.

Importing this module raises ``ImportError`` naming the cause when the
optional extensions ``ridgejit.kernels._cython_dense``/``_cython_sgd`` were not built (no C
compiler, no OpenMP, or a failed build: ``pip install`` says so, and
``RIDGEJIT_REQUIRE_CYTHON=1`` turns that into an error).
"""

try:
    from ._cython_dense import column_moments, gradient, max_row_norm, normal_product, objective  # noqa: F401
    from ._cython_sgd import minibatch_epoch, saga_epoch, sgd_epoch, svrg_inner  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the build
    raise ImportError(
        "the optional Cython extensions ridgejit.kernels._cython_dense/_cython_sgd are not built "
        f"({exc}); reinstall with a C compiler (RIDGEJIT_REQUIRE_CYTHON=1 makes a failed build an error)"
    ) from exc

from .blas_stats import dual_gram, sufficient_stats  # noqa: F401,E402
