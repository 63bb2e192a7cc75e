"""A campaign's results: per subject, per item and per rater group, with every setting that
shaped them. Computed only for closed campaigns; the caller checks."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

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
    disclosure_cells,
)
from analysis.figures import (
    BallotStatus,
    Cell,
    DesignNote,
    Figures,
    ItemFigures,
    Rules,
    SubjectFigures,
    ballot_statuses,
    campaign_alpha,
    ranks,
    scores_by_subject,
    subject_figures,
)
from analysis.grading import GradedItem, Grading, grading_of
from analysis.nomination import CandidateVotes, NominatedItem, nomination_of
from analysis.recount import OTHER_ZH
from evalapp.campaigns.models import Campaign, CommonItem, RaterGroup, Subject
from evalapp.extensions import db
from evalapp.results.data import CampaignBallots, issued_per_subject_and_group, load_ballots
from evalapp.roster.models import RosterEntry

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
    figures: SubjectFigures  # all of the above that the recount checks, cell by cell
    cells: tuple[Cell, ...]  # each of `disclosure.cells`' roster size and policy weight
    scales: tuple[str, ...]  # each item's scale, common items first

    @property
    def has_figures(self) -> bool:
        """False when too few ballots enter the subject's figures: counts only."""
        return self.disclosure.figures

    def group_label(self, group: RaterGroup) -> str | None:
        """How the anonymised ballots of `group` are labelled (in Chinese, the export's one
        language, see `analysis.recount`): its own name when it is shown on its own, 其他类别
        otherwise, None when the subject shows counts only and its ballots are published
        nowhere."""
        if not self.has_figures:
            return None
        if self.disclosure.cell_of(group.id) == (group.id,) != self.disclosure.merged:
            return group.name_zh
        return OTHER_ZH


@dataclass(frozen=True)
class CampaignResults:
    campaign: Campaign
    groups: list[RaterGroup]
    subjects: list[SubjectResults]
    alpha: float | None
    points: tuple[float, float, float, float]
    ballots: CampaignBallots  # for the anonymised export, in `load_ballots`' content order
    rules: Rules
    status: np.ndarray  # BallotStatus per ballot
    scores: np.ndarray  # per ballot: the mean points of its answered items (NaN if none)
    graded: GradedItem | None  # the questionnaire's item of grades (干部考核), if any
    grading: Grading | None  # its proposal: a grade per subject, in `subjects`' order
    nominated: NominatedItem | None  # the questionnaire's item of a nomination, if any
    nomination: tuple[CandidateVotes, ...] | None  # its tally, in `subjects`' order

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
    rules: Rules
    merge: bool  # False only in the disclosure attack test's unmerged setting


@dataclass(frozen=True)
class _Cells:
    """A subject's ballots and reporting cells, what its figures are drawn from. The
    per-ballot arrays hold the subject's ballots only, so that each subject's figures cost in
    proportion to its own ballots, not the campaign's (5 subjects of 100,000 ballots: the
    whole campaign's arrays, masked again for every group and cell, were half the time)."""

    index: np.ndarray  # positions of the subject's ballots in the campaign's arrays
    group_ids: np.ndarray  # per ballot of the subject, as the arrays below
    status: np.ndarray
    scores: np.ndarray
    counted: np.ndarray  # which of them enter the figures
    disclosure: Disclosure


def campaign_rules(campaign: Campaign) -> Rules:
    """The campaign's scoring settings, frozen since it opened."""
    return Rules(
        points=(campaign.points_excellent, campaign.points_good, campaign.points_fair,
                campaign.points_poor),
        void_blank_fraction=campaign.void_blank_fraction, void_uniform=campaign.void_uniform,
        trim_above=campaign.trim_above,
        grades=(campaign.grade_excellent_min, campaign.grade_good_min, campaign.grade_fair_min),
        min_report_size=campaign.min_report_size)


def item_scales(campaign: Campaign, subject: Subject) -> tuple[str, ...]:
    """The scale of each item on `subject`'s ballots, in their order: common items first."""
    return tuple(item.scale.value for item in [*campaign.common_items(),
                                               *subject.individual_items])


def campaign_results(campaign: Campaign) -> CampaignResults:
    common = campaign.common_items()
    width = len(common) + max((len(s.individual_items) for s in campaign.subjects), default=0)
    ballots = load_ballots(campaign.id, width)
    rules = campaign_rules(campaign)
    points = rules.points
    scales = {subject.id: item_scales(campaign, subject) for subject in campaign.subjects}
    scores = scores_by_subject(ballots.levels, ballots.subject_ids, {
        subject: rules.item_points(item) for subject, item in scales.items()})
    status = ballot_statuses(ballots.levels, ballots.subject_ids, scores, rules,
                             overvoted=ballots.overvoted)
    context = _Context(
        campaign=campaign, ballots=ballots, common=common, groups=campaign.rater_groups,
        roster=dict(db.session.execute(
            sa.select(RosterEntry.rater_group_id, sa.func.count(RosterEntry.id))
            .where(RosterEntry.campaign_id == campaign.id)
            .group_by(RosterEntry.rater_group_id)).all()),
        issued=issued_per_subject_and_group(campaign.id), status=status, scores=scores,
        rules=rules,
        merge=not (current_app.testing and current_app.config.get(UNMERGED_SETTING)))
    unranked = [_subject(context, subject, _cells(context, subject), scales[subject.id])
                for subject in campaign.subjects]
    results = [replace(result, rank=rank) for result, rank in
               zip(unranked, ranks([r.score for r in unranked]), strict=True)]
    shown = np.isin(ballots.subject_ids, [r.subject.id for r in results if r.has_figures])
    valid = shown & ((status == BallotStatus.COUNTED) | (status == BallotStatus.TRIMMED))
    alpha = campaign_alpha(ballots.levels[valid, : len(common)], rules.item_points(
        [item.scale.value for item in common]))
    graded = campaign.graded_item()
    grading = None if graded is None else grading_of(shown_figures(results), graded)
    nominated = campaign.nominated_item()
    nomination = None if nominated is None else nomination_of(shown_figures(results),
                                                              nominated)
    return CampaignResults(campaign, context.groups, results, alpha, points, ballots, rules,
                           status, scores, graded, grading, nominated, nomination)


