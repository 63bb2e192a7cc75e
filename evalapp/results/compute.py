"""A campaign's results: per subject, per item and per rater group, with every setting that
shaped them. Computed only for closed campaigns; the caller checks."""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from analysis import (
    Disclosure,
    Estimate,
    GroupComparison,
    LevelTest,
    SatisfactionRates,
    ballot_scores,
    chi_square_levels,
    compare_groups,
    cronbach_alpha,
    disclosure_cells,
    grade,
    satisfaction_rates,
    stratified_mean,
    trimmed_mask,
    void_mask,
)
from evalapp.campaigns.models import Campaign, CommonItem, RaterGroup, Subject
from evalapp.extensions import db
from evalapp.i18n import localized
from evalapp.results.data import CampaignBallots, issued_per_subject_and_group, load_ballots
from evalapp.roster.models import RosterEntry

WEAKEST = 4
# A test-only setting (honoured only when TESTING): hide small groups without merging them, to
# show that the disclosure attack test finds what the merge prevents.
UNMERGED_SETTING = "TEST_DISCLOSURE_UNMERGED"
OTHER = _l("other groups")


class Turnout:
    """The response rate of anything with tickets `issued` and ballots `returned`."""

    issued: int
    returned: int

    @property
    def response_rate(self) -> float | None:
        return self.returned / self.issued if self.issued else None


@dataclass(frozen=True)
class Figures:
    """The figures of a set of ballots that may be published: mean score, satisfaction rates
    and each item's mean points."""

    score: float | None
    satisfaction: SatisfactionRates | None
    item_means: tuple[float | None, ...]


@dataclass(frozen=True)
class GroupFigures(Turnout):
    """One rater group on one subject. Tickets issued and ballots returned are always shown
    (the live monitor shows them too); the ballots counted and the figures only when the group
    is shown on its own (`figures`), because a merged group's count would tell which of the
    merged cell's void ballots are its own. `merged`: reported within 其他类别."""

    group: RaterGroup
    issued: int
    returned: int
    counted: int | None
    merged: bool
    figures: Figures | None

    @property
    def score(self) -> float | None:
        return self.figures.score if self.figures else None


@dataclass(frozen=True)
class OtherGroups(Turnout):
    """The merged cell (其他类别): the small groups, and whichever shown groups had to join
    them, reported as one group that reaches the minimum reporting size."""

    groups: tuple[RaterGroup, ...]
    issued: int
    returned: int
    counted: int
    figures: Figures


@dataclass(frozen=True)
class ItemFigures:
    label: str
    mean_points: float | None
    counts: tuple[int, int, int, int]  # 好, 较好, 一般, 差
    shares: tuple[float, float, float, float]  # the same among those answering
    weak: bool


@dataclass(frozen=True)
class SubjectResults(Turnout):
    """One subject's results. Words as in the glossary: a ballot is valid unless void; it is
    counted (enters the figures) when valid and not dropped as the highest or lowest score."""

    subject: Subject
    issued: int
    returned: int
    counted: int  # valid, not trimmed: the ballots entering the figures
    void_blank: int
    void_uniform: int
    trimmed: int
    score: float | None
    design: Estimate | None
    design_note: str  # why the design-weighted score is missing or partial, if it is
    policy_score: float | None
    satisfaction: SatisfactionRates | None
    grade: str
    rank: int | None
    items: list[ItemFigures]  # empty when the subject shows counts only
    groups: list[GroupFigures]
    other: OtherGroups | None  # the merged cell, 其他类别
    disclosure: Disclosure  # keyed by rater group id
    comparison: GroupComparison | None  # of ballot scores between the groups shown
    satisfaction_test: LevelTest | None  # of satisfaction answers between the same groups
    opinions: list[str]

    @property
    def has_figures(self) -> bool:
        """False when too few ballots enter the subject's figures: counts only."""
        return self.disclosure.figures

    def group_label(self, group: RaterGroup) -> str | None:
        """How the anonymised ballots of `group` are labelled: its own name when it is shown
        on its own, "other groups" (其他类别) otherwise, None when the subject shows counts
        only and its ballots are published nowhere."""
        if not self.has_figures:
            return None
        if self.disclosure.cell_of(group.id) == (group.id,) != self.disclosure.merged:
            return localized(group, "name")
        return str(OTHER)


class BallotStatus(enum.IntEnum):
    """A ballot's part in the figures. Valid = COUNTED or TRIMMED (not void)."""

    COUNTED = 0  # valid and entering the figures
    VOID_BLANK = 1  # too many items blank
    VOID_UNIFORM = 2  # every answered item the same level (when the campaign says so)
    TRIMMED = 3  # a subject's highest or lowest score, dropped (when the campaign says so)


