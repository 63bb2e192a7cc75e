from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from evalapp.database import UTCDateTime
from evalapp.extensions import db


class ResultOutput(db.Model):
    """A closed campaign's chart or export in one language, built once and read by every node
    (evalapp.results.store): a closed campaign's figures never change.

    `edition` names what made it: the moment the campaign closed and the digest of the code
    and catalogues that make outputs. A row of another edition is out of date (a restored
    backup reusing an id, an upgrade that changed a figure or a disclosure rule) and is built
    again. `state`: "building" (a job is making it; `updated_at` when it began), "ready"
    (`content` holds it) or "failed" (the last build raised)."""

    __tablename__ = "result_outputs"
    __table_args__ = (
        sa.CheckConstraint("state IN ('building', 'ready', 'failed')",
                           name="result_output_state"),
        sa.CheckConstraint("(state = 'ready') = (content IS NOT NULL)",
                           name="result_output_content_when_ready"),
    )

    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    locale: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    edition: Mapped[str] = mapped_column(sa.String(40))
    state: Mapped[str] = mapped_column(sa.String(8))
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
