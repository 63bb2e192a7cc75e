from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from evalapp.auth.credentials import authenticate
from evalapp.auth.models import User
from evalapp.database import MAX_ROW_ID
from evalapp.extensions import db, limiter, login_manager
from evalapp.i18n import safe_next
from forms.auth import LoginForm

bp = Blueprint("auth", __name__, url_prefix="/auth")

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to open this page.")
login_manager.session_protection = "strong"



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
    return f"{get_remote_address()}|{request.form.get('username', '').strip().lower()[:64]}"


def _failed(response: Response) -> bool:
    return response.status_code == 401


def start_session(user: User, next_url: str | None) -> Response:
    """Log `user` in and go to `next_url` (when it is of this site) or the campaigns."""
    next_url = safe_next(next_url)
    # A fresh session at log-in: whatever a visitor's session held before (or an
    # attacker planted in it) does not carry over into the logged-in one.
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    login_user(user)  # the audit log records it (see evalapp.audit.operations)
    db.session.commit()
    return redirect(next_url if next_url != "/" else url_for("campaigns.index"))


@bp.route("/login", methods=["GET", "POST"])
# Only failures count: guessing one account's password is slowed to a crawl, and spraying
# many accounts from one address is capped too, while staff who log in correctly never wait.
@limiter.limit("5 per 5 minutes", key_func=_login_key, methods=["POST"], deduct_when=_failed)
@limiter.limit("30 per 5 minutes", methods=["POST"], deduct_when=_failed)
def login() -> Response | str | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("campaigns.index"))
    form = LoginForm()
    if form.validate_on_submit():
        outcome = authenticate(form.username.data, form.password.data or "")
        if outcome.user is not None:
            return start_session(outcome.user, request.args.get("next"))
        form.password.errors.append(outcome.message)
        return render_template("auth/login.html", form=form), outcome.status
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    current_user.end_sessions()
    logout_user()  # the audit log records it (see evalapp.audit.operations)
    db.session.commit()
    session.clear()
    return redirect(url_for("home.index"), code=303)
