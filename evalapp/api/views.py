"""An account's API tokens on its own pages: made (shown once), listed, revoked."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from evalapp.api.models import ApiToken
from evalapp.api.resources import DOCUMENT
from evalapp.api.tokens import issue, revoke, tokens_of
from evalapp.auth import lockout
from evalapp.auth.access import role_required
from evalapp.auth.account import locked_out
from evalapp.auth.credentials import Refusal, authenticate
from evalapp.auth.models import BUSINESS_ROLES
from evalapp.auth.policy import now
from evalapp.extensions import db
from forms.api import TokenForm

bp = Blueprint("api_tokens", __name__, url_prefix="/account/tokens")


def _page(form: TokenForm, secret: str | None = None) -> str:
    return render_template("api/tokens.html", form=form, tokens=tokens_of(current_user),
                           secret=secret, now=now(), document=DOCUMENT)


@bp.route("/", methods=["GET", "POST"])
@role_required(*BUSINESS_ROLES)
def index() -> Response | str | tuple[str, int]:
    """The account's tokens and the form for a new one. A new token is shown on the page
    that answers the form, once: it is stored only as a digest."""
    form = TokenForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        outcome = authenticate(user.username, form.password.data or "")
        if outcome.user is not None and outcome.user.id == user.id:
            made = issue(user, form.name.data or "", now(), days=form.days.data or 0, by=user)
            db.session.commit()
            return _page(TokenForm(formdata=None), made.secret)
        if outcome.refusal is Refusal.DIRECTORY_DOWN:
            form.password.errors.append(outcome.message)
        elif lockout.failed(user.username, user, "wrong_current_password", now()):
            return locked_out(user)  # the lock ends this session, as on the password page
        else:
            db.session.commit()
            form.password.errors.append(_("The current password is wrong."))
    return _page(form), 422 if form.errors else 200


@bp.post("/<int:token_id>/revoke")
@role_required(*BUSINESS_ROLES)
def revoke_(token_id: int) -> Response:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    revoke(token, now(), current_user)
    db.session.commit()
    flash(_("The token was revoked: requests with it are refused from now on."), "success")
    return redirect(url_for("api_tokens.index"), code=303)