@dataclass(frozen=True)
class CampaignResults:
    campaign: Campaign
    groups: list[RaterGroup]
    subjects: list[SubjectResults]
    alpha: float | None
    points: tuple[int, int, int, int]
    ballots: CampaignBallots  # for the anonymised export, in storage (random-id) order
    status: np.ndarray  # BallotStatus per ballot
    scores: np.ndarray  # per ballot: the mean points of its answered items (NaN if none)

    @property
    def ranked(self) -> list[SubjectResults]:
        """The subjects in the one order every page, chart and export lists them: by rank,
        then those without a rank (no ballot counted, so no score) in the campaign's order."""
        return sorted(self.subjects, key=lambda r: (r.rank is None, r.rank or 0))

    def counted_scores(self, subject_id: int) -> np.ndarray:
        return self.scores[(self.ballots.subject_ids == subject_id)
                           & (self.status == BallotStatus.COUNTED)]


@dataclass(frozen=True)
class _Context:
    """What every subject's results are drawn from, read once for the whole campaign."""

    campaign: Campaign
    ballots: CampaignBallots
    common: list[CommonItem]
    groups: list[RaterGroup]
    roster: dict[int, int]  # rater group id: people on its roster
    issued: dict[tuple[int, int], int]  # (subject id, rater group id): tickets issued
    status: np.ndarray  # BallotStatus per ballot
    scores: np.ndarray  # per ballot
    points: np.ndarray  # the scale's points, 好 to 差
    merge: bool  # False only in the disclosure attack test's unmerged setting


@dataclass(frozen=True)
class _Cells:
    """A subject's ballots and reporting cells: what its rank and its figures both need. The
    per-ballot arrays hold the subject's ballots only, so that each subject's figures cost in
    proportion to its own ballots, not the campaign's (5 subjects of 100,000 ballots: the
    whole campaign's arrays, masked again for every group and cell, were half the time)."""

    index: np.ndarray  # positions of the subject's ballots in the campaign's arrays
    group_ids: np.ndarray  # per ballot of the subject, as the arrays below
    status: np.ndarray
    scores: np.ndarray
    counted: np.ndarray  # which of them enter the figures
    disclosure: Disclosure
    score: float | None  # None when the subject shows counts only, or no ballot is counted


def campaign_results(campaign: Campaign) -> CampaignResults:
    common = campaign.common_items()
    width = len(common) + max((len(s.individual_items) for s in campaign.subjects), default=0)
    ballots = load_ballots(campaign.id, width)
    points = (campaign.points_excellent, campaign.points_good, campaign.points_fair,
              campaign.points_poor)
    scores = ballot_scores(ballots.levels, points) if len(ballots) else np.zeros(0)
    status = _statuses(campaign, ballots, scores)
    context = _Context(
        campaign=campaign, ballots=ballots, common=common, groups=campaign.rater_groups,
        roster=dict(db.session.execute(
            sa.select(RosterEntry.rater_group_id, sa.func.count(RosterEntry.id))
            .where(RosterEntry.campaign_id == campaign.id)
            .group_by(RosterEntry.rater_group_id)).all()),
        issued=issued_per_subject_and_group(campaign.id), status=status, scores=scores,
        points=np.asarray(points, dtype=float),
        merge=not (current_app.testing and current_app.config.get(UNMERGED_SETTING)))
    cells = {subject.id: _cells(context, subject) for subject in campaign.subjects}
    ranked = sorted((s for s in campaign.subjects if cells[s.id].score is not None),
                    key=lambda s: -(cells[s.id].score or 0))
    ranks = {subject.id: position for position, subject in enumerate(ranked, start=1)}
    results = [_subject(context, subject, cells[subject.id], ranks.get(subject.id))
               for subject in campaign.subjects]
    shown = np.isin(ballots.subject_ids, [r.subject.id for r in results if r.has_figures])
    valid = shown & ((status == BallotStatus.COUNTED) | (status == BallotStatus.TRIMMED))
    alpha = None
    if valid.sum() >= 2 and common:
        # the points of each answer, NaN where blank (-1 picks the table's last entry)
        matrix = np.append(context.points, np.nan)[ballots.levels[valid, : len(common)]]
        try:
            alpha = cronbach_alpha(matrix)
        except ValueError:
            alpha = None
    return CampaignResults(campaign, context.groups, results, alpha, points, ballots, status,
                           scores)


def _statuses(campaign: Campaign, ballots: CampaignBallots, scores: np.ndarray) -> np.ndarray:
    """Each ballot's `BallotStatus`, by the campaign's void and trimming rules."""
    status = np.full(len(ballots), BallotStatus.COUNTED, dtype=np.int8)
    if not len(ballots):
        return status
    void = void_mask(ballots.levels, campaign.void_blank_fraction)
    status[void] = BallotStatus.VOID_BLANK
    if campaign.void_uniform:
        status[void_mask(ballots.levels, 1.0, void_uniform=True) & ~void] = (
            BallotStatus.VOID_UNIFORM)
    for subject in campaign.subjects:
        valid = np.flatnonzero((ballots.subject_ids == subject.id)
                               & (status == BallotStatus.COUNTED))
        status[valid[trimmed_mask(scores[valid], campaign.trim_above)]] = BallotStatus.TRIMMED
    return status


