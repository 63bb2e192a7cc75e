"""A campaign's results: per subject, per item and per rater group, with every setting that
shaped them. Computed only for closed campaigns; the caller checks."""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass, replace

import numpy as np
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from analysis import (
    Estimate,
    GroupComparison,
    LevelTest,
    SatisfactionRates,
    ballot_scores,
    chi_square_levels,
    compare_groups,
    cronbach_alpha,
    grade,
    satisfaction_rates,
    stratified_mean,
    suppress_small_cells,
    trimmed_mask,
    void_mask,
)
from evalapp.campaigns.models import Campaign, Subject
from evalapp.extensions import db
from evalapp.results.data import CampaignBallots, issued_per_subject_and_group, load_ballots
from evalapp.roster.models import RaterGroup, RosterEntry

WEAKEST = 4


@dataclass(frozen=True)
class GroupFigures:
    """One rater group's figures on one subject. Counts are always shown (the live monitor
    shows them too); scores only when the group is not suppressed."""

    group: RaterGroup
    issued: int
    returned: int
    valid: int
    suppressed: bool
    score: float | None
    satisfaction: SatisfactionRates | None
    item_means: tuple[float | None, ...] | None

    @property
    def response_rate(self) -> float | None:
        return self.returned / self.issued if self.issued else None


@dataclass(frozen=True)
class ItemFigures:
    label: str
    mean_points: float | None
    counts: tuple[int, int, int, int]  # 好, 较好, 一般, 差
    shares: tuple[float, float, float, float]  # the same among those answering
    weak: bool


@dataclass(frozen=True)
class SubjectResults:
    subject: Subject
    issued: int
    returned: int
    valid: int
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
    items: list[ItemFigures]
    groups: list[GroupFigures]
    comparison: GroupComparison | None  # of ballot scores between the groups shown
    satisfaction_test: LevelTest | None  # of satisfaction answers between the same groups
    opinions: list[str]

    @property
    def response_rate(self) -> float | None:
        return self.returned / self.issued if self.issued else None


class BallotStatus(enum.IntEnum):
    COUNTED = 0
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
        then those without a rank (no valid ballot, so no score) in the campaign's order."""
        return sorted(self.subjects, key=lambda r: (r.rank is None, r.rank or 0))

    def counted_scores(self, subject_id: int) -> np.ndarray:
        return self.scores[(self.ballots.subject_ids == subject_id)
                           & (self.status == BallotStatus.COUNTED)]


def campaign_results(campaign: Campaign) -> CampaignResults:
    common = campaign.common_items()
    width = len(common) + max((len(s.individual_items) for s in campaign.subjects), default=0)
    ballots = load_ballots(campaign.id, width)
    points = (campaign.points_excellent, campaign.points_good, campaign.points_fair,
              campaign.points_poor)
    groups = list(db.session.scalars(sa.select(RaterGroup).where(
        RaterGroup.campaign_id == campaign.id).order_by(RaterGroup.position)))
    roster = dict(db.session.execute(
        sa.select(RosterEntry.rater_group_id, sa.func.count(RosterEntry.id))
        .where(RosterEntry.campaign_id == campaign.id).group_by(RosterEntry.rater_group_id)
    ).all())
    issued = issued_per_subject_and_group(campaign.id)
    scores = ballot_scores(ballots.levels, points) if len(ballots) else np.zeros(0)
    status = _statuses(campaign, ballots, scores)
    results = [
        _subject(campaign, subject, ballots, common, groups, roster, issued, status, scores,
                 points)
        for subject in campaign.subjects
    ]
    ranked = sorted((r for r in results if r.score is not None), key=lambda r: -r.score)
    ranks = {r.subject.id: position for position, r in enumerate(ranked, start=1)}
    results = [_with_rank(r, ranks.get(r.subject.id)) for r in results]
    valid = (status == BallotStatus.COUNTED) | (status == BallotStatus.TRIMMED)
    alpha = None
    if valid.sum() >= 2 and common:
        table = np.asarray(points, dtype=float)
        answers = ballots.levels[valid][:, : len(common)]
        matrix = np.where(answers >= 0, table[np.clip(answers, 0, 3)], np.nan)
        try:
            alpha = cronbach_alpha(matrix)
        except ValueError:
            alpha = None
    return CampaignResults(campaign, groups, results, alpha, points, ballots, status, scores)


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


