"""The analysis package's statistics, against values worked by hand (the arithmetic is written
out) and against SciPy called directly."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from analysis import (
    allowed_blank,
    ballot_scores,
    chi_square_levels,
    compare_groups,
    cronbach_alpha,
    disclosure_cells,
    grade,
    item_total_correlations,
    satisfaction_rates,
    stratified_mean,
    stratified_proportion,
    trimmed_mask,
    void_mask,
    wilson_interval,
)


def test_wilson_interval_known_values():
    # p = .9, z² = 3.8415: centre (0.9 + 0.19208)/1.38415 = 0.78898,
    # half 1.95996·√(0.009 + 0.0096039)/1.38415 = 0.19314
    assert wilson_interval(9, 10) == pytest.approx((0.5958, 0.9821), abs=5e-5)
    low, high = wilson_interval(0, 20)
    assert low == 0 and high == pytest.approx(0.16113, abs=5e-5)  # z²/(n+z²)
    assert wilson_interval(20, 20)[1] == 1
    assert wilson_interval(45, 50, 0.99)[0] < wilson_interval(45, 50)[0]


@pytest.mark.parametrize(("successes", "n"), [(1, 0), (-1, 5), (6, 5)])
def test_wilson_interval_rejects_impossible_counts(successes, n):
    with pytest.raises(ValueError):
        wilson_interval(successes, n)


def test_stratified_mean_worked_by_hand():
    # A: N=100, y = 1, 2, 3 (mean 2, s² 1); B: N=50, y = 4, 6 (mean 5, s² 2)
    # W = 2/3, 1/3; ȳ = 4/3 + 5/3 = 3
    # Var = (4/9)(1 − 3/100)(1/3) + (1/9)(1 − 2/50)(2/2) = 0.1437037 + 0.1066667 = 0.2503704
    estimate = stratified_mean([1, 2, 3, 4, 6], ["A", "A", "A", "B", "B"], {"A": 100, "B": 50})
    assert estimate.estimate == pytest.approx(3.0)
    assert estimate.se == pytest.approx(math.sqrt(0.2503704), rel=1e-6)
    assert estimate.df == 3 and estimate.n == 5 and estimate.lonely_strata == ()
    half = stats.t.ppf(0.975, 3) * math.sqrt(0.2503704)  # t(3) = 3.182446
    assert (estimate.ci_low, estimate.ci_high) == pytest.approx((3 - half, 3 + half), rel=1e-6)


def test_stratified_mean_drops_missing_values_and_reports_a_lonely_stratum():
    estimate = stratified_mean([1, 3, np.nan, 10], ["A", "A", "A", "B"], {"A": 10, "B": 10})
    assert estimate.estimate == pytest.approx(0.5 * 2 + 0.5 * 10)
    # only A contributes variance: (1/4)(1 − 2/10)(2/2) = 0.2
    assert estimate.se == pytest.approx(math.sqrt(0.2))
    assert estimate.lonely_strata == ("B",) and estimate.df == 1
    assert not math.isnan(estimate.ci_low)


def test_stratified_mean_of_a_whole_population_has_no_sampling_error():
    estimate = stratified_mean([1, 2, 3, 4], ["A", "A", "B", "B"], {"A": 2, "B": 2})
    assert estimate.se == 0 and estimate.ci_low == estimate.ci_high == 2.5


def test_every_stratum_of_one_gives_the_point_itself():
    estimate = stratified_mean([1.0, 5.0], ["A", "B"], {"A": 10, "B": 30})
    assert (estimate.estimate, estimate.se, estimate.df) == (4.0, 0.0, 0)
    assert estimate.ci_low == estimate.ci_high == 4.0 and estimate.lonely_strata == ("A", "B")


@pytest.mark.parametrize(("values", "strata", "sizes"), [
    ([1, 2], ["A", "C"], {"A": 5}),  # unknown stratum
    ([1, 2], ["A", "A"], {"A": 5, "B": 5}),  # B has nobody
    ([1, 2, 3], ["A", "A", "A"], {"A": 2}),  # more respondents than people
    ([1, 2], ["A"], {"A": 5}),  # lengths differ
])
def test_stratified_mean_rejects_what_cannot_be_estimated(values, strata, sizes):
    with pytest.raises(ValueError):
        stratified_mean(values, strata, sizes)


def test_stratified_proportion():
    # A: 2 of 4 (N 40), B: 3 of 3 (N 20): p = (2/3)(0.5) + (1/3)(1) = 2/3
    # Var = (4/9)(1 − 4/40)(1/3)/4 + (1/9)(1 − 3/20)(0)/3 = 0.0333333
    estimate = stratified_proportion([1, 0, 1, 0, 1, 1, 1], list("AAAABBB"), {"A": 40, "B": 20})
    assert estimate.estimate == pytest.approx(2 / 3)
    assert estimate.se == pytest.approx(math.sqrt(4 / 9 * 0.9 * (1 / 3) / 4))


MATRIX = np.array([[4, 4, 3], [3, 3, 3], [2, 3, 1], [4, 3, 4], [1, 2, 1]], dtype=float)


def test_cronbach_alpha_by_the_formula():
    item_variances = MATRIX.var(axis=0, ddof=1).sum()  # 1.7 + 0.5 + 1.8 = 4.0
    total_variance = MATRIX.sum(axis=1).var(ddof=1)  # totals 11 9 6 11 4: 9.7
    assert (item_variances, total_variance) == pytest.approx((4.0, 9.7))
    assert cronbach_alpha(MATRIX) == pytest.approx(1.5 * (1 - 4.0 / 9.7))
    with_missing = np.vstack([MATRIX, [np.nan, 1, 1]])  # listwise: the last row is dropped
    assert cronbach_alpha(with_missing) == pytest.approx(cronbach_alpha(MATRIX))


def test_item_total_correlations_against_numpy():
    expected = [np.corrcoef(MATRIX[:, i], MATRIX.sum(axis=1) - MATRIX[:, i])[0, 1]
                for i in range(3)]
    assert item_total_correlations(MATRIX) == pytest.approx(expected)
    constant = np.column_stack([MATRIX, np.ones(5)])
    result = item_total_correlations(constant)
    assert np.isnan(result[3]) and not np.isnan(result[:3]).any()


@pytest.mark.parametrize("matrix", [[[1, 2]], [[1], [2]], [[2, 2], [2, 2]]])
def test_reliability_needs_two_items_two_respondents_and_variance(matrix):
    with pytest.raises(ValueError):
        cronbach_alpha(matrix)


def test_compare_two_groups_with_mann_whitney():
    a, b = [90, 85, 88, 92, 95], [70, 75, 80, 72, 85, 78]
    result = compare_groups(a + b, ["机关"] * 5 + ["基层"] * 6)
    direct = stats.mannwhitneyu(a, b, alternative="two-sided")
    assert result.test == "mann-whitney"
    assert (result.statistic, result.p_value) == pytest.approx((direct.statistic, direct.pvalue))
    assert result.effect_size == pytest.approx(1 - 2 * direct.statistic / 30)
    assert result.group_sizes == {"机关": 5, "基层": 6}
    assert result.group_medians == {"机关": 90, "基层": 76.5}
    assert result.significant and result.effect_class == "large" and not result.approximate


def test_compare_three_groups_with_kruskal_wallis():
    groups = {"A": [1, 2, 2, 3, 3], "B": [2, 3, 3, 4, 4], "C": [1, 1, 2, 2, np.nan]}
    values = [v for vs in groups.values() for v in vs]
    labels = [g for g, vs in groups.items() for _ in vs]
    result = compare_groups(values, labels)
    direct = stats.kruskal(groups["A"], groups["B"], groups["C"][:4])
    assert result.test == "kruskal-wallis"
    assert result.p_value == pytest.approx(direct.pvalue)
    assert result.effect_size == pytest.approx(direct.statistic / (14 - 1))
    assert result.group_sizes["C"] == 4


def test_comparison_needs_two_groups():
    with pytest.raises(ValueError):
        compare_groups([1, 2, 3], ["A", "A", "A"])


def test_chi_square_on_level_counts():
    table = [[30, 10, 5, 0], [20, 20, 10, 0], [0, 0, 0, 0]]  # empty row and column dropped
    result = chi_square_levels(table)
    statistic, p_value, dof, _ = stats.chi2_contingency([[30, 10, 5], [20, 20, 10]],
                                                        correction=False)
    assert (result.statistic, result.p_value, result.dof) == pytest.approx(
        (statistic, p_value, dof))
    assert result.cramers_v == pytest.approx(math.sqrt(statistic / (95 * 1)))
    assert not result.low_expected
    assert chi_square_levels([[3, 1], [1, 3]]).low_expected


def test_ballot_scores_treat_blanks_as_missing():
    # 好, 较好, blank, 差 -> (100 + 80 + 40)/3; all blank -> NaN
    scores = ballot_scores([[0, 1, -1, 3], [-1, -1, -1, -1], [2, 2, 2, 2]])
    assert scores[0] == pytest.approx(220 / 3)
    assert np.isnan(scores[1]) and scores[2] == 60
    assert ballot_scores([[0, 3]], points=(10, 8, 6, 4))[0] == 7


def test_void_rules():
    levels = [
        [0, 0, 0, -1],  # 1 of 4 blank: exactly a quarter, valid
        [0, 1, -1, -1],  # half blank: void
        [1, 1, 1, 1],  # uniform: void only under the optional rule
        [2, -1, 2, 2],  # uniform among answered: void under the rule
    ]
    assert void_mask(levels).tolist() == [False, True, False, False]
    assert void_mask(levels, void_uniform=True).tolist() == [True, True, True, True]


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.25, 1 / 3, 0.5, 0.99])
@pytest.mark.parametrize("items", [1, 3, 4, 7, 28, 29, 56])
def test_the_blanks_a_ballot_may_have_are_those_void_mask_lets_through(items, fraction):
    """What the paper ballot and the phone say ("more than k of n blank voids it") is what
    the count does, at every boundary."""
    allowed = allowed_blank(items, fraction)
    ballots = [[-1] * blanks + [0, 1] * items for blanks in range(items + 1)]
    void = void_mask([ballot[:items] for ballot in ballots], fraction).tolist()
    assert void == [blanks > allowed for blanks in range(items + 1)]
    assert allowed_blank(28, 0.25) == 7


def test_trimming_drops_one_highest_and_one_lowest_only_above_the_threshold():
    scores = [80, 95, 60, np.nan, 95, 60]
    assert trimmed_mask(scores, None).tolist() == [False] * 6
    assert trimmed_mask(scores, 5).tolist() == [False] * 6  # 5 valid, not more than 5
    assert trimmed_mask(scores, 4).tolist() == [False, True, True, False, False, False]


def test_grades():
    assert [grade(s) for s in (97.12, 90, 89.99, 80, 60, 59.9)] == [
        "excellent", "excellent", "good", "good", "fair", "poor"]
    assert grade(85, {"excellent": 85}) == "excellent"
    assert grade(np.array([95.0, np.nan, 50])).tolist() == ["excellent", "", "poor"]
    with pytest.raises(ValueError):
        grade(float("nan"))


def cells(groups: dict[str, tuple[int, int]], minimum: int = 5, merge: bool = True):
    """`groups`: (returned, entering) per group."""
    return disclosure_cells({g: r for g, (r, _e) in groups.items()},
                            {g: e for g, (_r, e) in groups.items()}, minimum, merge)


def test_small_groups_merge_into_one_cell_that_reaches_the_minimum():
    one = cells({"A": (10, 10), "B": (2, 2), "C": (7, 7), "D": (9, 9)})
    # B alone would be the total minus the rest, so the smallest shown group, C, joins it
    assert (one.cells, one.merged, one.figures) == (
        (("A",), ("D",), ("B", "C")), ("B", "C"), True)
    assert one.hidden == {"B", "C"} and one.cell_of("C") == ("B", "C")
    two = cells({"A": (10, 10), "B": (4, 4), "C": (3, 3)})
    assert two.cells == (("A",), ("B", "C")) and two.reported == two.cells  # 7 ≥ 5: enough
    assert cells({"A": (10, 10), "B": (2, 2), "C": (1, 1)}).cells == (("A", "B", "C"),)
    assert cells({"A": (2, 2), "B": (6, 6), "C": (6, 6)}).cells == (("C",), ("A", "B"))  # tie
    zero = cells({"A": (10, 10), "B": (0, 0), "C": (8, 8)})  # a zero reveals nobody
    assert (zero.cells, zero.merged, zero.cell_of("B")) == ((("A",), ("C",)), (), None)


def test_both_counts_decide_which_groups_are_small():
    # 6 returned but 3 entering (3 void or trimmed): small, and A must join it
    assert cells({"A": (10, 10), "B": (6, 3)}).cells == (("A", "B"),)
    # all 5 entering, 4 returned is impossible; 5 returned with one trimmed is small
    assert cells({"A": (6, 6), "B": (5, 4)}).merged == ("A", "B")
    # 2 valid ballots of A beside 3 void of B: 5 returned, yet only A's enter: counts only
    counts_only = cells({"A": (2, 2), "B": (3, 0)})
    assert counts_only.figures is False and counts_only.reported == ()
    assert counts_only.cell_of("A") is None
    assert cells({"A": (4, 4)}, minimum=3).cells == (("A",),)  # the minimum is the campaign's


def test_unmerged_setting_only_hides_small_groups():
    naive = cells({"A": (10, 10), "B": (2, 2), "C": (1, 0)}, merge=False)
    assert naive.cells == (("A",), ("B",), ("C",)) and naive.merged == ()
    assert naive.hidden == {"B", "C"} and naive.reported == (("A",),) and naive.figures


def test_disclosure_refuses_impossible_input():
    with pytest.raises(ValueError, match="never below 3"):
        cells({"A": (1, 1)}, minimum=2)
    with pytest.raises(ValueError, match="between 0 and those returned"):
        cells({"A": (1, 2)})
    with pytest.raises(ValueError, match="same groups"):
        disclosure_cells({"A": 1}, {"B": 1}, 5)


def test_satisfaction_rates_and_their_formula():
    rates = satisfaction_rates([0] * 7 + [1] * 2 + [2] + [-1] * 3)
    assert (rates.answered, rates.satisfied, rates.fairly_satisfied, rates.dissatisfied) == (
        10, 7, 2, 1)
    assert rates.rate == 0.9 and rates.strict_rate == 0.7
    assert rates.rate_interval == pytest.approx(wilson_interval(9, 10))
    assert "作答该题的有效票数" in rates.formula_zh
    # the cautionary tale: every vote 不满意 gives 0%, not 50%
    assert satisfaction_rates([2, 2, 2]).rate == 0
    with pytest.raises(ValueError):
        satisfaction_rates([-1, -1])
