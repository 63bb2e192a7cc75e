from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from evalapp.database import UTCDateTime, str_enum, utcnow
from evalapp.extensions import db
from evalapp.units.models import OrgUnit


class Role(enum.StrEnum):
    ORGANISER = "organiser"  # runs campaigns of their unit
    LEADER = "leader"  # reads results once a campaign is closed
    AUDITOR = "auditor"  # reads the audit log and the sample draws


class User(UserMixin, db.Model):
    """A staff account. Raters never have one: they enter with a ticket."""

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("length(username) >= 2", name="username_not_empty"),
        sa.CheckConstraint("password_hash LIKE '%$%'", name="password_is_hashed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(100))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_units.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[OrgUnit] = relationship()

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"
