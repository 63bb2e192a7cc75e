from __future__ import annotations

import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evalapp.campaigns.models import Level, Satisfaction
from evalapp.database import str_enum
from evalapp.extensions import db

COMMENT_MAX_LENGTH = 2000


def random_ballot_id() -> str:
    return secrets.token_hex(16)


class Ballot(db.Model):
    """One rater's answers about one subject.

    What is absent is the point: no ticket, person, address, device or time. The id is random
    and SQLite stores the table without rowid, ordered by that id, so not even storage order
    follows the order of submission. Ballots are never updated (a migration trigger refuses).
    """

    __tablename__ = "ballots"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["campaign_id", "subject_id"], ["subjects.campaign_id", "subjects.id"]
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id", "rater_group_id"], ["rater_groups.campaign_id", "rater_groups.id"]
        ),
        sa.UniqueConstraint("campaign_id", "receipt_code"),
        sa.CheckConstraint(
            f"comment IS NULL OR length(comment) <= {COMMENT_MAX_LENGTH}", name="comment_length"
        ),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=random_ballot_id)
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    subject_id: Mapped[int] = mapped_column(index=True)
    rater_group_id: Mapped[int] = mapped_column(index=True)
    satisfaction: Mapped[Satisfaction | None] = mapped_column(
        str_enum(Satisfaction, "satisfaction")
    )
    comment: Mapped[str | None] = mapped_column(sa.Text)
    receipt_code: Mapped[str] = mapped_column(sa.String(16))

    common_answers: Mapped[list[CommonAnswer]] = relationship(cascade="all, delete-orphan")
    individual_answers: Mapped[list[IndividualAnswer]] = relationship(
        cascade="all, delete-orphan"
    )


class CommonAnswer(db.Model):
    """The level given to a common item. A blank item has no row: missing, not zero."""

    __tablename__ = "common_answers"
    __table_args__ = ({"sqlite_with_rowid": False},)

    ballot_id: Mapped[str] = mapped_column(
        sa.ForeignKey("ballots.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("common_items.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    level: Mapped[Level] = mapped_column(str_enum(Level, "level"))


class IndividualAnswer(db.Model):
    """The level given to one of the subject's individual items."""

    __tablename__ = "individual_answers"
    __table_args__ = ({"sqlite_with_rowid": False},)

    ballot_id: Mapped[str] = mapped_column(
        sa.ForeignKey("ballots.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("individual_items.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    level: Mapped[Level] = mapped_column(str_enum(Level, "level"))