def _cells(context: _Context, subject: Subject) -> _Cells:
    """The subject's reporting cells by `analysis.disclosure_cells`, and its score when its
    figures are shown."""
    index = np.flatnonzero(context.ballots.subject_ids == subject.id)
    group_ids, status = context.ballots.group_ids[index], context.status[index]
    scores = context.scores[index]
    counted = status == BallotStatus.COUNTED
    in_group = {g.id: group_ids == g.id for g in context.groups}
    disclosure = disclosure_cells(
        {g.id: int(in_group[g.id].sum()) for g in context.groups},
        {g.id: int((counted & in_group[g.id]).sum()) for g in context.groups},
        context.campaign.min_report_size, context.merge)
    shown = disclosure.figures and counted.any()
    return _Cells(index=index, group_ids=group_ids, status=status, scores=scores,
                  counted=counted, disclosure=disclosure,
                  score=float(scores[counted].mean()) if shown else None)


def _subject(context: _Context, subject: Subject, cells: _Cells,
             rank: int | None) -> SubjectResults:
    """One subject's results, every figure drawn from its reporting cells."""
    campaign = context.campaign
    group_ids, status, scores, counted = cells.group_ids, cells.status, cells.scores, cells.counted
    disclosure, score = cells.disclosure, cells.score
    width = len(context.common) + len(subject.individual_items)
    levels = context.ballots.levels[cells.index, :width]
    satisfaction = context.ballots.satisfaction[cells.index]

    def figures(cell: tuple[int, ...]) -> Figures:
        chosen = counted & np.isin(group_ids, cell)
        return Figures(float(scores[chosen].mean()) if chosen.any() else None,
                       _rates(satisfaction[chosen]),
                       _item_means(levels[chosen], context.points))

    reported = disclosure.reported
    group_figures = []
    for g in context.groups:
        in_group = group_ids == g.id
        group_figures.append(GroupFigures(
            group=g, issued=context.issued.get((subject.id, g.id), 0),
            returned=int(in_group.sum()),
            counted=None if g.id in disclosure.hidden else int((counted & in_group).sum()),
            merged=g.id in disclosure.merged,
            figures=figures((g.id,)) if (g.id,) in reported else None))
    other = None
    if disclosure.merged in reported:
        members = [f for f in group_figures if f.merged]
        other = OtherGroups(
            groups=tuple(f.group for f in members), issued=sum(f.issued for f in members),
            returned=sum(f.returned for f in members),
            counted=int((counted & np.isin(group_ids, disclosure.merged)).sum()),
            figures=figures(disclosure.merged))
    shown = score is not None
    cell_of = np.zeros(len(group_ids), dtype=int)
    for position, cell in enumerate(disclosure.cells):
        cell_of[np.isin(group_ids, cell)] = position
    design, note = (_design_weighted(scores[counted], cell_of[counted], disclosure.cells,
                                     context.roster) if shown else (None, ""))
    weights = {g.id: g.weight for g in context.groups if g.weight}
    labels = ([item.text_zh for item in context.common]
              + [i.text_zh for i in subject.individual_items])
    reported_cell = np.zeros(len(group_ids), dtype=int)
    for position, cell in enumerate(reported, start=1):
        reported_cell[np.isin(group_ids, cell)] = position
    comparison, satisfaction_test = _between_groups(
        scores[counted], satisfaction[counted], reported_cell[counted],
        list(range(1, len(reported) + 1)))
    comments = context.ballots.comments
    opinions = [comments[i] for i in cells.index[counted & (reported_cell > 0)] if comments[i]]
    random.SystemRandom().shuffle(opinions)
    return SubjectResults(
        subject=subject, issued=sum(g.issued for g in group_figures),
        returned=len(cells.index), counted=int(counted.sum()),
        void_blank=int((status == BallotStatus.VOID_BLANK).sum()),
        void_uniform=int((status == BallotStatus.VOID_UNIFORM).sum()),
        trimmed=int((status == BallotStatus.TRIMMED).sum()),
        score=score, design=design, design_note=note,
        policy_score=_policy_weighted(scores[counted], cell_of[counted], disclosure.cells,
                                      weights) if shown else None,
        satisfaction=_rates(satisfaction[counted]) if shown else None,
        grade=grade(score, {"excellent": campaign.grade_excellent_min,
                            "good": campaign.grade_good_min,
                            "fair": campaign.grade_fair_min}) if score is not None else "",
        rank=rank,
        items=_items(levels[counted], context.points, labels) if shown else [],
        groups=group_figures, other=other, disclosure=disclosure, comparison=comparison,
        satisfaction_test=satisfaction_test, opinions=opinions)


