"""Input validation and output shaping shared by the estimators (Ridge, SGDRidge, RidgeCV,
``fit_chunks`` and the :mod:`ridgejit.dask` estimators), and their ``to_sklearn()`` copies.

Validation follows scikit-learn (its ``validate_data`` and ``_check_sample_weight``)
with ridgejit's memory rules: X is never copied when it can be used as given
(C-contiguous float32/float64 or canonical CSR) and never checked for NaN/inf in a
pass of its own (the solvers' first pass sees them); y and the weights are copied.
"""

import contextlib

import numpy as np
from scipy import sparse
from sklearn.utils.validation import _assert_all_finite, _check_sample_weight, check_is_fitted, validate_data

from .kernels import get_backend
from .problem import stored_values


def check_alpha(alpha, n_targets):
    """``alpha`` as a float64 array of shape ``(n_targets,)``; ValueError if invalid."""
    a = np.asarray(alpha, dtype=np.float64).reshape(-1)
    if a.size == 1:
        a = np.full(n_targets, a[0])
    if a.size != n_targets:
        raise ValueError(
            f"alpha has {a.size} values but y has {n_targets} targets; "
            "give one alpha or one per target"
        )
    if not np.isfinite(a).all() or (a < 0).any():
        raise ValueError(f"alpha must be finite and >= 0, got {alpha!r}")
    return a


def check_penalty_factor(penalty_factor, n_features):
    """Per-feature penalty factors as float64 ``(n_features,)``, or ``None`` for all ones.

    The penalty becomes ``alpha/(2n) sum_j d_j w_j^2``: ``d_j = 0`` leaves
    feature ``j`` unpenalized, ``d_j = 2`` penalizes it twice as hard.  Raises
    ``ValueError`` naming the problem for a wrong length, NaN/inf, negative or
    complex values.  All ones returns ``None`` (the plain ridge paths run).
    """
    if penalty_factor is None:
        return None
    d = np.asarray(penalty_factor)
    if np.iscomplexobj(d):
        raise ValueError("penalty_factor must be real, got complex values")
    d = np.array(d, dtype=np.float64).reshape(-1) if d.ndim <= 1 else d
    if d.ndim != 1 or d.size != n_features:
        raise ValueError(f"penalty_factor must have one value per feature ({n_features}), "
                         f"got shape {np.shape(penalty_factor)}")
    if not np.isfinite(d).all():
        raise ValueError("penalty_factor contains NaN or infinity")
    if (d < 0).any():
        raise ValueError(f"penalty_factor must be >= 0 (0 leaves a feature unpenalized); "
                         f"feature {int(np.argmax(d < 0))} has {d[d < 0][0]:g}")
    return None if np.all(d == 1.0) else d


def check_penalty_matrix(penalty_matrix, n_features):
    """A Tikhonov penalty matrix as float64 ``(p, p)``, symmetric positive semi-definite.

    The penalty becomes ``alpha/(2n) w^T P w`` (difference penalties ``P = L^T L``
    for smooth coefficient profiles).  Raises ``ValueError`` naming the problem:
    shape, NaN/inf, complex, asymmetric (beyond ``1e-10`` of its largest entry), or
    not positive semi-definite (an eigenvalue below ``-1e-10`` times the largest).
    A diagonal matrix is returned as its diagonal (the per-feature factors).
    """
    P = np.asarray(penalty_matrix)
    if np.iscomplexobj(P):
        raise ValueError("penalty_matrix must be real, got complex values")
    P = np.array(P, dtype=np.float64)
    if P.shape != (n_features, n_features):
        raise ValueError(f"penalty_matrix must be n_features x n_features ({n_features} x {n_features}), "
                         f"got shape {P.shape}")
    if not np.isfinite(P).all():
        raise ValueError("penalty_matrix contains NaN or infinity")
    scale = float(np.abs(P).max(initial=0.0))
    if np.abs(P - P.T).max(initial=0.0) > 1e-10 * scale:
        raise ValueError("penalty_matrix must be symmetric (P == P.T)")
    P = (P + P.T) / 2
    lam = np.linalg.eigvalsh(P)
    if lam[0] < -1e-10 * max(lam[-1], 0.0):
        raise ValueError(f"penalty_matrix must be positive semi-definite: its smallest eigenvalue is "
                         f"{lam[0]:.3g} (largest {lam[-1]:.3g})")
    if not np.count_nonzero(P - np.diag(np.diag(P))):  # diagonal: the factors on it, clipped at 0
        return check_penalty_factor(np.maximum(np.diag(P), 0.0), n_features)
    return P


