"""The people raters may be drawn from, and the draws made from them: a draw is a record
about the roster (its fingerprint, the people it picked), so it lives with it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evalapp.auth.models import User
from evalapp.campaigns.models import RaterGroup
from evalapp.database import UTCDateTime, utcnow
from evalapp.extensions import db


class RosterEntry(db.Model):
    """A person who may be drawn as a rater. Only the sample list refers to people."""

    __tablename__ = "roster_entries"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "staff_number"),
        sa.CheckConstraint("length(name) > 0", name="name_not_empty"),
        sa.ForeignKeyConstraint(
            ["campaign_id", "rater_group_id"],
            ["rater_groups.campaign_id", "rater_groups.id"],
            ondelete="CASCADE",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    rater_group_id: Mapped[int] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    staff_number: Mapped[str] = mapped_column(sa.String(50))
    unit_name: Mapped[str] = mapped_column(sa.String(100), default="")

    rater_group: Mapped[RaterGroup] = relationship()


class SampleDraw(db.Model):
    """A recorded draw: enough to reproduce it (roster fingerprint, seed, parameters) and to
    account for it (who, when, and why when it is not the first)."""

    __tablename__ = "sample_draws"
    __table_args__ = (
        sa.CheckConstraint(
            "(fraction IS NULL) <> (total IS NULL)", name="fraction_or_total"
        ),
        sa.CheckConstraint(
            "fraction IS NULL OR (fraction > 0 AND fraction <= 1)", name="fraction_range"
        ),
        sa.CheckConstraint("total IS NULL OR total > 0", name="total_positive"),
        sa.CheckConstraint("minimum_per_group >= 0", name="minimum_not_negative"),
        sa.UniqueConstraint("campaign_id", "sequence"),
        sa.CheckConstraint(
            "sequence = 1 OR length(coalesce(reason, '')) > 0", name="redraw_has_reason"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    sequence: Mapped[int]
    seed: Mapped[str] = mapped_column(sa.String(64))
    fraction: Mapped[float | None] = mapped_column()
    total: Mapped[int | None] = mapped_column()
    minimum_per_group: Mapped[int] = mapped_column(default=0)
    # {rater group id (as text): number drawn}
    allocation: Mapped[dict[str, int]] = mapped_column(sa.JSON)
    roster_fingerprint: Mapped[str] = mapped_column(sa.String(64))
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    drawn_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    reason: Mapped[str | None] = mapped_column(sa.Text)

    drawn_by: Mapped[User | None] = relationship()
    people: Mapped[list[DrawnPerson]] = relationship(cascade="all, delete-orphan")


class DrawnPerson(db.Model):
    __tablename__ = "drawn_people"

    draw_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sample_draws.id", ondelete="CASCADE"), primary_key=True
    )
    roster_entry_id: Mapped[int] = mapped_column(
        sa.ForeignKey("roster_entries.id", ondelete="CASCADE"), primary_key=True
    )

    roster_entry: Mapped[RosterEntry] = relationship()
