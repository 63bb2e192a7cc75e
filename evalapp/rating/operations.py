"""Checking tickets and storing ballots, exactly once per ticket.

The ticket is spent by deleting its row of unspent tickets and its ballots go into the
campaign's sealed ballot box in the same transaction, so a ballot exists if and only if its
ticket is spent. Nothing readable is written beside the spend, and nothing of the ticket: the
box is encrypted to a key the database never holds, and it carries only a digest of the
ticket with a random mark the rater's phone chose on entering, which tells a double tap from
another phone and cannot be computed without that mark (which the phone forgets once stored).
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from evalapp.ballotbox.operations import seal_ballots, sealed_with
from evalapp.ballotbox.sealing import SealedContent
from evalapp.ballots.models import encode_levels
from evalapp.campaigns.models import Answer, Campaign, CampaignStatus, Satisfaction, Scale
from evalapp.extensions import db
from evalapp.rating.questionnaire import batch_subject_ids, questionnaire
from evalapp.tickets.models import Ticket, TicketBatch
from evalapp.tickets.operations import spend
from forms.ballot import (
    BallotFormBase,
    ItemLayout,
    SubjectLayout,
    comment_field,
    common_field,
    individual_field,
    satisfaction_field,
)


class TicketState(enum.StrEnum):
    VALID = "valid"
    UNKNOWN = "unknown"
    SPENT = "spent"
    VOIDED = "voided"
    ON_PAPER = "on_paper"  # a clerk has keyed its paper ballot: no phone may use it
    NOT_OPEN = "not_open"
    CLOSED = "closed"


@dataclass(frozen=True)
class TicketCheck:
    state: TicketState
    campaign_id: int | None = None
    rater_group_id: int | None = None
    subject_ids: tuple[int, ...] = ()
    box_public_key: bytes | None = None
    opened_at: datetime | None = None  # with the id, names the questionnaire's version
    ticket_id: int | None = None


class SubmitOutcome(enum.StrEnum):
    STORED = "stored"
    ALREADY_STORED = "already_stored"  # by this rater (a double tap): same spend mark


@dataclass(frozen=True)
class Refused:
    state: TicketState


# Built once: the rater path asks it on nearly every request, and building the statement
# cost more than its round trip.
_CHECK = (
    sa.select(Ticket.spent, Ticket.voided, Ticket.paper, Ticket.id,
              TicketBatch.rater_group_id, TicketBatch.id,
              Campaign.id, Campaign.status, Campaign.box_public_key, Campaign.opened_at)
    .join(TicketBatch, Ticket.batch_id == TicketBatch.id)
    .join(Campaign, TicketBatch.campaign_id == Campaign.id)
    .where(Ticket.token_hash == sa.bindparam("token_hash"))
)
# Closing the campaign updates its row, so it waits for submits holding this share lock: no
# ballot slips into a campaign that has just been closed. (SQLite needs no lock: its write
# transactions already run one at a time.)
_CHECK_LOCKED = _CHECK.with_for_update(read=True, of=Campaign)


def check_ticket(token_hash: str, *, lock_campaign: bool = False) -> TicketCheck:
    # Core on the session's connection: the ORM's handling of a plain row of columns cost
    # more than the query.
    row = db.session.connection().execute(
        _CHECK_LOCKED if lock_campaign else _CHECK, {"token_hash": token_hash}).first()
    if row is None:
        return TicketCheck(TicketState.UNKNOWN)
    (spent, voided, paper, ticket_id, group_id, batch_id, campaign_id, status, public_key,
     opened_at) = row
    subject_ids = (questionnaire(campaign_id, opened_at).batch_subjects(batch_id)
                   if opened_at is not None else batch_subject_ids(batch_id))
    if status is CampaignStatus.DRAFT:
        state = TicketState.NOT_OPEN
    elif status is CampaignStatus.CLOSED:
        state = TicketState.CLOSED
    elif voided:
        state = TicketState.VOIDED
    elif spent:
        state = TicketState.SPENT
    elif paper:
        state = TicketState.ON_PAPER
    else:
        state = TicketState.VALID
    return TicketCheck(state, campaign_id, group_id, subject_ids, public_key, opened_at,
                       ticket_id)


def spend_check(token_hash: str, mark: str) -> str:
    """What the sealed box of a phone's spend carries to recognise that phone (64 hex
    digits): SHA-256 of the ticket's hash and the phone's 128-bit mark. Without the mark it
    points at no ticket."""
    return hashlib.sha256(f"{token_hash}:{mark}".encode()).hexdigest()


def spent_with(token_hash: str, mark: str) -> bool:
    """Whether this ticket was spent by the phone that chose `mark` (its own ballot is in,
    and the box not yet opened)."""
    return sealed_with(spend_check(token_hash, mark))


def submit_ballots(
    token_hash: str, mark: str, ballots: Sequence[SealedContent]
) -> SubmitOutcome | Refused:
    """Spend the ticket with the phone's mark and seal its ballots; the caller commits.

    Of any number of concurrent submits of one ticket exactly one deletes its unspent row.
    A loser carrying the winner's mark is the same phone tapping twice and is told the ballot
    is in; any other loser is told the ticket was used. A ticket a clerk has started keying
    on paper is never spent here (its claim and this spend write the same row, in turn).
    """
    check = check_ticket(token_hash, lock_campaign=True)
    if check.state not in (TicketState.VALID, TicketState.SPENT):
        return Refused(check.state)
    if sorted(ballot.subject_id for ballot in ballots) != sorted(check.subject_ids):
        raise ValueError("the ballots do not match the subjects of the ticket")
    if not spend(token_hash):
        if spent_with(token_hash, mark):
            return SubmitOutcome.ALREADY_STORED
        return Refused(check_ticket(token_hash).state)
    assert check.box_public_key is not None  # an open campaign has a box (a CHECK says so)
    seal_ballots(check.campaign_id, check.box_public_key, check.rater_group_id, ballots,
                 spend_check=spend_check(token_hash, mark))
    return SubmitOutcome.STORED


def contents_of(
    form: BallotFormBase, layout: Sequence[SubjectLayout], receipts: Mapping[int, str]
) -> list[SealedContent]:
    """The ballots a validated form holds, one per subject of `layout`, each with the
    receipt `receipts` gives its subject."""
    return [
        SealedContent(
            subject_id=s.subject_id,
            levels=encode_levels(
                [_answer(item, form[common_field(s.subject_id, item.id)].data)
                 for item in s.common_items]
                + [_answer(item, form[individual_field(s.subject_id, item.id)].data)
                   for item in s.individual_items]),
            satisfaction=_satisfaction(form[satisfaction_field(s.subject_id)].data),
            comment=_opinion(form, s.subject_id),
            receipt_code=receipts[s.subject_id],
        )
        for s in layout
    ]


def _opinion(form: BallotFormBase, subject_id: int) -> str | None:
    """The subject's opinion, if the form asks one (a nomination's does not)."""
    name = comment_field(subject_id)
    return ((form[name].data or "").strip() or None) if name in form else None


def _answer(item: ItemLayout, value: str | None) -> Answer | None:
    """A validated field's answer (the field offered only its item's answers)."""
    return Scale(item.scale).answer(value) if value else None


def _satisfaction(value: str | None) -> Satisfaction | None:
    return Satisfaction(value) if value else None
