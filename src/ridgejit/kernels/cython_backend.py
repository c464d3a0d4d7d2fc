"""The ``cython`` backend: the compiled extension plus the blocked-BLAS Gram kernels.

Importing this module raises ``ImportError`` naming the cause when the
optional extension ``ridgejit.kernels._cython_kernels`` was not built (no C
compiler, no OpenMP, or a failed build: ``pip install`` says so, and
``RIDGEJIT_REQUIRE_CYTHON=1`` turns that into an error).
"""

try:
    from ._cython_kernels import (  # noqa: F401
        column_moments,
        gradient,
        max_row_norm,
        minibatch_epoch,
        normal_product,
        objective,
        saga_epoch,
        sgd_epoch,
        svrg_inner,
    )
except ImportError as exc:  # pragma: no cover - depends on the build
    raise ImportError(
        "the optional Cython extension ridgejit.kernels._cython_kernels is not built "
        f"({exc}); reinstall with a C compiler (RIDGEJIT_REQUIRE_CYTHON=1 makes a failed build an error)"
    ) from exc

from .blas_stats import dual_gram, sufficient_stats  # noqa: F401,E402
