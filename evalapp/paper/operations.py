"""Keying paper ballots into the sealed box, exactly once across phones and paper.

A paper ballot carries its ticket's code. The first keying claims the ticket for paper with a
conditional UPDATE of the ticket's unspent row (from then on no phone can spend it: the
phone's spend requires that row not to be on paper, and a DELETE and an UPDATE of one row run
one after the other); the keying that makes two agree spends it and seals the ballot into the
campaign's box, in one transaction, exactly as a phone's submit does. Keyings are kept only
until then, hidden with a key derived from the code on the paper (`evalapp.paper.keying`).

Every keying of a ticket runs with the unspent row locked by that UPDATE (PostgreSQL;
SQLite's write transactions already run one at a time), so two clerks keying one ballot at
once are put in order rather than both taken as "the second".
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace

import sqlalchemy as sa
from nacl.exceptions import CryptoError

from evalapp.ballotbox.operations import seal_ballots
from evalapp.ballotbox.sealing import SealedContent
from evalapp.ballots.models import Ballot, Receipt
from evalapp.campaigns.models import Campaign, CampaignStatus, RaterGroup
from evalapp.extensions import db
from evalapp.keywrap import key_encryption_key
from evalapp.paper.keying import (
    Field,
    Value,
    decided,
    differences,
    hide,
    keying_key,
    reveal,
    value_of,
)
from evalapp.rating.operations import TicketCheck, TicketState, check_ticket
from evalapp.tickets.models import (
    PaperKeying,
    Recheck,
    Ticket,
    TicketBatch,
    UnspentTicket,
    batch_subjects,
)
from evalapp.tickets.operations import spend
from evalapp.tickets.tokens import hash_token, new_receipt_code


class Stage(enum.StrEnum):
    """What a paper ballot waits for."""

    FIRST = "first"  # its first keying
    SECOND = "second"  # a keying by another clerk, who does not see the first
    RECHECK = "recheck"  # two keyings agree, and the system drew it for a third
    DECIDE = "decide"  # the keyings differ: a person who keyed none of them decides


class Keyed(enum.StrEnum):
    """What a keying led to."""

    FIRST = "first"
    RECHECK = "recheck"  # agreed with the first and drawn for a third keying
    DIFFER = "differ"  # waits for a decision
    # In the box, the ticket spent, by one of three roads:
    SEALED = "sealed"  # the second keying agreed with the first
    RECHECKED = "rechecked"  # the drawn third keying agreed with the first two
    DECIDED = "decided"  # a person who keyed none of the keyings decided where they differed


class Hold(enum.StrEnum):
    """Why a clerk may not key (or decide) this ballot now."""

    KEYED_BY_YOU = "keyed_by_you"
    AWAITS_DECISION = "awaits_decision"
    NOTHING_TO_DECIDE = "nothing_to_decide"
    # Earlier keyings hidden under another key-encryption key (a node configured apart from
    # the others): they cannot be compared.
    UNREADABLE = "unreadable"


@dataclass(frozen=True)
class Refused:
    reason: TicketState | Hold


@dataclass(frozen=True)
class Pending:
    """A paper ballot being keyed: what it waits for, and for a decision, the fields the
    keyings disagree on with the distinct values keyed for each."""

    check: TicketCheck
    stage: Stage
    keyed_by: tuple[int, ...]
    disputed: tuple[tuple[Field, tuple[Value, ...]], ...] = ()


def pending(code: str, campaign_id: int) -> Pending | Refused:
    """The paper ballot of a ticket (by its canonical code, as the paper carries it) of the
    campaign as it stands (for the pages; nothing is written). A ticket of another campaign,
    which may be another unit's, is unknown here."""
    check = check_ticket(hash_token(code))
    if check.state is not TicketState.UNKNOWN and check.campaign_id != campaign_id:
        return Refused(TicketState.UNKNOWN)
    if check.state not in (TicketState.VALID, TicketState.ON_PAPER):
        return Refused(check.state)
    found = _read(check, code)
    return found if isinstance(found, Refused) else found[1]


