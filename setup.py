"""Build script: the optional Cython kernels (everything declarative is in pyproject.toml).

The extensions ``ridgejit.kernels._cython_dense``, ``_cython_sgd`` and their CSR
twins ``_cython_sparse``, ``_cython_sparse_sgd``, ``_cython_scaled``,
``_cython_minibatch``, ``_cython_vr_multi`` and ``_cython_sparse_factors``
(float32/float64 kernels with OpenMP) are optional: without a working C
compiler or OpenMP, the install still succeeds, prints why the extension is
missing, and ridgejit runs on Numba.
``RIDGEJIT_REQUIRE_CYTHON=1`` turns a failed or skipped build into an error, so
CI never ships the slow path silently.
"""

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

REQUIRE = os.environ.get("RIDGEJIT_REQUIRE_CYTHON", "").strip() not in ("", "0")
#: the optional extensions: row-streaming passes and stochastic epochs, dense and CSR
MODULES = ("_cython_dense", "_cython_sgd", "_cython_sparse", "_cython_sparse_sgd", "_cython_scaled",
           "_cython_minibatch", "_cython_vr_multi", "_cython_sparse_factors")


def _skip(reason):
    if REQUIRE:
        raise SystemExit(f"ridgejit: RIDGEJIT_REQUIRE_CYTHON=1 and the Cython kernels cannot be built: {reason}")
    print(
        "\n*** ridgejit: the optional Cython kernels were not built "
        f"({reason}).\n*** ridgejit is installed and runs on its Numba kernels; "
        "backend='cython' will say why it is unavailable.\n",
        file=sys.stderr,
    )


#: The fast-math subset of the Numba kernels (_config.FASTMATH): reassociation (vectorized
#: reductions), no signed zeros, contraction, reciprocals; never -ffinite-math-only, so NaN/inf
#: stay visible to the checks.
FASTMATH = ["-fno-math-errno", "-fno-trapping-math", "-fassociative-math", "-fno-signed-zeros",
            "-freciprocal-math", "-ffp-contract=fast"]


def compiler_flags(compiler_type, platform):
    """``(compile args, link args)`` for OpenMP and optimization, per toolchain.

    GCC-like (Linux, MinGW): ``-fopenmp``.  Apple clang has no ``-fopenmp`` driver flag:
    OpenMP comes from Homebrew's libomp through ``CPPFLAGS="-Xpreprocessor -fopenmp"``,
    ``CFLAGS=-I...`` and ``LDFLAGS=-L... -lomp`` (set by the cibuildwheel configuration in
    pyproject.toml; delocate then bundles libomp into the wheel).  MSVC: ``/openmp`` with
    its default precise floating point (``/fp:fast`` would assume no NaN).
    """
    if compiler_type == "msvc":
        return ["/O2", "/openmp"], []
    if platform == "darwin":
        return ["-O3", *FASTMATH], []
    return ["-O3", "-fopenmp", *FASTMATH], ["-fopenmp"]


class OptionalBuildExt(build_ext):
    """``build_ext`` that reports, instead of failing, unless RIDGEJIT_REQUIRE_CYTHON=1."""

    def build_extensions(self):
        compile_args, link_args = compiler_flags(self.compiler.compiler_type, sys.platform)
        for ext in self.extensions:
            ext.extra_compile_args, ext.extra_link_args = list(compile_args), list(link_args)
        super().build_extensions()

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
            # compile and link flags: per toolchain, in OptionalBuildExt.build_extensions
        )
        for name in MODULES
    ]
    try:
        return cythonize(exts, language_level=3, quiet=True)
    except Exception as exc:  # a Cython that cannot compile the source
        _skip(f"cythonize failed: {type(exc).__name__}: {exc}")
        return []


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
