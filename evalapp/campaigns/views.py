"""Campaign pages for staff: the list, a campaign's overview, the live monitor, and the
uploaded report files. Opening and closing are the ballot box's (evalapp.ballotbox.views)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import sqlalchemy as sa
from flask import Blueprint, abort, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from evalapp.auth.access import role_required
from evalapp.auth.models import Role
from evalapp.campaigns.access import campaign_for, visible_campaigns
from evalapp.campaigns.models import Campaign, CampaignStatus, Subject
from evalapp.campaigns.operations import readiness
from evalapp.extensions import db
from evalapp.roster.models import RaterGroup
from evalapp.tickets.models import Ticket, TicketBatch, batch_subjects

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
        "campaigns/detail.html",
        campaign=campaign,
        returns=response_counts(campaign),
        missing=readiness(campaign) if campaign.status is CampaignStatus.DRAFT else [],
    )


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
    usable = sa.not_(Ticket.voided) | Ticket.spent
    per_group = db.session.execute(
        sa.select(RaterGroup, sa.func.count(Ticket.id).filter(usable),
                  sa.func.count(Ticket.id).filter(Ticket.spent))
        .outerjoin(TicketBatch, TicketBatch.rater_group_id == RaterGroup.id)
        .outerjoin(Ticket, Ticket.batch_id == TicketBatch.id)
        .where(RaterGroup.campaign_id == campaign.id)
        .group_by(RaterGroup.id).order_by(RaterGroup.position)
    ).all()
    # Per subject from tickets too: while the box is sealed no ballot is readable, and each
    # spent ticket holds one ballot for every subject it covers.
    per_subject = {subject_id: (issued, spent) for subject_id, issued, spent in db.session.execute(
        sa.select(batch_subjects.c.subject_id, sa.func.count(Ticket.id).filter(usable),
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


@bp.get("/<int:campaign_id>/monitor")
@role_required(Role.ORGANISER)
def monitor(campaign_id: int) -> str:
    campaign = campaign_for(current_user, campaign_id)
    return render_template("campaigns/monitor.html", campaign=campaign,
                           returns=response_counts(campaign))


@bp.get("/<int:campaign_id>/subjects/<int:subject_id>/report")
def report_file(campaign_id: int, subject_id: int) -> Response:
    """The uploaded report, for raters (published once the campaign opens) and staff.

    A PDF opens in the browser (a phone shows it where the rater is; a download would leave
    them hunting for the file), a Word document downloads, as no browser shows one. Either
    way the type is the one found by content (nosniff), and the response is sandboxed with no
    sources allowed, so a crafted file cannot run script in this site's name.
    """
    subject = db.session.get(Subject, subject_id)
    if subject is None or subject.campaign_id != campaign_id or subject.report_file is None:
        abort(404)
    if subject.campaign.status is CampaignStatus.DRAFT and not (
        current_user.is_authenticated and campaign_for(current_user, campaign_id)
    ):
        abort(404)
    stored = subject.report_file
    response = Response(stored.content, mimetype=stored.media_type)
    response.headers["Content-Disposition"] = _disposition(stored.filename, inline=(
        stored.media_type == "application/pdf"))
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


def _disposition(filename: str, *, inline: bool) -> str:
    """Shown or downloaded, with an ASCII fallback name for old browsers and the real (often
    Chinese) name."""
    extension = filename.rsplit(".", 1)[-1]
    return (f"{'inline' if inline else 'attachment'}; filename=\"report.{extension}\"; "
            f"filename*=UTF-8''{quote(filename)}")
