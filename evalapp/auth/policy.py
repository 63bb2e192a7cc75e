"""The log-in controls' settings and the clock they read.

The settings live in the database (one `SecuritySettings` row), so that every worker and node
applies the same ones and the security administrator changes them without a restart; until
the row is written, the defaults below apply (GB/T 22239-2019 8.1.4.1 asks for a lock-out
after failed log-ins, an idle time-out and passwords changed regularly; the numbers are the
ones the review expects).

The clock is `now()`, which reads the app's `CLOCK` setting when there is one: tests give the
app a clock they can move, and every control (lock-out, time-outs, expiry, TOTP) reads this
one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from evalapp.auth.models import SecuritySettings
from evalapp.database import utcnow
from evalapp.extensions import db


@dataclass(frozen=True)
class Policy:
    lock_threshold: int = 5  # failed log-ins in a row that lock an account
    lock_minutes: int = 15  # how long a lock lasts
    idle_minutes: int = 15  # a staff session ends after this long without a request
    session_hours: int = 8  # and after this long whatever happens
    password_max_age_days: int = 90

    @property
    def lock_time(self) -> timedelta:
        return timedelta(minutes=self.lock_minutes)

    @property
    def idle_time(self) -> timedelta:
        return timedelta(minutes=self.idle_minutes)

    @property
    def session_time(self) -> timedelta:
        return timedelta(hours=self.session_hours)

    @property
    def password_max_age(self) -> timedelta:
        return timedelta(days=self.password_max_age_days)


FIELDS = tuple(field.name for field in dataclasses.fields(Policy))


def now() -> datetime:
    """The time, aware UTC: the app's CLOCK (a callable) if it has one, else the real one."""
    clock: Callable[[], datetime] = current_app.config.get("CLOCK") or utcnow
    return clock()


def current() -> Policy:
    row = db.session.get(SecuritySettings, 1)
    if row is None:
        return Policy()
    return Policy(**{name: getattr(row, name) for name in FIELDS})


def save(policy: Policy) -> None:
    """Store `policy` (the caller commits, with its audit entry)."""
    row = db.session.get(SecuritySettings, 1) or SecuritySettings(id=1)
    for name in FIELDS:
        setattr(row, name, getattr(policy, name))
    db.session.add(row)
