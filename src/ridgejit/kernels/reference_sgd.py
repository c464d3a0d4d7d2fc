"""NumPy reference of the stochastic kernels: explicit iterates, no lazy scaling.

This is the definition the compiled kernels must reproduce (to rounding).
Per sample ``i`` the objective is ``f_i = s_i r_i^2 / 2 + lam ||w||^2 / 2`` with
``lam = alpha / n`` and ``r_i = (x_i - xbar).w + b - y_i``; ``J = mean_i f_i``.
One SGD update at step ``t`` with rate ``eta_t`` (see ``sgd_layout``) is

    w <- (1 - eta_t lam) w - eta_t s_i r_i (x_i - xbar)
    b <- b - eta_t s_i r_i                     (when fitting the intercept)

and, once ``t >= AVG_START``, ``wbar <- wbar + (w - wbar) / (t - AVG_START + 1)``
(likewise ``bbar``).  Here ``w`` is kept in ``v`` and ``wbar`` in ``a`` with unit
divisors, so :func:`ridgejit.kernels.sgd_layout.to_coef` reads both.
"""

import numpy as np

from . import sgd_layout as L


def step_size(schedule, t, hyper):
    """The rate ``eta_t`` of ``schedule`` at update ``t`` (0-based)."""
    if schedule == L.INVSCALING:
        return hyper[L.ETA0] / (t + 1.0) ** hyper[L.POWER_T]
    if schedule == L.OPTIMAL:
        return 1.0 / (hyper[L.LAM] * (hyper[L.T0] + t))
    return hyper[L.ETA0]


def sgd_epoch(X, y, sw, x_mean, order, v, a, state, schedule, hyper):
    """One SGD pass over the rows ``order`` (plain or averaged; see the module docstring).

    ``y`` has shape ``(n,)``.  Updates ``v``, ``a`` and ``state`` in place and
    returns ``sum_i s_i r_i^2`` over the visited rows, each residual taken
    before its update (the running training loss).
    """
    w = v / state[L.WDIV]
    wbar = (a + state[L.WFRAC] * v) / state[L.ADIV]
    b, bbar = state[L.B], state[L.BAVG]
    t = state[L.T]
    lam, start, fit_b = hyper[L.LAM], hyper[L.AVG_START], hyper[L.FIT_B]
    loss = 0.0
    for i in order:
        eta = step_size(schedule, t, hyper)
        xc = X[i].astype(np.float64) - x_mean
        r = xc @ w + b - y[i]
        loss += sw[i] * r * r
        g = eta * sw[i] * r
        w = (1.0 - eta * lam) * w - g * xc
        if fit_b:
            b -= g
        if t >= start:
            mu = 1.0 / (t - start + 1.0)
            wbar = wbar + mu * (w - wbar)
            bbar = bbar + mu * (b - bbar)
        t += 1.0
    v[:] = w
    a[:] = wbar
    state[L.WDIV] = state[L.ADIV] = 1.0
    state[L.WFRAC] = 0.0
    state[L.B], state[L.BAVG], state[L.T] = b, bbar, t
    return loss


def max_row_norm(X, sw, x_mean):
    """``max_i s_i ||x_i - xbar||^2``: the largest per-sample curvature of ``J`` in ``w``."""
    D = X.astype(np.float64) - x_mean
    return float(np.max(sw * np.einsum("ij,ij->i", D, D)))