def check_penalty(penalty_factor, penalty_matrix, n_features):
    """The penalty of an estimator: ``None`` (``alpha I``), factors ``(p,)`` or a matrix ``(p, p)``.

    At most one of ``penalty_factor`` (:func:`check_penalty_factor`) and
    ``penalty_matrix`` (:func:`check_penalty_matrix`) may be given.
    """
    if penalty_factor is not None and penalty_matrix is not None:
        raise ValueError("give penalty_factor or penalty_matrix, not both (a matrix with the factors on "
                         "its diagonal is the same as the factors)")
    if penalty_matrix is not None:
        return check_penalty_matrix(penalty_matrix, n_features)
    return check_penalty_factor(penalty_factor, n_features)


def check_bounds(bounds, positive, n_features):
    """Box constraints ``(lower, upper)`` as two float64 ``(n_features,)`` arrays, or ``None``.

    ``bounds`` is ``None`` or a pair whose items are scalars or one value per
    feature (``-inf``/``inf`` leave a side open); ``positive=True`` is
    ``(0, inf)``.  Raises ``ValueError`` naming the problem: both given, not a
    pair, a wrong length, NaN or complex values, a lower bound above its upper one.
    """
    if bounds is None:
        return (np.zeros(n_features), np.full(n_features, np.inf)) if positive else None
    if positive:
        raise ValueError("give positive=True or bounds, not both (positive=True is bounds=(0, inf))")
    if not isinstance(bounds, (tuple, list)) or len(bounds) != 2:
        raise ValueError(f"bounds must be a pair (lower, upper) of scalars or arrays of shape "
                         f"({n_features},), got {bounds!r}")
    out = []
    for name, side in zip(("lower", "upper"), bounds):
        v = np.asarray(side)
        if np.iscomplexobj(v):
            raise ValueError(f"bounds' {name} side must be real, got complex values")
        v = np.array(np.broadcast_to(v.astype(np.float64), (n_features,)) if v.ndim == 0 else v, dtype=np.float64)
        if v.shape != (n_features,):
            raise ValueError(f"bounds' {name} side must be a scalar or one value per feature ({n_features}), "
                             f"got shape {v.shape}")
        if np.isnan(v).any():
            raise ValueError(f"bounds' {name} side contains NaN")
        out.append(v)
    lower, upper = out
    if (lower > upper).any():
        j = int(np.argmax(lower > upper))
        raise ValueError(f"bounds: feature {j} has lower {lower[j]:g} above upper {upper[j]:g}")
    if (lower == np.inf).any() or (upper == -np.inf).any():
        raise ValueError("bounds: a lower bound of +inf or an upper bound of -inf leaves no feasible value")
    return lower, upper


def canonical_csr(X):
    """``X`` if it is a canonical CSR matrix (sorted indices, no duplicates), else a
    canonical copy (the kernels assume it; the caller's matrix is never modified)."""
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    return X


def prepare_fit(est, X, y, sample_weight, *, reset, multi_output):
    """Validate fit inputs the scikit-learn way; returns ``(X, y, Y, sw, backend)``.

    X stays as given when C-contiguous float32/float64 or canonical CSR (else
    one conversion: CSC and COO become CSR once); it is checked for NaN/inf by
    the solvers' first pass, not here (no extra pass over X).  ``Y`` is a
    float64 ``(n, k)`` copy of y, ``sw`` a float64 copy of the weights;
    neither shares memory with the caller's arrays.
    """
    X, y = validate_data(
        est, X, y, dtype=[np.float64, np.float32], order="C", reset=reset,
        accept_sparse="csr", accept_large_sparse=True,
        multi_output=multi_output, y_numeric=True, ensure_all_finite=False,
    )
    if sparse.issparse(X):
        X = canonical_csr(X)
    _assert_all_finite(y, input_name="y")
    backend = get_backend(est.backend)
    Y = np.array(y, dtype=np.float64, order="C", copy=True).reshape(X.shape[0], -1)
    sw = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    return X, y, Y, np.array(sw, dtype=np.float64, copy=True), backend


