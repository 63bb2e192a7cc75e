"""A campaign's life from its page: what is missing before it opens, opening it (with its box,
its key with the server or in the custody of scrutineers the organiser chooses, after a
confirmation), the live monitor of returns while it is open, and closing it (confirmation;
the scrutineers' shares, released from their own accounts or, for a campaign opened with
printed shares, typed; progress while the box is opened). No page here shows a share."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from nacl.public import PrivateKey
from werkzeug.wrappers import Response

from evalapp.audit.operations import record, record_now
from evalapp.auth.access import role_required
from evalapp.auth.models import Role
from evalapp.ballotbox.closing import read_progress, start_ceremony, start_opening
from evalapp.ballotbox.custody import ShareRefused, combine_shares
from evalapp.ballotbox.keystore import KeyMissing, hand_over
from evalapp.ballotbox.operations import (
    Scrutineers,
    box_key,
    open_campaign,
    sealed_count,
)
from evalapp.ballotbox.readiness import readiness
from evalapp.ballotbox.scrutineers import (
    Candidate,
    candidates,
    clear_releases,
    custodians,
    is_entrusted,
)
from evalapp.campaigns.access import campaign_for, draft_for
from evalapp.campaigns.models import Campaign, CampaignStatus
from evalapp.campaigns.operations import delete_draft
from evalapp.confirm import confirm_page, confirmed
from evalapp.extensions import db
from evalapp.jobs import JobsUnavailable
from evalapp.roster.models import RosterEntry, SampleDraw
from evalapp.rounds.models import Round
from evalapp.tickets.counts import being_keyed, response_counts
from evalapp.tickets.models import Ticket, TicketBatch
from forms.ballotbox import CloseForm, OpenForm

bp = Blueprint("ballotbox", __name__, url_prefix="/campaigns")


@bp.after_request
def private(response: Response) -> Response:
    """Share fields and custody pages must never come back from a cache or a back button."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:campaign_id>")
@login_required
def detail(campaign_id: int) -> str | Response:
    campaign = campaign_for(current_user, campaign_id)
    if campaign.is_template:  # a round's design, where the editors lead back to
        return redirect(url_for("rounds.detail", round_id=campaign.round_id), code=303)
    draft = campaign.status is CampaignStatus.DRAFT
    return render_template(
        "ballotbox/detail.html",
        campaign=campaign,
        round=db.session.get(Round, campaign.round_id) if campaign.round_id else None,
        returns=response_counts(campaign),
        missing=readiness(campaign) if draft else [],
        candidates=candidates(campaign) if draft else [],
        custodians=custodians(campaign) if campaign.status is CampaignStatus.OPEN else [],
        drawn=db.session.scalars(
            sa.select(SampleDraw).where(SampleDraw.campaign_id == campaign.id,
                                        SampleDraw.drawn_at.is_not(None))
            .order_by(SampleDraw.sequence)).all(),
    )


@bp.get("/<int:campaign_id>/monitor")
@role_required(Role.ORGANISER)
def monitor(campaign_id: int) -> str:
    campaign = campaign_for(current_user, campaign_id)
    return render_template("ballotbox/monitor.html", campaign=campaign,
                           returns=response_counts(campaign))


@bp.post("/<int:campaign_id>/open")
@role_required(Role.ORGANISER)
def open_(campaign_id: int) -> Response | str:
    """Open with the key on the server, or (after a confirmation page) in the custody of
    the scrutineers chosen, each share sealed to its scrutineer: no share is shown."""
    campaign = campaign_for(current_user, campaign_id)
    if campaign.status is not CampaignStatus.DRAFT or campaign.is_template:
        abort(409)  # a round's template holds a design and is never opened
    form = OpenForm()
    problems = readiness(campaign) or ([] if form.validate() else [
        error for errors in form.errors.values() for error in errors])
    chosen = []
    if not problems and form.custody.data == "scrutineers":
        chosen = _custodians_chosen(campaign, form.custodians.data)
        if chosen and not confirmed():
            return render_template("ballotbox/open_confirm.html", campaign=campaign,
                                   threshold=form.threshold.data, chosen=chosen)
        problems = [] if chosen else [_("Only scrutineers of this campaign's units who have "
                                        "set a custody passphrase can hold a share.")]
    if problems:
        for reason in problems:
            flash(reason, "error")
        return redirect(url_for("ballotbox.detail", campaign_id=campaign.id), code=303)
    _open(campaign, Scrutineers(form.threshold.data, tuple(c.user_id for c in chosen))
          if chosen else None)
    return redirect(url_for("ballotbox.monitor", campaign_id=campaign.id), code=303)


