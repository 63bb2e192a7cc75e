"""The audit log's tables: the entries, and the chain head that numbers and seals them.

An entry outlives what it names: it keeps the ids of the user, the campaign and the unit, and
the user's username, as plain values (no foreign keys), so that deleting a user or a campaign
never changes an entry, and the database refuses any change of an entry (the triggers of
migration 0014). See evalapp.audit.chain for how entries are chained."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from evalapp.auth.models import User
from evalapp.database import UTCDateTime, utcnow
from evalapp.extensions import db

MAC_LENGTH = 64  # HMAC-SHA256, in hex


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (
        sa.CheckConstraint("sequence >= 1", name="sequence_positive"),
        sa.CheckConstraint(f"length(mac) = {MAC_LENGTH}", name="mac_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # 1, 2, 3… without gaps, given by the chain head (ids may skip after a rollback).
    sequence: Mapped[int] = mapped_column(unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None]
    username: Mapped[str | None] = mapped_column(sa.String(64))
    campaign_id: Mapped[int | None] = mapped_column(index=True)
    # The unit whose auditors read the entry: the campaign's, else the user's.
    unit_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(sa.String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # HMAC-SHA256 of this entry and the previous entry's MAC (evalapp.audit.chain).
    mac: Mapped[str] = mapped_column(sa.String(MAC_LENGTH))

    # The user as they are now, if they still exist (the entry keeps the username it had).
    user: Mapped[User | None] = relationship(
        primaryjoin=lambda: foreign(AuditEntry.user_id) == User.id, viewonly=True)


class AuditChain(db.Model):
    """The chain head: one row, updated by every append in the entry's own transaction, which
    serialises appends (the row is locked until commit) and records what a truncated tail
    would lose: how many entries were ever appended and the last one's MAC. Its own MAC
    (head_mac) keeps a database administrator from rewriting it to match a shortened log."""

    __tablename__ = "audit_chain"
    __table_args__ = (
        sa.CheckConstraint("id = 1", name="one_row"),
        sa.CheckConstraint("sequence >= 0", name="sequence_not_negative"),
        sa.CheckConstraint("first_kept >= 1 AND first_kept <= sequence + 1",
                           name="first_kept_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence: Mapped[int] = mapped_column(default=0)  # the last entry's sequence
    mac: Mapped[str] = mapped_column(sa.String(MAC_LENGTH), default="")  # the last entry's MAC
    # After a purge: the first entry kept, and the MAC it chains from (the last purged one's).
    first_kept: Mapped[int] = mapped_column(default=1)
    kept_from_mac: Mapped[str] = mapped_column(sa.String(MAC_LENGTH), default="")
    head_mac: Mapped[str] = mapped_column(sa.String(MAC_LENGTH))
