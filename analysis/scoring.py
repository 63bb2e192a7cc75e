"""Scores, void ballots, grades and satisfaction rates, as DOMAIN.md defines them; vectorised
over ballots."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from analysis.estimates import wilson_interval

# An answer's code: its place on the item's scale (0 the best), or one of these.
BLANK = -1  # left blank: missing, and counted by the void rule
DONT_KNOW = -2  # 不了解: an answer, shown in the distribution, in no score, rate or test
NOT_ASKED = -3  # no such item on this ballot (its subject has fewer individual items)
DEFAULT_POINTS = (100, 80, 60, 40)  # 好, 较好, 一般, 差
DEFAULT_THRESHOLDS = {"excellent": 90, "good": 80, "fair": 60}
GRADES = ("excellent", "good", "fair", "poor")  # 好, 较好, 一般, 差
# The answer scales an item may have, with the places of the four-level points each level
# scores: 满意 as 好, 基本满意 as 较好, 不满意 as 差 (a satisfaction item weighs in a
# subject's score as the matching level would, under the campaign's one set of points). The
# grades of 干部考核 (优秀, 称职, 基本称职, 不称职) are votes (`analysis.grading`), in no
# score: their four answers have no points; nor have the marks of a nomination (推荐, 未推荐:
# `analysis.nomination`).
SCALE_POINTS = {"levels": (0, 1, 2, 3), "satisfaction": (0, 1, 3), "grades": (),
                "nomination": ()}
# The scales whose answers are votes (no points): counted, and in no score, mean or alpha.
VOTE_SCALES = tuple(scale for scale, places in SCALE_POINTS.items() if not places)


def _levels(levels: np.ndarray | Sequence[Sequence[int]]) -> np.ndarray:
    data = np.asarray(levels, dtype=int)
    if data.ndim != 2:
        raise ValueError("expected ballots × items level codes")
    if np.any((data < NOT_ASKED) | (data > 3)):
        raise ValueError("level codes are 0-3 (好 to 差), -1 blank, -2 不了解 or -3 not asked")
    return data


def item_points(points: Sequence[float], scales: Sequence[str]) -> np.ndarray:
    """The points of each level of each item: items × 4, NaN where an item's scale has no
    such level. `points` are the campaign's four (好, 较好, 一般, 差); `scales` name each
    item's scale (keys of `SCALE_POINTS`). Raises ValueError on an unknown scale."""
    if len(points) != 4:
        raise ValueError("points are four values, for 好, 较好, 一般 and 差")
    table = np.full((len(scales), 4), np.nan)
    for row, scale in enumerate(scales):
        if scale not in SCALE_POINTS:
            raise ValueError(f"unknown scale {scale!r}")
        places = SCALE_POINTS[scale]
        table[row, :len(places)] = [points[place] for place in places]
    return table


def has_points(table: np.ndarray) -> np.ndarray:
    """Per item of an `item_points` table, whether its answers have points: not the grades
    of 干部考核, whose votes enter no score, mean or alpha."""
    return ~np.isnan(table).all(axis=1)


def ballot_scores(
    levels: np.ndarray | Sequence[Sequence[int]],
    points: Sequence[float] | np.ndarray = DEFAULT_POINTS,
) -> np.ndarray:
    """Each ballot's score: the mean points of its answered items (a blank is missing, not
    zero; 不了解 is no answer on the scale); NaN for a ballot with nothing answered.
    `points`: the four of 好..差 for every item, or an items × 4 table (`item_points`)."""
    data = _levels(levels)
    table = np.asarray(points, dtype=float)
    if table.ndim == 1:
        table = item_points(table, ["levels"] * data.shape[1])
    if table.shape != (data.shape[1], 4):
        raise ValueError("points are four values or a table of items × 4")
    picked = table[np.arange(data.shape[1]), np.clip(data, 0, 3)]
    answered = (data >= 0) & ~np.isnan(picked)  # an answer with points: not a grade's vote
    totals = np.where(answered, picked, 0.0).sum(axis=1)
    counts = answered.sum(axis=1)
    return np.divide(totals, counts, out=np.full(len(data), np.nan), where=counts > 0)


