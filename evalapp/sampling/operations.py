"""Draws nobody can steer: prepared (roster frozen, commitment published), then drawn with a
witness's value, then checked by anyone (analysis.commitment explains the construction).

Every record is kept: a draw after the first needs a real reason (is_real_reason), and so does
setting a prepared draw aside, because preparing again and again until a sample suits would
be the way to steer; every earlier draw is on each draw's record; and tickets are issued from
the current draw only (evalapp.roster.models.current_draw)."""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from analysis import allocate_proportional, draw_stratified_sample, roster_fingerprint
from analysis.commitment import (
    COMMITTED,
    LEGACY,
    SECRET_BYTES,
    DrawCheck,
    DrawCommitment,
    DrawRecord,
    EarlierDraw,
    check_draw,
    draw_parameters,
    normalise_witness,
)
from evalapp.audit.models import AuditEntry
from evalapp.auth.models import Role, User
from evalapp.campaigns.models import Campaign
from evalapp.database import utcnow
from evalapp.extensions import db
from evalapp.roster.models import DrawnPerson, RosterEntry, SampleDraw
from evalapp.sampling.custody import forget_secret, keep_secret, kept_secret, secret_is_kept

# A reason is real when it holds at least REASON_CHARACTERS letters or digits (a Chinese
# character is a letter), at least REASON_DISTINCT of them different: "。", "...", "111111"
# and "啊啊啊啊啊啊" are not reasons. Said on the page where a reason is asked for.
REASON_CHARACTERS = 6
REASON_DISTINCT = 4
# Who may acknowledge a commitment as received: a second account, never an organiser.
ACKNOWLEDGERS = frozenset({Role.AUDITOR, Role.LEADER, Role.SCRUTINEER})


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


class ThinReason(ValueError):
    """A redraw, or setting a prepared draw aside, with no real reason (is_real_reason)."""


class SecretLost(RuntimeError):
    """The prepared draw's secret is not in the instance folder, or is not the one committed
    to: it cannot be drawn, only set aside."""


class NotAnAcknowledger(PermissionError):
    """Only an auditor, a leader or a scrutineer acknowledges a commitment."""


