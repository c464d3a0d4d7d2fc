"""Benchmark tooling shared by ``ridgejit compare`` and the asv suite (``benchmarks/``).

Layer: imports the public estimators (:mod:`ridgejit`, :mod:`ridgejit.cv`) and
:mod:`ridgejit.problem`; imported by :mod:`ridgejit.cli` and the benchmarks, never by
the library itself.

==============  ==============================================================
``compare.py``  seeded problems, ridgejit beside scikit-learn at equal data, the
                comparison table
``measure.py``  kernel timings and the fresh-process start-up measurement
``plot.py``     fit-time and gap-vs-time figures (matplotlib, optional)
==============  ==============================================================
"""
