"""NumPy reference of the stochastic kernels: explicit iterates, no lazy scaling.

This is the definition the compiled kernels must reproduce (to rounding).
Per sample ``i`` the objective is ``f_i = s_i r_i^2 / 2 + lam ||w||^2 / 2`` with
``lam = alpha / n`` and ``r_i = (x_i - xbar).w + b - y_i``; ``J = mean_i f_i``.
One SGD update at step ``t`` with rate ``eta_t`` (see ``layout``) is

    w <- (1 - eta_t lam) w - eta_t s_i r_i (x_i - xbar)
    b <- b - eta_t s_i r_i                     (when fitting the intercept)

and, once ``t >= AVG_START``, ``wbar <- wbar + (w - wbar) / (t - AVG_START + 1)``
(likewise ``bbar``).  Here ``w`` is kept in ``v`` and ``wbar`` in ``a`` with unit
divisors, so :func:`ridgejit.kernels.layout.to_coef` reads both.
"""

import numpy as np

from . import layout as L


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


def max_row_norm(X, sw, x_mean, q):
    """``max_i s_i sum_j q_j (x_ij - xbar_j)^2``: the largest per-sample curvature of ``J``
    in ``w`` in the metric of the diagonal preconditioner ``q`` (all ones: plain SGD)."""
    D = X.astype(np.float64) - x_mean
    return float(np.max(sw * np.einsum("ij,ij,j->i", D, D, q)))


def scaled_sgd_epoch(X, y, sw, x_mean, order, q, h, w, a, state, hyper):
    """One pass of diagonally preconditioned SGD over the rows ``order``, constant step.

    ``q`` (p,) is the preconditioner (``1 / var_j``: the steps of implicitly
    standardized columns) and ``h = lam q d`` (p,) the penalty's rate per
    coordinate (``d`` the penalty factors).  With ``eta = hyper[PS_ETA]`` and
    ``K = hyper[PS_STRETCH]``, per row ``i``::

        r = (x_i - xbar).w + b - y_i,   g = eta s_i r
        w <- w - g q * (x_i - xbar)             b <- b - g   (when fitting it)
        every K-th update: w <- w / (1 + eta K h)

    (the proximal step of the penalty over the K updates since its last
    application: its fixed point is the ridge solution), and at each such
    update, once ``t >= PS_AVG_START``, the uniform average of those iterates
    ``a <- a + (w - a) / navg`` (likewise ``bbar``).  Only the iterates just
    after a proximal step are averaged: between two, the iterate drifts away
    from the penalty by up to ``eta K h`` (relative), and averaging that saw
    tooth would bias the average (measured: a coefficient 100x too large on a
    column in units of 1e-3 with ``K = 8``).  ``w`` and ``a`` are the iterate
    and its average themselves; ``state`` is ``(t, b, bbar, pending, navg)``.
    Returns ``sum_i s_i r_i^2`` (residuals before their update).
    """
    eta, start, fit_b = hyper[L.PS_ETA], hyper[L.PS_AVG_START], hyper[L.PS_FIT_B] != 0
    K = hyper[L.PS_STRETCH]
    t, b, bbar, pending, navg = state
    loss = 0.0
    for i in order:
        xc = X[i].astype(np.float64) - x_mean
        r = xc @ w + b - y[i]
        loss += sw[i] * r * r
        g = eta * sw[i] * r
        w -= g * q * xc
        if fit_b:
            b -= g
        pending += 1.0
        if pending >= K:
            w /= 1.0 + eta * pending * h
            pending = 0.0
            if t >= start:
                navg += 1.0
                a += (w - a) / navg
                bbar += (b - bbar) / navg
        t += 1.0
    state[:] = (t, b, bbar, pending, navg)
    return loss


