"""Staff sessions end after a while idle and after a maximum length (GB/T 22239-2019
8.1.4.1 c: 登录连接超时自动退出).

The session cookie keeps when the staff session started and when it was last used (POSIX
seconds, signed with the cookie). Only staff sessions carry them: a rater's session (the
`rater` key of rating.session) is never ended by these limits, and ending a staff session
removes only what log-in put there, so a rater's half-filled ballot on the same browser stays.
"""

from __future__ import annotations

import enum
from collections.abc import MutableMapping
from datetime import datetime
from typing import Any

from evalapp.auth.policy import Policy

STARTED, SEEN = "staff_started", "staff_seen"


class Ended(enum.StrEnum):
    IDLE = "idle"
    MAXIMUM = "maximum"


def start(session: MutableMapping[str, Any], now: datetime) -> None:
    session[STARTED] = session[SEEN] = now.timestamp()


def ended(session: MutableMapping[str, Any], now: datetime, policy: Policy) -> Ended | None:
    """Why the staff session in `session` has ended at `now`, or None while it lasts. A
    session without the marks (opened before they existed) counts as ended at its maximum."""
    started, seen = session.get(STARTED), session.get(SEEN)
    if not isinstance(started, float) or not isinstance(seen, float):
        return Ended.MAXIMUM
    if now.timestamp() - started >= policy.session_time.total_seconds():
        return Ended.MAXIMUM
    if now.timestamp() - seen >= policy.idle_time.total_seconds():
        return Ended.IDLE
    return None


def touch(session: MutableMapping[str, Any], now: datetime) -> None:
    session[SEEN] = now.timestamp()


def forget(session: MutableMapping[str, Any]) -> None:
    session.pop(STARTED, None)
    session.pop(SEEN, None)