def key_ballot(code: str, clerk_id: int, contents: Sequence[SealedContent]) -> Keyed | Refused:
    """Record one clerk's keying of a ticket's paper ballot; the caller commits (or rolls
    back on Refused). `code`: the ticket's canonical code. ValueError when `contents` do not
    cover the ticket's subjects."""
    token_hash = hash_token(code)
    check = _claimed(token_hash)
    if isinstance(check, Refused):
        return check
    if sorted(content.subject_id for content in contents) != sorted(check.subject_ids):
        raise ValueError("the keying does not match the subjects of the ticket")
    found = _read(check, code)
    if isinstance(found, Refused):
        return found
    keyings, state = found
    if clerk_id in state.keyed_by:
        return Refused(Hold.KEYED_BY_YOU)
    if state.stage is Stage.DECIDE:
        return Refused(Hold.AWAITS_DECISION)
    assert check.ticket_id is not None and check.rater_group_id is not None
    db.session.add(PaperKeying(ticket_id=check.ticket_id, clerk_id=clerk_id,
                               box=hide(_key(code), check.rater_group_id, contents)))
    readings = [contents for _clerk, contents in keyings] + [list(contents)]
    if len(readings) == 1:
        return Keyed.FIRST
    agree = not differences(readings)
    if state.stage is Stage.RECHECK:
        _set_recheck(check, Recheck.AGREED if agree else Recheck.DIFFERED)
    if not agree:
        return Keyed.DIFFER
    if state.stage is Stage.SECOND and _drawn_for_recheck(check):
        _set_recheck(check, Recheck.DRAWN)
        return Keyed.RECHECK
    _seal(token_hash, check, readings[0])
    return Keyed.RECHECKED if state.stage is Stage.RECHECK else Keyed.SEALED


def decide(code: str, decider_id: int, decisions: dict[Field, Value]) -> Keyed | Refused:
    """Seal the ballot as keyed, with the disputed fields as a person who keyed none of its
    keyings decided them, paper in hand; the caller commits. ValueError unless `decisions`
    covers exactly the disputed fields."""
    token_hash = hash_token(code)
    check = _claimed(token_hash)
    if isinstance(check, Refused):
        return check
    found = _read(check, code)
    if isinstance(found, Refused):
        return found
    keyings, state = found
    if state.stage is not Stage.DECIDE:
        return Refused(Hold.NOTHING_TO_DECIDE)
    if decider_id in state.keyed_by:
        return Refused(Hold.KEYED_BY_YOU)
    if set(decisions) != {field for field, _values in state.disputed}:
        raise ValueError("a decision for each disputed field, and for no other")
    _seal(token_hash, check, decided(keyings[0][1], decisions))
    return Keyed.DECIDED


class Void(enum.StrEnum):
    """What became of a paper ballot brought to be counted as void."""

    RECORDED = "recorded"
    # A void paper ballot of this ticket is on the tally already: it counts one per ticket,
    # so a second paper with the same code changes nothing (and is said so).
    ALREADY = "already"
    REFUSED = "refused"  # not a used or withdrawn ticket of the campaign


def record_void(campaign: Campaign, token_hash: str) -> Void:
    """Count a paper ballot whose ticket (of `campaign`) was used on a phone or withdrawn as
    void: it is never stored, only counted on the tally (the caller commits)."""
    of_campaign = (Ticket.token_hash == token_hash) & Ticket.batch_id.in_(
        sa.select(TicketBatch.id).where(TicketBatch.campaign_id == campaign.id))
    marked = db.session.execute(
        sa.update(Ticket).where(of_campaign, Ticket.spent | Ticket.voided,
                                sa.not_(Ticket.paper_void))
        .values(paper_void=True).execution_options(synchronize_session=False))
    if marked.rowcount == 1:
        return Void.RECORDED
    already = db.session.scalar(sa.select(sa.func.count(Ticket.id)).where(
        of_campaign, Ticket.paper_void))
    return Void.ALREADY if already else Void.REFUSED


