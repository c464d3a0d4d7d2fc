"""NumPy reference of the ``*_sparse`` kernels: the dense definition, applied to CSR arrays.

Each ``name_sparse(data, indices, indptr, *args)`` means exactly
``name(X, *args)`` of :mod:`ridgejit.kernels.reference` or
:mod:`ridgejit.kernels.reference_sgd` with ``X`` the matrix those arrays
describe (``p`` columns, read from the length of the ``p``-vector argument).
This is the specification the compiled sparse twins are tested against, so it
densifies X (float64) on purpose: it is for small test data only.
"""

import numpy as np
from scipy import sparse

from . import reference, reference_sgd


def to_dense(data, indices, indptr, n_features):
    """The dense float64 matrix of the CSR arrays (shape ``(len(indptr) - 1, n_features)``)."""
    n = len(indptr) - 1
    return sparse.csr_matrix((data, indices, indptr), shape=(n, n_features)).toarray().astype(np.float64)


def _twin(dense, p_of):
    """The sparse twin of ``dense``; ``p_of(args)`` gives the column count from its arguments."""

    def kernel(data, indices, indptr, *args):
        return dense(to_dense(data, indices, indptr, p_of(args)), *args)

    kernel.__name__ = dense.__name__ + "_sparse"
    kernel.__doc__ = f"``{dense.__name__}`` of the matrix described by ``data, indices, indptr``."
    return kernel


def _cols(position, axis=0):
    return lambda args: np.shape(args[position])[axis]


objective_sparse = _twin(reference.objective, _cols(2, 1))  # coef (k, p)
gradient_sparse = _twin(reference.gradient, _cols(2, 1))
normal_product_sparse = _twin(reference.normal_product, _cols(1))  # x_mean
column_moments_sparse = _twin(reference.column_moments, _cols(2))  # x_shift
sufficient_stats_sparse = _twin(reference.sufficient_stats, _cols(2))  # x_shift
sufficient_stats_lowp_sparse = sufficient_stats_sparse  # exact: sparse stats are float64
dual_gram_sparse = _twin(reference.dual_gram, _cols(1))  # x_mean
sgd_epoch_sparse = _twin(reference_sgd.sgd_epoch, _cols(2))  # x_mean
max_row_norm_sparse = _twin(reference_sgd.max_row_norm, _cols(1))
saga_epoch_sparse = _twin(reference_sgd.saga_epoch, _cols(2))
svrg_inner_sparse = _twin(reference_sgd.svrg_inner, _cols(2))
saga_epoch_multi_sparse = _twin(reference_sgd.saga_epoch_multi, _cols(2))
svrg_inner_multi_sparse = _twin(reference_sgd.svrg_inner_multi, _cols(2))
minibatch_epoch_sparse = _twin(reference_sgd.minibatch_epoch, _cols(2))
scaled_sgd_epoch_sparse = _twin(reference_sgd.scaled_sgd_epoch, _cols(2))
scaled_sgd_epoch_multi_sparse = _twin(reference_sgd.scaled_sgd_epoch_multi, _cols(2))


def fold_product_sparse(data, indices, indptr, train, sw, column_split, x_mean, P, out):
    """Centred training-set normal products of many systems in one pass (the CV kernel).

    Column ``c`` of ``P`` (shape ``(p, C)``) belongs to the split
    ``column_split[c]``; row ``i`` is in that split's training set when
    ``train[i, column_split[c]]`` is 1 (``train``: uint8 ``(n, n_splits)``).
    With ``xbar_c = x_mean[:, c]`` that training set's weighted column means::

        out[:, c] = sum_i s_i train[i, split_c] ((x_i - xbar_c).P[:, c]) (x_i - xbar_c)

    i.e. ``Xc_c^T S_c Xc_c P[:, c]`` with ``Xc_c`` never formed.  ``out`` is
    ``(p, C)`` float64, written in place.
    """
    n = len(indptr) - 1
    X = sparse.csr_matrix((data, indices, indptr), shape=(n, P.shape[0])).astype(np.float64)
    M = train[:, column_split].astype(np.float64) * sw[:, None]
    U = M * (X @ P - np.sum(x_mean * P, axis=0))
    out[:] = X.T @ U - x_mean * U.sum(axis=0)
