"""Pure statistics for evalapp: sampling, estimation, scoring.

Numpy and SciPy only: nothing here imports Flask or a database, so other tools can call it and
its tests run alone.
"""

from analysis.sampling import allocate_proportional, draw_stratified_sample, roster_fingerprint

__all__ = ["allocate_proportional", "draw_stratified_sample", "roster_fingerprint"]
