"""Issuing tickets and printing them, for organisers.

A ticket's plain code exists only in the response to the request that issues it: the sheet is
printed from that download, and the database keeps hashes. Losing the download means voiding
the batch and issuing again, which the page says before the organiser issues.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from evalapp.audit.operations import record
from evalapp.auth.access import role_required
from evalapp.auth.models import Role
from evalapp.campaigns.access import campaign_for
from evalapp.campaigns.models import Campaign, CampaignStatus, RaterGroup
from evalapp.confirm import confirm_page, confirmed
from evalapp.extensions import db
from evalapp.i18n import localized
from evalapp.netaddr import base_url_for_request
from evalapp.tickets.download import Printing, sheet_response
from evalapp.tickets.operations import (
    NotCurrentDraw,
    batch_summaries,
    issue_tickets,
    void_unspent,
)
from forms.tickets import IssueTicketsForm

bp = Blueprint("tickets", __name__, url_prefix="/campaigns/<int:campaign_id>/tickets")

def _form(campaign: Campaign) -> IssueTicketsForm:
    form = IssueTicketsForm()
    form.rater_group.choices = [SelectChoice(g.id, localized(g, "name"))
                                for g in campaign.rater_groups]
    form.subjects.choices = [SelectChoice(s.id, s.label()) for s in campaign.subjects]
    return form


@bp.route("/", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def index(campaign_id: int) -> Response | tuple[str, int]:
    campaign = campaign_for(current_user, campaign_id)
    form = _form(campaign)
    closed = campaign.status is CampaignStatus.CLOSED
    status = 200
    if form.is_submitted():
        if closed:
            abort(409)
        if form.validate():
            issued = _issue(campaign, form)
            if issued is not None:
                return issued
            status = 409  # the draw's tickets, not these (the field says so)
    return render_template(
        "tickets/index.html",
        campaign=campaign,
        form=form,
        batches=batch_summaries(campaign),
        closed=closed,
        address=base_url_for_request(),
        address_configured=bool(current_app.config.get("BASE_URL")),
    ), (422 if form.errors and status == 200 else status)


def _issue(campaign: Campaign, form: IssueTicketsForm) -> Response | None:
    """The sheet of a new batch, or None when the group's tickets must come from the draw
    (its field then says so)."""
    printing = Printing.chosen(form)
    group = db.session.get(RaterGroup, form.rater_group.data)
    subjects = [s for s in campaign.subjects if s.id in set(form.subjects.data)]
    if group is None or group.campaign_id != campaign.id or not subjects:
        abort(400)
    try:
        batch, tokens = issue_tickets(
            campaign, group, subjects, form.count.data, spares=form.spares.data,
            user=current_user)
    except NotCurrentDraw:
        form.rater_group.errors.append(_(
            "%(group)s is sampled by the campaign's draw: its tickets are issued from the "
            "draw's page, for the people drawn.", group=localized(group, "name")))
        return None
    record("tickets.issue", user=current_user, campaign=campaign, batch=batch.id,
           group=group.name_zh, subjects=[s.id for s in subjects], count=form.count.data,
           spares=form.spares.data, **printing.audited())
    return sheet_response(campaign, [(batch, tokens)], form.output.data, printing)


@bp.route("/<int:batch_id>/void", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def void(campaign_id: int, batch_id: int) -> Response | str:
    """Voiding cannot be undone, so it is asked first: the batch, and how many of its tickets
    stop working."""
    campaign = campaign_for(current_user, campaign_id)
    summary = next((b for b in batch_summaries(campaign) if b.batch.id == batch_id), None)
    if summary is None:
        abort(404)
    if campaign.status is CampaignStatus.CLOSED or not summary.unused:
        abort(409)
    batch = summary.batch
    if not confirmed():
        subjects = "; ".join(s.label() for s in batch.subjects)
        return confirm_page(
            heading=_("Void the unused tickets of batch %(number)d?", number=summary.number),
            lines=[f"{localized(batch.rater_group, 'name')} · "
                   f"{format_datetime(batch.issued_at, 'short')} · {subjects}",
                   _("%(unused)d of its %(total)d tickets are unused: they stop working at "
                     "once, and raters holding them can no longer rate. The %(spent)d already "
                     "used keep their ballots.", unused=summary.unused, total=summary.tickets,
                     spent=summary.spent)],
            button=_("Void %(count)d unused tickets", count=summary.unused),
            back=url_for("tickets.index", campaign_id=campaign.id), back_label=_("Tickets"))
    voided = void_unspent(batch)
    record("tickets.void", user=current_user, campaign=campaign, batch=batch.id, voided=voided)
    db.session.commit()
    flash(_("%(count)d unused tickets voided.", count=voided))
    return redirect(url_for("tickets.index", campaign_id=campaign.id), code=303)
