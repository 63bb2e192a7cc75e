"""Recording staff actions. The caller commits with the action itself, so an action and its
record are stored together or not at all.

Log-ins and log-outs are recorded when flask_login announces them (its `user_logged_in` and
`user_logged_out` signals), as are accounts a directory group makes at a first log-in
(`auth.credentials.account_from_directory`), so that `auth`, below the log, need not know of
it; the log-in and log-out views commit them with the session version they change."""

from __future__ import annotations

from typing import Any, Protocol

from flask import Flask
from flask_login import user_logged_in, user_logged_out

from evalapp.audit.models import AuditEntry
from evalapp.auth.credentials import account_from_directory
from evalapp.auth.events import audited
from evalapp.auth.models import User
from evalapp.extensions import db


class Identified(Protocol):
    """A campaign, as far as the log needs one: its id (the log imports no feature)."""

    id: int


def record(
    action: str, *, user: User | None, campaign: Identified | None = None, **detail: Any
) -> AuditEntry:
    entry = AuditEntry(action=action, user=user, campaign_id=campaign.id if campaign else None,
                       detail=detail)
    db.session.add(entry)
    return entry


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
