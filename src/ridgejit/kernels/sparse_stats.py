"""Gram-type statistics of CSR X shared by the compiled backends.

``shifted_stats`` turns a backend's uncentred one-pass statistics into the
``sufficient_stats`` of :mod:`ridgejit.kernels.reference` around a shift, in
closed form (shifting the stored zeros would densify X); ``dual_gram_sparse``
is SciPy's sparse ``X X^T`` plus rank-one corrections.  Neither reads X more
than once nor densifies it.
"""

import numpy as np
from numba import get_num_threads

from .._threads import weighted_sum


def shifted_stats(raw_stats, data, indices, indptr, y, sw, x_shift, y_shift, gram, xty, xsum, ysum, yty):
    """Sufficient statistics around ``x_shift`` from ``raw_stats`` (one pass over the stored values).

    ``raw_stats(data, indices, indptr, y, sw, y_shift, n_ranges, gram, xty, xsum)``
    writes the uncentred ``X^T S X``, ``X^T S (y - y_shift)`` and ``u = X^T s``.
    The shift ``c`` then enters as
    ``D^T S D = X^T S X - u c^T - c u^T + W c c^T``, ``D^T S E = X^T S E - c (s^T E)``
    and ``D^T s = u - W c``.  This subtraction loses digits when column means
    are large against their spread (scikit-learn's sparse solvers share this;
    the dense path does not): for such data prefer ``cg``, whose products
    centre implicitly without forming ``X^T X``.
    """
    E = y - y_shift
    W = float(sw.sum())
    raw_stats(data, indices, indptr, y, sw, y_shift, get_num_threads(), gram, xty, xsum)
    c = x_shift
    se = weighted_sum(sw, E)
    if np.any(c):
        gram -= np.outer(xsum, c)
        gram -= np.outer(c, xsum)
        gram += W * np.outer(c, c)
        xty -= np.outer(c, se)
        xsum -= W * c
    ysum[...] = se
    yty[...] = np.einsum("i,ij,ik->jk", sw, E, E)  # NumPy loop, as weighted_sum
    return W


def dual_gram_sparse(data, indices, indptr, sw, x_mean, out):
    """``out = S^1/2 Xc Xc^T S^1/2`` (n x n) from the CSR arrays, never densifying X.

    ``Xc Xc^T = X X^T - q 1^T - 1 q^T + ||xbar||^2`` with ``q = X xbar``; the
    sparse product ``X X^T`` is SciPy's (float64; a view of the arrays otherwise).
    """
    from scipy import sparse

    n = indptr.shape[0] - 1
    data = data.astype(np.float64, copy=False)  # float32 products would lose digits
    X = sparse.csr_matrix((data, indices, indptr), shape=(n, x_mean.shape[0]), copy=False)
    out[...] = (X @ X.T).toarray()
    q = X @ x_mean
    out -= q[:, None]
    out -= q[None, :]
    out += x_mean @ x_mean
    root = np.sqrt(sw)
    out *= root[:, None]
    out *= root[None, :]
