"""Kernel backends: the same functions, computed by NumPy (the spec), Numba or Cython.

Layer: the bottom one.  Kernels are pure functions of arrays and scalars (no
Python objects, no policy); they import only :mod:`ridgejit._config` and their
own package.  Solvers (and :mod:`ridgejit.stats`, :mod:`ridgejit.problem`) are
the only callers.

Backends: ``numpy`` (the reference), ``numba`` (the default) and ``cython``
(optional: an extension built at install time when a C compiler with OpenMP
is there).  A backend is a :class:`Backend` holding one function per name in
:data:`CONTRACT`; every backend's functions take the same arguments and mean
the same thing (see :mod:`ridgejit.kernels.reference`).  The contract is
checked when a backend loads: one that lacks a kernel is unavailable, and its
reason names the missing kernels (``ridgejit info`` shows it).  Constants the
backends share (the row-block rule, prefetch distance, state/hyper slots) are
named once in :mod:`ridgejit.kernels.layout` and mirrored in ``_layout.pxd``.

``get_backend("auto")`` gives the ``RIDGEJIT_BACKEND`` environment variable's
backend when it is set, else Numba, else (with a warning-free fallback only
when Numba cannot be imported) NumPy.  Asking for a backend by name that
cannot be loaded raises :class:`BackendUnavailableError` with the reason.
"""

import importlib
import os
from dataclasses import dataclass, field

KERNELS = (
    "objective",
    "gradient",
    "normal_product",
    "column_moments",
    "sufficient_stats",
    "sufficient_stats_lowp",
    "dual_gram",
    "sgd_epoch",
    "max_row_norm",
    "saga_epoch",
    "svrg_inner",
    "saga_epoch_multi",
    "svrg_inner_multi",
    "minibatch_epoch",
    "scaled_sgd_epoch",
    "scaled_sgd_epoch_multi",
)

#: The CSR twins: ``name_sparse(data, indices, indptr, *rest)`` for ``name(X, *rest)``.
SPARSE_KERNELS = tuple(name + "_sparse" for name in KERNELS)

#: Kernels with no dense twin: ``fold_product_sparse`` (sparse cross-validation,
#: :mod:`ridgejit.cv.sparse_kfold`; dense X uses sufficient statistics instead).
SPARSE_ONLY_KERNELS = ("fold_product_sparse",)

#: Every name a backend must provide, checked when it loads.
CONTRACT = KERNELS + SPARSE_KERNELS + SPARSE_ONLY_KERNELS

#: backend name -> modules that implement it (together, every name in CONTRACT)
_MODULES = {
    "numpy": ("ridgejit.kernels.reference", "ridgejit.kernels.reference_sgd",
              "ridgejit.kernels.reference_sparse"),
    "numba": ("ridgejit.kernels.numba_dense", "ridgejit.kernels.numba_sgd",
              "ridgejit.kernels.numba_sparse", "ridgejit.kernels.numba_sparse_sgd",
              "ridgejit.kernels.numba_scaled", "ridgejit.kernels.numba_minibatch",
              "ridgejit.kernels.numba_vr_multi", "ridgejit.kernels.numba_scaled_multi"),
    "cython": ("ridgejit.kernels.cython_backend",),
}

BACKENDS = ("auto", "numba", "numpy", "cython")


class BackendUnavailableError(ValueError):
    """A requested kernel backend cannot be used here; the message says why."""


@dataclass(frozen=True)
class Backend:
    """A named set of kernel functions (see :data:`KERNELS`)."""

    name: str
    functions: dict = field(repr=False)

    def __getattr__(self, item):
        try:
            return self.functions[item]
        except KeyError:
            raise AttributeError(f"backend {self.name!r} has no kernel {item!r}") from None


_cache = {}


def _load(name):
    if name in _cache:
        return _cache[name]
    if name not in _MODULES:
        raise BackendUnavailableError(
            f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}"
        )
    functions = {}
    for module_name in _MODULES[name]:
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:  # numba missing or broken, Cython extension not built
            raise BackendUnavailableError(
                f"backend {name!r} is unavailable: importing {module_name} failed: {exc}"
            ) from exc
        functions.update({k: getattr(module, k) for k in CONTRACT if callable(getattr(module, k, None))})
    missing = [k for k in CONTRACT if k not in functions]
    if missing:
        raise BackendUnavailableError(
            f"backend {name!r} is unavailable: its modules ({', '.join(_MODULES[name])}) lack the "
            f"kernel(s) {', '.join(missing)} that every backend must provide"
        )
    backend = Backend(name, functions)
    _cache[name] = backend
    return backend


def default_backend_name():
    """The backend that ``"auto"`` resolves to (``RIDGEJIT_BACKEND`` overrides)."""
    forced = os.environ.get("RIDGEJIT_BACKEND", "").strip().lower()
    if forced and forced != "auto":
        return forced
    try:
        _load("numba")
    except BackendUnavailableError:
        return "numpy"
    return "numba"


def get_backend(name="auto"):
    """Return the :class:`Backend` called ``name`` (``"auto"``, ``"numba"``, ``"numpy"``).

    Raises
    ------
    BackendUnavailableError
        If the backend is unknown or cannot be loaded; the message names the cause.
    """
    if isinstance(name, Backend):
        return name
    name = str(name).lower()
    if name == "auto":
        name = default_backend_name()
    return _load(name)


def backend_status():
    """``{name: (available, reason)}`` for every concrete backend."""
    status = {}
    for name in ("numba", "numpy", "cython"):
        try:
            _load(name)
            status[name] = (True, "")
        except BackendUnavailableError as exc:
            status[name] = (False, str(exc))
    return status
