"""The roll-up of a round for a reader at a unit: its closed campaigns below that unit read
together (`analysis.rollup`), per unit of the tree and per level, against the round before.

Each closed campaign's part is the summary kept with its outputs (`results.outputs.SUMMARY`,
built when it closes), read in one query: the headquarters' roll-up of 3,800 campaigns reads
3,800 small rows, not 3,800 campaigns' ballots (`bench/rollup.py`). A summary not built yet
(a campaign closed while the queue was down, or an upgrade that changed how figures are made)
is built here when few are missing, and otherwise queued, the page saying how many are still
being prepared.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace

import sqlalchemy as sa
from flask import abort
from flask_babel import force_locale

from analysis.figures import competition_ranks
from analysis.rollup import (
    Aggregate,
    SubjectSummary,
    aggregate,
    summaries_from_json,
)
from evalapp.auth.models import User
from evalapp.campaigns.models import Campaign, CampaignStatus
from evalapp.extensions import db
from evalapp.i18n import DEFAULT_LOCALE
from evalapp.jobs import JobsUnavailable, enqueue
from evalapp.results import store
from evalapp.results.outputs import SUMMARY
from evalapp.rounds.models import Round
from evalapp.units.models import OrgUnit, UnitKind
from evalapp.units.operations import subtree_ids

# Summaries built in the request when missing; more are queued (each takes a campaign's
# results, tens of milliseconds to seconds).
BUILT_IN_REQUEST = 20


def rollup_for(user: User, round_id: int) -> tuple[Round, OrgUnit]:
    """The round and the unit whose roll-up `user` reads: their own unit when the round was
    made above it (a 直属海关's leader reads its part of the administration's round), the
    round's unit when it was made below theirs. 404 for a round of neither; 403 for an
    administrator (三员分立: no figures), before anything is looked up."""
    if user.role.is_administrator:
        abort(403)
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        abort(404)
    if round_.unit_id in subtree_ids(user.unit_id):
        return round_, round_.unit
    if user.unit_id in subtree_ids(round_.unit_id):
        return round_, user.unit
    abort(404)


def visible_rounds(user: User) -> list[Round]:
    """The rounds whose roll-up `user` may read, newest first."""
    if user.role.is_administrator:
        return []
    own = subtree_ids(user.unit_id)
    above = _ancestors(user.unit_id)
    return list(db.session.scalars(sa.select(Round).where(
        Round.unit_id.in_(own) | Round.unit_id.in_(above))
        .order_by(Round.created_at.desc(), Round.id.desc())))


def _ancestors(unit_id: int) -> list[int]:
    parents = dict(db.session.execute(sa.select(OrgUnit.id, OrgUnit.parent_id)).all())
    found = []
    while (unit_id := parents.get(unit_id)) is not None:
        found.append(unit_id)
    return found


@dataclass(frozen=True)
class UnitRow:
    """A unit of the tree below the reader's with campaigns of the round under it: their
    figures together, its rank among the units of its level (by mean score), and the same
    unit's figures in the round before, when it had any."""

    unit: OrgUnit
    above: tuple[OrgUnit, ...]  # the units between the reader's and this one, top first
    campaign_id: int | None  # the round's closed campaign run at this unit, if any
    figures: Aggregate
    rank: int | None
    previous: Aggregate | None


@dataclass(frozen=True)
class Level:
    """The units of one level (直属海关, 隶属海关, 党支部…) below the reader's unit."""

    kind: UnitKind
    rows: tuple[UnitRow, ...]


@dataclass(frozen=True)
class Rollup:
    round: Round
    top: OrgUnit
    total: Aggregate
    previous_total: Aggregate | None
    levels: tuple[Level, ...]
    previous: Round | None
    campaigns: int  # the round's campaigns below `top`
    closed: int
    preparing: int  # closed campaigns whose summary is still being built


@dataclass(frozen=True)
class _Read:
    subjects: list[SubjectSummary]
    closed_at: dict[int, int]  # unit id → the round's closed campaign run at that unit
    campaigns: int
    closed: int
    preparing: int


