"""Preconditioned SGD over dense rows with the penalty at every update: row by row, or two at a time.

:func:`ridgejit.kernels.reference_sgd.scaled_sgd_epoch` with the penalty
applied every update (``K = 1``, what the solver uses for dense X) does, per
row ``i`` (``c_i = x_i - xbar``, ``f = 1 / (1 + eta h)``, ``s_i`` its weight):

    r_i = c_i.w + b - y_i,   g_i = eta s_i r_i,   b <- b - g_i
    w   <- (w - g_i q c_i) f,   a <- a + mu_i (w - a)

:func:`every_update_epoch` runs it, and :func:`ridgejit.kernels.numba_scaled.scaled_sgd_epoch`
sends it every dense call with ``K = 1``.  Both loops prefetch the row, target and
weight ``PREFETCH_AHEAD`` steps ahead (in block order all three are random reads).

* Row by row (:func:`_single_rows`): the update loop of a row also computes
  ``c.w`` of the next row, so ``w`` is read once per row.  Written for
  ``K = 1`` alone (one loop, no stretch bookkeeping), it takes 0.145-0.15 s
  for one averaged pass over 1e6 x 100 float64 in block order on this
  project's AMD EPYC, where the general loop of :mod:`.numba_scaled` took
  0.17-0.19 s.
* In pairs (:func:`_paired_rows`, at least ``PAIR_MIN_FEATURES`` columns):
  the single-row loop reads ``w``, ``a``, ``q``, ``xbar`` and ``f`` once per
  row; with ``p`` in the thousands those five vectors do not fit in L1 and the
  epoch waits on L2.  The residual of the second row of a pair follows from
  quantities of the first, without forming the intermediate ``w``:

      c_v.w' = c_v.(f w) - g_u c_v.(f q c_u)       (w' = (w - g_u q c_u) f)

  so one loop over the coordinates applies both updates (and both averaging
  steps) and accumulates the three dot products the next pair needs:
  ``c_u'.w''``, ``c_v'.(f w'')`` and ``c_v'.(f q c_u')``.  On 5e4 x 2000
  float64, one averaged pass in block order: 0.132 s row by row, 0.107 s in
  pairs; at 400 columns 0.065 s against 0.054 s.  Below ``PAIR_MIN_FEATURES``
  columns the vectors stay in L1 and the pair's extra products cost more
  than they save (100 columns, rows in order: 0.080 s row by row, 0.111 s in
  pairs).

The arithmetic is the reference's up to the order of the additions.
"""

from numba import njit

from .._config import JIT
from ._intrinsics import prefetch_sample

#: dense rows at least this wide go two at a time
PAIR_MIN_FEATURES = 400


@njit(inline="always", **JIT)
def update_scalars(r, s, eta, fit_b, start, t, b, bbar, navg):
    """The scalar part of an update with residual ``r`` and weight ``s``:
    ``(g, mu, t, b, bbar, navg)`` after it, ``mu`` its weight in the average (0 before ``start``)."""
    g = eta * s * r
    if fit_b:
        b -= g
    mu = 0.0
    if t >= start:
        navg += 1.0
        mu = 1.0 / navg
    bbar += mu * (b - bbar)
    return g, mu, t + 1.0, b, bbar, navg


@njit(**JIT)
def every_update_epoch(X, y, sw, x_mean, order, q, f, w, a, eta, start, fit_b, t, b, bbar, navg):
    """One pass of ``scaled_sgd_epoch`` with ``K = 1`` over the rows ``order``.

    Parameters
    ----------
    X : ndarray (n, p), C-contiguous
    y, sw : ndarray (n,)
        Targets and sample weights.
    x_mean, q, f : ndarray (p,)
        Centring point, preconditioner and the penalty's shrink factors
        ``1 / (1 + eta h)``.
    order : ndarray of int64
        The rows to visit.
    w, a : ndarray (p,)
        Iterate and its average, updated in place.
    eta, start : float
        Step; update count from which the average is taken.
    fit_b : bool
    t, b, bbar, navg : float
        Updates so far, intercept, averaged intercept, iterates averaged so far.

    Returns
    -------
    (loss, t, b, bbar, navg)
        ``loss = sum_i s_i r_i^2`` over the visited rows (residuals before each
        update) and the scalars after the pass.
    """
    if order.shape[0] == 0:
        return 0.0, t, b, bbar, navg
    if X.shape[1] >= PAIR_MIN_FEATURES:
        return _paired_rows(X, y, sw, x_mean, order, q, f, w, a, eta, start, fit_b, t, b, bbar, navg)
    return _single_rows(X, y, sw, x_mean, order, q, f, w, a, eta, start, fit_b, t, b, bbar, navg)


