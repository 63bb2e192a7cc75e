"""Bearer tokens of the HTTP API."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evalapp.auth.models import User
from evalapp.database import UTCDateTime, utcnow
from evalapp.extensions import db
from forms.limits import TOKEN_NAME_LENGTH

PREFIX_LENGTH = 8  # the token's characters kept to tell tokens apart in lists and the log


class ApiToken(db.Model):
    """A bearer token of one account: it acts as the account, with the account's role and
    units at the time of each request, while the account is active, until it expires or is
    revoked. Only its keyed digest is stored (`evalapp.keywrap.keyed_digest`): the token is
    shown once, when it is made."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        sa.CheckConstraint("length(digest) = 64", name="digest_length"),
        sa.CheckConstraint("length(name) > 0", name="name_not_empty"),
        sa.CheckConstraint("expires_at > created_at", name="expires_after_creation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    name: Mapped[str] = mapped_column(sa.String(TOKEN_NAME_LENGTH))
    digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(PREFIX_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def usable(self, at: datetime) -> bool:
        return self.revoked_at is None and at < self.expires_at and self.user.active