def void_mask(
    levels: np.ndarray | Sequence[Sequence[int]],
    blank_fraction: float = 0.25,
    void_uniform: bool = False,
) -> np.ndarray:
    """Void ballots: more than `blank_fraction` of the items asked left blank (不了解 is an
    answer, not a blank); and, when `void_uniform`, ballots whose answered items (at least
    two, 不了解 aside) all sit at the same place of their scales, blanks aside."""
    data = _levels(levels)
    answered = data >= 0
    asked = (data != NOT_ASKED).sum(axis=1)
    blank = (data == BLANK).sum(axis=1)
    void = np.divide(blank, asked, out=np.zeros(len(data)), where=asked > 0) > blank_fraction
    if void_uniform:
        highest = np.where(answered, data, -1).max(axis=1)
        lowest = np.where(answered, data, 4).min(axis=1)
        void |= (answered.sum(axis=1) >= 2) & (highest == lowest)
    return void


def allowed_blank(items: int, blank_fraction: float = 0.25) -> int:
    """The most of a ballot's `items` (at least one) that may be blank without `void_mask`
    voiding it: the largest k with k / items <= `blank_fraction`, computed as `void_mask`
    compares, so the two never disagree on a boundary (7 of 28 at 25%)."""
    if items < 1:
        raise ValueError("a ballot has at least one item")
    return max(k for k in range(items + 1) if k / items <= blank_fraction)


def trimmed_mask(scores: Sequence[float] | np.ndarray, trim_above: int | None) -> np.ndarray:
    """Ballots dropped by the optional rule "with more than `trim_above` raters, drop the
    highest and the lowest score": one of each (the first where tied); NaN scores never."""
    values = np.asarray(scores, dtype=float)
    dropped = np.zeros(len(values), dtype=bool)
    valid = ~np.isnan(values)
    if trim_above is None or valid.sum() <= trim_above:
        return dropped
    candidates = np.where(valid, values, np.nan)
    dropped[int(np.nanargmax(candidates))] = True
    dropped[int(np.nanargmin(candidates))] = True
    return dropped


def grade(score: float | Sequence[float] | np.ndarray,
          thresholds: Mapping[str, float] | None = None) -> str | np.ndarray:
    """The grade (等次) of a score: "excellent" (好) ≥ 90, "good" (较好) ≥ 80, "fair" (一般)
    ≥ 60, else "poor" (差), or the given thresholds. An array gives an array, with "" for
    NaN; a single NaN is an error."""
    limits = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    cuts = [limits["excellent"], limits["good"], limits["fair"]]
    if not cuts[0] > cuts[1] > cuts[2]:
        raise ValueError("thresholds must fall from excellent to fair")
    values = np.asarray(score, dtype=float)
    names = np.array(GRADES, dtype=object)
    index = np.select([values >= cuts[0], values >= cuts[1], values >= cuts[2]], [0, 1, 2], 3)
    graded = np.where(np.isnan(values), "", names[index])
    if values.ndim == 0:
        if np.isnan(values):
            raise ValueError("no score, no grade")
        return str(graded)
    return graded


@dataclass(frozen=True)
class SatisfactionRates:
    answered: int
    satisfied: int
    fairly_satisfied: int
    dissatisfied: int
    rate: float
    rate_interval: tuple[float, float]
    strict_rate: float
    strict_interval: tuple[float, float]
    formula_zh: str = ("满意率 =（满意 + 基本满意）÷ 作答该题的有效票数；"
                       "严格满意率 = 满意 ÷ 作答该题的有效票数")
    formula_en: str = ("satisfaction rate = (satisfied + fairly satisfied) ÷ valid ballots that "
                       "answered the question; strict rate = satisfied ÷ the same")


def satisfaction_rates(
    codes: Sequence[int] | np.ndarray, confidence: float = 0.95
) -> SatisfactionRates:
    """Codes 0 满意, 1 基本满意, 2 不满意, -1 blank (not in the denominator)."""
    data = np.asarray(codes, dtype=int)
    if np.any((data < BLANK) | (data > 2)):
        raise ValueError("satisfaction codes are 0, 1, 2 or -1 (blank)")
    tallies = np.bincount(data[data != BLANK], minlength=3)
    return rates_of_counts(int(tallies[0]), int(tallies[1]), int(tallies[2]), confidence)


def rates_of_counts(satisfied: int, fairly_satisfied: int, dissatisfied: int,
                    confidence: float = 0.95) -> SatisfactionRates:
    """The rates of answers already counted (满意, 基本满意, 不满意): pooled counts of many
    subjects (`analysis.rollup`). Raises ValueError when nobody answered."""
    answered = satisfied + fairly_satisfied + dissatisfied
    if answered == 0:
        raise ValueError("nobody answered the satisfaction question")
    content = satisfied + fairly_satisfied
    return SatisfactionRates(
        answered, satisfied, fairly_satisfied, dissatisfied,
        content / answered, wilson_interval(content, answered, confidence),
        satisfied / answered, wilson_interval(satisfied, answered, confidence),
    )
