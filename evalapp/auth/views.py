"""Staff log-in and log-out.

A log-in is: the lock-out (auth.lockout) first, so a locked username is refused even with the
right password; then the credential check (evalapp.auth.credentials: a local password or the
directory's); then, for an account with a second factor, a second step asking for its code
(auth.totp), whichever way the credentials were checked (OpenID Connect too). Every refusal
is audited with its reason and counted towards the lock-out; the person sees one message for
an unknown username, a wrong password and a disabled account.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from evalapp.auth import gate, lockout, sessions, totp
from evalapp.auth.credentials import Refusal, authenticate
from evalapp.auth.events import announce
from evalapp.auth.models import User
from evalapp.auth.policy import now
from evalapp.database import MAX_ROW_ID
from evalapp.extensions import db, limiter, login_manager
from evalapp.i18n import safe_next
from forms.auth import CodeForm, LoginForm

bp = Blueprint("auth", __name__, url_prefix="/auth")

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to open this page.")
login_manager.session_protection = "strong"

# Between the password and the second factor: which account, since when (POSIX seconds) and
# where to go after. It grants nothing: the person is not logged in until the code is right.
PENDING = "pending_login"
PENDING_SECONDS = 300


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user whose session this is, while its session version is current (see
    `User.get_id`): after log-out, a copy of the cookie names an old version and is refused."""
    user_id, _dot, version = session_id.partition(".")
    if not (user_id.isdigit() and version.isdigit() and int(user_id) <= MAX_ROW_ID):
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and str(user.session_version) == version else None


def _login_key() -> str:
    return f"{get_remote_address()}|{lockout.key(request.form.get('username', ''))}"


def _failed(response: Response) -> bool:
    return response.status_code in (401, 423)  # refused, or refused as locked


@bp.route("/login", methods=["GET", "POST"])
# Only failures count: guessing one account's password is slowed to a crawl, and spraying
# many accounts from one address is capped too, while staff who log in correctly never wait.
# The lock-out (auth.lockout) holds whatever the address.
@limiter.limit("5 per 5 minutes", key_func=_login_key, methods=["POST"], deduct_when=_failed)
@limiter.limit("30 per 5 minutes", methods=["POST"], deduct_when=_failed)
def login() -> Response | str | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("campaigns.index"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    username = form.username.data or ""
    until = lockout.locked_until(username, now())
    if until is not None:
        return _refused(form, username, "locked", until)
    outcome = authenticate(username, form.password.data or "")
    if outcome.refusal is Refusal.DIRECTORY_DOWN:
        # Not the person's fault: audited, but no step towards a lock-out.
        announce("login.refused", None, username=lockout.key(username), reason=outcome.reason)
        db.session.commit()
        form.password.errors.append(outcome.message)
        return render_template("auth/login.html", form=form), outcome.status
    if outcome.user is None:
        return _refused(form, username, outcome.reason)
    return start_session(outcome.user, request.args.get("next"))


def start_session(user: User, next_url: str | None) -> Response:
    """Log in `user`, whose credentials (a password, the directory's, the identity
    provider's token) were right: through the second step when the account has a second
    factor, then to `next_url` (when it is of this site) or the campaigns."""
    next_url = safe_next(next_url)
    if user.has_second_factor:
        session[PENDING] = {"user": user.get_id(), "since": now().timestamp(), "next": next_url}
        return redirect(url_for("auth.second_factor"))
    return _logged_in(user, next_url)


@bp.route("/code", methods=["GET", "POST"])
def second_factor() -> Response | str | tuple[str, int]:
    """The second step of a log-in, for an account with a second factor."""
    pending = session.get(PENDING) or {}
    user = load_user(str(pending.get("user", "")))
    if user is None or now().timestamp() - pending.get("since", 0) > PENDING_SECONDS:
        session.pop(PENDING, None)
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("auth/code.html", form=form)
    until = lockout.locked_until(user.username, now())
    if until is not None:
        return _refused(form, user.username, "locked", until)
    try:
        totp.check_second_factor(user, form.code.data or "", now())
    except totp.WrongCode:
        return _refused(form, user.username, "wrong_code")
    session.pop(PENDING)
    return _logged_in(user, pending.get("next", "/"))


def _logged_in(user: User, next_url: str) -> Response:
    # A fresh session at log-in: whatever a visitor's session held before (or an attacker
    # planted in it) does not carry over into the logged-in one.
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    login_user(user)  # the audit log records it (see evalapp.audit.operations)
    sessions.start(session, now())
    lockout.clear(user.username)
    db.session.commit()
    required = gate.required_page(user)  # a due password change, an administrator's enrolment
    if required is not None:
        return redirect(url_for(required))
    return redirect(next_url if next_url != "/" else url_for("campaigns.index"))


def locked_message(until: datetime) -> str:
    """When the person may try again, in local time; even the right credentials do not log
    in meanwhile, whichever way they are checked."""
    return _("Too many failed log-ins: the account is locked until %(time)s. Try again "
             "then.", time=format_datetime(until, "yyyy-MM-dd HH:mm"))


def _refused(form: LoginForm | CodeForm, username: str, reason: str,
             locked_until: datetime | None = None) -> tuple[str, int]:
    """A failed log-in: audited with its reason, and counted towards the lock-out unless the
    username is locked already (`locked_until`); the lock it may cause is audited too."""
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if locked_until is None:
        locked_until = lockout.failed(username, user, reason, now())
    else:
        announce("login.refused", user, username=lockout.key(username), reason=reason)
    db.session.commit()
    template = "auth/code.html" if isinstance(form, CodeForm) else "auth/login.html"
    if locked_until is not None:
        return render_template(template, form=form, locked=locked_message(locked_until)), 423
    if isinstance(form, CodeForm):
        form.code.errors.append(_("Wrong or already used code."))
    else:
        form.password.errors.append(_("Wrong username or password."))
    return render_template(template, form=form), 401


@bp.post("/logout")
@login_required
def logout() -> Response:
    current_user.end_sessions()
    logout_user()  # the audit log records it (see evalapp.audit.operations)
    db.session.commit()
    session.clear()
    return redirect(url_for("home.index"), code=303)


bp.before_app_request(gate.enforce)
