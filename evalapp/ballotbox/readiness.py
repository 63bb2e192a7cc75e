"""What must be in place before a campaign opens its box: subjects with their reports and
individual items, a questionnaire, and tickets to hand out."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from evalapp.campaigns.models import Campaign
from evalapp.extensions import db
from evalapp.tickets.models import Ticket, TicketBatch
from forms.limits import INDIVIDUAL_ITEMS_PER_SUBJECT


def readiness(campaign: Campaign) -> list[str]:
    """What still stops the campaign from opening; empty when it may open."""
    missing: list[str] = []
    if not campaign.subjects:
        missing.append(_("Add at least one subject."))
    for subject in campaign.subjects:
        name = f"{subject.unit.name_zh} · {subject.person_name}"
        if not subject.report_text.strip() and subject.report_file is None:
            missing.append(_("%(subject)s has no debriefing report.", subject=name))
        if len(subject.individual_items) != INDIVIDUAL_ITEMS_PER_SUBJECT:
            missing.append(_("%(subject)s needs %(count)d individual items.", subject=name,
                             count=INDIVIDUAL_ITEMS_PER_SUBJECT))
    usable = sa.select(sa.func.count(Ticket.id)).join(TicketBatch).where(
        TicketBatch.campaign_id == campaign.id, sa.not_(Ticket.voided))
    if not db.session.scalar(usable):
        missing.append(_("Issue tickets to at least one rater group."))
    if not any(section.items for section in campaign.sections):
        missing.append(_("The questionnaire has no common items."))
    return missing