def is_real_reason(text: str | None) -> bool:
    """Whether `text` is a reason by REASON_CHARACTERS' rule (after NFKC)."""
    meaningful = [char for char in unicodedata.normalize("NFKC", text or "")
                  if unicodedata.category(char)[0] in "LN"]
    return len(meaningful) >= REASON_CHARACTERS and len(set(meaningful)) >= REASON_DISTINCT


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

    The secret goes to the instance folder (evalapp.sampling.custody), not to the database.

    Raises DrawPending while another prepared draw waits, ThinReason for a draw after the
    first without a real reason, and ValueError when the request cannot be met by this
    roster (analysis.allocate_proportional says why). Flushes."""
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
    if sequence > 1 and not is_real_reason(request.reason):
        raise ThinReason("a draw after the first needs a real reason")
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
        parameters=commitment.parameters, scheme=COMMITTED, prepared_at=utcnow(),
        reason=request.reason)
    db.session.add(draw)
    db.session.flush()
    keep_secret(draw.commitment, commitment.secret)
    return draw


def make_draw(draw: SampleDraw, witness_typed: str, *, user: User | None) -> SampleDraw:
    """Draw a prepared draw with the witness's value: seed from the secret and the value, the
    people drawn, the secret revealed on the record.

    Raises DrawNotPending, WitnessRefused (a ValueError) for a value that is not digits as
    read out (analysis.commitment.normalise_witness), RosterChanged when the roster is not the
    one committed to (it is frozen, so only a change behind the app's back does that) and
    SecretLost. Flushes."""
    if not draw.committed or not draw.pending:
        raise DrawNotPending(f"draw {draw.sequence} is not waiting for a witness value")
    witness = normalise_witness(witness_typed)
    secret = _kept_secret(draw)
    if secret is None:
        raise SecretLost(f"the secret of draw {draw.sequence} is not kept for this node")
    roster = roster_of(draw_campaign(draw))
    if roster_fingerprint(roster.members) != draw.roster_fingerprint:
        raise RosterChanged(f"the roster of draw {draw.sequence} has changed")
    seed = _commitment(draw, secret).seed(witness)
    sample = draw_stratified_sample(roster.members, draw.allocation, seed)
    draw.witness_typed, draw.witness, draw.seed = witness_typed, witness, seed
    draw.secret = secret.hex()
    draw.drawn_at, draw.drawn_by = utcnow(), user
    forget_secret(draw.commitment or "")
    db.session.flush()
    # One bulk INSERT rather than an object a person (5,000 from a system-wide roster).
    rows = [{"draw_id": draw.id, "roster_entry_id": roster.entry_ids[staff_number]}
            for drawn in sample.values() for staff_number in drawn]
    if rows:
        db.session.execute(sa.insert(DrawnPerson), rows)
    db.session.expire(draw, ["people"])
    return draw


def abandon_draw(draw: SampleDraw, reason: str) -> SampleDraw:
    """Set a prepared draw aside, with its reason; it stays on record (its secret shown, when
    it was kept).

    Raises DrawNotPending, ThinReason without a real reason, and SecretLost when a secret is
    kept that this node cannot unwrap (another node's key-encryption key): setting the draw
    aside here would lose the secret the record is to publish. Flushes."""
    if not draw.committed or not draw.pending:
        raise DrawNotPending(f"draw {draw.sequence} is not waiting for a witness value")
    if not is_real_reason(reason):
        raise ThinReason("setting a prepared draw aside needs a real reason")
    secret = _kept_secret(draw)
    if secret is None and secret_is_kept(draw.commitment or ""):
        raise SecretLost(f"the secret of draw {draw.sequence} is not this node's to read")
    draw.abandoned_at, draw.abandon_reason = utcnow(), reason.strip()
    draw.secret = secret.hex() if secret is not None else None
    forget_secret(draw.commitment or "")
    db.session.flush()
    return draw


def acknowledge_draw(draw: SampleDraw, user: User) -> SampleDraw:
    """A second account (ACKNOWLEDGERS) says it received the commitment, as printed on the
    meeting notice, before the draw: the time is the server's, and the organiser cannot give
    it alone. The first acknowledgement stands. Raises DrawNotPending once the draw is drawn
    or set aside, and NotAnAcknowledger. Flushes."""
    if user.role not in ACKNOWLEDGERS:
        raise NotAnAcknowledger(f"a {user.role} does not acknowledge commitments")
    if not draw.committed or not draw.pending:
        raise DrawNotPending(f"draw {draw.sequence} is not waiting for a witness value")
    if draw.acknowledged_at is None:
        draw.acknowledged_at, draw.acknowledged_by = utcnow(), user
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


def _commitment(draw: SampleDraw, secret: bytes) -> DrawCommitment:
    return DrawCommitment(secret, draw.roster_fingerprint, draw.parameters or "")


def _kept_secret(draw: SampleDraw) -> bytes | None:
    """The secret kept for the draw, when it is the one committed to."""
    secret = kept_secret(draw.commitment or "")
    if secret is None or _commitment(draw, secret).digest() != draw.commitment:
        return None
    return secret


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
        witness_typed=draw.witness_typed, witness=draw.witness, scheme=draw.scheme,
        sequence=draw.sequence, earlier=tuple(map(_earlier, earlier_draws(draw))))


def earlier_draws(draw: SampleDraw) -> list[SampleDraw]:
    """Every draw of the campaign before this one, first first."""
    return list(db.session.scalars(sa.select(SampleDraw).where(
        SampleDraw.campaign_id == draw.campaign_id, SampleDraw.sequence < draw.sequence)
        .order_by(SampleDraw.sequence)))


def _earlier(draw: SampleDraw) -> EarlierDraw:
    state = "drawn" if draw.drawn_at else "set aside" if draw.abandoned_at else "prepared"
    return EarlierDraw(
        sequence=draw.sequence, scheme=draw.scheme, state=state, reason=draw.reason,
        commitment=draw.commitment, secret=draw.revealed_secret, witness=draw.witness,
        seed=draw.seed, prepared_at=iso_time(draw.prepared_at), drawn_at=iso_time(draw.drawn_at),
        set_aside=draw.abandon_reason)


def iso_time(moment: datetime | None) -> str | None:
    """A time on a record: ISO 8601 (UTC), or None."""
    return moment.isoformat() if moment is not None else None


def verify_draw(draw: SampleDraw) -> tuple[DrawCheck, ...]:
    """Recompute a drawn draw from the roster as stored and its record (analysis.check_draw):
    one check per step, each saying whether it matches. A legacy draw is checked from its
    seed, and only when nothing says it was committed: the record's scheme, an earlier
    committed draw, or the audit log's entry for its preparation (whoever erased the
    commitment and the scheme in the database must also erase that entry, which the log's
    own protection shows). Raises DrawNotMade for a draw not drawn."""
    checks = check_draw(draw_record(draw))
    logged = audited_commitment(draw)
    if draw.scheme == LEGACY and logged is not None:
        scheme = DrawCheck("scheme", False, LEGACY, f"{COMMITTED} ({logged})")
        checks = tuple(scheme if check.name == "scheme" else check for check in checks)
    return checks


def audited_commitment(draw: SampleDraw) -> str | None:
    """The commitment the audit log recorded when this draw was prepared, if it did."""
    for detail in db.session.scalars(sa.select(AuditEntry.detail).where(
            AuditEntry.campaign_id == draw.campaign_id, AuditEntry.action == "sample.prepare")):
        if isinstance(detail, dict) and detail.get("draw") == draw.sequence:
            return str(detail.get("commitment"))
    return None
