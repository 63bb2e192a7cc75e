"""Campaign pages for staff: the list and the uploaded report files. A campaign's own page,
its live monitor, opening and closing are the ballot box's (evalapp.ballotbox.views): they
show tickets and returns, which sit above the campaign's design."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from evalapp.auth.access import ADMINISTRATOR_AREAS
from evalapp.campaigns.access import campaign_for, visible_campaigns
from evalapp.campaigns.labels import answer_choices, answer_label
from evalapp.campaigns.models import CampaignStatus, Subject
from evalapp.extensions import db

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")

STATUS_LABELS = {
    CampaignStatus.DRAFT: _l("Draft"),
    CampaignStatus.OPEN: _l("Open"),
    CampaignStatus.CLOSED: _l("Closed"),
}


@bp.app_template_global()
def status_label(status: CampaignStatus) -> str:
    return str(STATUS_LABELS[status])


bp.add_app_template_global(answer_choices)
bp.add_app_template_global(answer_label)


@bp.get("/")
@login_required
def index() -> str | Response:
    """The campaigns of the user's units; an administrator, who has none, goes to its own
    area (this is where log-in leads everyone)."""
    if current_user.role.is_administrator:
        return redirect(url_for(ADMINISTRATOR_AREAS[current_user.role]), code=303)
    return render_template("campaigns/index.html", campaigns=visible_campaigns(current_user))


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