def _claimed(token_hash: str) -> TicketCheck | Refused:
    """The ticket, claimed for paper and its unspent row locked for this transaction. The
    ticket's own row is written by the first keying only: the keying that seals the ballot
    writes nothing of the ticket (see `evalapp.tickets.models.UnspentTicket`)."""
    check = check_ticket(token_hash, lock_campaign=True)
    if check.state not in (TicketState.VALID, TicketState.ON_PAPER):
        return Refused(check.state)
    claimed = db.session.execute(
        sa.update(UnspentTicket).where(UnspentTicket.token_hash == token_hash)
        .values(paper=True).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # a phone spent it (or it was withdrawn) meanwhile
        return Refused(check_ticket(token_hash).state)
    if check.state is TicketState.VALID:
        db.session.execute(
            sa.update(Ticket).where(Ticket.token_hash == token_hash, sa.not_(Ticket.paper))
            .values(paper=True).execution_options(synchronize_session=False))
    return check


def _key(code: str) -> bytes:
    return keying_key(code, key_encryption_key())


def _read(check: TicketCheck, code: str
          ) -> tuple[list[tuple[int, list[SealedContent]]], Pending] | Refused:
    """The ticket's keyings, (clerk, ballots keyed) in the order they were made, and what its
    ballot waits for; Refused(UNREADABLE) when they were hidden under another key-encryption
    key (a node configured apart from the others)."""
    key = _key(code)
    rows = db.session.execute(
        sa.select(PaperKeying.clerk_id, PaperKeying.box)
        .where(PaperKeying.ticket_id == check.ticket_id).order_by(PaperKeying.id)).all()
    try:
        keyings = [(clerk, reveal(key, box)) for clerk, box in rows]
    except CryptoError:
        return Refused(Hold.UNREADABLE)
    return keyings, _pending(check, keyings)


def _pending(check: TicketCheck, keyings: list[tuple[int, list[SealedContent]]]) -> Pending:
    keyed_by = tuple(clerk for clerk, _contents in keyings)
    readings = [contents for _clerk, contents in keyings]
    if not readings:
        return Pending(check, Stage.FIRST, keyed_by)
    if len(readings) == 1:
        return Pending(check, Stage.SECOND, keyed_by)
    disputed = differences(readings)
    if not disputed:  # two agree, and wait for the drawn re-check
        return Pending(check, Stage.RECHECK, keyed_by)
    return Pending(check, Stage.DECIDE, keyed_by, tuple(
        (field, tuple(dict.fromkeys(value_of(reading[position], field)
                                    for reading in readings)))
        for field in disputed
        for position in [_position(readings[0], field)]))


def _position(contents: Sequence[SealedContent], field: Field) -> int:
    return next(i for i, content in enumerate(contents) if content.subject_id == field.subject_id)


def _drawn_for_recheck(check: TicketCheck) -> bool:
    """The system's draw, for this ballot alone, of whether it is keyed a third time."""
    percent = db.session.scalar(
        sa.select(Campaign.paper_recheck_percent).where(Campaign.id == check.campaign_id))
    return secrets.randbelow(100) < (percent or 0)


def _set_recheck(check: TicketCheck, recheck: Recheck) -> None:
    db.session.execute(sa.update(Ticket).where(Ticket.id == check.ticket_id)
                       .values(recheck=recheck).execution_options(synchronize_session=False))


def _seal(token_hash: str, check: TicketCheck, contents: Sequence[SealedContent]) -> None:
    """Spend the ticket on paper and seal its ballots with fresh receipts (as random as a
    phone's, so that the opened ballots do not show which came on paper); the keyings go."""
    spent = spend(token_hash, paper=True)
    assert spent  # claimed under lock in this transaction
    assert check.campaign_id is not None and check.box_public_key is not None
    assert check.rater_group_id is not None
    seal_ballots(check.campaign_id, check.box_public_key, check.rater_group_id, [
        replace(content, receipt_code=new_receipt_code()) for content in contents])
    db.session.execute(sa.delete(PaperKeying).where(PaperKeying.ticket_id == check.ticket_id))


@dataclass(frozen=True)
class ModeCount:
    """How one rater group's tickets were used, and what came of its paper ballots. Counted
    on tickets only: ballots carry no mode, so a lone paper ballot in a group cannot be
    picked out of the results.

    Every ticket issued is in exactly one of `withdrawn`, `phone`, `paper`, `keying` and
    `not_returned` (each counted on its own from the tickets, so `reconciles` is a check,
    not a sum restated). A void paper ballot is not a sixth kind of ticket: its ticket was
    already used (`phone`, or a paper ballot already counted) or withdrawn, and counts there;
    the void papers are counted beside, for the pile of paper the scrutineers hold."""

    group: RaterGroup | None  # None: all groups
    issued: int  # every ticket issued, withdrawn ones included
    withdrawn: int  # withdrawn before they were used (the organiser's 作废)
    phone: int  # used on a phone: its ballots are in the box
    paper: int  # used on paper: the paper ballot keyed, agreed and sealed into the box
    # Paper ballots keyed but not agreed: while open, still being keyed; once the box is
    # open, discarded (their keyings never agreed) and not counted.
    keying: int
    not_returned: int  # neither used nor withdrawn, nor on paper
    void_used: int  # void paper ballots whose ticket had already been used
    void_withdrawn: int  # void paper ballots whose ticket had been withdrawn

    @property
    def paper_void(self) -> int:
        return self.void_used + self.void_withdrawn

    @property
    def paper_received(self) -> int:
        """Paper ballots handed in: counted, being keyed (or left unkeyed) and void."""
        return self.paper + self.keying + self.paper_void

    @property
    def reconciles(self) -> bool:
        """Issued = withdrawn + phone + paper + keying + not returned."""
        return self.issued == (self.withdrawn + self.phone + self.paper + self.keying
                               + self.not_returned)


_COUNTED = ("issued", "withdrawn", "phone", "paper", "keying", "not_returned", "void_used",
            "void_withdrawn")


@dataclass(frozen=True)
class BoxCount:
    """The ballots of an opened box, all groups together, each figure from its own table:
    `held` from the used tickets (one ballot for each subject a ticket covers), `opened` the
    ballots written at the opening, `valid` and `void` their receipts (the void rule
    decided at the opening). The two identities the sheet prints: held = opened =
    valid + void."""

    held: int
    opened: int
    valid: int
    void: int


@dataclass(frozen=True)
class Tally:
    groups: list[ModeCount]
    rechecked: int  # paper ballots keyed a third time
    recheck_agreed: int  # of which the third keying agreed with the first two
    recheck_waiting: int  # drawn, not yet keyed a third time
    box: BoxCount | None = None  # once the box is open

    @property
    def total(self) -> ModeCount:
        return ModeCount(None, *(sum(getattr(group, name) for group in self.groups)
                                 for name in _COUNTED))

    @property
    def agreement(self) -> float | None:
        """Share of re-checked ballots whose third keying agreed (None before any)."""
        return self.recheck_agreed / self.rechecked if self.rechecked else None


def tally(campaign: Campaign) -> Tally:
    """The tally sheet's figures per rater group (`ModeCount` defines each)."""
    count = sa.func.count(Ticket.id)
    unspent = sa.not_(Ticket.spent) & sa.not_(Ticket.voided)
    rows = db.session.execute(
        sa.select(RaterGroup,
                  count,
                  count.filter(Ticket.voided),
                  count.filter(Ticket.spent, sa.not_(Ticket.paper)),
                  count.filter(Ticket.spent, Ticket.paper),
                  count.filter(unspent, Ticket.paper),
                  count.filter(unspent, sa.not_(Ticket.paper)),
                  count.filter(Ticket.paper_void, Ticket.spent),
                  # a ticket claimed for paper and then withdrawn: its paper ballot is void
                  count.filter(Ticket.voided, Ticket.paper_void | Ticket.paper))
        .outerjoin(TicketBatch, TicketBatch.rater_group_id == RaterGroup.id)
        .outerjoin(Ticket, Ticket.batch_id == TicketBatch.id)
        .where(RaterGroup.campaign_id == campaign.id)
        .group_by(RaterGroup.id).order_by(RaterGroup.position)).all()
    rechecks = dict(db.session.execute(
        sa.select(Ticket.recheck, sa.func.count(Ticket.id)).join(TicketBatch)
        .where(TicketBatch.campaign_id == campaign.id, Ticket.recheck.is_not(None))
        .group_by(Ticket.recheck)).all())
    agreed = rechecks.get(Recheck.AGREED, 0)
    open_ = campaign.status is CampaignStatus.OPEN
    return Tally(
        groups=[ModeCount(group, *counts) for group, *counts in rows],
        rechecked=agreed + rechecks.get(Recheck.DIFFERED, 0),
        recheck_agreed=agreed,
        recheck_waiting=rechecks.get(Recheck.DRAWN, 0) if open_ else 0,
        box=_box_count(campaign) if campaign.status is CampaignStatus.CLOSED else None,
    )


def _box_count(campaign: Campaign) -> BoxCount:
    held = db.session.scalar(
        sa.select(sa.func.count()).select_from(Ticket)
        .join(TicketBatch, TicketBatch.id == Ticket.batch_id)
        .join(batch_subjects, batch_subjects.c.batch_id == Ticket.batch_id)
        .where(TicketBatch.campaign_id == campaign.id, Ticket.spent))
    opened = db.session.scalar(
        sa.select(sa.func.count()).select_from(Ballot).where(Ballot.campaign_id == campaign.id))
    receipts = dict(db.session.execute(
        sa.select(Receipt.void, sa.func.count()).where(Receipt.campaign_id == campaign.id)
        .group_by(Receipt.void)).all())
    return BoxCount(held or 0, opened or 0, receipts.get(False, 0), receipts.get(True, 0))
