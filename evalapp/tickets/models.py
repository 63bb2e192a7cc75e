from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from evalapp.auth.models import User
from evalapp.campaigns.models import Campaign, RaterGroup, Subject
from evalapp.database import UTCDateTime, str_enum, utcnow
from evalapp.extensions import db
from evalapp.roster.models import SampleDraw


class Recheck(enum.StrEnum):
    """A paper ballot drawn for a third keying before sealing, and how that keying went."""

    DRAWN = "drawn"
    AGREED = "agreed"
    DIFFERED = "differed"


batch_subjects = sa.Table(
    "ticket_batch_subjects",
    db.metadata,
    sa.Column(
        "batch_id", sa.ForeignKey("ticket_batches.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("subject_id", sa.ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True),
)


class TicketBatch(db.Model):
    """Tickets issued at once for one rater group and a set of subjects.

    The subjects a ticket covers are those of its batch. A batch may come from a sample draw
    (one ticket per drawn person of the group, plus spares), yet no ticket ever names a person.
    """

    __tablename__ = "ticket_batches"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["campaign_id", "rater_group_id"],
            ["rater_groups.campaign_id", "rater_groups.id"],
            ondelete="CASCADE",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    rater_group_id: Mapped[int] = mapped_column(index=True)
    draw_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sample_draws.id", ondelete="SET NULL")
    )
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    campaign: Mapped[Campaign] = relationship(overlaps="rater_group")
    rater_group: Mapped[RaterGroup] = relationship(overlaps="campaign")
    subjects: Mapped[list[Subject]] = relationship(secondary=batch_subjects)
    issued_by: Mapped[User | None] = relationship()
    draw: Mapped[SampleDraw | None] = relationship()
    tickets: Mapped[list[Ticket]] = relationship(
        back_populates="batch", cascade="all, delete-orphan"
    )


class UnspentTicket(db.Model):
    """A ticket that can still be used: spending it deletes this row, and nothing else of
    the ticket is written.

    A spend that wrote the ticket's own row would give that row a new place and, on
    PostgreSQL, the spending transaction's id (`xmin`): the ballot sealed in the same
    transaction is appended in the same order with the same id, so a dump taken while the
    box is open would pair each spent ticket with its sealed ballot. A deleted row leaves no
    visible trace of when it went: the spent tickets are a set, in the order they were
    issued (random, see `evalapp.tickets.operations.issue_tickets`). Its leftover bytes go at
    close (`evalapp.ballotbox.operations.compact_storage`).

    `paper` once a clerk has keyed the ticket's paper ballot: a phone's spend requires it
    false and the paper claim sets it, on this one row, so the two are put in order.
    """

    __tablename__ = "unspent_tickets"
    __table_args__ = ({"sqlite_with_rowid": False},)

    token_hash: Mapped[str] = mapped_column(
        sa.ForeignKey("tickets.token_hash", ondelete="CASCADE"), primary_key=True)
    paper: Mapped[bool] = mapped_column(default=False)


class Ticket(db.Model):
    """A one-time code, stored only as its hash.

    There is deliberately no time of spending and no link to a ballot: the ballot cannot be
    traced back to the ticket, and so not to whoever was handed it. A ticket is spent when
    its row of `unspent_tickets` is gone and it was not voided; the spend never writes this
    row. Voiding is one-way (a migration trigger refuses to undo it). Rows are inserted in an
    order unrelated to the printed sheet, so neither ids nor storage order point at a slip.
    """

    __tablename__ = "tickets"
    __table_args__ = (
        sa.CheckConstraint("length(token_hash) = 64", name="token_hash_is_sha256"),
        sa.CheckConstraint("recheck IS NULL OR paper", name="recheck_on_paper"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ticket_batches.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    is_spare: Mapped[bool] = mapped_column(default=False)
    voided: Mapped[bool] = mapped_column(default=False)
    spent: Mapped[bool] = column_property(sa.not_(voided) & ~sa.exists().where(
        UnspentTicket.token_hash == token_hash))
    # Paper ballots (evalapp.paper): how a ticket was used is counted here and never stored
    # with its ballot, so a lone paper ballot in a group cannot be picked out. `paper` once a
    # clerk has keyed the ticket's paper ballot (from then on no phone can use it; spent too
    # once the keyings agree; the spends test `UnspentTicket.paper`, set with it); `paper_void`
    # when a paper ballot came back for a ticket used on a phone or withdrawn, counted on the
    # tally and never stored; `recheck` when the system drew the ballot to be keyed a third
    # time.
    paper: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    paper_void: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    recheck: Mapped[Recheck | None] = mapped_column(str_enum(Recheck, "recheck"))

    batch: Mapped[TicketBatch] = relationship(back_populates="tickets")


class PaperKeying(db.Model):
    """One clerk's keying of a paper ballot, before the keyings agree and the ballot is sealed.

    The marks are encrypted (`box`, a fixed-length libsodium secret box, see evalapp.paper.
    keying) with a key derived from the ticket's code, which the paper carries and the
    database never holds, and from the nodes' key-encryption key: a keying sits beside its
    ticket, so in readable form it would link the ticket to the ballot in the database's files
    for ever. The rows are deleted when the ballot is sealed, and at the opening of the box.
    """

    __tablename__ = "paper_keyings"
    __table_args__ = (sa.UniqueConstraint("ticket_id", "clerk_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    clerk_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    box: Mapped[bytes] = mapped_column(sa.LargeBinary)
