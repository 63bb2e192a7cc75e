"""The people raters may be drawn from, and the draws made from them: a draw is a record
about the roster (its fingerprint, the people it picked), so it lives with it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from analysis.commitment import COMMITTED, LEGACY
from evalapp.auth.models import User
from evalapp.campaigns.models import RaterGroup
from evalapp.database import UTCDateTime
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
    account for it (who, when, and why when it is not the first).

    A committed draw (issue 18) lives in two steps. Prepared: the roster's fingerprint, the
    parameters and the allocation are fixed, and `commitment` (analysis.commitment) is
    published; the secret waits in the database only wrapped under the nodes' key-encryption
    key (evalapp.sampling.custody), never in this record, and a second account (an auditor,
    a leader or a scrutineer) may acknowledge the commitment as received. Drawn: a witness's
    value is entered, the seed is derived from it and the secret, the people are drawn and
    the secret is shown on the record from then on. A prepared draw may instead be abandoned,
    with its reason; its secret is then shown too (nothing depends on it any more). Every
    record is kept.

    Who can read the secret before the draw: whoever holds the key-encryption key (root on
    the server), not the database's administrator nor its backups (`secret_withheld`): with the
    secret, a reader could tabulate the sample for every witness value before the meeting
    and know which value to type in place of the one read out.

    A legacy draw (made before commitments) has a seed and no commitment: the seed was chosen
    by the system or typed by the organiser, so it can be reproduced but not shown unsteered.
    `scheme` says which a draw is; it is written when the draw is prepared (migration 0011
    marked the draws already recorded), so erasing a commitment does not make a legacy draw.
    """

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
        sa.CheckConstraint(
            "commitment IS NOT NULL OR (seed IS NOT NULL AND drawn_at IS NOT NULL)",
            name="legacy_draw_drawn",
        ),
        sa.CheckConstraint(
            "commitment IS NULL OR (parameters IS NOT NULL "
            "AND (secret IS NOT NULL OR drawn_at IS NULL))",
            name="commitment_complete",
        ),
        sa.CheckConstraint(
            "commitment IS NULL OR drawn_at IS NOT NULL OR abandoned_at IS NOT NULL "
            "OR secret IS NULL",
            name="secret_withheld",
        ),
        sa.CheckConstraint(f"scheme IN ('{LEGACY}', '{COMMITTED}')", name="scheme_known"),
        sa.CheckConstraint(f"(scheme = '{LEGACY}') = (commitment IS NULL)",
                           name="scheme_matches_commitment"),
        sa.CheckConstraint("acknowledged_by_id IS NULL OR acknowledged_at IS NOT NULL",
                           name="acknowledged_with_time"),
        sa.CheckConstraint("(seed IS NULL) = (drawn_at IS NULL)", name="drawn_with_seed"),
        sa.CheckConstraint(
            "commitment IS NULL OR (witness IS NULL) = (drawn_at IS NULL)",
            name="drawn_with_witness",
        ),
        sa.CheckConstraint(
            "abandoned_at IS NULL OR (drawn_at IS NULL "
            "AND length(coalesce(abandon_reason, '')) > 0)",
            name="abandoned_with_reason",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    sequence: Mapped[int]
    seed: Mapped[str | None] = mapped_column(sa.String(64))
    fraction: Mapped[float | None] = mapped_column()
    total: Mapped[int | None] = mapped_column()
    minimum_per_group: Mapped[int] = mapped_column(default=0)
    # {rater group id (as text): number drawn}
    allocation: Mapped[dict[str, int]] = mapped_column(sa.JSON)
    roster_fingerprint: Mapped[str] = mapped_column(sa.String(64))
    # The commitment published when prepared, and what it covers (hex; parameters as text).
    commitment: Mapped[str | None] = mapped_column(sa.String(64))
    secret: Mapped[str | None] = mapped_column(sa.String(64))
    parameters: Mapped[str | None] = mapped_column(sa.String(200))
    prepared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The witness's value as typed, and as hashed (normalised).
    witness_typed: Mapped[str | None] = mapped_column(sa.Text)
    witness: Mapped[str | None] = mapped_column(sa.String(200))
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    drawn_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    reason: Mapped[str | None] = mapped_column(sa.Text)
    abandoned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    abandon_reason: Mapped[str | None] = mapped_column(sa.Text)
    scheme: Mapped[str] = mapped_column(sa.String(12), default=COMMITTED)
    # The commitment acknowledged as received by a second account, before the draw.
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    drawn_by: Mapped[User | None] = relationship(foreign_keys=[drawn_by_id])
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])
    people: Mapped[list[DrawnPerson]] = relationship(cascade="all, delete-orphan")

    @property
    def committed(self) -> bool:
        return self.commitment is not None

    @property
    def pending(self) -> bool:
        """Prepared, its commitment published, waiting for the witness's value."""
        return self.drawn_at is None and self.abandoned_at is None

    @property
    def revealed_secret(self) -> str | None:
        """The secret, once it may be shown: after the draw or its abandonment."""
        return None if self.pending else self.secret


def current_draw(campaign_id: int) -> SampleDraw | None:
    """The campaign's current draw: its last one not set aside (drawn, or prepared and
    waiting). Tickets are issued from it alone, so that after a redraw the organiser cannot
    issue from whichever draw suits; migration 0011's trigger holds the database to it."""
    return db.session.scalar(
        sa.select(SampleDraw).where(SampleDraw.campaign_id == campaign_id,
                                    SampleDraw.abandoned_at.is_(None))
        .order_by(SampleDraw.sequence.desc()).limit(1))


class DrawnPerson(db.Model):
    __tablename__ = "drawn_people"

    draw_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sample_draws.id", ondelete="CASCADE"), primary_key=True
    )
    roster_entry_id: Mapped[int] = mapped_column(
        sa.ForeignKey("roster_entries.id", ondelete="CASCADE"), primary_key=True
    )

    roster_entry: Mapped[RosterEntry] = relationship()
