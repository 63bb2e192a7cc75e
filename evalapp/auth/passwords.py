"""When a staff password must be changed, and changing it (GB/T 22239-2019 8.1.4.1 a:
口令定期更换).

An account whose password must be changed reaches no page but the change page (see
auth.gate). `password_change_due` is the one place that decides it, so a further reason (an
administrator's reset flag, say) is one more line here.
"""

from __future__ import annotations

import enum
from datetime import datetime

from werkzeug.security import check_password_hash

from evalapp.auth import lockout
from evalapp.auth.events import announce
from evalapp.auth.models import User
from evalapp.auth.policy import current


class ChangeDue(enum.StrEnum):
    REQUIRED = "required"  # no password of the person's own yet (new or reset account)
    EXPIRED = "expired"  # older than the policy's maximum age


def password_change_due(user: User, now: datetime) -> ChangeDue | None:
    """Why `user` must change their password before anything else at `now` (aware UTC), or
    None; the maximum age is the security administrator's setting. An account the directory
    checks has no local password to change."""
    if user.directory:
        return None
    if user.password_changed_at is None:
        return ChangeDue.REQUIRED
    if now - user.password_changed_at >= current().password_max_age:
        return ChangeDue.EXPIRED
    return None


class WrongPassword(ValueError):
    """The current password typed to change it is not the account's; `locked_until`: the end
    of the lock-out this failure caused, if it did."""

    def __init__(self, locked_until: datetime | None) -> None:
        super().__init__("wrong current password")
        self.locked_until = locked_until


def change_password(user: User, old: str, new: str, now: datetime) -> None:
    """Raises WrongPassword when `old` is not the account's password, WeakPassword (with
    the reasons) when `new` is refused; otherwise sets it and ends the account's other
    sessions. The caller commits (the change, or the failure, is audited with it)."""
    if not check_password_hash(user.password_hash, old):
        # A failed log-in like any other: a stolen session cannot guess the password here.
        raise WrongPassword(lockout.failed(user.username, user, "wrong_current_password", now))
    user.set_password(new, at=now)
    announce("security.password_change", user)

