"""Results for leadership: the campaign overview and a page per subject. Sealed until the
campaign is closed, for everyone."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from evalapp.auth.access import role_required
from evalapp.auth.models import Role
from evalapp.campaigns.access import campaign_for
from evalapp.campaigns.models import CampaignStatus
from evalapp.results.compute import campaign_results

bp = Blueprint("results", __name__, url_prefix="/campaigns/<int:campaign_id>/results")

GRADE_LABELS = {"excellent": _l("Excellent"), "good": _l("Good"), "fair": _l("Fair"),
                "poor": _l("Poor"), "": "–"}


@bp.app_template_global()
def grade_label(grade: str) -> str:
    return str(GRADE_LABELS[grade])


def _results(campaign_id: int):  # type: ignore[no-untyped-def]
    campaign = campaign_for(current_user, campaign_id)
    if campaign.status is not CampaignStatus.CLOSED:
        return campaign, None
    return campaign, campaign_results(campaign)


@bp.get("/")
@role_required(Role.LEADER, Role.ORGANISER, Role.AUDITOR)
def overview(campaign_id: int) -> str | tuple[str, int]:
    campaign, results = _results(campaign_id)
    if results is None:
        return render_template("results/sealed.html", campaign=campaign), 403
    return render_template("results/overview.html", campaign=campaign, results=results)


@bp.get("/<int:subject_id>")
@role_required(Role.LEADER, Role.ORGANISER, Role.AUDITOR)
def subject(campaign_id: int, subject_id: int) -> str | tuple[str, int]:
    campaign, results = _results(campaign_id)
    if results is None:
        return render_template("results/sealed.html", campaign=campaign), 403
    found = next((r for r in results.subjects if r.subject.id == subject_id), None)
    if found is None:
        abort(404)
    return render_template("results/subject.html", campaign=campaign, results=results,
                           result=found)