def saga_epoch(X, y, sw, x_mean, order, w, state, memory, grad_avg, hyper, factor, box):
    """One SAGA (``hyper[L.SAGA_UNBIASED] == 1``) or SAG (``0``) pass over the rows ``order``.

    Stores one scalar per sample, ``memory[i] = s_i r_i`` at its last visit,
    and ``grad_avg = (1/n) sum_i memory[i] (x_i - xbar)``
    (``state[L.SAGA_GB]`` its intercept part ``(1/n) sum_i memory[i]``).  With
    ``phi = s_i r_i`` at the current point, ``hyper = (step, lam, fit_b, saga)``::

        SAGA: w <- w - step ((phi - memory[i]) (x_i - xbar) + grad_avg + lam w)
        SAG:  w <- w - step (grad_avg_new + lam w)

    (``grad_avg`` updated before the SAG step, after the SAGA step; intercept
    alike in ``state[L.SAGA_B]``).  ``factor``: per-feature penalty factors ``d``
    (``lam w`` becomes ``lam d * w``), or an empty array for all ones.  ``box``:
    ``(lower, upper)`` of shape (2, p), each step projected onto it (``w <-
    clip(w - step (...), lower, upper)``: projected SAGA, the proximal step of
    the box), or of shape (0, p) for none.  Returns ``sum s_i r_i^2`` over the
    visited rows.
    """
    n = X.shape[0]
    step, lam, fit_b, saga = hyper[L.SAGA_STEP], hyper[L.SAGA_LAM], hyper[L.SAGA_FIT_B] != 0, hyper[L.SAGA_UNBIASED] != 0
    lam = lam * factor if len(factor) else lam
    b, gb = state[L.SAGA_B], state[L.SAGA_GB]
    loss = 0.0
    for i in order:
        xc = X[i].astype(np.float64) - x_mean
        r = xc @ w + b - y[i]
        loss += sw[i] * r * r
        phi = sw[i] * r
        delta = phi - memory[i]
        memory[i] = phi
        if saga:
            w[:] = w - step * (delta * xc + grad_avg + lam * w)
            if len(box):
                np.clip(w, box[0], box[1], out=w)
            if fit_b:
                b -= step * (delta + gb)
            grad_avg += delta * xc / n
            gb += delta / n
        else:
            grad_avg += delta * xc / n
            gb += delta / n
            w[:] = w - step * (grad_avg + lam * w)
            if len(box):
                np.clip(w, box[0], box[1], out=w)
            if fit_b:
                b -= step * gb
    state[L.SAGA_B], state[L.SAGA_GB] = b, gb
    return loss


def svrg_inner(X, y, sw, x_mean, order, w, snapshot, full_grad, state, hyper, factor):
    """SVRG inner loop over the rows ``order`` around ``snapshot``.

    ``full_grad`` is ``grad_w J`` of the centred model at the snapshot and
    ``state = (b, b_snapshot, grad_b J at the snapshot)``; ``hyper = (step,
    lam, fit_b)``.  Each step, with ``r`` and ``r~`` the residuals at the
    current point and the snapshot::

        w <- w - step (s_i (r - r~) (x_i - xbar) + lam (w - snapshot) + full_grad)
        b <- b - step (s_i (r - r~) + grad_b)

    ``factor`` as in :func:`saga_epoch`.  Returns ``sum s_i r^2`` over the visited rows.
    """
    step, lam, fit_b = hyper[L.SVRG_STEP], hyper[L.SVRG_LAM], hyper[L.SVRG_FIT_B] != 0
    lam = lam * factor if len(factor) else lam
    b, b_snap, gb = state[L.SVRG_B], state[L.SVRG_B_SNAP], state[L.SVRG_GB]
    loss = 0.0
    for i in order:
        xc = X[i].astype(np.float64) - x_mean
        r = xc @ w + b - y[i]
        r_snap = xc @ snapshot + b_snap - y[i]
        loss += sw[i] * r * r
        d = sw[i] * (r - r_snap)
        w[:] = w - step * (d * xc + lam * (w - snapshot) + full_grad)
        if fit_b:
            b -= step * (d + gb)
    state[L.SVRG_B] = b
    return loss


def scaled_sgd_epoch_multi(X, Y, sw, x_mean, order, q, H, W, A, intercepts, state, hyper):
    """:func:`scaled_sgd_epoch` for ``k`` targets at once, each row read once.

    ``Y`` (n, k); ``H`` (k, p) the penalty rates ``lam_c q d`` of the targets;
    ``W`` and ``A`` (k, p) their iterates and averages; ``intercepts`` (2, k)
    the intercepts ``b`` and their averages; ``state`` the shared ``(t, -, -,
    pending, navg)``.  By definition target ``c`` evolves exactly as
    :func:`scaled_sgd_epoch` on ``Y[:, c]`` with the same rows, step and
    stretch (this reference runs them one by one); returns the summed loss.
    """
    loss = 0.0
    shared = state.copy()
    for c in range(Y.shape[1]):
        one = shared.copy()
        one[L.PS_B], one[L.PS_BAVG] = intercepts[0, c], intercepts[1, c]
        loss += scaled_sgd_epoch(X, Y[:, c], sw, x_mean, order, q, H[c], W[c], A[c], one, hyper)
        intercepts[0, c], intercepts[1, c] = one[L.PS_B], one[L.PS_BAVG]
        state[L.PS_T], state[L.PS_PENDING], state[L.PS_NAVG] = one[L.PS_T], one[L.PS_PENDING], one[L.PS_NAVG]
    return loss


