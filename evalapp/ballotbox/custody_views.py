"""A scrutineer's own pages (监票人): setting their custody passphrase, checking that it opens
each share they hold, and releasing a share to a closing ceremony. Each share is opened only
in a request of its holder's own session, with their passphrase, and is never shown: not to
them, not to anyone (`evalapp.ballotbox.scrutineers`)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from evalapp.audit.operations import record_now
from evalapp.auth.access import role_required
from evalapp.auth.models import Role
from evalapp.ballotbox.closing import read_progress
from evalapp.ballotbox.models import CustodyKey, CustodyShare
from evalapp.ballotbox.scrutineers import (
    PassphraseRefused,
    WrongPassphrase,
    confirm,
    enrol,
    held_share,
    held_shares,
    release,
    share_campaign,
)
from evalapp.ballotbox.views import private
from evalapp.extensions import db
from forms.ballotbox import EnrolForm, PassphraseForm

bp = Blueprint("custody", __name__, url_prefix="/custody")
bp.after_request(private)


@bp.get("/")
@role_required(Role.SCRUTINEER)
def index() -> str:
    return _page()


def _page(problem: str | None = None, enrol_form: EnrolForm | None = None) -> str:
    shares = held_shares(current_user)
    return render_template(
        "ballotbox/custody.html", key=db.session.get(CustodyKey, current_user.id),
        enrol_form=enrol_form or EnrolForm(formdata=None), form=PassphraseForm(formdata=None),
        shares=shares, ceremonies={share.campaign_id: _ceremony(share) for share in shares},
        problem=problem)


def _ceremony(share: CustodyShare) -> bytes | None:
    """The public key of the closing ceremony waiting for this share's campaign, if any."""
    progress = read_progress(share.campaign_id)
    if progress is None or progress.state != "waiting" or not progress.running:
        return None
    return bytes.fromhex(progress.ceremony)


@bp.post("/key")
@role_required(Role.SCRUTINEER)
def set_key() -> Response | tuple[str, int]:
    form = EnrolForm()
    if not form.validate_on_submit():
        return _page(enrol_form=form), 422
    try:
        enrol(current_user, form.passphrase.data or "")
    except PassphraseRefused as refused:
        return _page(" ".join(refused.reasons), form), 422
    db.session.commit()
    flash(_("Your custody passphrase is set. Keep it to yourself and do not write it on "
            "anything kept with your log-in: it alone opens your shares."))
    return redirect(url_for("custody.index"), code=303)


@bp.post("/<int:campaign_id>/check")
@role_required(Role.SCRUTINEER)
def check(campaign_id: int) -> Response | tuple[str, int]:
    return _with_passphrase(campaign_id, release_to=None)


@bp.post("/<int:campaign_id>/release")
@role_required(Role.SCRUTINEER)
def release_share(campaign_id: int) -> Response | tuple[str, int]:
    share = held_share(current_user, campaign_id)
    ceremony = _ceremony(share) if share else None
    if share is not None and ceremony is None:
        return _page(_("No opening of this ballot box is waiting for shares now. The "
                       "organiser starts it by closing the campaign.")), 409
    return _with_passphrase(campaign_id, release_to=ceremony)


def _with_passphrase(campaign_id: int, release_to: bytes | None) -> Response | tuple[str, int]:
    """Check the passphrase against the share (and release it to the ceremony whose public
    key is given); a wrong passphrase changes nothing."""
    share = held_share(current_user, campaign_id)
    if share is None:
        abort(404)
    form = PassphraseForm()
    if not form.validate_on_submit():
        return _page(_("Type your custody passphrase.")), 422
    try:
        if release_to is None:
            confirm(current_user, share, form.passphrase.data or "")
        else:
            release(current_user, share, form.passphrase.data or "", release_to)
    except WrongPassphrase:
        # A refused share is audited (every refusal is), in a transaction of its own.
        record_now("custody.refused", user=current_user, campaign=share_campaign(share),
                   share=share.number, step="check" if release_to is None else "release")
        return _page(_("This passphrase does not open your share. Nothing has been changed.")
                     ), 422
    db.session.commit()
    flash(_("Your passphrase opens your share %(number)s.", number=share.number)
          if release_to is None else
          _("Your share %(number)s is released to the opening of the ballot box.",
            number=share.number))
    return redirect(url_for("custody.index"), code=303)
