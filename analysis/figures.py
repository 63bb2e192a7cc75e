"""Every published figure of a campaign, from its ballots and its rules: the one path that both
the app (evalapp.results.compute, from the stored ballots) and the recount (analysis.recount,
from the anonymised export) go through, so that a recount checks the published figures
against the same arithmetic instead of a second copy of it.

Ballots arrive as arrays of one subject (or of the whole campaign for the statuses); rater
groups arrive already cut into reporting cells by `analysis.disclosure_cells`, each ballot
carrying its cell's position. Nothing here knows group ids or labels, only cell positions.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from analysis.compare import GroupComparison, LevelTest, chi_square_levels, compare_groups
from analysis.estimates import Estimate, stratified_mean
from analysis.reliability import cronbach_alpha
from analysis.scoring import (
    NOT_ASKED,
    SatisfactionRates,
    ballot_scores,
    grade,
    has_points,
    item_points,
    satisfaction_rates,
    trimmed_mask,
    void_mask,
)

WEAKEST = 4  # items flagged as the weakest of a subject, besides those under 一般's points


class BallotStatus(enum.IntEnum):
    """A ballot's part in the figures. Valid = COUNTED or TRIMMED (not void)."""

    COUNTED = 0  # valid and entering the figures
    VOID_BLANK = 1  # too many items blank
    VOID_UNIFORM = 2  # every answered item the same level (when the campaign says so)
    TRIMMED = 3  # a subject's highest or lowest score, dropped (when the campaign says so)
    VOID_OVERVOTE = 4  # its ticket marked more candidates than a nomination allows


@dataclass(frozen=True)
class Rules:
    """A campaign's scoring settings (DOMAIN.md, "Default scoring"): `points` for 好, 较好,
    一般, 差; `grades` the lowest scores of 好, 较好 and 一般; `trim_above` None when the
    highest and lowest scores are kept."""

    points: tuple[float, float, float, float]
    void_blank_fraction: float
    void_uniform: bool
    trim_above: int | None
    grades: tuple[float, float, float]
    min_report_size: int

    def grade(self, score: float) -> str:
        excellent, good, fair = self.grades
        return str(grade(score, {"excellent": excellent, "good": good, "fair": fair}))

    def item_points(self, scales: Sequence[str]) -> np.ndarray:
        """Items × 4: the points of each level of items on these scales
        (`analysis.scoring.item_points`)."""
        return item_points(self.points, scales)


def scores_by_subject(levels: np.ndarray, subjects: np.ndarray,
                      tables: Mapping[int, np.ndarray]) -> np.ndarray:
    """Each ballot's score (`ballot_scores`) under its own subject's item points: `levels`
    ballots × items (the widest subject's), `subjects` each ballot's subject, `tables` each
    subject's items × 4 points (`Rules.item_points`), its rows the subject's first items."""
    scores = np.full(len(levels), np.nan)
    for subject, table in tables.items():
        mine = subjects == subject
        if mine.any():
            scores[mine] = ballot_scores(levels[mine, :len(table)], table)
    return scores


def ballot_statuses(levels: np.ndarray, subjects: np.ndarray, scores: np.ndarray, rules: Rules,
                    first: np.ndarray | None = None,
                    overvoted: np.ndarray | None = None) -> np.ndarray:
    """Each ballot's `BallotStatus` (int8 array) by the rules: void ones first (those
    `overvoted` marks, bool per ballot, as the opening of their ticket's box found them:
    `analysis.nomination`), then per subject the highest and lowest valid score dropped when
    `trim_above` says so.

    Among tied scores the trimming drops the first in array order; `first` (bool per ballot)
    puts the marked ballots ahead of the others, which is how a recount accepts whichever of
    tied ballots the published export marked as dropped, and no other."""
    status = np.full(len(levels), BallotStatus.COUNTED, dtype=np.int8)
    if not len(levels):
        return status
    void = void_mask(levels, rules.void_blank_fraction)
    status[void] = BallotStatus.VOID_BLANK
    if rules.void_uniform:
        status[void_mask(levels, 1.0, void_uniform=True) & ~void] = BallotStatus.VOID_UNIFORM
    if overvoted is not None:
        status[overvoted] = BallotStatus.VOID_OVERVOTE
    for subject in np.unique(subjects):
        valid = np.flatnonzero((subjects == subject) & (status == BallotStatus.COUNTED))
        if first is not None:
            valid = valid[np.argsort(~first[valid], kind="stable")]
        status[valid[trimmed_mask(scores[valid], rules.trim_above)]] = BallotStatus.TRIMMED
    return status


