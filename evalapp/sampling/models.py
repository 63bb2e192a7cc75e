from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from evalapp.extensions import db
from evalapp.keywrap import WRAPPING_BYTES

SECRET_BYTES = 32  # a draw's secret (analysis.commitment)


class DrawSecret(db.Model):
    """A prepared draw's secret while it waits for the witness's value, wrapped under the
    key-encryption key (evalapp.keywrap) and bound to the draw's commitment, so that any node
    can make the draw and no reader of the database or its backups holds the secret before it
    (evalapp.sampling.custody). Deleted once the draw is made or set aside: the secret is then
    on the draw's record, public."""

    __tablename__ = "draw_secrets"
    __table_args__ = (
        sa.CheckConstraint(f"length(wrapped) = {SECRET_BYTES + WRAPPING_BYTES}",
                           name="draw_secret_wrapped_length"),
    )

    commitment: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    wrapped: Mapped[bytes] = mapped_column(sa.LargeBinary)
