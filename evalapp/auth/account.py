"""A member of staff's own account: changing the password and enrolling a second factor."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user
from werkzeug.wrappers import Response

from evalapp.auth import sessions, totp
from evalapp.auth.models import WeakPassword
from evalapp.auth.passwords import ChangeDue, WrongPassword, change_password, password_change_due
from evalapp.auth.policy import now
from evalapp.extensions import db
from forms.auth import ChangePasswordForm, CodeForm

bp = Blueprint("account", __name__, url_prefix="/account")

DUE = {
    ChangeDue.REQUIRED: _l("Please choose a password of your own before going on."),
    ChangeDue.EXPIRED: _l("Your password has expired. Please choose a new one before going "
                          "on."),
}
ENROLLING = "enrolling_secret"  # the secret shown on the enrolment page, until confirmed


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password() -> Response | str | tuple[str, int]:
    form = ChangePasswordForm()
    due = password_change_due(current_user, now())
    if form.validate_on_submit():
        try:
            change_password(current_user, form.old.data or "", form.new.data or "", now())
        except WrongPassword:
            form.old.errors.append(_("The current password is wrong."))
        except WeakPassword as error:
            form.new.errors.extend(error.reasons)
        else:
            # The change ends every session of the account, this one too: it goes on under
            # the new session version.
            login_user(current_user._get_current_object())
            sessions.start(session, now())
            db.session.commit()
            flash(_("Your password was changed."), "success")
            return redirect(url_for("campaigns.index"))
        return render_template("auth/password.html", form=form, due=DUE.get(due)), 422
    return render_template("auth/password.html", form=form, due=DUE.get(due))


@bp.route("/second-factor", methods=["GET", "POST"])
@login_required
def second_factor() -> Response | str | tuple[str, int]:
    """Enrol an authenticator app: its QR code and secret, confirmed by a first code; the
    recovery codes are shown once, on the page that confirms."""
    form = CodeForm()
    secret = session.setdefault(ENROLLING, totp.new_secret())  # the same one until confirmed
    if form.validate_on_submit():
        try:
            codes = totp.enrol(current_user, secret, form.code.data or "", now())
        except totp.WrongCode:
            form.code.errors.append(_("Wrong code: type the six digits the app shows now."))
        else:
            db.session.commit()
            session.pop(ENROLLING)
            return render_template("auth/recovery_codes.html", codes=codes)
    uri = totp.provisioning_uri(secret, current_user.username)
    return render_template("auth/second_factor.html", form=form, secret=secret,
                           qr=totp.qr_data_uri(uri)), 422 if form.is_submitted() else 200