@dataclass(frozen=True)
class Figures:
    """The figures of a set of ballots that may be published: mean score, satisfaction rates,
    each item's mean points and each item's answers counted by place on its scale (a grade's
    votes among them)."""

    score: float | None
    satisfaction: SatisfactionRates | None
    item_means: tuple[float | None, ...]
    item_counts: tuple[tuple[int, int, int, int], ...]


@dataclass(frozen=True)
class ItemFigures:
    """One item's distribution. `counts` and `shares` follow the places of its `scale`
    (好, 较好, 一般, 差; or 满意, 基本满意, 不满意 and a 0), the shares among those who
    answered on the scale; `dont_know` counts 不了解, which is in no share, mean or test."""

    label: str
    scale: str
    mean_points: float | None
    counts: tuple[int, int, int, int]
    shares: tuple[float, float, float, float]
    dont_know: int
    weak: bool


@dataclass(frozen=True)
class Cell:
    """A reporting cell's part in the weighted scores: its people on the roster (a merged
    cell: its groups' together) and its policy weight (the sum of its groups'; 0 for none)."""

    population: int
    weight: float


class DesignNote(enum.Enum):
    """Why the design-weighted score is missing."""

    NONE = ""
    NO_VALID = "no valid ballots"
    ROSTER_SHORT = "a rater group has more ballots than people on its roster"


@dataclass(frozen=True)
class SubjectFigures:
    """One subject's published figures. `cells` follow the cells given, None where a cell is
    not reported (or the subject shows counts only); `cell_counted` the ballots entering each
    cell's figures."""

    returned: int
    counted: int
    void_blank: int
    void_uniform: int
    void_overvote: int
    trimmed: int
    score: float | None
    grade: str
    design: Estimate | None
    design_note: DesignNote
    policy_score: float | None
    satisfaction: SatisfactionRates | None
    items: tuple[ItemFigures, ...]
    cells: tuple[Figures | None, ...]
    cell_counted: tuple[int, ...]
    comparison: GroupComparison | None
    satisfaction_test: LevelTest | None


def subject_figures(
    levels: np.ndarray, satisfaction: np.ndarray, status: np.ndarray, scores: np.ndarray,
    cell: np.ndarray, cells: Sequence[Cell], reported: Sequence[bool], rules: Rules,
    labels: Sequence[str], scales: Sequence[str], figures: bool = True,
) -> SubjectFigures:
    """The figures of one subject's ballots: `levels` (ballots × the subject's items, 0-3 the
    place on the item's scale, -1 blank, -2 不了解), `scales` each item's scale,
    `satisfaction` (0 满意, 1 基本满意, 2 不满意, -1 blank), `status`
    (`BallotStatus`), `scores` (each ballot's mean points) and `cell` (each ballot's position
    in `cells`). `reported[i]` says whether cell i's own figures are published; `figures`
    False makes a subject that shows counts only (too few ballots entering its figures).

    Formulas: DOMAIN.md's scoring; the design-weighted score is `stratified_mean` over the
    cells (populations from `cells`), the policy-weighted score the cells' means weighted by
    their `weight`; the tests between reported cells are `compare_groups` (ballot scores) and
    `chi_square_levels` on `satisfied_or_not` (the satisfaction rates shown), with the cells
    in the order given."""
    counted = status == BallotStatus.COUNTED
    # a counted ballot with no answer on a scale (every item 不了解) has no score: it enters
    # the satisfaction rates and the distributions, and no score
    scored = counted & ~np.isnan(scores)
    shown = figures and bool(counted.any())
    table = rules.item_points(scales)
    score = float(scores[scored].mean()) if shown and scored.any() else None
    answers, entering = _item_answers(levels, status, table)

    def cell_figures(position: int) -> Figures | None:
        chosen = counted & (cell == position)
        if not (figures and reported[position]):
            return None
        with_score = chosen & scored
        counts, _, means = _level_counts(answers[entering & (cell == position)], table)
        return Figures(float(scores[with_score].mean()) if with_score.any() else None,
                       _rates(satisfaction[chosen]),
                       tuple(None if np.isnan(m) else float(m) for m in means),
                       tuple((int(a), int(b), int(c), int(d)) for a, b, c, d in counts))

    design, note = (_design_weighted(scores[scored], cell[scored], cells) if shown
                    else (None, DesignNote.NONE))
    comparison, satisfaction_test = (
        _between_cells(scores[counted], satisfaction[counted], cell[counted], reported)
        if figures else (None, None))
    return SubjectFigures(
        returned=len(status), counted=int(counted.sum()),
        void_blank=int((status == BallotStatus.VOID_BLANK).sum()),
        void_uniform=int((status == BallotStatus.VOID_UNIFORM).sum()),
        void_overvote=int((status == BallotStatus.VOID_OVERVOTE).sum()),
        trimmed=int((status == BallotStatus.TRIMMED).sum()),
        score=score, grade=rules.grade(score) if score is not None else "",
        design=design, design_note=note,
        policy_score=_policy_weighted(scores[scored], cell[scored], cells) if shown else None,
        satisfaction=_rates(satisfaction[counted]) if shown else None,
        items=_items(answers[entering], table, labels, scales) if shown else (),
        cells=tuple(cell_figures(position) for position in range(len(cells))),
        cell_counted=tuple(int((counted & (cell == p)).sum()) for p in range(len(cells))),
        comparison=comparison, satisfaction_test=satisfaction_test)