def _with_rank(result: SubjectResults, rank: int | None) -> SubjectResults:
    return replace(result, rank=rank)


def _subject(campaign, subject, ballots: CampaignBallots, common, groups, roster, issued,
             status, scores, points) -> SubjectResults:  # type: ignore[no-untyped-def]
    mine = ballots.subject_ids == subject.id
    width = len(common) + len(subject.individual_items)
    counted = mine & (status == BallotStatus.COUNTED)
    score = float(scores[counted].mean()) if counted.any() else None
    group_ids = ballots.group_ids[counted]
    per_group = {g.id: int((group_ids == g.id).sum()) for g in groups}
    hidden = suppress_small_cells(per_group, campaign.min_report_size)
    table = np.asarray(points, dtype=float)
    group_figures = []
    for group in groups:
        in_group = counted & (ballots.group_ids == group.id)
        shown = per_group[group.id] > 0 and not hidden[group.id]
        group_figures.append(GroupFigures(
            group, issued.get((subject.id, group.id), 0),
            int((mine & (ballots.group_ids == group.id)).sum()), per_group[group.id],
            hidden[group.id],
            float(scores[in_group].mean()) if shown else None,
            _rates(ballots.satisfaction[in_group]) if shown else None,
            _item_means(ballots.levels[in_group][:, :width], table) if shown else None))
    design, note = _design_weighted(scores[counted], group_ids, per_group, roster)
    weights = {g.id: g.weight for g in groups if g.weight and per_group[g.id]}
    policy = (sum(w * float(scores[counted & (ballots.group_ids == g)].mean())
                  for g, w in weights.items()) / sum(weights.values())) if weights else None
    answers = ballots.levels[counted][:, :width]
    labels = [item.text_zh for item in common] + [i.text_zh for i in subject.individual_items]
    items = _items(answers, table, labels)
    comparable = [g for g in groups
                  if per_group[g.id] >= campaign.min_report_size and not hidden[g.id]]
    comparison, satisfaction_test = _between_groups(
        scores[counted], ballots.satisfaction[counted], group_ids, [g.id for g in comparable])
    opinions = [ballots.comments[i] for i in np.flatnonzero(counted)
                if ballots.comments[i] and not hidden[ballots.group_ids[i]]
                and per_group[ballots.group_ids[i]] >= campaign.min_report_size]
    random.SystemRandom().shuffle(opinions)
    return SubjectResults(
        subject, sum(g.issued for g in group_figures), int(mine.sum()), int(counted.sum()),
        *(int((mine & (status == kind)).sum()) for kind in (
            BallotStatus.VOID_BLANK, BallotStatus.VOID_UNIFORM, BallotStatus.TRIMMED)),
        score, design, note, policy, _rates(ballots.satisfaction[counted]),
        grade(score, {"excellent": campaign.grade_excellent_min, "good": campaign.grade_good_min,
                      "fair": campaign.grade_fair_min}) if score is not None else "",
        None, items, group_figures, comparison, satisfaction_test, opinions)


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


def _design_weighted(scores: np.ndarray, group_ids: np.ndarray, per_group: dict[int, int],
                     roster: dict[int, int]) -> tuple[Estimate | None, str]:
    """Each group weighted by its roster size. Groups that returned no valid ballot cannot be
    weighted and are left out, which the note says; a roster smaller than the ballots (a
    roster edited after the draw) makes the weighting meaningless, so none is given."""
    present = {g: n for g, n in per_group.items() if n}
    if not present:
        return None, str(_l("no valid ballots"))
    if any(roster.get(g, 0) < n for g, n in present.items()):
        return None, str(_l("a rater group has more ballots than people on its roster"))
    design = stratified_mean(scores, group_ids, {g: roster[g] for g in present})
    if len(present) < len([g for g in per_group if roster.get(g)]):
        return design, str(_l("rater groups without valid ballots are left out of the "
                              "weighting"))
    return design, ""


def _rates(codes: np.ndarray) -> SatisfactionRates | None:
    try:
        return satisfaction_rates(codes)
    except ValueError:
        return None


def _level_counts(answers: np.ndarray, table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per item: the count of each level, and the mean points (NaN where nobody answered)."""
    counts = np.stack([(answers == level).sum(axis=0) for level in range(4)], axis=1)
    totals = counts.sum(axis=1)
    means = np.divide((counts * table).sum(axis=1), totals,
                      out=np.full(answers.shape[1], np.nan), where=totals > 0)
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