@njit(**JIT)
def _single_rows(X, y, sw, x_mean, order, q, f, w, a, eta, start, fit_b, t, b, bbar, navg):
    """:func:`every_update_epoch` one row at a time (``order`` not empty)."""
    p = X.shape[1]
    m = order.shape[0]
    loss = 0.0
    d = 0.0  # c.w of the row about to be visited
    x0 = X[order[0]]
    for j in range(p):
        d += (x0[j] - x_mean[j]) * w[j]
    for idx in range(m):
        prefetch_sample(X, y, sw, order, idx)
        i = order[idx]
        x = X[i]
        xn = X[order[idx + 1]] if idx + 1 < m else x
        r = d + b - y[i]
        loss += sw[i] * r * r
        g, mu, t, b, bbar, navg = update_scalars(r, sw[i], eta, fit_b, start, t, b, bbar, navg)
        d = 0.0
        for j in range(p):
            wj = (w[j] - g * q[j] * (x[j] - x_mean[j])) * f[j]
            w[j] = wj
            a[j] += mu * (wj - a[j])
            d += (xn[j] - x_mean[j]) * wj
    return loss, t, b, bbar, navg


@njit(**JIT)
def _paired_rows(X, y, sw, x_mean, order, q, f, w, a, eta, start, fit_b, t, b, bbar, navg):
    """:func:`every_update_epoch` two rows at a time (``order`` not empty)."""
    p = X.shape[1]
    m = order.shape[0]
    loss = 0.0
    # at the top of a pair (rows u, v): d = c_u.w, e = c_v.(f w), k = c_v.(f q c_u)
    d = 0.0
    e = 0.0
    k = 0.0
    xu = X[order[0]]
    xv = X[order[1]] if m > 1 else xu
    for j in range(p):
        cu = xu[j] - x_mean[j]
        cv = xv[j] - x_mean[j]
        d += cu * w[j]
        e += cv * f[j] * w[j]
        k += cv * f[j] * q[j] * cu
    idx = 0
    while idx < m:
        prefetch_sample(X, y, sw, order, idx)
        prefetch_sample(X, y, sw, order, idx + 1)
        i1 = order[idx]
        r1 = d + b - y[i1]
        loss += sw[i1] * r1 * r1
        g1, mu1, t, b, bbar, navg = update_scalars(r1, sw[i1], eta, fit_b, start, t, b, bbar, navg)
        x1 = X[i1]
        if idx + 1 == m:  # an odd row at the end
            for j in range(p):
                wj = (w[j] - g1 * q[j] * (x1[j] - x_mean[j])) * f[j]
                w[j] = wj
                a[j] += mu1 * (wj - a[j])
            break
        i2 = order[idx + 1]
        r2 = e - g1 * k + b - y[i2]
        loss += sw[i2] * r2 * r2
        g2, mu2, t, b, bbar, navg = update_scalars(r2, sw[i2], eta, fit_b, start, t, b, bbar, navg)
        x2 = X[i2]
        x3 = X[order[idx + 2]] if idx + 2 < m else x1
        x4 = X[order[idx + 3]] if idx + 3 < m else x3
        d = 0.0
        e = 0.0
        k = 0.0
        for j in range(p):
            fj = f[j]
            qj = q[j]
            mj = x_mean[j]
            w1 = (w[j] - g1 * qj * (x1[j] - mj)) * fj
            a1 = a[j] + mu1 * (w1 - a[j])
            w2 = (w1 - g2 * qj * (x2[j] - mj)) * fj
            w[j] = w2
            a[j] = a1 + mu2 * (w2 - a1)
            c3 = x3[j] - mj
            c4 = x4[j] - mj
            d += c3 * w2
            e += c4 * fj * w2
            k += c4 * fj * qj * c3
        idx += 2
    return loss, t, b, bbar, navg
