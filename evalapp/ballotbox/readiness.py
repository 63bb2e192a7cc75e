"""What must be in place before a campaign opens its box: subjects with their reports and
individual items, a questionnaire, and tickets to hand out."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from evalapp.campaigns.models import Campaign
from evalapp.extensions import db
from evalapp.tickets.models import Ticket, TicketBatch


def readiness(campaign: Campaign) -> list[str]:
    """What still stops the campaign from opening; empty when it may open."""
    missing: list[str] = []
    if not campaign.subjects:
        missing.append(_("Add at least one subject."))
    common = campaign.common_items()
    # a nomination's candidates are marked, not rated on a report
    reports = campaign.nominated_item() is None
    for subject in campaign.subjects:
        name = f"{subject.unit.name_zh} · {subject.person_name}"
        if reports and not subject.report_text.strip() and subject.report_file is None:
            missing.append(_("%(subject)s has no debriefing report.", subject=name))
        if not common and not subject.individual_items:
            missing.append(_("%(subject)s has no item to rate: add individual items, or "
                             "common items to the questionnaire.", subject=name))
    usable = sa.select(sa.func.count(Ticket.id)).join(TicketBatch).where(
        TicketBatch.campaign_id == campaign.id, sa.not_(Ticket.voided))
    if not db.session.scalar(usable):
        missing.append(_("Issue tickets to at least one rater group."))
    return missing
