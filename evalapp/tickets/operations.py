"""Issuing tickets. The plain codes exist only in the return value (for the sheet printed at
once); the database keeps their hashes."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from evalapp.audit.present import names
from evalapp.auth.models import User
from evalapp.campaigns.models import Campaign, RaterGroup, Subject
from evalapp.extensions import db
from evalapp.roster.models import SampleDraw, current_draw
from evalapp.tickets.models import Ticket, TicketBatch, UnspentTicket
from evalapp.tickets.tokens import hash_token, new_token


class NotCurrentDraw(ValueError):
    """Tickets are issued from a campaign's current draw only, once it is drawn."""


def draw_issuable(draw: SampleDraw) -> bool:
    """Whether tickets may be issued from `draw`: it is drawn and is its campaign's current
    draw (no later draw stands, drawn or waiting), so that an organiser who drew twice
    cannot issue from whichever sample suits."""
    current = current_draw(draw.campaign_id)
    return draw.drawn_at is not None and current is not None and current.id == draw.id


def sampled(campaign: Campaign, group: RaterGroup) -> bool:
    """Whether the campaign's current draw allocates people to `group`: then its tickets come
    from that draw alone, so that no batch of hand-picked raters stands beside the sample
    (a draw's verification lists only its own batches)."""
    current = current_draw(campaign.id)
    return current is not None and current.allocation.get(str(group.id), 0) > 0


def issue_tickets(
    campaign: Campaign,
    group: RaterGroup,
    subjects: Sequence[Subject],
    count: int,
    *,
    spares: int = 0,
    draw: SampleDraw | None = None,
    user: User | None = None,
) -> tuple[TicketBatch, list[str]]:
    """`count` tickets plus `spares` for `group`, covering `subjects`: the batch and the
    plain codes. Raises ValueError for nothing to issue or subjects of another campaign, and
    NotCurrentDraw when `draw` is given and tickets may not come from it (draw_issuable), or
    when it is not and the current draw samples `group` (`sampled`)."""
    if count < 0 or spares < 0 or count + spares == 0:
        raise ValueError("issue at least one ticket")
    if not subjects or any(subject.campaign_id != campaign.id for subject in subjects):
        raise ValueError("a ticket covers one or more subjects of its own campaign")
    if draw is not None:
        # Locked as preparing a draw locks it (PostgreSQL), so that a redraw prepared at the
        # same moment cannot slip between the check and the batch.
        db.session.execute(sa.select(Campaign.id).where(Campaign.id == campaign.id)
                           .with_for_update(key_share=True))
        if not draw_issuable(draw):
            raise NotCurrentDraw(f"draw {draw.sequence} is not the campaign's current draw")
    elif sampled(campaign, group):
        raise NotCurrentDraw("a sampled rater group's tickets come from its current draw")
    tokens = [new_token() for _ in range(count + spares)]
    batch = TicketBatch(
        campaign_id=campaign.id,
        rater_group_id=group.id,
        draw_id=draw.id if draw else None,
        subjects=list(subjects),
        issued_by=user,
    )
    tickets = [
        Ticket(token_hash=hash_token(token), is_spare=index >= count)
        for index, token in enumerate(tokens)
    ]
    # Rows go in, and get their ids, in an order unrelated to the sheet's (DOMAIN.md: nothing
    # about a ticket row follows the order in which tickets were printed).
    secrets.SystemRandom().shuffle(tickets)
    batch.tickets = tickets
    db.session.add(batch)
    db.session.flush()
    db.session.execute(sa.insert(UnspentTicket),
                       [{"token_hash": ticket.token_hash} for ticket in tickets])
    return batch, tokens


