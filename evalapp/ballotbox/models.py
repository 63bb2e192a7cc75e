from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evalapp.auth.models import User
from evalapp.ballots.models import random_ballot_id
from evalapp.campaigns.models import Campaign
from evalapp.database import UTCDateTime, utcnow
from evalapp.extensions import db
from evalapp.keywrap import WRAPPING_BYTES


class SealedBallot(db.Model):
    """The ballots of one spent ticket, encrypted to the campaign's public key.

    Only the campaign is readable: the rater group, the subjects, the answers, the opinion and
    the receipt are inside the box, padded to a length that depends only on the number of
    subjects, so not even an opinion's length is visible. The rows live from the spend until
    the box is opened at close, when they are deleted in the transaction that writes the
    opened ballots.

    `spend_check` recognises the phone that spent the ticket (a double tap), and points at
    no ticket without that phone's random mark (`evalapp.rating.operations.spend_check`);
    None for paper ballots.
    """

    __tablename__ = "sealed_ballots"
    __table_args__ = (
        sa.CheckConstraint("length(box) > 48", name="box_not_empty"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=random_ballot_id)
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    box: Mapped[bytes] = mapped_column(sa.LargeBinary)
    spend_check: Mapped[str | None] = mapped_column(sa.String(64), index=True, unique=True)


WRAPPED_KEY_BYTES = 32 + WRAPPING_BYTES  # an X25519 private key, wrapped


class BoxKey(db.Model):
    """The private key of an open ballot box that the server holds (not the scrutineers), kept
    where every node finds it and no reader of the database can use it: wrapped under the
    key-encryption key that each node has from its configuration and the database never
    holds, bound to the box's public key (evalapp.keywrap, evalapp.ballotbox.keystore).
    Written when the campaign opens, deleted in the transaction that writes the opened
    ballots: no node's loss loses the box, and no kill leaves the key behind an opened box."""

    __tablename__ = "box_keys"
    __table_args__ = (
        sa.CheckConstraint("length(public_key) = 32", name="box_key_public_key_length"),
        sa.CheckConstraint(f"length(wrapped) = {WRAPPED_KEY_BYTES}",
                           name="box_key_wrapped_length"),
    )

    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary, primary_key=True)
    wrapped: Mapped[bytes] = mapped_column(sa.LargeBinary)


class BoxOpening(db.Model):
    """How the opening of a campaign's box is going, for every node's progress page: the
    request that closes writes it, the job that opens the box (evalapp.ballotbox.closing)
    reports on it. One row per campaign, the latest closing; it holds counts and share
    numbers only.

    `state`: "waiting" (for the scrutineers' shares; `ceremony` is the ceremony's public key,
    `released` the share numbers released to it, `stuck` set when k or more were released and
    no k of them fit), "opening", "done" or "failed". `misfits`: the shares left out because
    they did not fit. `updated_at` moves with every report: a row left still for
    `closing.STALE_SECONDS` is a dead process's. `request` names the closing (below)."""

    __tablename__ = "box_openings"
    __table_args__ = (
        sa.CheckConstraint("state IN ('waiting', 'opening', 'done', 'failed')",
                           name="box_opening_state"),
        sa.CheckConstraint("done >= 0 AND total >= 0", name="box_opening_counts"),
    )

    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(sa.String(8))
    done: Mapped[int] = mapped_column()
    total: Mapped[int] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ceremony: Mapped[str] = mapped_column(sa.String(64), default="")
    released: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    stuck: Mapped[bool] = mapped_column(default=False)
    misfits: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    # The closing's random name, which its queued job carries: a job whose name is not the
    # latest closing's (pushed into the queue by whoever can write to it, or left from a
    # closing started again) opens nothing.
    request: Mapped[str] = mapped_column(sa.String(32), default="")


# A share sealed to a scrutineer: the box's public key, the share's number and value
# (evalapp.ballotbox.scrutineers.share_payload), in a libsodium sealed box (48 bytes more).
SEALED_SHARE_BYTES = 32 + 1 + 16 + 48


class CustodyKey(db.Model):
    """A scrutineer's custody key (监票人保管密钥): the public half of an X25519 key pair whose
    private half is derived, each time it is needed, from a passphrase only the scrutineer
    knows (Argon2id with this salt and these costs). Nothing here opens anything without the
    passphrase; the costs make each guess at it expensive."""

    __tablename__ = "custody_keys"
    __table_args__ = (
        sa.CheckConstraint("length(public_key) = 32", name="custody_public_key_length"),
        sa.CheckConstraint("length(salt) = 16", name="custody_salt_length"),
        sa.CheckConstraint("opslimit >= 1 AND memlimit >= 8192", name="custody_costs"),
    )

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    salt: Mapped[bytes] = mapped_column(sa.LargeBinary(16))
    opslimit: Mapped[int] = mapped_column()
    memlimit: Mapped[int] = mapped_column(sa.BigInteger)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustodyShare(db.Model):
    """One scrutineer's share of one campaign's box key, sealed to their custody key: only
    their passphrase opens it, and only in a request of their own.

    `released` is the same share sealed to the key of the closing ceremony under way, whose
    private half exists only in the memory of the process that waits to open the box
    (evalapp.ballotbox.closing); it is cleared when a new ceremony starts. The rows go once
    the box is open."""

    __tablename__ = "custody_shares"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "user_id"),  # one share per scrutineer
        sa.UniqueConstraint("campaign_id", "number"),  # one scrutineer per share
        sa.CheckConstraint("number BETWEEN 1 AND 255", name="custody_share_number"),
        sa.CheckConstraint(f"length(sealed) = {SEALED_SHARE_BYTES}",
                           name="custody_sealed_length"),
        sa.CheckConstraint(f"released IS NULL OR length(released) = {SEALED_SHARE_BYTES}",
                           name="custody_released_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    number: Mapped[int] = mapped_column()
    sealed: Mapped[bytes] = mapped_column(sa.LargeBinary)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released: Mapped[bytes | None] = mapped_column(sa.LargeBinary)

    user: Mapped[User] = relationship()
    campaign: Mapped[Campaign] = relationship()
