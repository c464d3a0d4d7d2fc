"""The ``cython`` backend: the compiled extensions plus the blocked-BLAS Gram kernels.

Importing this module raises ``ImportError`` naming the cause when the
optional extensions ``ridgejit.kernels._cython_dense``/``_cython_sgd`` (dense X),
``_cython_sparse``/``_cython_sparse_sgd`` (their CSR twins), ``_cython_scaled``
(preconditioned SGD, both formats) ``_cython_minibatch`` (mini-batch SGD, both formats), ``_cython_vr_multi``
(SAG/SAGA/SVRG of several targets, both formats) or ``_cython_sparse_factors``
(their CSR steps with penalty factors) were not built
(no C compiler, no OpenMP, or a failed build: ``pip install`` says so, and
``RIDGEJIT_REQUIRE_CYTHON=1`` turns that into an error).
"""

try:
    from ._cython_dense import column_moments, gradient, max_row_norm, normal_product, objective  # noqa: F401
    from ._cython_scaled import (  # noqa: F401
        scaled_sgd_epoch,
        scaled_sgd_epoch_multi,
        scaled_sgd_epoch_multi_sparse,
        scaled_sgd_epoch_sparse,
    )
    from ._cython_minibatch import minibatch_epoch, minibatch_epoch_sparse  # noqa: F401
    from ._cython_sgd import saga_epoch, sgd_epoch, svrg_inner  # noqa: F401
    from ._cython_vr_multi import (  # noqa: F401
        saga_epoch_multi,
        saga_epoch_multi_sparse,
        svrg_inner_multi,
        svrg_inner_multi_sparse,
    )
    from ._cython_sparse import (  # noqa: F401
        raw_stats_sparse,
        column_moments_sparse,
        fold_product_sparse,
        gradient_sparse,
        max_row_norm_sparse,
        normal_product_sparse,
        objective_sparse,
    )
    from ._cython_sparse_sgd import (  # noqa: F401
        saga_epoch_sparse,
        sgd_epoch_sparse,
        svrg_inner_sparse,
    )
except ImportError as exc:  # pragma: no cover - depends on the build
    raise ImportError(
        "the optional Cython extensions ridgejit.kernels._cython_dense/_cython_sgd/"
        f"_cython_sparse/_cython_sparse_sgd/_cython_scaled/_cython_minibatch/_cython_vr_multi/_cython_sparse_factors are not built ({exc}); reinstall with a C compiler "
        "(RIDGEJIT_REQUIRE_CYTHON=1 makes a failed build an error)"
    ) from exc

from functools import partial  # noqa: E402

from . import blas_stats  # noqa: E402
from .blas_stats import dual_gram  # noqa: F401,E402
from .sparse_stats import dual_gram_sparse, shifted_stats  # noqa: F401,E402


def sufficient_stats_sparse(data, indices, indptr, y, sw, x_shift, y_shift, gram, xty, xsum, ysum, yty):
    """Sufficient statistics around ``x_shift`` (see :func:`ridgejit.kernels.sparse_stats.shifted_stats`)."""
    return shifted_stats(raw_stats_sparse, data, indices, indptr, y, sw, x_shift, y_shift,
                         gram, xty, xsum, ysum, yty)


#: The Gram-type kernels are blocked BLAS, their moments the Cython ``column_moments``.
sufficient_stats = partial(blas_stats.sufficient_stats, moments=column_moments)
sufficient_stats_lowp = partial(blas_stats.sufficient_stats_lowp, moments=column_moments)

#: Sparse statistics are accumulated in float64 anyway: the exact kernel serves.
sufficient_stats_lowp_sparse = sufficient_stats_sparse
