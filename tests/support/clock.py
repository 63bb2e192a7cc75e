"""A clock a test moves: given to an app as its CLOCK setting (evalapp.auth.policy.now)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from evalapp.database import utcnow


@dataclass
class Clock:
    at: datetime = field(default_factory=utcnow)

    def __call__(self) -> datetime:
        return self.at

    def move(self, **delta: float) -> None:
        self.at += timedelta(**delta)
