"""Pure statistics for evalapp: sampling, estimation, reliability, comparison, scoring and
disclosure control.

Numpy and SciPy only: nothing here imports Flask or a database, so other tools can call it and
its tests run alone.
"""

from analysis.commitment import DrawCheck, DrawCommitment, DrawRecord, check_draw
from analysis.compare import GroupComparison, LevelTest, chi_square_levels, compare_groups
from analysis.disclosure import Disclosure, disclosure_cells
from analysis.estimates import Estimate, stratified_mean, stratified_proportion, wilson_interval
from analysis.reliability import cronbach_alpha, item_total_correlations
from analysis.sampling import allocate_proportional, draw_stratified_sample, roster_fingerprint
from analysis.scoring import (
    SatisfactionRates,
    allowed_blank,
    ballot_scores,
    grade,
    satisfaction_rates,
    trimmed_mask,
    void_mask,
)

__all__ = [
    "Disclosure",
    "DrawCheck",
    "DrawCommitment",
    "DrawRecord",
    "Estimate",
    "GroupComparison",
    "LevelTest",
    "SatisfactionRates",
    "allocate_proportional",
    "allowed_blank",
    "ballot_scores",
    "check_draw",
    "chi_square_levels",
    "compare_groups",
    "cronbach_alpha",
    "disclosure_cells",
    "draw_stratified_sample",
    "grade",
    "item_total_correlations",
    "roster_fingerprint",
    "satisfaction_rates",
    "stratified_mean",
    "stratified_proportion",
    "trimmed_mask",
    "void_mask",
    "wilson_interval",
]
