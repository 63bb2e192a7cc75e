"""Role checks for staff pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required

from evalapp.auth.models import Role

# Staff who read a campaign's outputs (results, the rectification list, the look-back).
READERS = (Role.LEADER, Role.ORGANISER, Role.AUDITOR)
# Where each administrator works: its one area of the app (endpoint names, as auth sits below
# the features). Administrators reach no campaign page (evalapp.campaigns.access).
ADMINISTRATOR_AREAS = {
    Role.SYSTEM_ADMIN: "accounts.index",
    Role.SECURITY_ADMIN: "accounts.roles",
    Role.AUDIT_ADMIN: "audit.index",
}


def role_required(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Logged in (else to the log-in page) and holding one of `roles` (else 403)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required
        def checked(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return checked

    return decorate
