"""Start-up: ``import ridgejit`` plus first fits in a fresh process.

The only benchmarks that include JIT compilation: ``cold`` starts with an
empty Numba cache (``NUMBA_CACHE_DIR`` in a fresh temporary folder), ``warm``
with the cache that a previous run filled.
"""

import os
import subprocess
import sys
import tempfile

from ridgejit.bench.measure import STARTUP_SCRIPT


class Startup:
    """Wall time of a fresh interpreter importing ridgejit and fitting 200 x 5 data."""

    params = ["cold", "warm"]
    param_names = ["numba_cache"]
    timeout = 300
    number = 1
    repeat = (1, 3, 60.0)

    def setup(self, cache):
        self.dir = tempfile.mkdtemp(prefix="ridgejit-numba-")
        self.env = dict(os.environ, NUMBA_CACHE_DIR=self.dir)
        if cache == "warm":
            self._run()

    def teardown(self, cache):
        import shutil

        shutil.rmtree(self.dir, ignore_errors=True)

    def _run(self):
        subprocess.run([sys.executable, "-c", STARTUP_SCRIPT], env=self.env, check=True,
                       capture_output=True)

    def time_import_and_first_fit(self, cache):
        if cache == "cold":  # every repeat starts from an empty cache
            import shutil

            shutil.rmtree(self.dir, ignore_errors=True)
            os.makedirs(self.dir)
        self._run()
