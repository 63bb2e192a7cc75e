"""A campaign's results: per subject, per item and per rater group, with every setting that
shaped them. Computed only for closed campaigns; the caller checks."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

import numpy as np
import sqlalchemy as sa

from analysis import (
    Estimate,
    GroupComparison,
    SatisfactionRates,
    ballot_scores,
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
from evalapp.campaigns.views import response_counts
from evalapp.extensions import db
from evalapp.results.data import CampaignBallots, load_ballots
from evalapp.roster.models import RaterGroup, RosterEntry

WEAKEST = 4


@dataclass(frozen=True)
class GroupFigures:
    group: RaterGroup
    valid: int
    suppressed: bool
    score: float | None
    satisfaction: SatisfactionRates | None


@dataclass(frozen=True)
class ItemFigures:
    label: str
    mean_points: float | None
    shares: tuple[float, float, float, float]  # 好, 较好, 一般, 差 among those answering
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
    design_note: str
    policy_score: float | None
    satisfaction: SatisfactionRates | None
    grade: str
    rank: int | None
    items: list[ItemFigures]
    groups: list[GroupFigures]
    comparison: GroupComparison | None
    opinions: list[str]


@dataclass(frozen=True)
class CampaignResults:
    campaign: Campaign
    subjects: list[SubjectResults]
    alpha: float | None
    points: tuple[int, int, int, int]


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
    counts = {row.label.id: row for row in response_counts(campaign).subjects}
    void = void_mask(ballots.levels, campaign.void_blank_fraction) if len(ballots) else (
        np.zeros(0, dtype=bool))
    uniform = (void_mask(ballots.levels, 1.0, void_uniform=True) & ~void
               if campaign.void_uniform and len(ballots) else np.zeros(len(ballots), bool))
    scores = ballot_scores(ballots.levels, points) if len(ballots) else np.zeros(0)
    results = [
        _subject(campaign, subject, ballots, common, groups, roster, counts[subject.id],
                 void, uniform, scores, points)
        for subject in campaign.subjects
    ]
    ranked = sorted((r for r in results if r.score is not None), key=lambda r: -r.score)
    ranks = {r.subject.id: position for position, r in enumerate(ranked, start=1)}
    results = [_with_rank(r, ranks.get(r.subject.id)) for r in results]
    valid = ~(void | uniform)
    alpha = None
    if valid.sum() >= 2 and common:
        table = np.asarray(points, dtype=float)
        answers = ballots.levels[valid][:, : len(common)]
        matrix = np.where(answers >= 0, table[np.clip(answers, 0, 3)], np.nan)
        try:
            alpha = cronbach_alpha(matrix)
        except ValueError:
            alpha = None
    return CampaignResults(campaign, results, alpha, points)


def _with_rank(result: SubjectResults, rank: int | None) -> SubjectResults:
    return replace(result, rank=rank)


def _subject(campaign, subject, ballots: CampaignBallots, common, groups, roster, counts,
             void, uniform, scores, points) -> SubjectResults:  # type: ignore[no-untyped-def]
    mine = ballots.subject_ids == subject.id
    width = len(common) + len(subject.individual_items)
    valid_mask = mine & ~void & ~uniform
    trimmed = np.zeros(len(ballots), dtype=bool)
    trimmed[valid_mask] = trimmed_mask(scores[valid_mask], campaign.trim_above)
    counted = valid_mask & ~trimmed
    score = float(scores[counted].mean()) if counted.any() else None
    group_ids = ballots.group_ids[counted]
    per_group = {g.id: int((group_ids == g.id).sum()) for g in groups}
    hidden = suppress_small_cells(per_group, campaign.min_report_size)
    group_figures = []
    for group in groups:
        in_group = counted & (ballots.group_ids == group.id)
        shown = per_group[group.id] > 0 and not hidden[group.id]
        group_figures.append(GroupFigures(
            group, per_group[group.id], hidden[group.id],
            float(scores[in_group].mean()) if shown else None,
            _rates(ballots.satisfaction[in_group]) if shown else None))
    present = {g: n for g, n in per_group.items() if n}
    design, note = None, ""
    if present and all(roster.get(g, 0) >= n for g, n in present.items()):
        design = stratified_mean(scores[counted], group_ids,
                                 {g: roster[g] for g in present})
        if len(present) < len([g for g in groups if roster.get(g.id)]):
            note = "groups without ballots are left out of the weighting"
    weights = {g.id: g.weight for g in groups if g.weight and per_group[g.id]}
    policy = (sum(w * float(scores[counted & (ballots.group_ids == g)].mean())
                  for g, w in weights.items()) / sum(weights.values())) if weights else None
    answers = ballots.levels[counted][:, :width]
    table = np.asarray(points, dtype=float)
    labels = [item.text_zh for item in common] + [i.text_zh for i in subject.individual_items]
    items = _items(answers, table, labels)
    comparable = [g for g in groups
                  if per_group[g.id] >= campaign.min_report_size and not hidden[g.id]]
    comparison = None
    if len(comparable) >= 2:
        keep = np.isin(group_ids, [g.id for g in comparable])
        try:
            comparison = compare_groups(scores[counted][keep], group_ids[keep].tolist())
        except ValueError:
            comparison = None
    opinions = [ballots.comments[i] for i in np.flatnonzero(counted)
                if ballots.comments[i] and not hidden[ballots.group_ids[i]]
                and per_group[ballots.group_ids[i]] >= campaign.min_report_size]
    random.SystemRandom().shuffle(opinions)
    return SubjectResults(
        subject, counts.issued, int(mine.sum()), int(counted.sum()),
        int((mine & void).sum()), int((mine & uniform).sum()), int((valid_mask & trimmed).sum()),
        score, design, note, policy, _rates(ballots.satisfaction[counted]),
        grade(score, {"excellent": campaign.grade_excellent_min, "good": campaign.grade_good_min,
                      "fair": campaign.grade_fair_min}) if score is not None else "",
        None, items, group_figures, comparison, opinions)


def _rates(codes: np.ndarray) -> SatisfactionRates | None:
    try:
        return satisfaction_rates(codes)
    except ValueError:
        return None


def _items(answers: np.ndarray, table: np.ndarray, labels: list[str]) -> list[ItemFigures]:
    answered = answers >= 0
    counts = np.stack([(answers == level).sum(axis=0) for level in range(4)], axis=1)
    totals = answered.sum(axis=0)
    means = np.divide((counts * table).sum(axis=1), totals, out=np.full(len(labels), np.nan),
                      where=totals > 0)
    shares = np.divide(counts, totals[:, None], out=np.zeros_like(counts, dtype=float),
                       where=totals[:, None] > 0)
    order = np.argsort(np.where(np.isnan(means), np.inf, means), kind="stable")
    weakest = set(order[:WEAKEST].tolist()) if totals.any() else set()
    fair = table[2]
    return [
        ItemFigures(label, None if np.isnan(means[i]) else float(means[i]),
                    tuple(float(x) for x in shares[i]),
                    i in weakest or (not np.isnan(means[i]) and means[i] < fair))
        for i, label in enumerate(labels)
    ]