def _read(round_: Round, units: Sequence[int]) -> _Read:
    """The summaries of the round's closed campaigns among `units`; those missing built
    (at most BUILT_IN_REQUEST of them) or queued."""
    campaigns = list(db.session.scalars(sa.select(Campaign).where(
        Campaign.round_id == round_.id, ~Campaign.is_template, Campaign.unit_id.in_(units))))
    closed = [c for c in campaigns if c.status is CampaignStatus.CLOSED]
    kept = store.ready_summaries(closed)
    missing = [c for c in closed if c.id not in kept]
    if missing:
        if len(missing) > BUILT_IN_REQUEST:
            try:
                enqueue("build-summaries", [c.id for c in missing])
                missing_now: list[Campaign] = []
            except JobsUnavailable:
                missing_now = missing
        else:
            missing_now = missing
        with force_locale(DEFAULT_LOCALE):
            kept |= {c.id: store.kept(c, SUMMARY) for c in missing_now}
    # a subject reporting for a unit outside the reader's tree counts at its campaign's unit
    unit_of = {c.id: c.unit_id for c in closed}
    inside = set(units)
    subjects = [s if s.unit_id in inside else replace(s, unit_id=unit_of[s.campaign_id])
                for content in kept.values() for s in summaries_from_json(json.loads(content))]
    return _Read(subjects, {c.unit_id: c.id for c in closed}, len(campaigns), len(closed),
                 len(closed) - len(kept))


def rollup(round_: Round, top: OrgUnit) -> Rollup:
    """The roll-up of `round_` below `top` (`top` included), against the round made before it
    at the same unit."""
    tree = _Tree(top.id)
    now = _read(round_, tree.ids)
    previous = db.session.scalar(sa.select(Round).where(
        Round.unit_id == round_.unit_id, Round.created_at < round_.created_at,
        Round.id != round_.id).order_by(Round.created_at.desc()).limit(1))
    before = tree.by_unit(_read(previous, tree.ids).subjects) if previous else {}
    current = tree.by_unit(now.subjects)
    levels = []
    for kind in UnitKind:
        units = [unit for unit in tree.units if unit.kind is kind and unit.id != top.id
                 and unit.id in current]
        if not units:
            continue
        figures = [aggregate(current[unit.id]) for unit in units]
        ranks = competition_ranks([f.mean_score for f in figures])
        levels.append(Level(kind, tuple(
            UnitRow(unit, tree.above(unit.id), now.closed_at.get(unit.id), f, rank,
                    aggregate(before[unit.id]) if unit.id in before else None)
            for unit, f, rank in zip(units, figures, ranks, strict=True))))
    return Rollup(round_, top, aggregate(now.subjects),
                  aggregate(before[top.id]) if top.id in before else None, tuple(levels),
                  previous, now.campaigns, now.closed, now.preparing)


class _Tree:
    """The units of a subtree, each with the units above it up to the top."""

    def __init__(self, top_id: int) -> None:
        self.ids = subtree_ids(top_id)
        self.units = list(db.session.scalars(
            sa.select(OrgUnit).where(OrgUnit.id.in_(self.ids)).order_by(OrgUnit.id)))
        parents = {unit.id: unit.parent_id for unit in self.units}
        self._units = {unit.id: unit for unit in self.units}
        self._up: dict[int, list[int]] = {}
        for unit in self.units:
            chain, at = [], unit.id
            while at is not None and at in parents:
                chain.append(at)
                at = None if at == top_id else parents[at]
            self._up[unit.id] = chain

    def above(self, unit_id: int) -> tuple[OrgUnit, ...]:
        """The units between the top (left out) and `unit_id` (left out), top first: what
        tells apart the many 第一党支部 of a national round."""
        return tuple(self._units[at] for at in reversed(self._up[unit_id][1:-1]))

    def by_unit(self, subjects: Sequence[SubjectSummary]) -> dict[int, list[SubjectSummary]]:
        """Each unit's subjects: those reporting for it or any unit below it."""
        found: dict[int, list[SubjectSummary]] = {}
        for subject in subjects:
            for unit_id in self._up.get(subject.unit_id, ()):
                found.setdefault(unit_id, []).append(subject)
        return found
