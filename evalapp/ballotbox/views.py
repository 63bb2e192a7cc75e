"""A campaign's life from its page: what is missing before it opens, opening it (with its box
and, optionally, the scrutineers' share slips), the live monitor of returns while it is open,
and closing it (confirmation, the scrutineers' shares, progress while the box is opened)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from evalapp.audit.operations import record
from evalapp.auth.access import role_required
from evalapp.auth.models import Role
from evalapp.ballotbox.closing import read_progress, start_opening
from evalapp.ballotbox.custody import ShareRefused
from evalapp.ballotbox.operations import (
    KeyMissing,
    Scrutineers,
    box_key,
    open_campaign,
    sealed_count,
)
from evalapp.ballotbox.readiness import readiness
from evalapp.campaigns.access import campaign_for, draft_for
from evalapp.campaigns.models import Campaign, CampaignStatus
from evalapp.campaigns.operations import delete_draft
from evalapp.confirm import confirm_page, confirmed
from evalapp.extensions import db
from evalapp.roster.models import RosterEntry
from evalapp.tickets.counts import being_keyed, response_counts
from evalapp.tickets.models import Ticket, TicketBatch
from forms.ballotbox import CloseForm, OpenForm

bp = Blueprint("ballotbox", __name__, url_prefix="/campaigns")


@bp.after_request
def private(response: Response) -> Response:
    """Share slips and share fields must never come back from a cache or a back button."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:campaign_id>")
@login_required
def detail(campaign_id: int) -> str:
    campaign = campaign_for(current_user, campaign_id)
    return render_template(
        "ballotbox/detail.html",
        campaign=campaign,
        returns=response_counts(campaign),
        missing=readiness(campaign) if campaign.status is CampaignStatus.DRAFT else [],
    )


@bp.get("/<int:campaign_id>/monitor")
@role_required(Role.ORGANISER)
def monitor(campaign_id: int) -> str:
    campaign = campaign_for(current_user, campaign_id)
    return render_template("ballotbox/monitor.html", campaign=campaign,
                           returns=response_counts(campaign))


@bp.post("/<int:campaign_id>/open")
@role_required(Role.ORGANISER)
def open_(campaign_id: int) -> Response | str | tuple[str, int]:
    campaign = campaign_for(current_user, campaign_id)
    if campaign.status is not CampaignStatus.DRAFT:
        abort(409)
    missing = readiness(campaign)
    form = OpenForm()
    if missing or not form.validate():
        for reason in missing or [e for errors in form.errors.values() for e in errors]:
            flash(reason, "error")
        return redirect(url_for("ballotbox.detail", campaign_id=campaign.id), code=303)
    scrutineers = (Scrutineers(form.threshold.data, form.shares.data)
                   if form.custody.data == "scrutineers" else None)  # else the server's
    shares = open_campaign(campaign, scrutineers)
    record("campaign.open", user=current_user, campaign=campaign,
           scrutineers=f"{scrutineers.threshold}/{scrutineers.shares}" if scrutineers else None)
    db.session.commit()
    flash(_("The campaign is open: tickets work now, and the questionnaire is frozen."))
    if shares:
        # Shown once, never stored: the page says so, and the cache may not keep it.
        return render_template("ballotbox/shares.html", campaign=campaign, shares=shares)
    return redirect(url_for("ballotbox.monitor", campaign_id=campaign.id), code=303)