def spend(token_hash: str, *, paper: bool = False) -> bool:
    """Spend the ticket: delete its row of unspent tickets, and write nothing else of it
    (`UnspentTicket` says why). Whether this call spent it; of concurrent spends of one ticket
    exactly one does (the row is deleted once). A phone (`paper` False) cannot spend a ticket
    whose paper ballot a clerk has claimed, and the paper spend takes only a claimed one."""
    spent = db.session.connection().execute(_SPEND, {"token_hash": token_hash, "paper": paper})
    return spent.rowcount == 1


# Built once, run on the session's connection (Core: no ORM object is touched): on the rater
# path the statement's building cost more than its round trip.
_SPEND = sa.delete(UnspentTicket.__table__).where(
    UnspentTicket.token_hash == sa.bindparam("token_hash"),
    UnspentTicket.paper == sa.bindparam("paper"))


@dataclass(frozen=True)
class BatchSummary:
    """A batch as the organiser reads it: `number` counts the campaign's batches in the order
    they were issued (1, 2, ...), the same on every page and in the sheet's file name."""

    batch: TicketBatch
    number: int
    tickets: int
    spares: int
    spent: int
    voided: int

    @property
    def unused(self) -> int:
        return self.tickets - self.spent - self.voided


def batch_summaries(campaign: Campaign) -> list[BatchSummary]:
    """Every batch of the campaign in the order issued, with its counts."""
    ticket = sa.func.count(Ticket.id)
    rows = db.session.execute(
        sa.select(TicketBatch, ticket, ticket.filter(Ticket.is_spare),
                  ticket.filter(Ticket.spent), ticket.filter(Ticket.voided))
        .join(Ticket)
        .where(TicketBatch.campaign_id == campaign.id)
        .group_by(TicketBatch.id)
        .order_by(TicketBatch.id)
    )
    return [BatchSummary(batch, number, *counts)
            for number, (batch, *counts) in enumerate(rows, start=1)]


@names("batch")
def _batch_numbers(ids: set[int]) -> dict[int, str]:
    """In the audit log, a batch is named by its number within its campaign, as the tickets
    page numbers it."""
    campaigns = sa.select(TicketBatch.campaign_id).where(TicketBatch.id.in_(ids))
    rows = db.session.execute(
        sa.select(TicketBatch.id, TicketBatch.campaign_id)
        .where(TicketBatch.campaign_id.in_(campaigns)).order_by(TicketBatch.id)).all()
    seen: dict[int, int] = {}
    numbers = {}
    for batch_id, campaign_id in rows:
        seen[campaign_id] = seen.get(campaign_id, 0) + 1
        numbers[batch_id] = str(seen[campaign_id])
    return numbers


def sheet_name(campaign: Campaign, batches: Sequence[TicketBatch], kind: str = "tickets") -> str:
    """A file name for the sheet of `batches` (just issued, so flushed), distinct for every
    issue of the campaign: it carries the batches' numbers, after `kind` (what it holds)."""
    first = db.session.scalar(sa.select(sa.func.count(TicketBatch.id)).where(
        TicketBatch.campaign_id == campaign.id, TicketBatch.id <= min(b.id for b in batches)))
    last = first + len(batches) - 1
    return f"{kind}-{campaign.id}-batch-{first}" + (f"-{last}" if last > first else "")


def void_unspent(batch: TicketBatch) -> int:
    """Withdraw the batch's unused tickets (lost, or printed in error); spent ones stay.
    Their unspent rows are deleted first, as a spend deletes them: a ticket spent meanwhile
    is either deleted by the spend or by this, never both."""
    withdrawn = db.session.scalars(
        sa.delete(UnspentTicket)
        .where(UnspentTicket.token_hash.in_(
            sa.select(Ticket.token_hash).where(Ticket.batch_id == batch.id)))
        .returning(UnspentTicket.token_hash)
        .execution_options(synchronize_session=False)
    ).all()
    if withdrawn:
        db.session.execute(
            sa.update(Ticket).where(Ticket.token_hash.in_(withdrawn)).values(voided=True)
            .execution_options(synchronize_session=False))
    return len(withdrawn)
