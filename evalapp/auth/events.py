"""What the log-in controls announce for the audit log.

`auth` sits below `audit` in the layers, so it cannot call `audit.operations.record`; it sends
`audited` instead, which the audit log turns into a `record(action, user=..., **detail)` call
(the same way flask_login's log-in and log-out signals reach it). The receiver adds its entry
to the session; the caller commits it with the action.
"""

from __future__ import annotations

from typing import Any

from blinker import Namespace
from flask import current_app

from evalapp.auth.models import User

_signals = Namespace()
audited = _signals.signal("audited")
# An administrator reset the account's password, disabled it or changed its role: what was
# granted to its holder before (sessions, API tokens) must not outlive the change. Sent with
# `user`; the receivers add their changes to the session, the caller commits.
rights_withdrawn = _signals.signal("rights-withdrawn")


def announce(action: str, user: User | None, **detail: Any) -> None:
    """Have `action` recorded for `user` (None: no account, e.g. an unknown username) with
    `detail` (JSON values; never a password or a code)."""
    audited.send(current_app._get_current_object(), action=action, user=user, **detail)