def fitted_shapes(coef, intercept, dtype, y_ndim):
    """``(coef_, intercept_)`` shaped as scikit-learn's Ridge shapes them.

    ``coef`` is ``(k, p)`` and ``intercept`` ``(k,)`` (float64); the result has
    X's ``dtype``.  ``coef_`` is 1-D for a single target (y of shape ``(n,)``
    or ``(n, 1)``); ``intercept_`` is a scalar only for 1-D y (a Python float
    for float64).
    """
    coef_ = coef.astype(dtype)
    coef_ = coef_[0] if coef_.shape[0] == 1 else coef_
    if y_ndim == 1:
        b = np.dtype(dtype).type(intercept[0])
        return coef_, (float(b) if np.dtype(dtype) == np.float64 else b)
    return coef_, intercept.astype(dtype)


#: Fitted attributes that ``to_sklearn()`` copies when the source has them.
SKLEARN_FITTED = ("coef_", "intercept_", "n_features_in_", "feature_names_in_")


def fitted_copy(source, target, names=()):
    """``to_sklearn()``'s copy: :data:`SKLEARN_FITTED` and ``names`` from fitted ``source``
    onto the unfitted scikit-learn estimator ``target`` (nothing is refitted: its
    ``predict`` is scikit-learn's arithmetic on ridgejit's arrays); returns ``target``.
    ``ValueError`` when ``source`` has ``bounds``, a ``penalty_matrix`` or a ``penalty_factor``
    other than all ones, or ``positive=True`` where ``target`` has no ``positive`` parameter
    (``RidgeCV``): scikit-learn's estimators have none, so no equivalent exists."""
    check_is_fitted(source)
    if getattr(source, "positive", False) and "positive" not in target.get_params():
        raise ValueError(f"scikit-learn's {type(target).__name__} has no positive=True: this model has no "
                         "equivalent there")
    if getattr(source, "bounds", None) is not None:
        raise ValueError(f"scikit-learn's {type(target).__name__} has no bounds: a model fitted with them "
                         "has no equivalent there")
    factor = getattr(source, "penalty_factor", None)
    if getattr(source, "penalty_matrix", None) is not None or (factor is not None and np.any(np.asarray(factor) != 1)):
        raise ValueError(f"scikit-learn's {type(target).__name__} has no penalty_factor or penalty_matrix: "
                         "a model fitted with one has no equivalent there")
    for name in (*SKLEARN_FITTED, *names):
        if hasattr(source, name):
            setattr(target, name, getattr(source, name))
    return target


def non_finite_error(X, y, what):
    """The error raised instead of returning non-finite coefficients."""
    values = stored_values(X)
    x_max = float(np.max(np.abs(values))) if values.size else 0.0
    return ValueError(
        f"the fit produced a non-finite {what}: the data overflow float64 arithmetic "
        f"(max |X| = {x_max:.3g}, max |y| = {float(np.max(np.abs(y))):.3g}). "
        "Rescale X and y (e.g. sklearn.preprocessing.StandardScaler) and fit again."
    )


