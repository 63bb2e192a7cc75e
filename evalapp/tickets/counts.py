"""Tickets issued and returned, per rater group and per subject: the only figures shown while
a campaign is open (counted from spent tickets, since the box is sealed)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from evalapp.campaigns.models import Campaign, RaterGroup, Subject
from evalapp.extensions import db
from evalapp.tickets.models import Ticket, TicketBatch, batch_subjects

# A ticket counts as issued unless it was withdrawn before it was used: the denominators of
# every response rate.
ISSUED = sa.not_(Ticket.voided) | Ticket.spent
# A paper ballot a clerk has started keying whose keyings have not yet agreed (evalapp.paper).
BEING_KEYED = Ticket.paper & sa.not_(Ticket.spent) & sa.not_(Ticket.voided)


@dataclass(frozen=True)
class Returned:
    """Issued (not voided) and returned, for one rater group or one subject. Counts only:
    nothing here says how anyone rated."""

    label: object
    issued: int
    returned: int

    @property
    def rate(self) -> float | None:
        return self.returned / self.issued if self.issued else None

    @property
    def low(self) -> bool:
        """DOMAIN.md: a response rate under half of the tickets issued is flagged."""
        return self.rate is not None and self.rate < 0.5


@dataclass(frozen=True)
class ResponseCounts:
    groups: list[Returned]
    subjects: list[Returned]

    @property
    def total(self) -> Returned:
        return Returned(None, sum(g.issued for g in self.groups),
                        sum(g.returned for g in self.groups))


def response_counts(campaign: Campaign) -> ResponseCounts:
    per_group = db.session.execute(
        sa.select(RaterGroup, sa.func.count(Ticket.id).filter(ISSUED),
                  sa.func.count(Ticket.id).filter(Ticket.spent))
        .outerjoin(TicketBatch, TicketBatch.rater_group_id == RaterGroup.id)
        .outerjoin(Ticket, Ticket.batch_id == TicketBatch.id)
        .where(RaterGroup.campaign_id == campaign.id)
        .group_by(RaterGroup.id).order_by(RaterGroup.position)
    ).all()
    # Per subject from tickets too: while the box is sealed no ballot is readable, and each
    # spent ticket holds one ballot for every subject it covers.
    per_subject = {subject_id: (issued, spent) for subject_id, issued, spent in db.session.execute(
        sa.select(batch_subjects.c.subject_id, sa.func.count(Ticket.id).filter(ISSUED),
                  sa.func.count(Ticket.id).filter(Ticket.spent))
        .join(Ticket, Ticket.batch_id == batch_subjects.c.batch_id)
        .join(Subject, Subject.id == batch_subjects.c.subject_id)
        .where(Subject.campaign_id == campaign.id)
        .group_by(batch_subjects.c.subject_id)
    ).all()}
    return ResponseCounts(
        groups=[Returned(group, issued, spent) for group, issued, spent in per_group],
        subjects=[Returned(subject, *per_subject.get(subject.id, (0, 0)))
                  for subject in campaign.subjects],
    )


def being_keyed(campaign: Campaign) -> int:
    """Paper ballots a clerk has started keying and whose keyings have not yet agreed: closing
    now would leave them out (evalapp.paper)."""
    return db.session.scalar(
        sa.select(sa.func.count(Ticket.id)).join(TicketBatch)
        .where(TicketBatch.campaign_id == campaign.id, BEING_KEYED)) or 0