@bp.route("/<int:campaign_id>/close", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def close(campaign_id: int) -> Response | str | tuple[str, int]:
    """GET: what closing does, with the counts now (and the share fields); POST: check the
    key, then open the box in the background."""
    campaign = campaign_for(current_user, campaign_id)
    progress = read_progress(current_app.instance_path, campaign.id)
    if campaign.status is CampaignStatus.CLOSED or (progress and progress.running):
        return redirect(url_for("ballotbox.closing", campaign_id=campaign.id), code=303)
    if campaign.status is not CampaignStatus.OPEN:
        abort(409)
    form = CloseForm()
    while len(form.shares) < (campaign.box_shares or 0):
        form.shares.append_entry()
    if not form.validate_on_submit():
        return _confirm_page(campaign, form, None, 422 if form.is_submitted() else 200)
    try:
        key = box_key(campaign, [field.data or "" for field in form.shares])
    except ShareRefused as refused:
        return _confirm_page(campaign, form, refused, 422)
    except KeyMissing:
        return _confirm_page(campaign, form, KeyMissing(), 409)
    total = sealed_count(campaign.id)
    db.session.rollback()  # the thread opens the box in a transaction of its own
    start_opening(current_app._get_current_object(), campaign.id, key,
                  current_user.id, total)
    return redirect(url_for("ballotbox.closing", campaign_id=campaign.id), code=303)


def _confirm_page(campaign: Campaign, form: CloseForm, problem: Exception | None,
                  status: int) -> tuple[str, int]:
    return render_template(
        "ballotbox/close.html", campaign=campaign, form=form,
        returns=response_counts(campaign), being_keyed=being_keyed(campaign),
        problem=_problem_text(campaign, problem),
        wrong_field=getattr(problem, "position", None),
    ), status


def _problem_text(campaign: Campaign, problem: Exception | None) -> str | None:
    if isinstance(problem, KeyMissing):
        return _("The key that opens this ballot box is not in this server's instance folder "
                 "(ballot-box/). Restore the key file kept with the backup, then close again. "
                 "Nothing has been changed.")
    if not isinstance(problem, ShareRefused):
        return None
    if problem.reason == "wrong":
        return _("Share %(number)s is not a share of this ballot box as printed. Check it "
                 "against the slip and type it again. Nothing has been changed.",
                 number=problem.position)
    if problem.reason == "duplicate":
        return _("Share %(number)s repeats a share already entered. Each scrutineer enters "
                 "their own share. Nothing has been changed.", number=problem.position)
    return _("At least %(count)s different shares are needed to open the box. Nothing has "
             "been changed.", count=campaign.box_threshold)


@bp.get("/<int:campaign_id>/closing")
@role_required(Role.ORGANISER)
def closing(campaign_id: int) -> Response | str:
    campaign = campaign_for(current_user, campaign_id)
    if campaign.status is CampaignStatus.CLOSED:
        flash(_("The campaign is closed: the ballot box has been opened and results are "
                "available."))
        return redirect(url_for("ballotbox.detail", campaign_id=campaign.id), code=303)
    progress = read_progress(current_app.instance_path, campaign.id)
    if progress is None or not (progress.running or progress.state == "done"):
        if progress is not None:
            flash(_("Opening the ballot box did not finish; the box is still sealed and "
                    "nothing was lost. Please close the campaign again."), "error")
        return redirect(url_for("ballotbox.close", campaign_id=campaign.id), code=303)
    return render_template("ballotbox/closing.html", campaign=campaign, progress=progress)


@bp.route("/<int:campaign_id>/delete", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def delete(campaign_id: int) -> Response | str:
    """Delete a draft (a trial, or one set up by mistake), asking first with what goes."""
    campaign = draft_for(current_user, campaign_id)
    if not confirmed():
        people = db.session.scalar(sa.select(sa.func.count(RosterEntry.id)).where(
            RosterEntry.campaign_id == campaign.id))
        tickets = db.session.scalar(sa.select(sa.func.count(Ticket.id)).join(TicketBatch).where(
            TicketBatch.campaign_id == campaign.id))
        return confirm_page(
            heading=_("Delete the draft campaign “%(title)s”?", title=campaign.title),
            lines=[_("Deleted with it: %(subjects)d subjects with their reports and problem "
                     "lists, the questionnaire, the roster of %(people)d people, its sample "
                     "draws and %(tickets)d tickets (which stop working).",
                     subjects=len(campaign.subjects), people=people, tickets=tickets),
                   _("The audit log keeps its entries, and records the deletion with the "
                     "campaign's title.")],
            button=_("Delete the campaign"),
            back=url_for("ballotbox.detail", campaign_id=campaign.id), back_label=campaign.title)
    title = campaign.title
    record("campaign.delete", user=current_user, campaign=campaign, title=title)
    db.session.flush()
    delete_draft(campaign)
    db.session.commit()
    flash(_("The draft campaign “%(title)s” was deleted.", title=title))
    return redirect(url_for("campaigns.index"), code=303)
