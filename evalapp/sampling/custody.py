"""Where a prepared draw's secret waits for the draw: in the database, wrapped under the
key-encryption key of the configuration (evalapp.keywrap), which the database never holds.

A reader of the database or of its backups before the draw would otherwise hold the secret,
and with it the sample for every possible witness value: enough to know, before the meeting,
which value to type in place of the one read out for the sample that suits. The commitment in
the database binds the secret, so a wrapped secret cannot be swapped unseen: the draw checks
the secret it unwraps against the commitment. Any node can make the draw (a file of one node's
instance folder, where the secret was kept before, could be drawn only there). At the draw (or
when the draw is set aside) the secret is copied onto the record, where everyone may read it,
and its wrapped copy is deleted.
"""

from __future__ import annotations

import sqlalchemy as sa

from evalapp.extensions import db
from evalapp.keywrap import ForeignKey, unwrap, wrap
from evalapp.sampling.models import DrawSecret


class SecretTaken(ValueError):
    """Another secret is kept for this commitment (the commitment binds one secret: only a
    write behind the app's back does that)."""


PURPOSE = "draw secret"


def keep_secret(commitment: str, secret: bytes) -> None:
    """Add the secret to the session, wrapped; kept already (the same secret), nothing
    changes. SecretTaken when another is kept for the commitment."""
    if secret_is_kept(commitment):
        if kept_secret(commitment) != secret:
            raise SecretTaken(commitment)
        return
    wrapped = wrap(secret, PURPOSE, commitment.encode("ascii"))
    db.session.add(DrawSecret(commitment=commitment, wrapped=wrapped))


def kept_secret(commitment: str) -> bytes | None:
    """The secret kept for this commitment, or None when there is none this node can unwrap
    (the caller checks it against the commitment)."""
    wrapped = db.session.scalar(
        sa.select(DrawSecret.wrapped).where(DrawSecret.commitment == commitment))
    if wrapped is None:
        return None
    try:
        return unwrap(wrapped, PURPOSE, commitment.encode("ascii"))
    except ForeignKey:
        return None


def secret_is_kept(commitment: str) -> bool:
    """Whether a wrapped secret is kept for this commitment, whether or not this node can
    unwrap it."""
    return db.session.get(DrawSecret, commitment) is not None


def forget_secret(commitment: str) -> None:
    """Delete the wrapped secret once it is on the draw's record."""
    db.session.execute(sa.delete(DrawSecret).where(DrawSecret.commitment == commitment))