def check_one_pass(est, k, preconditioned, penalty=None, X=None):
    """Raise unless ``SGDRidge`` ``est`` can fit ``k`` targets (and ``penalty`` on ``X``): every
    solver but the plain (unpreconditioned) ``sgd`` fits several targets in one pass; penalty
    factors go to the preconditioned ``sgd`` (``preconditioned``) and, with every factor > 0,
    to ``sag``/``saga``/``svrg`` (on CSR X one target at a time); early stopping scores one
    target."""
    how = (f"solver={est.solver!r}, precondition={est.precondition!r}, "
           f"learning_rate={est.learning_rate!r}")
    if k > 1 and est.solver == "sgd" and not preconditioned:
        raise ValueError(f"y has {k} targets: solver='sgd' fits several with precondition (the default "
                         f"with learning_rate='auto'), as do the other solvers; not {how}")
    if k > 1 and est.early_stopping:
        raise ValueError(f"early_stopping=True scores one target; y has {k}")
    if penalty is None or preconditioned:
        return
    if est.solver not in ("sag", "saga", "svrg"):
        raise ValueError(f"penalty_factor needs solver='sgd' with precondition (the default with "
                         f"learning_rate='auto') or solver 'sag'/'saga'/'svrg', not {how}")
    if k > 1 and X is not None and sparse.issparse(X):
        raise ValueError(f"penalty_factor with solver={est.solver!r} on CSR X takes one target at a time "
                         f"(its lazy scales per factor level are per target); y has {k}: fit each column, "
                         "use solver='sgd' (its default preconditioned steps take both) or pass X.toarray()")
    if not (penalty > 0).all():
        raise ValueError(f"solver={est.solver!r} stops on a proven gap bound, which needs every "
                         "penalty_factor > 0; use ridgejit.Ridge (exact) for unpenalized features")


def n_targets_of(y):
    """Columns of a 2-D y (1 for 1-D y), read before validation so that an estimator can
    say why it refuses several targets."""
    shape = getattr(y, "shape", None)
    if not isinstance(shape, tuple):
        shape = np.asarray(y).shape  # lists; array-likes without a shape (their __array__)
    return shape[1] if len(shape) == 2 else 1


@contextlib.contextmanager
def overflow_is_value_error(X, Y):
    """Finite X whose statistics overflow (``FloatingPointError`` from the problem's first
    pass) raises the ``ValueError`` that :class:`ridgejit.Ridge` raises for it."""
    try:
        yield
    except FloatingPointError:
        raise non_finite_error(X, Y, "column statistic") from None


def holdout(X, y, sw, fraction, rng):
    """``(train rows, score)`` of a random validation split of ``fraction`` of the rows
    (early stopping): ``score(coef, intercept)`` is the weighted R^2 on the held-out rows."""
    n = X.shape[0]
    n_val = max(1, int(round(fraction * n)))
    if n - n_val < 1:
        raise ValueError(f"validation_fraction={fraction} leaves no training rows")
    perm = rng.permutation(n)
    val, train = np.sort(perm[:n_val]), np.sort(perm[n_val:])
    return train, lambda coef, b: r2_on_rows(X, y, sw, val, coef.astype(X.dtype), b)


def r2_on_rows(X, y, sw, rows, coef, intercept, chunk=8192):
    """Weighted R^2 of ``X[rows] @ coef + intercept`` against ``y[rows]`` (a validation
    split's score), in row chunks (no copy of the validation rows of X as a whole)."""
    pred = np.empty(len(rows))
    for lo in range(0, len(rows), chunk):
        pred[lo : lo + chunk] = X[rows[lo : lo + chunk]] @ coef + intercept
    yt, wt = y[rows], sw[rows]
    ss_res = wt @ (yt - pred) ** 2
    ss_tot = wt @ (yt - np.average(yt, weights=wt)) ** 2
    return 1.0 - ss_res / ss_tot if ss_tot > 0 else (1.0 if ss_res == 0 else 0.0)


def warm_coef(coef, intercept, k, p):
    """``(coef (k, p), intercept (k,))`` in float64 from a previous fit's ``coef_`` and
    ``intercept_``, for ``warm_start=True``.

    Raises
    ------
    ValueError
        When the previous fit had another number of targets or features.
    """
    if np.size(coef) != k * p or np.size(intercept) != k:
        raise ValueError(
            f"warm_start=True continues from coef_ of shape {np.shape(coef)}, but this fit has "
            f"{k} target(s) and {p} feature(s); set warm_start=False to start afresh")
    return np.asarray(coef, np.float64).reshape(k, p), np.asarray(intercept, np.float64).reshape(k)
