"""Weight initializers for the iterative solvers.

Every initializer is a callable ``init(n_features, n_targets, dtype,
random_state) -> ndarray of shape (n_targets, n_features)`` (the layout of
``coef_``).  ``fan_in = n_features`` and ``fan_out = n_targets``; the scale of
the variance-scaling families is in units of coefficients (y units per x unit):

==================  ===========================================  ==============
name                distribution                                 scale
==================  ===========================================  ==============
``zeros``           0                                            --
``constant(v)``     v                                            --
``normal(std)``     N(0, std^2)                                  std = 0.01
``uniform(limit)``  U(-limit, limit)                             limit = 0.05
``glorot_normal``   N(0, s^2)                                    s = sqrt(2/(fan_in+fan_out))
``glorot_uniform``  U(-l, l)                                     l = sqrt(6/(fan_in+fan_out))
``he_normal``       N(0, s^2)                                    s = sqrt(2/fan_in)
``he_uniform``      U(-l, l)                                     l = sqrt(6/fan_in)
``lecun_normal``    N(0, s^2)                                    s = sqrt(1/fan_in)
``lecun_uniform``   U(-l, l)                                     l = sqrt(3/fan_in)
``perturbed(b, s)`` b + N(0, s^2): an initial guess plus noise   s = 0.01
``warm``            the estimator's previous ``coef_``           (estimator)
==================  ===========================================  ==============

The normal variants are untruncated normals.  Exact solvers (``direct``)
ignore the initial point.
"""

import numpy as np
from sklearn.utils import check_random_state


def zeros(n_features, n_targets, dtype, random_state=None):
    """All-zero coefficients, shape ``(n_targets, n_features)``."""
    return np.zeros((n_targets, n_features), dtype=dtype)


def constant(value):
    """Initializer filling the coefficients with ``value``."""

    def init(n_features, n_targets, dtype, random_state=None):
        return np.full((n_targets, n_features), value, dtype=dtype)

    init.__name__ = f"constant({value!r})"
    return init


def _scaled(sampler, scale_of, label):
    def init(n_features, n_targets, dtype, random_state=None):
        rng = check_random_state(random_state)
        scale = scale_of(n_features, n_targets)
        if sampler == "normal":
            w = rng.normal(0.0, scale, size=(n_targets, n_features))
        else:
            w = rng.uniform(-scale, scale, size=(n_targets, n_features))
        return w.astype(dtype, copy=False)

    init.__name__ = label
    return init


def normal(std=0.01):
    """Initializer drawing ``N(0, std^2)``."""
    return _scaled("normal", lambda fi, fo: std, f"normal({std!r})")


def uniform(limit=0.05):
    """Initializer drawing ``U(-limit, limit)``."""
    return _scaled("uniform", lambda fi, fo: limit, f"uniform({limit!r})")


glorot_normal = _scaled("normal", lambda fi, fo: np.sqrt(2.0 / (fi + fo)), "glorot_normal")
glorot_uniform = _scaled("uniform", lambda fi, fo: np.sqrt(6.0 / (fi + fo)), "glorot_uniform")
he_normal = _scaled("normal", lambda fi, fo: np.sqrt(2.0 / fi), "he_normal")
he_uniform = _scaled("uniform", lambda fi, fo: np.sqrt(6.0 / fi), "he_uniform")
lecun_normal = _scaled("normal", lambda fi, fo: np.sqrt(1.0 / fi), "lecun_normal")
lecun_uniform = _scaled("uniform", lambda fi, fo: np.sqrt(3.0 / fi), "lecun_uniform")


def perturbed(base, scale=0.01):
    """Initializer ``theta = base + eps`` with ``eps ~ N(0, scale^2)``.

    ``base`` is a guess of shape ``(n_features,)`` or ``(n_targets, n_features)``.
    """
    base = np.asarray(base, dtype=np.float64)

    def init(n_features, n_targets, dtype, random_state=None):
        b = np.broadcast_to(base.reshape(-1, base.shape[-1]), (n_targets, n_features))
        rng = check_random_state(random_state)
        return (b + rng.normal(0.0, scale, size=b.shape)).astype(dtype)

    init.__name__ = f"perturbed(scale={scale!r})"
    return init


INITIALIZERS = {
    "zeros": zeros,
    "normal": normal(),
    "uniform": uniform(),
    "glorot_normal": glorot_normal,
    "glorot_uniform": glorot_uniform,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "lecun_normal": lecun_normal,
    "lecun_uniform": lecun_uniform,
}


def initial_coef(init, n_features, n_targets, random_state, previous=None):
    """Resolve ``init`` (a name, ``"warm"``, an array or a callable) to float64 ``(k, p)``.

    ``"warm"`` uses ``previous`` (the last ``coef_``) when its shape fits and
    zeros otherwise, as scikit-learn's ``warm_start`` does on a first fit.

    Raises
    ------
    ValueError
        For an unknown name, a wrong shape, or non-finite values.
    """
    shape = (n_targets, n_features)
    if isinstance(init, str):
        if init == "warm":
            if previous is not None and np.size(previous) == n_targets * n_features:
                w = np.asarray(previous, dtype=np.float64).reshape(shape)
            else:
                w = np.zeros(shape)
        elif init in INITIALIZERS:
            w = INITIALIZERS[init](n_features, n_targets, np.float64, random_state)
        else:
            names = ", ".join(sorted([*INITIALIZERS, "warm"]))
            raise ValueError(f"unknown init {init!r}; choose one of {names}, an array or a callable")
    elif callable(init):
        w = init(n_features, n_targets, np.float64, random_state)
    else:
        w = init
    w = np.asarray(w, dtype=np.float64)
    if w.size != n_targets * n_features:
        raise ValueError(f"init has shape {w.shape}; expected {shape} or ({n_features},)")
    w = np.array(w.reshape(shape), dtype=np.float64, copy=True)
    if not np.isfinite(w).all():
        raise ValueError("init contains NaN or infinity")
    return w
