"""Sample draws as an organiser makes them on the web: prepare, then draw with the witness
value (typed twice), or set aside; and a legacy draw as the data migrated from before
commitments holds it."""

from __future__ import annotations

import sqlalchemy as sa

from analysis import allocate_proportional, draw_stratified_sample, roster_fingerprint
from analysis.commitment import LEGACY
from evalapp.auth.models import Role
from evalapp.database import utcnow
from evalapp.extensions import db
from evalapp.roster.models import DrawnPerson, RosterEntry, SampleDraw
from evalapp.sampling.custody import kept_secret
from evalapp.sampling.operations import roster_of
from tests.support.factories import groups_of, make_campaign, make_user, make_world
from tests.support.web import csrf_token


def campaign_with_roster(sizes: tuple[int, ...]) -> int:
    """A campaign of the customs unit (with an organiser and an auditor there) whose rater
    groups hold `sizes` people, staff numbers "<group position>-<n:03d>"; its id."""
    world = make_world()
    make_user("organiser", world.customs)
    make_user("auditor", world.customs, Role.AUDITOR)
    campaign = make_campaign(world.customs)
    for group, size in zip(groups_of(campaign), sizes, strict=True):
        db.session.add_all(RosterEntry(campaign_id=campaign.id, rater_group_id=group.id,
                                       name=f"{group.name_zh}{n}",
                                       staff_number=f"{group.position}-{n:03d}")
                           for n in range(size))
    db.session.commit()
    return campaign.id


def prepare(client, campaign_id: int, **data):
    path = f"/campaigns/{campaign_id}/draws/"
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


def draw_with(client, location: str, witness: str, again: str | None = None):
    """Draw the prepared draw at `location` (its page) with the witness value."""
    return client.post(f"{location}/draw", data={
        "csrf_token": csrf_token(client, location), "witness": witness,
        "again": witness if again is None else again})


def set_aside(client, location: str, reason: str):
    return client.post(f"{location}/abandon", data={
        "csrf_token": csrf_token(client, location), "reason": reason})


def prepare_and_draw_on_the_web(client, campaign_id: int, witness: str = "3 5 1 6", **data):
    """Both steps; the draw's page address is returned."""
    prepared = prepare(client, campaign_id, **data)
    assert prepared.status_code == 303, prepared.get_data(as_text=True)
    location = prepared.headers["Location"]
    drawn = draw_with(client, location, witness)
    assert drawn.status_code == 303, drawn.get_data(as_text=True)
    return location


def last_draw(app) -> tuple[SampleDraw, list[str]]:
    """The latest draw record (detached) and the staff numbers it drew, sorted."""
    with app.app_context():
        record = db.session.scalar(sa.select(SampleDraw).order_by(SampleDraw.id.desc()))
        people = sorted(p.roster_entry.staff_number for p in record.people)
        db.session.expunge(record)
        return record, people


def kept_secret_of(app, record: SampleDraw) -> str:
    """The secret of a prepared draw, as hex, from where it waits (wrapped, in the
    database)."""
    with app.app_context():
        secret = kept_secret(record.commitment)
    assert secret is not None
    return secret.hex()


def make_legacy_draw(campaign, seed: str, fraction: float) -> SampleDraw:
    """A draw as recorded before commitments: a seed, no commitment, drawn at once."""
    roster = roster_of(campaign)
    allocation = allocate_proportional({k: len(v) for k, v in roster.members.items()},
                                       fraction=fraction)
    sample = draw_stratified_sample(roster.members, allocation, seed)
    draw = SampleDraw(campaign_id=campaign.id, sequence=1, seed=seed, fraction=fraction,
                      allocation={str(k): v for k, v in allocation.items()},
                      roster_fingerprint=roster_fingerprint(roster.members), drawn_at=utcnow(),
                      scheme=LEGACY)
    draw.people = [DrawnPerson(roster_entry_id=roster.entry_ids[staff])
                   for staff_numbers in sample.values() for staff in staff_numbers]
    db.session.add(draw)
    db.session.flush()
    return draw
