"""Runtime facts: versions, backends, threads, CPU (``ridgejit info``)."""

import os
import platform
import sys

#: the package version (``ridgejit.__version__``; pyproject.toml gives the same)
__version__ = "0.1.0"


def config_info():
    """A dict describing this installation: versions, backends and threads."""
    import numpy
    import scipy
    import sklearn
    from threadpoolctl import threadpool_info

    from .kernels import backend_status, default_backend_name

    info = {
        "ridgejit": __version__,
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "platform": platform.platform(),
        "cpu": _cpu_name(),
        "cpu_count": os.cpu_count(),
        "default_backend": default_backend_name(),
        "backends": {k: {"available": a, "reason": r} for k, (a, r) in backend_status().items()},
        "blas": [
            {"library": d.get("internal_api"), "threads": d.get("num_threads"), "version": d.get("version")}
            for d in threadpool_info() if d.get("user_api") == "blas"
        ],
    }
    try:
        import numba

        info["numba"] = numba.__version__
        info["numba_threads"] = numba.get_num_threads()
        info["numba_threading_layer"] = numba.config.THREADING_LAYER
    except ImportError as exc:  # pragma: no cover - numba is a dependency
        info["numba"] = f"unavailable ({exc})"
    return info


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def show_config(file=None):
    """Print versions, available backends (and why one is missing), threads and CPU."""
    info = config_info()
    lines = []
    for key, value in info.items():
        if key == "backends":
            lines.append("backends:")
            for name, st in value.items():
                state = "available" if st["available"] else f"missing: {st['reason']}"
                lines.append(f"  {name:8s} {state}")
        else:
            lines.append(f"{key}: {value}")
    print("\n".join(lines), file=file)
