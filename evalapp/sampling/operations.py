"""Draws nobody can steer: prepared (roster frozen, commitment published), then drawn with a
witness's value, then checked by anyone (analysis.commitment explains the construction).

Every record is kept: a draw after the first needs its reason, and a prepared draw can only
be set aside with one, because preparing again and again until a commitment suits would be
the way to steer."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from analysis import allocate_proportional, draw_stratified_sample, roster_fingerprint
from analysis.commitment import (
    SECRET_BYTES,
    DrawCheck,
    DrawCommitment,
    DrawRecord,
    check_draw,
    draw_parameters,
    normalise_witness,
)
from evalapp.auth.models import User
from evalapp.campaigns.models import Campaign
from evalapp.database import utcnow
from evalapp.extensions import db
from evalapp.roster.models import DrawnPerson, RosterEntry, SampleDraw


@dataclass(frozen=True)
class DrawRequest:
    fraction: float | None = None
    total: int | None = None
    minimum_per_group: int = 0
    reason: str | None = None  # required for every draw after the first


class DrawPending(RuntimeError):
    """A prepared draw waits for its witness value: draw it or set it aside first."""

    def __init__(self, draw: SampleDraw) -> None:
        super().__init__(f"draw {draw.sequence} is prepared and not drawn")
        self.draw = draw


class DrawNotPending(RuntimeError):
    """The draw was already drawn or set aside (or is a legacy draw)."""


class DrawNotMade(RuntimeError):
    """The draw was not drawn (it waits for its witness value, or was set aside): there is no
    sample to check."""


class RosterChanged(RuntimeError):
    """The roster no longer has the fingerprint recorded when the draw was prepared."""


@dataclass(frozen=True)
class Roster:
    """A campaign's roster as the draw sees it: staff numbers per rater group id (as text),
    and each staff number's roster row."""

    members: dict[str, list[str]]
    entry_ids: dict[str, int]


def roster_of(campaign: Campaign) -> Roster:
    # Members are identified by staff number: the same roster imported again gets new row
    # ids but must still give the same sample for the same seed.
    members: dict[str, list[str]] = {str(group.id): [] for group in campaign.rater_groups}
    entry_ids: dict[str, int] = {}
    for group_id, staff_number, entry_id in db.session.execute(
        sa.select(RosterEntry.rater_group_id, RosterEntry.staff_number, RosterEntry.id)
        .where(RosterEntry.campaign_id == campaign.id).order_by(RosterEntry.id)
    ):
        members.setdefault(str(group_id), []).append(staff_number)
        entry_ids[staff_number] = entry_id
    return Roster(members, entry_ids)


def pending_draw(campaign: Campaign) -> SampleDraw | None:
    return db.session.scalar(sa.select(SampleDraw).where(
        SampleDraw.campaign_id == campaign.id, SampleDraw.drawn_at.is_(None),
        SampleDraw.abandoned_at.is_(None)))


def prepare_draw(campaign: Campaign, request: DrawRequest, *,
                 secret: bytes | None = None) -> SampleDraw:
    """Fix the parameters, freeze the roster (its fingerprint) and commit to a secret: 32
    fresh bytes from the operating system's generator, as always on the organiser's pages;
    the demo and the tests give their own (`secret`) to repeat a draw.

    Raises DrawPending while another prepared draw waits, and ValueError when the request
    cannot be met by this roster (analysis.allocate_proportional says why). Flushes."""
    # One preparation at a time per campaign (PostgreSQL; SQLite's writers queue anyway), so
    # that two organisers at once cannot both find no pending draw. NO KEY UPDATE leaves the
    # campaign's tickets and ballots, which only reference it, free to be written meanwhile.
    db.session.execute(sa.select(Campaign.id).where(Campaign.id == campaign.id)
                       .with_for_update(key_share=True))
    waiting = pending_draw(campaign)
    if waiting is not None:
        raise DrawPending(waiting)
    roster = roster_of(campaign)
    allocation = allocate_proportional(
        {stratum: len(ids) for stratum, ids in roster.members.items()},
        total=request.total, fraction=request.fraction, minimum=request.minimum_per_group)
    previous = db.session.scalar(
        sa.select(sa.func.max(SampleDraw.sequence)).where(SampleDraw.campaign_id == campaign.id))
    sequence = (previous or 0) + 1
    commitment = DrawCommitment(
        secret if secret is not None else secrets.token_bytes(SECRET_BYTES),
        roster_fingerprint(roster.members),
        draw_parameters(campaign.id, sequence, fraction=request.fraction, total=request.total,
                        minimum=request.minimum_per_group))
    draw = SampleDraw(
        campaign_id=campaign.id, sequence=sequence, fraction=request.fraction,
        total=request.total, minimum_per_group=request.minimum_per_group,
        allocation={str(stratum): count for stratum, count in allocation.items()},
        roster_fingerprint=commitment.roster_fingerprint, commitment=commitment.digest(),
        secret=commitment.secret.hex(), parameters=commitment.parameters,
        prepared_at=utcnow(), reason=request.reason)
    db.session.add(draw)
    db.session.flush()
    return draw


