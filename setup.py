"""Build script.

Everything declarative lives in ``pyproject.toml``.  This file exists so that the
optional Cython kernel (a later issue) can be added as an ``Extension`` with a
``build_ext`` that tolerates a missing compiler; today it builds a pure-Python
package.
"""

from setuptools import setup

setup()
