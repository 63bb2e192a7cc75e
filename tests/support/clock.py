"""A clock a test moves: given to an app as its CLOCK setting (evalapp.auth.policy.now)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask

from evalapp.database import utcnow
from evalapp.extensions import db
from tests.support.factories import World, make_world


@dataclass
class Clock:
    at: datetime = field(default_factory=utcnow)

    def __call__(self) -> datetime:
        return self.at

    def move(self, **delta: float) -> None:
        self.at += timedelta(**delta)


def app_at(make_app: Callable[..., Flask], clock: Clock,
           staff: Callable[[World], object]) -> Flask:
    """An app on `clock` whose unit tree (make_world) has the accounts `staff` makes."""
    app = make_app(CLOCK=clock)
    with app.app_context():
        staff(make_world())
        db.session.commit()
    return app
