from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evalapp.database import str_enum
from evalapp.extensions import db


class Office(enum.StrEnum):
    HEAD_OFFICE = "head_office"  # 机关
    GRASSROOTS = "grassroots"  # 基层


class Membership(enum.StrEnum):
    MEMBER = "member"  # 党员
    NON_MEMBER = "non_member"  # 群众


class RaterGroup(db.Model):
    """A stratum of raters, e.g. 机关党员. Tickets and ballots carry the group, never a person."""

    __tablename__ = "rater_groups"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "name_zh"),
        sa.UniqueConstraint("campaign_id", "position"),
        sa.UniqueConstraint("campaign_id", "id"),
        sa.CheckConstraint("weight IS NULL OR (weight > 0 AND weight <= 1)", name="weight_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    position: Mapped[int]
    name_zh: Mapped[str] = mapped_column(sa.String(50))
    name_en: Mapped[str] = mapped_column(sa.String(50), default="")
    office: Mapped[Office | None] = mapped_column(str_enum(Office, "office"))
    membership: Mapped[Membership | None] = mapped_column(str_enum(Membership, "membership"))
    # Optional policy weight of this group in the composite score (e.g. head office 0.4).
    weight: Mapped[float | None] = mapped_column()


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
