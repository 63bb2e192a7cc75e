"""Checking tickets and storing ballots, exactly once per ticket.

Anonymity lives here as much as in the schema: the ticket is spent by one conditional UPDATE
and the ballots are inserted without any reference to it, in the same transaction, so a
ballot exists if and only if its ticket is spent, and nothing stored says which ticket it was.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from evalapp.ballots.models import Ballot
from evalapp.ballots.operations import BallotContent, insert_ballots
from evalapp.campaigns.models import Campaign, CampaignStatus
from evalapp.extensions import db
from evalapp.tickets.models import Ticket, TicketBatch, batch_subjects


class TicketState(enum.StrEnum):
    VALID = "valid"
    UNKNOWN = "unknown"
    SPENT = "spent"
    VOIDED = "voided"
    NOT_OPEN = "not_open"
    CLOSED = "closed"


@dataclass(frozen=True)
class TicketCheck:
    state: TicketState
    campaign_id: int | None = None
    rater_group_id: int | None = None
    subject_ids: tuple[int, ...] = ()


class SubmitOutcome(enum.StrEnum):
    STORED = "stored"
    ALREADY_STORED = "already_stored"  # by this rater (a double tap): same receipts


@dataclass(frozen=True)
class Refused:
    state: TicketState


def check_ticket(token_hash: str, *, lock_campaign: bool = False) -> TicketCheck:
    query = (
        sa.select(Ticket.spent, Ticket.voided, TicketBatch.rater_group_id, TicketBatch.id,
                  Campaign.id, Campaign.status)
        .join(TicketBatch, Ticket.batch_id == TicketBatch.id)
        .join(Campaign, TicketBatch.campaign_id == Campaign.id)
        .where(Ticket.token_hash == token_hash)
    )
    if lock_campaign:
        # Closing the campaign updates its row, so it waits for submits holding this share
        # lock: no ballot slips into a campaign that has just been closed. (SQLite needs no
        # lock: its write transactions already run one at a time.)
        query = query.with_for_update(read=True, of=Campaign)
    row = db.session.execute(query).first()
    if row is None:
        return TicketCheck(TicketState.UNKNOWN)
    spent, voided, group_id, batch_id, campaign_id, status = row
    subject_ids = tuple(db.session.scalars(
        sa.select(batch_subjects.c.subject_id).where(batch_subjects.c.batch_id == batch_id)
        .order_by(batch_subjects.c.subject_id)
    ))
    if status is CampaignStatus.DRAFT:
        state = TicketState.NOT_OPEN
    elif status is CampaignStatus.CLOSED:
        state = TicketState.CLOSED
    elif voided:
        state = TicketState.VOIDED
    elif spent:
        state = TicketState.SPENT
    else:
        state = TicketState.VALID
    return TicketCheck(state, campaign_id, group_id, subject_ids)


def stored_receipts(campaign_id: int, receipts: Sequence[str]) -> set[str]:
    return set(db.session.scalars(
        sa.select(Ballot.receipt_code).where(
            Ballot.campaign_id == campaign_id, Ballot.receipt_code.in_(list(receipts))
        )
    ))


def submit_ballots(
    token_hash: str, ballots: Sequence[BallotContent]
) -> SubmitOutcome | Refused:
    """Spend the ticket and store its ballots; the caller commits.

    Of any number of concurrent submits of one ticket exactly one wins the conditional UPDATE.
    A loser whose receipts are already stored is the same rater tapping twice and is told the
    ballot is in; any other loser is told the ticket was used.
    """
    check = check_ticket(token_hash, lock_campaign=True)
    if check.state not in (TicketState.VALID, TicketState.SPENT):
        return Refused(check.state)
    if sorted(ballot.subject_id for ballot in ballots) != sorted(check.subject_ids):
        raise ValueError("the ballots do not match the subjects of the ticket")
    spent = db.session.execute(
        sa.update(Ticket)
        .where(Ticket.token_hash == token_hash, sa.not_(Ticket.spent), sa.not_(Ticket.voided))
        .values(spent=True)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        receipts = [ballot.receipt_code for ballot in ballots]
        if stored_receipts(check.campaign_id, receipts) == set(receipts):
            return SubmitOutcome.ALREADY_STORED
        return Refused(TicketState.SPENT)
    insert_ballots(check.campaign_id, check.rater_group_id, ballots)
    return SubmitOutcome.STORED
