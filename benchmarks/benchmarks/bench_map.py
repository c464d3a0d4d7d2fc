"""The performance map (``ridgejit compare --map``): ridgejit's default ``Ridge()`` against
scikit-learn at equal accuracy, cell by cell, as ratios (scikit-learn's time over ridgejit's).

``track_exact_ratio``: ``Ridge()`` against scikit-learn's fastest solver reaching the same gap;
``track_default_ratio``: ``Ridge(tol=g)``, ``g`` the gap of scikit-learn's default ``Ridge()``,
against it.  The races run once per asv run (``setup_cache``), best of 3 fits each, data and
warm-up outside every timing (:mod:`ridgejit.bench.perfmap`).  The quick profile races the
CI-sized grid, the full one the README's.
"""

from ridgejit.bench.perfmap import GRID, QUICK_GRID, cell_label, race_cell

from .common import PROFILE

CELLS = {cell_label(dict(zip(("n", "p", "kind", "density", "fit_intercept", "weighted"), c))): c
         for c in (QUICK_GRID if PROFILE == "quick" else GRID)}


class PerfMap:
    """Both races on every cell of the map."""

    params = (list(CELLS),)
    param_names = ["cell"]
    timeout = 3600

    def setup_cache(self):
        return {label: race_cell(*cell, repeats=3) for label, cell in CELLS.items()}

    def track_exact_ratio(self, races, cell):
        return races[cell]["exact_ratio"]

    track_exact_ratio.unit = "x sklearn fastest at equal gap"

    def track_default_ratio(self, races, cell):
        return races[cell]["default_ratio"]

    track_default_ratio.unit = "x sklearn default"

    def track_ridgejit_gap(self, races, cell):
        return races[cell]["ridgejit_gap"]

    track_ridgejit_gap.unit = "relative gap"
