"""The model file of ``ridgejit fit`` and ``ridgejit predict``: a ``.npz`` of plain arrays.

No pickle: ``coef``, ``intercept``, ``alpha``, ``fit_intercept``,
``n_features_in``, ``solver`` (asked for), ``solver_used``, ``n_iter``,
``dtype``, ``ridgejit_version``, ``ridgejit_model`` (the format version), and
when known ``feature_names``, ``target`` and ``svmlight_zero_based``.  Written
through :func:`ridgejit.cli.io.atomic_output`: a failure leaves no partial file.
"""

import os

import numpy as np

from .io import DataError, atomic_output, check_file, read_npz

#: version of the model file layout
MODEL_FORMAT = 1
#: arrays every model file has
MODEL_KEYS = ("ridgejit_model", "coef", "intercept", "alpha", "fit_intercept", "n_features_in")


def save_model(path, est, *, solver, feature_names=None, target=None, zero_based=None):
    """Write a fitted :class:`ridgejit.Ridge` or :class:`ridgejit.SGDRidge` to ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.npz`` file to write (atomically: see :func:`ridgejit.cli.io.atomic_output`).
    est : Ridge, SGDRidge or RidgeCV
        A fitted estimator (a RidgeCV's ``alpha_`` is saved as ``alpha``; with
        ``alpha_per_target`` only the first target's).
    solver : str
        The solver asked for (``est.solver_`` records the one used, if any).
    feature_names : list of str, default=None
    target : str, default=None
        Name of the target column or key.
    zero_based : bool, default=None
        Base of the svmlight indices the model was fitted on.
    """
    from .._info import __version__

    coef = np.asarray(est.coef_)
    arrays = {
        "ridgejit_model": np.int64(MODEL_FORMAT),
        "ridgejit_version": np.str_(__version__),
        "coef": coef,
        "intercept": np.ravel(np.asarray(est.intercept_, dtype=np.float64)),
        "alpha": np.float64(np.ravel(getattr(est, "alpha_", getattr(est, "alpha", None)))[0]),
        "fit_intercept": np.bool_(est.fit_intercept),
        "n_features_in": np.int64(est.n_features_in_),
        "solver": np.str_(solver),
        "solver_used": np.str_(getattr(est, "solver_", solver)),
        "n_iter": np.int64(np.max(est.n_iter_)),
        "dtype": np.str_(coef.dtype.name),
    }
    if feature_names is not None:
        arrays["feature_names"] = np.array(feature_names, dtype=np.str_)
    if target is not None:
        arrays["target"] = np.str_(target)
    if zero_based is not None:
        arrays["svmlight_zero_based"] = np.bool_(zero_based)
    if getattr(est, "cov_type_", None):  # (intercept first) standard errors, covariance, for --interval
        arrays["bse"] = np.asarray(est.bse_, dtype=np.float64)
        arrays["covariance"] = np.asarray(est.covariance_, dtype=np.float64)
        arrays["cov_type"] = np.str_(est.cov_type_)
        arrays["sigma2"] = np.ravel(np.asarray(est.sigma2_, dtype=np.float64))
        arrays["residual_dof"] = np.ravel(est._n_for_inference - np.asarray(est.effective_dof_, dtype=np.float64))
    with atomic_output(path, "wb") as fh:
        np.savez(fh, **arrays)


def load_model(path):
    """Read a model file written by :func:`save_model`.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    est : ridgejit.Ridge
        Fitted (``coef_``, ``intercept_``, ``n_features_in_``, ``n_iter_``,
        ``solver_``), ready for ``predict``, whichever estimator fitted it.
    meta : dict
        The other entries of the file (``solver``, ``feature_names``, ``target``, ...).

    Raises
    ------
    DataError
        When ``path`` is missing or not a ridgejit model file.
    """
    from .._validation import fitted_shapes
    from ..ridge import Ridge

    path = os.fspath(path)
    check_file(path)
    m, _ = read_npz(path, what="a ridgejit model file")
    missing = [k for k in MODEL_KEYS if k not in m]
    if missing:
        raise DataError(f"{path}: not a ridgejit model file (no {', '.join(missing)}); "
                        "models are made by `ridgejit fit`")
    coef, p = m["coef"], int(m["n_features_in"])
    intercept = np.ravel(m["intercept"]).astype(np.float64)
    if coef.ndim not in (1, 2) or coef.shape[-1] != p or coef.size != p * intercept.size:
        raise DataError(f"{path}: damaged model file (coef of shape {coef.shape}, "
                        f"{intercept.size} intercepts, {p} features)")
    est = Ridge(alpha=float(m["alpha"]), fit_intercept=bool(m["fit_intercept"]))
    est.coef_, est.intercept_ = fitted_shapes(coef.reshape(-1, p).astype(np.float64), intercept,
                                              coef.dtype, coef.ndim)
    est.n_features_in_ = p
    est.n_iter_ = int(m.get("n_iter", 1))
    est.solver_ = str(m.get("solver_used", m.get("solver", "")))
    meta = {k: (v.tolist() if v.ndim else v.item()) for k, v in m.items() if k not in ("coef", "intercept")}
    return est, meta
