"""Drawing a recorded, reproducible stratified sample from a campaign's roster."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from analysis import allocate_proportional, draw_stratified_sample, roster_fingerprint
from evalapp.auth.models import User
from evalapp.campaigns.models import Campaign
from evalapp.extensions import db
from evalapp.roster.models import DrawnPerson, RosterEntry, SampleDraw


@dataclass(frozen=True)
class DrawRequest:
    fraction: float | None = None
    total: int | None = None
    minimum_per_group: int = 0
    seed: str | None = None  # None: a fresh random seed, shown to the organiser afterwards
    reason: str | None = None  # required for every draw after the first


def new_seed() -> str:
    return secrets.token_hex(8)


def draw_sample(campaign: Campaign, request: DrawRequest, *, user: User | None) -> SampleDraw:
    groups = campaign.rater_groups
    entries = db.session.execute(
        sa.select(RosterEntry.rater_group_id, RosterEntry.staff_number, RosterEntry.id)
        .where(RosterEntry.campaign_id == campaign.id)
        .order_by(RosterEntry.id)
    ).all()
    # Members are identified by staff number: the same roster imported again gets new row
    # ids but must still give the same sample for the same seed.
    members: dict[str, list[str]] = {str(group.id): [] for group in groups}
    entry_ids: dict[str, int] = {}
    for group_id, staff_number, entry_id in entries:
        members[str(group_id)].append(staff_number)
        entry_ids[staff_number] = entry_id
    allocation = allocate_proportional(
        {stratum: len(ids) for stratum, ids in members.items()},
        total=request.total,
        fraction=request.fraction,
        minimum=request.minimum_per_group,
    )
    seed = request.seed or new_seed()
    sample = draw_stratified_sample(members, allocation, seed)
    previous = db.session.scalar(
        sa.select(sa.func.max(SampleDraw.sequence)).where(SampleDraw.campaign_id == campaign.id)
    )
    draw = SampleDraw(
        campaign_id=campaign.id,
        sequence=(previous or 0) + 1,
        seed=seed,
        fraction=request.fraction,
        total=request.total,
        minimum_per_group=request.minimum_per_group,
        allocation={str(stratum): count for stratum, count in allocation.items()},
        roster_fingerprint=roster_fingerprint(members),
        drawn_by=user,
        reason=request.reason,
    )
    draw.people = [
        DrawnPerson(roster_entry_id=entry_ids[staff_number])
        for drawn in sample.values()
        for staff_number in drawn
    ]
    db.session.add(draw)
    db.session.flush()
    return draw