def satisfied_or_not(answers: np.ndarray) -> np.ndarray:
    """(satisfied or fairly satisfied, dissatisfied) among satisfaction `answers` (0 满意,
    1 基本满意, 2 不满意, -1 blank): the two sides of the satisfaction rate, which is what a
    test between groups or rounds must compare. A test on the three answers would find groups
    that all show 100% "very likely different" when one said 满意 and another 基本满意."""
    satisfied, fairly, dissatisfied = np.bincount(answers[answers >= 0], minlength=3)
    return np.array([satisfied + fairly, dissatisfied])


def ranks(scores: Sequence[float | None]) -> list[int | None]:
    """Each subject's rank by score, highest first (ties in the order given); None without a
    score."""
    ranked = sorted((i for i, s in enumerate(scores) if s is not None),
                    key=lambda i: -(scores[i] or 0))
    positions = {i: rank for rank, i in enumerate(ranked, start=1)}
    return [positions.get(i) for i in range(len(scores))]


def competition_ranks(values: Sequence[float | None]) -> list[int | None]:
    """Each value's rank, highest first, equal values sharing a rank and the next skipping
    (standard competition ranking: 1, 2, 2, 4); None without a value."""
    present = sorted((v for v in values if v is not None), reverse=True)
    first = {}
    for place, value in enumerate(present, start=1):
        first.setdefault(value, place)
    return [first[v] if v is not None else None for v in values]


def campaign_alpha(common_levels: np.ndarray, table: np.ndarray) -> float | None:
    """Cronbach's α over the common items of the valid ballots given (codes as
    `subject_figures` takes them) with the items' points (items × 4, `Rules.item_points`);
    None when it is undefined."""
    scored = has_points(table)
    common_levels, table = common_levels[:, scored], table[scored]
    if len(common_levels) < 2 or not common_levels.shape[1]:
        return None
    # the points of each answer, NaN where blank or 不了解
    picked = table[np.arange(common_levels.shape[1]), np.clip(common_levels, 0, 3)]
    matrix = np.where(common_levels >= 0, picked, np.nan)
    try:
        return cronbach_alpha(matrix)
    except ValueError:
        return None


def _between_cells(scores: np.ndarray, satisfaction: np.ndarray, cell: np.ndarray,
                   reported: Sequence[bool]) -> tuple[GroupComparison | None, LevelTest | None]:
    """Scores (rank test) and satisfaction rates (chi-square on satisfied or fairly satisfied
    against dissatisfied: the rate each cell shows) between the reported cells;
    nothing when fewer than two are, or when a test has nothing to work on. The ballots are
    put in cell order first, so that the rank-biserial r's sign (which follows the order in
    which groups appear) is the same whatever order the ballots were stored in. Ballots
    without a score (NaN) are in the rates' test only."""
    comparable = [p for p, shown in enumerate(reported) if shown]
    if len(comparable) < 2:
        return None, None
    keep = np.flatnonzero(np.isin(cell, comparable) & ~np.isnan(scores))
    keep = keep[np.argsort(cell[keep], kind="stable")]
    try:
        comparison = compare_groups(scores[keep], cell[keep].tolist())
    except ValueError:
        comparison = None
    table = [satisfied_or_not(satisfaction[cell == p]) for p in comparable]
    try:
        return comparison, chi_square_levels(table)
    except ValueError:
        return comparison, None


