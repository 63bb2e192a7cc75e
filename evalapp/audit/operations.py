"""Recording staff actions. The caller commits with the action itself, so an action and its
record are stored together or not at all. Every entry is appended to the hash chain
(evalapp.audit.chain) when it is recorded.

Log-ins and log-outs are recorded when flask_login announces them (its `user_logged_in` and
`user_logged_out` signals), as are accounts a directory group makes at a first log-in
(`auth.credentials.account_from_directory`), so that `auth`, below the log, need not know of
it; the log-in and log-out views commit them with the session version they change."""

from __future__ import annotations

import getpass
import os
from typing import Any, Protocol

from flask import Flask
from flask_login import user_logged_in, user_logged_out

from evalapp.audit.chain import append
from evalapp.audit.models import AuditEntry
from evalapp.auth.credentials import account_from_directory
from evalapp.auth.events import audited
from evalapp.auth.models import User
from evalapp.extensions import db


class Identified(Protocol):
    """A campaign, as far as the log needs one: its id and its unit's (the log imports no
    feature)."""

    id: int
    unit_id: int


def _entry(action: str, user: User | None, campaign: Identified | None,
           detail: dict[str, Any]) -> AuditEntry:
    """The entry, with the ids and the username as values: it outlives the user and the
    campaign it names."""
    return AuditEntry(
        action=action,
        user_id=user.id if user else None,
        username=user.username if user else None,
        campaign_id=campaign.id if campaign else None,
        unit_id=campaign.unit_id if campaign else (user.unit_id if user else None),
        detail=detail,
    )


def record(
    action: str, *, user: User | None, campaign: Identified | None = None, **detail: Any
) -> AuditEntry:
    """Append an entry to the log. `detail` is JSON: string keys; ids, numbers, texts."""
    entry = _entry(action, user, campaign, detail)
    append(entry)
    return entry


def record_now(action: str, *, user: User | None, campaign: Identified | None = None,
               **detail: Any) -> AuditEntry:
    """Record and commit at once, in a transaction of its own: for refusals (a forbidden page,
    a wrong password, a refused key share), kept although the request fails, and for reads
    (an export) recorded before the reading. Whatever the request had not committed is
    rolled back first. The entry is filled in before, so that the new transaction's first
    statement is the append's write (on SQLite it then waits for the write lock, where a
    transaction that had read first could fail)."""
    entry = _entry(action, user, campaign, detail)
    db.session.rollback()
    append(entry)
    db.session.commit()
    return entry


def console_user() -> str:
    """The system user running a console command, for the log's "by" (a command on the
    server's console has no account): the login name, else the user id."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name in the environment nor the password database
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "?"


@user_logged_in.connect
def _logged_in(_app: Flask, user: User, **_extra: Any) -> None:
    record("login", user=user)


@user_logged_out.connect
def _logged_out(_app: Flask, user: User, **_extra: Any) -> None:
    record("logout", user=user)


@account_from_directory.connect
def _account_from_directory(user: User, *, group: str, **_extra: Any) -> None:
    record("login.directory_account", user=user, directory_group=group)
@audited.connect
def _announced(_app: Flask, action: str, user: User | None, **detail: Any) -> None:
    record(action, user=user, **detail)
