"""The security administrator's page for the log-in controls' settings (auth.policy)."""

from __future__ import annotations

import dataclasses

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from evalapp.auth import policy
from evalapp.auth.access import role_required
from evalapp.auth.events import announce
from evalapp.auth.models import Role
from evalapp.extensions import db
from forms.auth import SecuritySettingsForm

bp = Blueprint("security", __name__, url_prefix="/security")


@bp.route("/settings", methods=["GET", "POST"])
@role_required(Role.SECURITY_ADMIN)
def settings() -> Response | str | tuple[str, int]:
    before = policy.current()
    form = SecuritySettingsForm(data=dataclasses.asdict(before))
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("auth/security_settings.html", form=form), status
    after = policy.Policy(**{name: form[name].data for name in policy.FIELDS})
    policy.save(after)
    announce("security.settings", current_user._get_current_object(),
             before=dataclasses.asdict(before), after=dataclasses.asdict(after))
    db.session.commit()
    flash(_("The security settings were saved."), "success")
    return redirect(url_for("security.settings"))
