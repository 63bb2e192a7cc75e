from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from evalapp.ballots.models import random_ballot_id
from evalapp.extensions import db


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
