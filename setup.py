"""Build script: the optional Cython kernels (everything declarative is in pyproject.toml).

The extensions ``ridgejit.kernels._cython_dense``, ``_cython_sgd`` and their CSR
twins ``_cython_sparse``, ``_cython_sparse_sgd`` (float32/float64 kernels with
OpenMP) are optional: without a working C compiler or OpenMP, the install still
succeeds, prints why the extension is missing, and ridgejit runs on Numba.
``RIDGEJIT_REQUIRE_CYTHON=1`` turns a failed or skipped build into an error, so
CI never ships the slow path silently.
"""

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

REQUIRE = os.environ.get("RIDGEJIT_REQUIRE_CYTHON", "").strip() not in ("", "0")
#: the optional extensions: row-streaming passes and stochastic epochs, dense and CSR
MODULES = ("_cython_dense", "_cython_sgd", "_cython_sparse", "_cython_sparse_sgd")


def _skip(reason):
    if REQUIRE:
        raise SystemExit(f"ridgejit: RIDGEJIT_REQUIRE_CYTHON=1 and the Cython kernels cannot be built: {reason}")
    print(
        "\n*** ridgejit: the optional Cython kernels were not built "
        f"({reason}).\n*** ridgejit is installed and runs on its Numba kernels; "
        "backend='cython' will say why it is unavailable.\n",
        file=sys.stderr,
    )


class OptionalBuildExt(build_ext):
    """``build_ext`` that reports, instead of failing, unless RIDGEJIT_REQUIRE_CYTHON=1."""

    def run(self):
        try:
            super().run()
        except Exception as exc:  # no compiler at all, etc.
            _skip(f"{type(exc).__name__}: {exc}")

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as exc:  # compile or link error
            _skip(f"{type(exc).__name__}: {exc}")


def extensions():
    try:
        import numpy
        from Cython.Build import cythonize
    except ImportError as exc:
        _skip(f"build requirement missing: {exc}")
        return []
    exts = [
        Extension(
            f"ridgejit.kernels.{name}",
            [f"src/ridgejit/kernels/{name}.pyx"],
            depends=["src/ridgejit/kernels/_layout.pxd"],
            include_dirs=[numpy.get_include()],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
            # The fast-math subset of the Numba kernels (_config.FASTMATH): reassociation
            # (vectorized reductions), no signed zeros, contraction, reciprocals; never
            # -ffinite-math-only, so NaN/inf stay visible to the checks.
            extra_compile_args=["-O3", "-fopenmp", "-fno-math-errno", "-fno-trapping-math",
                                "-fassociative-math", "-fno-signed-zeros", "-freciprocal-math",
                                "-ffp-contract=fast"],
            extra_link_args=["-fopenmp"],
        )
        for name in MODULES
    ]
    try:
        return cythonize(exts, language_level=3, quiet=True)
    except Exception as exc:  # a Cython that cannot compile the source
        _skip(f"cythonize failed: {type(exc).__name__}: {exc}")
        return []


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