def _open(campaign: Campaign, scrutineers: Scrutineers | None) -> None:
    open_campaign(campaign, scrutineers)
    record("campaign.open", user=current_user, campaign=campaign, **({
        "shares_needed": scrutineers.threshold,
        "scrutineers": [c.user.display_name for c in custodians(campaign)],
    } if scrutineers else {}))
    db.session.commit()
    flash(_("The campaign is open: tickets work now, and the questionnaire is frozen."))
    if scrutineers:
        flash(_("Each scrutineer now checks, in their own account, that their passphrase "
                "opens their share."))


def _custodians_chosen(campaign: Campaign, chosen: list[int]) -> list[Candidate]:
    """The scrutineers chosen, in the order of their shares; none when one of them may not
    hold a share (outside the campaign's units, or without a custody key)."""
    allowed = {c.user_id: c for c in candidates(campaign) if c.enrolled}
    if any(user_id not in allowed for user_id in chosen):
        return []
    return [allowed[user_id] for user_id in dict.fromkeys(chosen)]


@bp.route("/<int:campaign_id>/close", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def close(campaign_id: int) -> Response | str | tuple[str, int]:
    """GET: what closing does, with the counts now (and the share fields, or who holds the
    shares); POST: check the key, or start the scrutineers' ceremony, and open the box in
    the background."""
    campaign = campaign_for(current_user, campaign_id)
    progress = read_progress(campaign.id)
    if campaign.status is CampaignStatus.CLOSED or (progress and progress.running):
        return redirect(url_for("ballotbox.closing", campaign_id=campaign.id), code=303)
    if campaign.status is not CampaignStatus.OPEN:
        abort(409)
    entrusted = is_entrusted(campaign)
    form = CloseForm()
    while not entrusted and len(form.shares) < (campaign.box_shares or 0):
        form.shares.append_entry()
    if not form.validate_on_submit():
        return _confirm_page(campaign, form, None, 422 if form.is_submitted() else 200)
    total = sealed_count(campaign.id)
    if entrusted:
        _ask_scrutineers(campaign, total)
        return redirect(url_for("ballotbox.closing", campaign_id=campaign.id), code=303)
    try:
        key, misfits = _typed_key(campaign, [field.data or "" for field in form.shares])
    except ShareRefused as refused:
        # A refused share is audited (every refusal is), in a transaction of its own.
        record_now("campaign.share_refused", user=current_user, campaign=campaign,
                   reason=refused.reason, share=refused.position)
        return _confirm_page(campaign, form, refused, 422)
    except KeyMissing as missing:
        return _confirm_page(campaign, form, missing, 409)
    campaign_id, user_id = campaign.id, current_user.id  # read before the commit expires them
    if campaign.box_threshold:
        hand_over(key)
    db.session.commit()  # the job opens the box in a transaction of its own
    try:
        start_opening(campaign_id, user_id, total, misfits)
    except JobsUnavailable as unavailable:
        return _confirm_page(campaign, form, unavailable, 503)
    return redirect(url_for("ballotbox.closing", campaign_id=campaign_id), code=303)


def _ask_scrutineers(campaign: Campaign, total: int) -> None:
    """Start the closing ceremony: the box opens once k scrutineers' shares that fit are
    released (`closing.start_ceremony`); releases to an earlier ceremony are void."""
    campaign_id, user_id = campaign.id, current_user.id  # read before the commit expires them
    clear_releases(campaign_id)
    record("campaign.close_ceremony", user=current_user, campaign=campaign)
    db.session.commit()
    start_ceremony(current_app._get_current_object(), campaign_id, user_id, total)


def _typed_key(campaign: Campaign, typed: list[str]) -> tuple[PrivateKey, tuple[int, ...]]:
    """The key from the shares typed (a campaign opened with printed shares), with the
    fields left out, or the one the server holds (wrapped in the database)."""
    if campaign.box_threshold:
        assert campaign.box_public_key is not None
        fitted = combine_shares(campaign.box_public_key, campaign.box_threshold, typed)
        return fitted.key, fitted.misfits
    return box_key(campaign), ()


def _confirm_page(campaign: Campaign, form: CloseForm, problem: Exception | None,
                  status: int) -> tuple[str, int]:
    return render_template(
        "ballotbox/close.html", campaign=campaign, form=form,
        returns=response_counts(campaign), being_keyed=being_keyed(campaign),
        problem=_problem_text(campaign, problem),
        wrong_field=getattr(problem, "position", None),
        custodians=custodians(campaign),
    ), status


def _problem_text(campaign: Campaign, problem: Exception | None) -> str | None:
    if isinstance(problem, JobsUnavailable):
        return _("The server that runs background work (its job queue) cannot be reached, so "
                 "the ballot box was not opened. Nothing has been changed: close the campaign "
                 "again in a moment, and tell the system administrator if this goes on.")
    if isinstance(problem, KeyMissing) and problem.reason == "foreign":
        return _("This server's key-encryption key does not open the key of this ballot box: "
                 "every server of the system must be configured with the same "
                 "EVALAPP_KEY_ENCRYPTION_KEY (after a restore: the one kept with the backup). "
                 "Nothing has been changed.")
    if isinstance(problem, KeyMissing):
        return _("The key that opens this ballot box is not in the database. Nothing has "
                 "been changed.")
    if not isinstance(problem, ShareRefused):
        return None
    if problem.reason == "wrong":
        return _("Share %(number)s is not a share of this ballot box as printed. Check it "
                 "against the slip and type it again. Nothing has been changed.",
                 number=problem.position)
    if problem.reason == "duplicate":
        return _("Share %(number)s repeats a share already entered. Each scrutineer enters "
                 "their own share. Nothing has been changed.", number=problem.position)
    if problem.reason == "mismatch":
        return _("These shares do not open this ballot box: at least one of them is wrong, "
                 "although it looks like a share. Add the share of one more scrutineer: the "
                 "box then opens with those that fit, and the wrong one is named. Nothing has "
                 "been changed.")
    return _("At least %(count)s different shares are needed to open the box. Nothing has "
             "been changed.", count=campaign.box_threshold)


@bp.get("/<int:campaign_id>/closing")
@role_required(Role.ORGANISER)
def closing(campaign_id: int) -> Response | str:
    campaign = campaign_for(current_user, campaign_id)
    progress = read_progress(campaign.id)
    if campaign.status is CampaignStatus.CLOSED:
        flash(_("The campaign is closed: the ballot box has been opened and results are "
                "available."))
        if progress and progress.misfits:
            flash(_("Share %(numbers)s did not fit the key of this ballot box and was left "
                    "out; the box opened with the others. Find out how a wrong share came to "
                    "be offered.", numbers="、".join(map(str, progress.misfits))), "error")
        return redirect(url_for("ballotbox.detail", campaign_id=campaign.id), code=303)
    if progress is None or not (progress.running or progress.state == "done"):
        if progress is not None:
            flash(_("Opening the ballot box did not finish; the box is still sealed and "
                    "nothing was lost. Please close the campaign again."), "error")
        return redirect(url_for("ballotbox.close", campaign_id=campaign.id), code=303)
    return render_template("ballotbox/closing.html", campaign=campaign, progress=progress,
                           custodians=custodians(campaign))


@bp.route("/<int:campaign_id>/delete", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def delete(campaign_id: int) -> Response | str:
    """Delete a draft (a trial, or one set up by mistake), asking first with what goes."""
    campaign = draft_for(current_user, campaign_id)
    if campaign.is_template:
        abort(409)  # the round's design: the round needs it
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
