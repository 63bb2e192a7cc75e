"""Account lock-out after failed log-ins (GB/T 22239-2019 8.1.4.1 b).

Failures are counted per username in the database, so the count is the same for every worker
and node and whatever address the attempts come from; unknown usernames are counted and
locked alike, so that a lock tells nothing about which usernames exist. Each failure is one
atomic upsert that adds one and returns the new count, so concurrent failures never lose a
count; the failure that reaches the threshold locks the username and starts counting again.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from evalapp.auth.events import announce
from evalapp.auth.models import LoginFailure, User
from evalapp.auth.policy import Policy, current
from evalapp.extensions import db

UPSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def key(username: str) -> str:
    """The name failures are counted under: one for every spelling a directory takes for the
    same name. An LDAP directory matches names as RFC 4518 prepares them (NFKC, case folded,
    runs of spaces as one), so "ｂｏｂ", "ⓑob" and "Bob\u2003" all log in as bob: counted
    as typed, each would be a fresh count of failures for the same account."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())
    return " ".join(folded.split())[:64]


def locked_until(username: str, now: datetime) -> datetime | None:
    """When the lock on `username` ends, if it is locked at `now`."""
    until = db.session.scalar(
        sa.select(LoginFailure.locked_until).where(LoginFailure.username == key(username)))
    return until if until is not None and until > now else None


def count_failure(username: str, now: datetime, policy: Policy) -> datetime | None:
    """Count one failed log-in for `username`; returns the end of the lock when this failure
    locks it (the count then starts again from 0), else None."""
    upsert = UPSERTS[db.session.get_bind().dialect.name](LoginFailure)
    failed = db.session.scalar(
        upsert.values(username=key(username), failed=1)
        .on_conflict_do_update(index_elements=[LoginFailure.username],
                               set_={"failed": LoginFailure.failed + 1})
        .returning(LoginFailure.failed))
    if failed < policy.lock_threshold:
        return None
    until = now + policy.lock_time
    locked = db.session.execute(
        sa.update(LoginFailure)
        .where(LoginFailure.username == key(username),
               LoginFailure.failed >= policy.lock_threshold)
        .values(failed=0, locked_until=until)
        .returning(LoginFailure.username)).first()
    return until if locked else None


def clear(username: str) -> None:
    """A successful log-in: the failures in a row end."""
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.username == key(username)))


def failed(username: str, user: User | None, reason: str, now: datetime) -> datetime | None:
    """A failed log-in as `username` (`user`: its account, None when there is none), for
    `reason` (e.g. "wrong_password"): audited (never with the password) and counted; returns
    the end of the lock it causes, which is audited too, else None."""
    announce("login.refused", user, username=key(username), reason=reason)
    until = count_failure(username, now, current())
    if until is not None:
        announce("login.locked", user, username=key(username), until=until.isoformat())
    return until
