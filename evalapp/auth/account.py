"""A member of staff's own account: changing the password and enrolling a second factor."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from evalapp.auth import lockout, totp
from evalapp.auth.models import User, WeakPassword
from evalapp.auth.passwords import ChangeDue, WrongPassword, change_password, password_change_due
from evalapp.auth.policy import now
from evalapp.extensions import db
from forms.auth import ChangePasswordForm, CodeForm, ReplaceFactorForm

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
    user = current_user._get_current_object()  # the account, whatever the session becomes
    due = password_change_due(user, now())
    if form.validate_on_submit():
        try:
            change_password(user, form.old.data or "", form.new.data or "", now())
        except WrongPassword as error:
            if error.locked_until is not None:
                return locked_out(user)
            db.session.commit()
            form.old.errors.append(_("The current password is wrong."))
        except WeakPassword as error:
            form.new.errors.extend(error.reasons)
        else:
            # The change ends every session of the account, this one too: it goes on under
            # the new session version (and within its time limits, which do not start again).
            login_user(user)
            db.session.commit()
            flash(_("Your password was changed."), "success")
            return redirect(url_for("campaigns.index"))
        return render_template("auth/password.html", form=form, due=DUE.get(due)), 422
    return render_template("auth/password.html", form=form, due=DUE.get(due))


def locked_out(user: User) -> Response:
    """Wrong current passwords locked the account: this session ends with them."""
    user.end_sessions()
    logout_user()
    db.session.commit()
    flash(_("Too many wrong passwords: the account is locked. Please log in again later."),
          "error")
    return redirect(url_for("auth.login"))


@bp.route("/second-factor", methods=["GET", "POST"])
@login_required
def second_factor() -> Response | str | tuple[str, int]:
    """Enrol an authenticator app: its QR code and secret, confirmed by a first code; the
    recovery codes are shown once, on the page that confirms. Replacing a second factor also
    takes a code of the one in use (`current_factor_refused`)."""
    user = current_user._get_current_object()
    form = ReplaceFactorForm() if user.has_second_factor else CodeForm()
    secret = session.setdefault(ENROLLING, totp.new_secret())  # the same one until confirmed
    at = now()  # one time for both checks of the new code
    if form.validate_on_submit():
        # The new code first: a wrong one spends nothing of the factor in use.
        if totp.matching_step(secret, form.code.data or "", at) is None:
            form.code.errors.append(_("Wrong code: type the six digits the app shows now."))
        elif (refused := current_factor_refused(user, form)) is not None:
            return refused
        elif not form.errors:
            codes = totp.enrol(user, secret, form.code.data or "", at)
            db.session.commit()
            session.pop(ENROLLING)
            return render_template("auth/recovery_codes.html", codes=codes)
    uri = totp.provisioning_uri(secret, current_user.username)
    return render_template("auth/second_factor.html", form=form, secret=secret,
                           qr=totp.qr_data_uri(uri)), 422 if form.is_submitted() else 200


def current_factor_refused(user: User, form: CodeForm | ReplaceFactorForm) -> Response | None:
    """Replacing a second factor takes a code of the one in use (`form.current`), else a
    session left open could move it to another phone. A wrong code is noted on the form and
    counts towards the lock-out; the lock ends this session (the response then)."""
    if not isinstance(form, ReplaceFactorForm):
        return None
    try:
        totp.check_second_factor(user, form.current.data or "", now())
    except totp.WrongCode:
        if lockout.failed(user.username, user, "wrong_code", now()) is not None:
            return locked_out(user)
        db.session.commit()
        form.current.errors.append(_("Wrong or already used code."))
    return None
