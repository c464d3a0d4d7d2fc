"""Layout of the small state and hyper-parameter arrays of the SGD kernels.

The stochastic kernels take two float64 arrays instead of a long positional
list (see ``style.md``): ``state`` (updated in place, carried across epochs and
``partial_fit`` calls) and ``hyper`` (read only).  The coefficients live in
two vectors ``v`` and ``a`` of length ``p`` with Bottou's lazy scaling:

    w    = v / state[WDIV]
    wbar = (a + state[WFRAC] * v) / state[ADIV]       (averaged SGD)

so the L2 shrink ``w <- (1 - eta lam) w`` costs O(1) and an update costs
O(row length).  ``to_coef`` recovers both.  These indices are constants:
kernels may use them as compile-time literals.
"""

import numpy as np

# state
T = 0  # updates done so far (the schedule's t; carried by partial_fit)
WDIV = 1  # divisor of v
ADIV = 2  # divisor of the average
WFRAC = 3  # fraction of v inside the average
B = 4  # intercept (of the centred model: prediction = (x - xbar).w + b)
BAVG = 5  # averaged intercept
STATE_SIZE = 6

# hyper
ETA0 = 0  # base step
POWER_T = 1  # invscaling exponent
LAM = 2  # L2 per sample: alpha / n
T0 = 3  # offset of the optimal schedule
AVG_START = 4  # update count from which the average is taken (inf: no averaging)
FIT_B = 5  # 1.0 to fit the intercept
HYPER_SIZE = 6

# schedules inside an epoch
CONSTANT = 0  # eta0 (also "auto" and "adaptive", which change eta0 between epochs)
INVSCALING = 1  # eta0 / (t + 1) ** power_t
OPTIMAL = 2  # 1 / (lam * (t0 + t))


def new_state(intercept=0.0):
    """A fresh ``state``: no updates yet, unit divisors, intercept ``intercept``."""
    s = np.zeros(STATE_SIZE)
    s[WDIV] = s[ADIV] = 1.0
    s[B] = s[BAVG] = intercept
    return s


def to_coef(v, a, state, averaged):
    """``(w, b)`` from the lazy representation; the averaged pair when ``averaged``."""
    if averaged:
        return (a + state[WFRAC] * v) / state[ADIV], state[BAVG]
    return v / state[WDIV], state[B]