def _design_weighted(scores: np.ndarray, strata: np.ndarray,
                     cells: Sequence[Cell]) -> tuple[Estimate | None, DesignNote]:
    """Each reporting cell weighted by its roster size, so that the weighting isolates no group
    inside a cell. Cells without valid ballots cannot be weighted and are left out; a roster
    smaller than the ballots makes the weighting meaningless, so none is given."""
    present = {p: int((strata == p).sum()) for p in range(len(cells))}
    present = {p: n for p, n in present.items() if n}
    if not present:
        return None, DesignNote.NO_VALID
    if any(cells[p].population < n for p, n in present.items()):
        return None, DesignNote.ROSTER_SHORT
    return stratified_mean(scores, strata, {p: cells[p].population for p in present}), (
        DesignNote.NONE)


def _policy_weighted(scores: np.ndarray, strata: np.ndarray,
                     cells: Sequence[Cell]) -> float | None:
    """The cells' means weighted by policy. Cells without a weight or without valid ballots
    are left out."""
    means = {p: float(scores[strata == p].mean()) for p, c in enumerate(cells)
             if c.weight and (strata == p).any()}
    if not means:
        return None
    return (sum(cells[p].weight * mean for p, mean in means.items())
            / sum(cells[p].weight for p in means))


def _item_answers(levels: np.ndarray, status: np.ndarray,
                  table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The answers that enter the items' figures, and the ballots they come from: every
    answer of a counted ballot; of a ballot trimmed for its score, only its votes for grades
    (items without points), which trimming, a rule of scores, does not take away (its other
    answers are made not asked); nothing of a void ballot."""
    trimmed = status == BallotStatus.TRIMMED
    answers = levels.copy()
    answers[np.ix_(trimmed, has_points(table))] = NOT_ASKED
    return answers, (status == BallotStatus.COUNTED) | trimmed


def _rates(codes: np.ndarray) -> SatisfactionRates | None:
    try:
        return satisfaction_rates(codes)
    except ValueError:
        return None


def _level_counts(answers: np.ndarray,
                  table: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per item: the count of each level, the count of 不了解, and the mean points (NaN
    where nobody answered on the scale)."""
    width = answers.shape[1]
    # one pass: each answer (-3 not asked, -2 不了解, -1 blank, 0-3) binned by (item, code)
    binned = np.bincount((answers.astype(np.intp) + 3 + 7 * np.arange(width)).ravel(),
                         minlength=7 * width).reshape(width, 7)
    counts = binned[:, 3:]
    totals = counts.sum(axis=1)
    means = np.divide((counts * np.nan_to_num(table)).sum(axis=1), totals,
                      out=np.full(width, np.nan), where=(totals > 0) & has_points(table))
    return counts, binned[:, 1], means


def _items(answers: np.ndarray, table: np.ndarray, labels: Sequence[str],
           scales: Sequence[str]) -> tuple[ItemFigures, ...]:
    """Each item's figures; weak: among the `WEAKEST` means, or under the points of its
    scale's last level but one (一般, or 基本满意)."""
    counts, dont_know, means = _level_counts(answers, table)
    totals = counts.sum(axis=1)
    shares = np.divide(counts, totals[:, None], out=np.zeros_like(counts, dtype=float),
                       where=totals[:, None] > 0)
    order = np.argsort(np.where(np.isnan(means), np.inf, means), kind="stable")
    weakest = set(order[:WEAKEST].tolist()) & set(np.flatnonzero(~np.isnan(means)).tolist())
    places = (~np.isnan(table)).sum(axis=1)
    bar = table[np.arange(len(table)), places - 2]
    return tuple(
        ItemFigures(label, scale, None if np.isnan(means[i]) else float(means[i]),
                    (int(counts[i][0]), int(counts[i][1]), int(counts[i][2]),
                     int(counts[i][3])),
                    (float(shares[i][0]), float(shares[i][1]), float(shares[i][2]),
                     float(shares[i][3])),
                    int(dont_know[i]),
                    i in weakest or (not np.isnan(means[i]) and means[i] < bar[i]))
        for i, (label, scale) in enumerate(zip(labels, scales, strict=True))
    )