def shown_figures(subjects: Sequence[SubjectResults]) -> list[SubjectFigures | None]:
    """Each subject's figures as published: None for one that shows counts only."""
    return [r.figures if r.has_figures else None for r in subjects]


def _cells(context: _Context, subject: Subject) -> _Cells:
    """The subject's ballots and its reporting cells by `analysis.disclosure_cells`."""
    index = np.flatnonzero(context.ballots.subject_ids == subject.id)
    group_ids, status = context.ballots.group_ids[index], context.status[index]
    scores = context.scores[index]
    counted = status == BallotStatus.COUNTED
    in_group = {g.id: group_ids == g.id for g in context.groups}
    disclosure = disclosure_cells(
        {g.id: int(in_group[g.id].sum()) for g in context.groups},
        {g.id: int((counted & in_group[g.id]).sum()) for g in context.groups},
        context.campaign.min_report_size, context.merge)
    return _Cells(index=index, group_ids=group_ids, status=status, scores=scores,
                  counted=counted, disclosure=disclosure)


DESIGN_NOTES = {
    DesignNote.NONE: "",
    DesignNote.NO_VALID: _l("no valid ballots"),
    DesignNote.ROSTER_SHORT: _l("a rater group has more ballots than people on its roster"),
}


def _subject(context: _Context, subject: Subject, cells: _Cells,
             scales: tuple[str, ...]) -> SubjectResults:
    """One subject's results, unranked: its figures by `analysis.figures.subject_figures`
    over its reporting cells, and the counts of each rater group around them."""
    disclosure, counted, group_ids = cells.disclosure, cells.counted, cells.group_ids
    cell_of = np.zeros(len(group_ids), dtype=int)
    for position, cell in enumerate(disclosure.cells):
        cell_of[np.isin(group_ids, cell)] = position
    weights = {g.id: g.weight for g in context.groups if g.weight}
    settings = tuple(Cell(sum(context.roster.get(g, 0) for g in cell),
                          sum(weights.get(g, 0.0) for g in cell)) for cell in disclosure.cells)
    reported = [cell in disclosure.reported for cell in disclosure.cells]
    width = len(context.common) + len(subject.individual_items)
    figures = subject_figures(
        context.ballots.levels[cells.index, :width], context.ballots.satisfaction[cells.index],
        cells.status, cells.scores, cell_of, settings, reported, context.rules,
        [item.text_zh for item in context.common]
        + [i.text_zh for i in subject.individual_items], scales,
        figures=disclosure.figures)
    by_cell = dict(zip(disclosure.cells, figures.cells, strict=True))
    group_figures = [GroupFigures(
        group=g, issued=context.issued.get((subject.id, g.id), 0),
        returned=int((group_ids == g.id).sum()),
        counted=None if g.id in disclosure.hidden else int((counted & (group_ids == g.id)).sum()),
        merged=g.id in disclosure.merged, figures=by_cell.get((g.id,)))
        for g in context.groups]
    other = None
    if (merged := by_cell.get(disclosure.merged)) is not None:
        members = [f for f in group_figures if f.merged]
        other = OtherGroups(
            groups=tuple(f.group for f in members), issued=sum(f.issued for f in members),
            returned=sum(f.returned for f in members),
            counted=figures.cell_counted[disclosure.cells.index(disclosure.merged)],
            figures=merged)
    in_reported = np.isin(cell_of, [p for p, shown in enumerate(reported) if shown])
    comments = context.ballots.comments
    opinions = [comments[i] for i in cells.index[counted & in_reported] if comments[i]]
    random.SystemRandom().shuffle(opinions)
    return SubjectResults(
        subject=subject, issued=sum(g.issued for g in group_figures),
        returned=figures.returned, counted=figures.counted, void_blank=figures.void_blank,
        void_uniform=figures.void_uniform, trimmed=figures.trimmed, score=figures.score,
        design=figures.design, design_note=_design_note(context, disclosure, figures),
        policy_score=figures.policy_score, satisfaction=figures.satisfaction,
        grade=figures.grade, rank=None, items=list(figures.items), groups=group_figures,
        other=other, disclosure=disclosure, comparison=figures.comparison,
        satisfaction_test=figures.satisfaction_test, opinions=opinions, figures=figures,
        cells=settings, scales=scales)


def _design_note(context: _Context, disclosure: Disclosure, figures: SubjectFigures) -> str:
    """Why the design-weighted score is missing, or partial: rater groups with people on the
    roster but no valid ballot in any cell are left out of the weighting."""
    if figures.design_note is not DesignNote.NONE:
        return str(DESIGN_NOTES[figures.design_note])
    weighted = {g for cell, n in zip(disclosure.cells, figures.cell_counted, strict=True)
                if n for g in cell}
    if figures.design and any(g not in weighted for g, size in context.roster.items() if size):
        return str(_l("rater groups without valid ballots are left out of the weighting"))
    return ""
