from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from evalapp.ballots.models import Ballot
from evalapp.campaigns.access import campaign_for, visible_campaigns
from evalapp.campaigns.models import CampaignStatus
from evalapp.extensions import db
from evalapp.roster.models import RaterGroup
from evalapp.tickets.models import Ticket, TicketBatch

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")

STATUS_LABELS = {
    CampaignStatus.DRAFT: _l("Draft"),
    CampaignStatus.OPEN: _l("Open"),
    CampaignStatus.CLOSED: _l("Closed"),
}


@bp.app_template_global()
def status_label(status: CampaignStatus) -> str:
    return str(STATUS_LABELS[status])


@bp.get("/")
@login_required
def index() -> str:
    return render_template("campaigns/index.html", campaigns=visible_campaigns(current_user))


@bp.get("/<int:campaign_id>")
@login_required
def detail(campaign_id: int) -> str:
    campaign = campaign_for(current_user, campaign_id)
    return render_template(
        "campaigns/detail.html", campaign=campaign, groups=_group_counts(campaign.id)
    )


def _group_counts(campaign_id: int) -> list[tuple[RaterGroup, int, int, int]]:
    """Per rater group: tickets issued (not voided), tickets spent, ballots stored. Counts only:
    nothing here reveals how anyone rated."""
    issued = (
        sa.select(sa.func.count(Ticket.id))
        .join(TicketBatch)
        .where(TicketBatch.rater_group_id == RaterGroup.id, sa.not_(Ticket.voided))
        .scalar_subquery()
    )
    spent = (
        sa.select(sa.func.count(Ticket.id))
        .join(TicketBatch)
        .where(TicketBatch.rater_group_id == RaterGroup.id, Ticket.spent)
        .scalar_subquery()
    )
    ballots = (
        sa.select(sa.func.count(Ballot.id))
        .where(Ballot.rater_group_id == RaterGroup.id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(RaterGroup, issued, spent, ballots)
        .where(RaterGroup.campaign_id == campaign_id)
        .order_by(RaterGroup.position)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]