def _between_groups(scores: np.ndarray, satisfaction: np.ndarray, group_ids: np.ndarray,
                    comparable: list[int]) -> tuple[GroupComparison | None, LevelTest | None]:
    """Scores (rank test) and satisfaction answers (chi-square) between the groups that are
    shown; nothing when fewer than two are, or when a test has nothing to work on."""
    if len(comparable) < 2:
        return None, None
    keep = np.isin(group_ids, comparable)
    try:
        comparison = compare_groups(scores[keep], group_ids[keep].tolist())
    except ValueError:
        comparison = None
    table = [np.bincount(answers[answers >= 0], minlength=3)
             for answers in (satisfaction[group_ids == g] for g in comparable)]
    try:
        return comparison, chi_square_levels(table)
    except ValueError:
        return comparison, None


def _design_weighted(scores: np.ndarray, strata: np.ndarray, cells: tuple[tuple[int, ...], ...],
                     roster: dict[int, int]) -> tuple[Estimate | None, str]:
    """Each reporting cell weighted by its roster size (a merged cell: its groups' rosters
    together), so that the weighting isolates no group inside a cell. `strata`: each ballot's
    position in `cells`. Cells without valid ballots cannot be weighted and are left out,
    which the note says; a roster smaller than the ballots makes the weighting meaningless,
    so none is given."""
    present = {position: int((strata == position).sum()) for position in range(len(cells))}
    present = {position: n for position, n in present.items() if n}
    if not present:
        return None, str(_l("no valid ballots"))
    sizes = {position: sum(roster.get(g, 0) for g in cells[position]) for position in present}
    if any(sizes[position] < n for position, n in present.items()):
        return None, str(_l("a rater group has more ballots than people on its roster"))
    design = stratified_mean(scores, strata, sizes)
    weighted = {g for position in present for g in cells[position]}
    if any(g not in weighted for g, size in roster.items() if size):
        return design, str(_l("rater groups without valid ballots are left out of the "
                              "weighting"))
    return design, ""


def _policy_weighted(scores: np.ndarray, strata: np.ndarray, cells: tuple[tuple[int, ...], ...],
                     weights: dict[int, float]) -> float | None:
    """The cells' means weighted by policy; a merged cell's weight is the sum of its groups'
    weights. Cells without a weight or without valid ballots are left out."""
    cell_weights = {position: sum(weights.get(g, 0.0) for g in cell)
                    for position, cell in enumerate(cells)}
    means = {position: float(scores[strata == position].mean())
             for position, weight in cell_weights.items()
             if weight and (strata == position).any()}
    if not means:
        return None
    return (sum(cell_weights[p] * mean for p, mean in means.items())
            / sum(cell_weights[p] for p in means))


def _rates(codes: np.ndarray) -> SatisfactionRates | None:
    try:
        return satisfaction_rates(codes)
    except ValueError:
        return None


def _level_counts(answers: np.ndarray, table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per item: the count of each level, and the mean points (NaN where nobody answered)."""
    width = answers.shape[1]
    # one pass: each answer (-1 blank, 0-3) binned by (item, level); blanks fall in column 0
    binned = np.bincount((answers.astype(np.intp) + 1 + 5 * np.arange(width)).ravel(),
                         minlength=5 * width)
    counts = binned.reshape(width, 5)[:, 1:]
    totals = counts.sum(axis=1)
    means = np.divide((counts * table).sum(axis=1), totals,
                      out=np.full(width, np.nan), where=totals > 0)
    return counts, means


def _item_means(answers: np.ndarray, table: np.ndarray) -> tuple[float | None, ...]:
    _, means = _level_counts(answers, table)
    return tuple(None if np.isnan(m) else float(m) for m in means)


def _items(answers: np.ndarray, table: np.ndarray, labels: list[str]) -> list[ItemFigures]:
    counts, means = _level_counts(answers, table)
    totals = counts.sum(axis=1)
    shares = np.divide(counts, totals[:, None], out=np.zeros_like(counts, dtype=float),
                       where=totals[:, None] > 0)
    order = np.argsort(np.where(np.isnan(means), np.inf, means), kind="stable")
    weakest = set(order[:WEAKEST].tolist()) if totals.any() else set()
    fair = table[2]
    return [
        ItemFigures(label, None if np.isnan(means[i]) else float(means[i]),
                    tuple(int(x) for x in counts[i]), tuple(float(x) for x in shares[i]),
                    i in weakest or (not np.isnan(means[i]) and means[i] < fair))
        for i, label in enumerate(labels)
    ]