def minibatch_epoch(X, Y, sw, x_mean, order, W, A, intercepts, lams, state, hyper):
    """Mini-batch SGD of ``k`` targets over ``order`` in consecutive batches of ``hyper[L.MB_BATCH]`` rows.

    ``Y`` (n, k) the targets; ``W`` and ``A`` (k, p) their iterates and
    averages (centred frame); ``intercepts`` (2, k) their intercepts ``b`` and
    averages ``bbar``; ``lams`` (k,) their L2 rates per sample; ``hyper = (eta,
    fit_b, batch_size, avg_start)`` shared; ``state = (t,)`` counts batch
    updates.  Per batch ``B`` (size ``m``), for every target ``c``::

        g_c  = (1/m) sum_{i in B} s_i r_ic (x_i - xbar)    gb_c = (1/m) sum s_i r_ic
        w_c <- (1 - eta lam_c) w_c - eta g_c               b_c <- b_c - eta gb_c
        wbar_c <- wbar_c + (w_c - wbar_c) / (t - avg_start + 1)    once t >= avg_start

    with ``r_ic = (x_i - xbar).w_c + b_c - y_ic``: each target evolves exactly as
    it would alone.  Returns ``sum_c sum_i s_i r_ic^2`` (residuals at each batch's start).
    """
    eta, fit_b, size, start = hyper[L.MB_ETA], hyper[L.MB_FIT_B] != 0, int(hyper[L.MB_BATCH]), hyper[L.MB_AVG_START]
    t = state[L.MB_T]
    loss = 0.0
    for lo in range(0, len(order), size):
        rows = order[lo : lo + size]
        Xc = X[rows].astype(np.float64) - x_mean
        R = Xc @ W.T + intercepts[0] - Y[rows]  # (m, k)
        loss += float(sw[rows] @ (R * R).sum(axis=1))
        SR = sw[rows, None] * R
        W[:] = (1.0 - eta * lams)[:, None] * W - eta * (SR.T @ Xc) / len(rows)
        if fit_b:
            intercepts[0] -= eta * SR.sum(axis=0) / len(rows)
        if t >= start:
            mu = 1.0 / (t - start + 1.0)
            A[:] = A + mu * (W - A)
            intercepts[1] += mu * (intercepts[0] - intercepts[1])
        t += 1.0
    state[L.MB_T] = t
    return loss


def _per_target(Y, state, lams, hyper, lam_slot, call):
    """``call(c, hyper_c, state_c)`` once per column of ``Y`` (same rows and step,
    ``lams[c]`` in ``hyper[lam_slot]``, ``state[:, c]`` as its state); the summed losses."""
    loss = 0.0
    for c in range(Y.shape[1]):
        h, st = hyper.copy(), state[:, c].copy()
        h[lam_slot] = lams[c]
        loss += call(c, h, st)
        state[:, c] = st
    return loss


def saga_epoch_multi(X, Y, sw, x_mean, order, W, state, memory, grad_avg, hyper, lams, factor):
    """:func:`saga_epoch` for the ``k`` columns of ``Y`` over the same rows and step.

    ``W``, ``grad_avg`` (k, p); ``memory`` (k, n); ``state`` (2, k) with the
    single kernel's slots as rows; ``lams`` (k,) the L2 rates (``hyper``'s is
    unused).  By definition target ``c`` evolves exactly as :func:`saga_epoch`
    on ``Y[:, c]`` (this reference runs them one by one); returns the summed loss.
    """
    def call(c, h, st):
        mem = memory[c].copy()
        loss = saga_epoch(X, Y[:, c], sw, x_mean, order, W[c], st, mem, grad_avg[c], h, factor,
                          np.empty((0, len(x_mean))))
        memory[c] = mem
        return loss

    return _per_target(Y, state, lams, hyper, L.SAGA_LAM, call)


def svrg_inner_multi(X, Y, sw, x_mean, order, W, snapshot, full_grad, state, hyper, lams, factor):
    """:func:`svrg_inner` for the ``k`` columns of ``Y`` (``W``, ``snapshot``, ``full_grad``
    (k, p); ``state`` (3, k); ``lams`` (k,)), each target exactly as alone."""
    def call(c, h, st):
        return svrg_inner(X, Y[:, c], sw, x_mean, order, W[c], snapshot[c], full_grad[c], st, h, factor)

    return _per_target(Y, state, lams, hyper, L.SVRG_LAM, call)