def make_draw(draw: SampleDraw, witness_typed: str, *, user: User | None) -> SampleDraw:
    """Draw a prepared draw with the witness's value: seed from the secret and the value, the
    people drawn, the secret revealed on the record.

    Raises DrawNotPending, ValueError for an empty or over-long value
    (analysis.commitment.normalise_witness) and RosterChanged when the roster is not the one
    committed to (it is frozen, so only a change behind the app's back does that). Flushes."""
    if not draw.committed or not draw.pending:
        raise DrawNotPending(f"draw {draw.sequence} is not waiting for a witness value")
    witness = normalise_witness(witness_typed)
    roster = roster_of(draw_campaign(draw))
    if roster_fingerprint(roster.members) != draw.roster_fingerprint:
        raise RosterChanged(f"the roster of draw {draw.sequence} has changed")
    seed = _commitment(draw).seed(witness)
    sample = draw_stratified_sample(roster.members, draw.allocation, seed)
    draw.witness_typed, draw.witness, draw.seed = witness_typed, witness, seed
    draw.drawn_at, draw.drawn_by = utcnow(), user
    draw.people = [DrawnPerson(roster_entry_id=roster.entry_ids[staff_number])
                   for drawn in sample.values() for staff_number in drawn]
    db.session.flush()
    return draw


def abandon_draw(draw: SampleDraw, reason: str) -> SampleDraw:
    """Set a prepared draw aside, with its reason; it stays on record (its secret shown).

    Raises DrawNotPending, and ValueError for an empty reason. Flushes."""
    if not draw.committed or not draw.pending:
        raise DrawNotPending(f"draw {draw.sequence} is not waiting for a witness value")
    if not reason.strip():
        raise ValueError("setting a prepared draw aside needs a reason")
    draw.abandoned_at, draw.abandon_reason = utcnow(), reason.strip()
    db.session.flush()
    return draw


def prepare_and_draw(campaign: Campaign, request: DrawRequest, *, secret: bytes,
                     witness: str, user: User | None) -> SampleDraw:
    """Prepare and draw at once, with a secret and a witness value the caller chooses: for the
    demo and the tests, where there is no meeting, so the caller alone decides the sample.
    The organiser's pages always take the two steps, with a fresh secret."""
    return make_draw(prepare_draw(campaign, request, secret=secret), witness, user=user)


def draw_campaign(draw: SampleDraw) -> Campaign:
    campaign = db.session.get(Campaign, draw.campaign_id)
    assert campaign is not None  # the foreign key
    return campaign


def _commitment(draw: SampleDraw) -> DrawCommitment:
    return DrawCommitment(bytes.fromhex(draw.secret or ""), draw.roster_fingerprint,
                          draw.parameters or "")


def draw_record(draw: SampleDraw) -> DrawRecord:
    """A drawn draw's record with the roster as stored now, as analysis.check_draw reads it
    (and as the exported record file holds it). Raises DrawNotMade for a draw not drawn
    (nothing to check yet, or set aside)."""
    if draw.drawn_at is None:
        raise DrawNotMade(f"draw {draw.sequence} was not drawn")
    roster = roster_of(draw_campaign(draw))
    staff_of = {entry_id: staff for staff, entry_id in roster.entry_ids.items()}
    return DrawRecord(
        members=roster.members, fraction=draw.fraction, total=draw.total,
        minimum=draw.minimum_per_group, roster_fingerprint=draw.roster_fingerprint,
        seed=draw.seed or "", allocation=draw.allocation,
        drawn=[staff_of.get(person.roster_entry_id, f"#{person.roster_entry_id}")
               for person in draw.people],
        parameters=draw.parameters, commitment=draw.commitment, secret=draw.secret,
        witness_typed=draw.witness_typed, witness=draw.witness)


def verify_draw(draw: SampleDraw) -> tuple[DrawCheck, ...]:
    """Recompute a drawn draw from the roster as stored and its record (analysis.check_draw):
    one check per step, each saying whether it matches. A legacy draw is checked from its
    seed. Raises DrawNotMade for a draw not drawn."""
    return check_draw(draw_record(draw))
