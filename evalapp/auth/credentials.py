"""The one check of a username and password at log-in: a local account against its hash, an
account the directory checks against the directory (evalapp.auth.directory).

A local account is checked locally even when the directory is down, so the administrators'
emergency accounts always work; the directory never opens a local account (its name may be
someone else's in the directory). An unknown name costs as long as a wrong password.
"""

from __future__ import annotations

import enum
import logging
import secrets
from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from evalapp.auth import directory
from evalapp.auth.models import User
from evalapp.extensions import db
from evalapp.units.models import OrgUnit

log = logging.getLogger(__name__)

# Sent with the account a directory group made at its first log-in, and the group (the
# audit log, above this package, records it).
account_from_directory = Namespace().signal("account-from-directory")


class Refusal(enum.Enum):
    """Why a log-in was refused; the value is the HTTP status of the log-in page."""

    WRONG = 401
    DIRECTORY_DOWN = 503


MESSAGES = {
    Refusal.WRONG: _l("Wrong username or password."),
    Refusal.DIRECTORY_DOWN: _l("The organisation's directory (unified sign-in) cannot be "
                               "reached just now. Please try again later; local accounts "
                               "can still log in."),
}


@dataclass(frozen=True)
class Outcome:
    """The account to log in, or why not: the page's message and HTTP status (one for every
    wrong credential, so that names do not show) and, for the audit log only, the reason
    (unknown_user, wrong_password, disabled, directory_down)."""

    user: User | None = None
    refusal: Refusal | None = None
    reason: str | None = None

    @property
    def status(self) -> int:
        return self.refusal.value if self.refusal else 200

    @property
    def message(self) -> str:
        return str(MESSAGES[self.refusal]) if self.refusal else ""


def _wrong(reason: str) -> Outcome:
    return Outcome(refusal=Refusal.WRONG, reason=reason)


DIRECTORY_DOWN = Outcome(refusal=Refusal.DIRECTORY_DOWN, reason="directory_down")


@cache
def _no_such_user_hash() -> str:
    """Checked when the username is unknown, so that a wrong name costs as long as a wrong
    password and response times do not tell which usernames exist."""
    return generate_password_hash(secrets.token_hex(16))


def authenticate(username: str, password: str) -> Outcome:
    """Check `password` for the account named `username`: a local account against its hash;
    any other name against the directory, when one is configured, which may also make the
    account at a first log-in (EVALAPP_LDAP_GROUP_ROLES). The Outcome holds the account, or
    the refusal: WRONG (401) for a wrong password, an unknown name or an inactive account
    alike; DIRECTORY_DOWN (503) when the directory does not answer. Never raises for what
    the person typed."""
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is not None and not user.directory:
        if not check_password_hash(user.password_hash or "", password):
            return _wrong("wrong_password")
        return Outcome(user=user) if user.active else _wrong("disabled")
    settings = directory.current_settings()
    if settings is None:
        check_password_hash(_no_such_user_hash(), password)
        return DIRECTORY_DOWN if user else _wrong("unknown_user")
    try:
        entry = directory.verify(settings, username, password)
    except directory.DirectoryUnavailable as error:
        log.warning("directory log-in unavailable: %s", error)
        return DIRECTORY_DOWN
    account = _account_of(entry, settings) if entry else None
    if account is None:
        return _wrong("wrong_password" if user else "unknown_user")
    return Outcome(user=account) if account.active else _wrong("disabled")


def _same_name(username: str) -> sa.Select[tuple[User]]:
    return sa.select(User).where(sa.func.lower(User.username) == username.lower())


def organisation_account(username: str) -> User | None:
    """The account with the name the organisation's directory or identity provider gives
    (whatever its case), when it is one they check: never a local account, whose name may be
    someone else's in the directory."""
    accounts = db.session.scalars(_same_name(username)).all()
    return accounts[0] if len(accounts) == 1 and accounts[0].directory else None


def _account_of(entry: directory.DirectoryEntry,
                settings: directory.DirectorySettings) -> User | None:
    """The directory account of the person the directory vouched for, or one made now from
    their groups when no account has their name."""
    account = organisation_account(entry.username)
    if account is None and db.session.scalar(_same_name(entry.username).limit(1)) is None:
        return _first_log_in(entry, settings)
    return account


def _first_log_in(entry: directory.DirectoryEntry,
                  settings: directory.DirectorySettings) -> User | None:
    """An account for a member of a mapped group (the first of the mapping they are in),
    at that group's unit; None for someone in none of them."""
    mapping = next((mapping for mapping in settings.group_roles
                    if mapping.group_dn in entry.groups), None)
    if mapping is None or not 2 <= len(entry.username) <= 64:  # the username CHECK's bounds
        return None
    units = db.session.scalars(sa.select(OrgUnit).where(OrgUnit.name_zh == mapping.unit)
                               .limit(2)).all()
    if len(units) != 1:
        log.warning("EVALAPP_LDAP_GROUP_ROLES names the unit %r: %d units have that name",
                    mapping.unit, len(units))
        return None
    user = User(username=entry.username, display_name=entry.display_name,
                role=mapping.role, unit=units[0], directory=True, password_hash=None)
    db.session.add(user)
    db.session.flush()
    account_from_directory.send(user, group=mapping.group_dn)
    return user
