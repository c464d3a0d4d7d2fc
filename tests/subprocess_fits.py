"""Seeded fits in a fresh Python process, reported as exact bits (a helper, not a test module).

``run_fits(solvers, env=...)`` starts ``python tests/subprocess_fits.py`` with
the given environment; the child fits every named solver on the same small
seeded data and prints one JSON object ``{solver: {"sha256": ..., "values":
[float.hex, ...]}}`` whose ``values`` are ``coef_`` then ``intercept_`` (or
``{"error": ...}`` when that fit raised).
Comparing ``sha256`` across processes checks bit-identical results;
:func:`values` turns the hex strings back into floats.
"""

import hashlib
import json
import os
import subprocess
import sys

RIDGE_SOLVERS = ("direct", "cg", "gd", "nesterov", "auto")
SGD_SOLVERS = ("sgd", "minibatch", "sag", "saga", "svrg")


def make_estimator(solver, **params):
    """The estimator fitting ``solver`` with the seeded settings shared by these tests."""
    from ridgejit import Ridge, SGDRidge

    if solver in RIDGE_SOLVERS:
        return Ridge(solver=solver, tol=1e-10, max_iter=20_000, **params)
    return SGDRidge(solver=solver, batch_size=16, max_iter=4, tol=None, random_state=0, **params)


def tiny_data(n=50, p=3):
    """Seeded data small enough for pure-Python kernels (``NUMBA_DISABLE_JIT=1``)."""
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, p)) * [1.0, 3.0, 0.5][:p] + 2.0
    y = X @ np.arange(1.0, p + 1) + 0.3 * rng.standard_normal(n)
    return X, y, rng.uniform(0.5, 2.0, n)


def fingerprint(model):
    """``{"sha256", "values"}`` of ``coef_`` and ``intercept_`` as float64 bits."""
    import numpy as np

    values = np.concatenate([np.ravel(model.coef_), np.ravel(model.intercept_)]).astype(np.float64)
    return {"sha256": hashlib.sha256(values.tobytes()).hexdigest(), "values": [v.hex() for v in values]}


def values(report):
    """The floats of one solver's ``report`` entry."""
    return [float.fromhex(v) for v in report["values"]]


class ChildFits:
    """Seeded fits running in a child interpreter; :meth:`result` waits for them.

    Compiling kernels is single-threaded, so two children started together on
    a 2-core machine take about the wall time of one.

    Parameters
    ----------
    solvers : sequence of str
    env : dict, optional
        Added to this process's environment; a ``None`` value removes a variable.
    n, p : int
        The shape of :func:`tiny_data`.
    params : dict, optional
        Passed to every estimator.
    code : str, optional
        Python run with ``python -c code <tests dir>`` instead of this module's
        ``_main``; it must print the report as its last line of output.
    """

    def __init__(self, solvers=(), *, env=None, n=50, p=3, params=None, code=None):
        full_env = {k: v for k, v in dict(os.environ, **(env or {})).items() if v is not None}
        if code is None:
            spec = {"solvers": list(solvers), "n": n, "p": p, "params": params or {}}
            args = [sys.executable, os.path.abspath(__file__), json.dumps(spec)]
        else:
            args = [sys.executable, "-c", code, os.path.dirname(os.path.abspath(__file__))]
        self.proc = subprocess.Popen(args, env=full_env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self._done = None

    def result(self, timeout=300):
        """``(report, stdout + stderr)``; raises ``AssertionError`` when the child failed."""
        if self._done is None:
            try:
                out, err = self.proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise
            self._done = (self.proc.returncode, out, err)
        code, out, err = self._done
        if code != 0:
            raise AssertionError(f"child failed ({code}):\n{out}\n{err[-3000:]}")
        return json.loads(out.strip().splitlines()[-1]), out + err

    def kill(self):
        """Stop the child if it still runs (a test that failed before collecting it)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def run_fits(solvers, *, env=None, timeout=300, n=50, p=3, params=None):
    """Fit ``solvers`` in a fresh interpreter with ``env`` added to this one's environment
    (a ``None`` value removes a variable) and ``params`` passed to every estimator.
    Returns ``(report, stdout + stderr)``."""
    return ChildFits(solvers, env=env, n=n, p=p, params=params).result(timeout)


def fit_all(solvers, n=50, p=3, params=None):
    """``{solver: fingerprint}``; a solver whose fit raises gets ``{"error": "Type: message"}``."""
    X, y, sw = tiny_data(n, p)
    out = {}
    for solver in solvers:
        try:
            out[solver] = fingerprint(make_estimator(solver, **(params or {})).fit(X, y, sample_weight=sw))
        except Exception as exc:  # reported to the parent test, which decides
            out[solver] = {"error": f"{type(exc).__name__}: {exc}"}
    return out


def _main(spec):
    print(json.dumps(fit_all(spec["solvers"], spec["n"], spec["p"], spec.get("params"))))


if __name__ == "__main__":
    _main(json.loads(sys.argv[1]))
