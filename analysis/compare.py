"""Are the rater groups' ratings different by more than chance? The answer is structured (the
test, p, whether it is significant, how large the effect is); the app words it for readers,
through its translation catalogue."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from analysis._arrays import labelled_values

# scipy.stats is imported by the two tests when they run: importing it costs about half a
# second at the start of every server worker and command, most of which compare nothing.

SIGNIFICANCE = 0.05  # the one significance level of every test the app reports
# Conventional cut-offs (Cohen) for |r|, ε² and Cramér's V alike: small / moderate / large.
EFFECT_CUTOFFS = (0.1, 0.3, 0.5)
# Below this many answers in a group (or expected in a cell) a test is only approximate.
APPROXIMATE_BELOW = 5


@dataclass(frozen=True)
class GroupComparison:
    test: str  # "mann-whitney" or "kruskal-wallis"
    statistic: float
    p_value: float
    effect_size: float
    effect_size_name: str
    group_sizes: dict
    group_medians: dict
    effect_class: str  # "large", "moderate", "small" or "negligible" (EFFECT_CUTOFFS)
    approximate: bool  # some group has fewer than APPROXIMATE_BELOW values

    @property
    def significant(self) -> bool:
        return self.p_value < SIGNIFICANCE


@dataclass(frozen=True)
class LevelTest:
    statistic: float
    p_value: float
    dof: int
    cramers_v: float
    low_expected: bool  # some expected count is under APPROXIMATE_BELOW: approximate
    effect_class: str  # of Cramér's V, as for GroupComparison

    @property
    def significant(self) -> bool:
        return self.p_value < SIGNIFICANCE

    @property
    def approximate(self) -> bool:
        return self.low_expected


def effect_class(effect: float) -> str:
    """How large an effect size is, by EFFECT_CUTOFFS: "large", "moderate", "small" or
    "negligible"."""
    small, moderate, large = EFFECT_CUTOFFS
    size = abs(effect)
    if size >= large:
        return "large"
    if size >= moderate:
        return "moderate"
    return "small" if size >= small else "negligible"


def compare_groups(values: Sequence[float], groups: Sequence[Hashable]) -> GroupComparison:
    """Mann-Whitney U for two groups, Kruskal-Wallis H for more: rank tests, because ratings
    on a four-point scale are ordinal, not interval.

    Effect sizes: for two groups the rank-biserial r = 1 − 2U/(n₁n₂), with U that of the
    first group in order of appearance (negative when the first group tends to give higher
    values, positive when lower); for more groups ε² = H/(n − 1).
    """
    y, labels = labelled_values(values, groups, "groups")
    order = list(dict.fromkeys(labels.tolist()))
    if len(order) < 2:
        raise ValueError("a comparison needs at least two groups with data")
    samples = [y[labels == label] for label in order]
    sizes = {label: len(sample) for label, sample in zip(order, samples, strict=True)}
    medians = {label: float(np.median(sample)) for label, sample in
               zip(order, samples, strict=True)}
    from scipy import stats

    if len(order) == 2:
        result = stats.mannwhitneyu(samples[0], samples[1], alternative="two-sided")
        effect = 1 - 2 * float(result.statistic) / (len(samples[0]) * len(samples[1]))
        test, name = "mann-whitney", "rank-biserial r"
    else:
        if np.all(y == y[0]):
            raise ValueError("every value is the same: nothing to compare")
        result = stats.kruskal(*samples)
        effect = float(result.statistic) / (len(y) - 1)
        test, name = "kruskal-wallis", "epsilon-squared"
    p_value = float(result.pvalue) if not np.isnan(result.pvalue) else 1.0
    return GroupComparison(test, float(result.statistic), p_value, float(effect), name, sizes,
                           medians, effect_class(effect),
                           approximate=min(sizes.values()) < APPROXIMATE_BELOW)


def chi_square_levels(counts: Sequence[Sequence[int]] | np.ndarray) -> LevelTest:
    """Chi-square test of independence of group and answer level on a groups × levels table;
    effect: Cramér's V. Empty rows and columns are dropped first; no continuity correction
    (it only applies to 2 × 2 tables and makes them conservative)."""
    table = np.asarray(counts, dtype=float)
    if table.ndim != 2 or np.any(table < 0) or np.any(table != np.round(table)):
        raise ValueError("expected a table of non-negative whole counts")
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if min(table.shape) < 2:
        raise ValueError("the table needs two groups and two levels with answers")
    from scipy import stats

    statistic, p_value, dof, expected = stats.chi2_contingency(table, correction=False)
    n = table.sum()
    cramers_v = float(np.sqrt(statistic / (n * (min(table.shape) - 1))))
    low = bool(np.any(expected < APPROXIMATE_BELOW))
    return LevelTest(float(statistic), float(p_value), int(dof), cramers_v, low,
                     effect_class(cramers_v))
