"""Purging old audit entries, which the law allows only after they were kept long enough:
network logs at least six months (网络安全法 art. 21), hence 181 days here, and the database's
trigger refuses the same (migration 0014), whoever asks.

A purge cuts the chain's beginning, never its middle: it first appends a purge entry that
records the cut (the first entry kept and the MAC it chains from), moves the chain head's
start there, and then deletes the entries before it, which the trigger lets through only
below the head's start and only when older than 181 days. `evalapp audit verify` then
starts from the head's recorded start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from evalapp.audit.chain import Head, audit_key, read_head, write_head
from evalapp.audit.models import AuditEntry
from evalapp.audit.operations import record
from evalapp.auth.models import User
from evalapp.database import utcnow
from evalapp.extensions import db

RETENTION = timedelta(days=181)  # the trigger of migration 0014 says the same


class TooRecent(ValueError):
    """Entries younger than RETENTION were asked to be purged."""


@dataclass(frozen=True)
class Purge:
    """What a purge removed: `purged` entries, up to before `first_kept`, which chains from
    `chained_from`."""

    purged: int
    first_kept: int
    chained_from: str


def purgeable_before(now: datetime | None = None) -> datetime:
    """The latest time before which entries may be purged."""
    return (now or utcnow()) - RETENTION


def purge(before: datetime, *, user: User) -> Purge:
    """Delete the entries dated before `before` (an aware datetime), in the caller's
    transaction. Raises TooRecent when `before` is later than purgeable_before()."""
    if before > purgeable_before():
        raise TooRecent(before)
    stored = read_head(lock=True)
    if stored is None:
        return Purge(0, 1, "")
    head = stored[0]
    first_kept = db.session.scalar(
        sa.select(sa.func.min(AuditEntry.sequence)).where(AuditEntry.at >= before)
    ) or head.sequence + 1
    if first_kept <= head.first_kept:
        return Purge(0, head.first_kept, head.kept_from_mac)
    chained_from = db.session.scalar(
        sa.select(AuditEntry.mac).where(AuditEntry.sequence == first_kept - 1)) or ""
    purged = first_kept - head.first_kept
    marker = record("audit.purge", user=user, purged=purged, first_kept=first_kept,
                    chained_from=chained_from, older_than=before.isoformat())
    write_head(audit_key(), Head(marker.sequence, marker.mac, first_kept, chained_from))
    db.session.execute(sa.delete(AuditEntry).where(AuditEntry.sequence < first_kept)
                       .execution_options(synchronize_session=False))
    return Purge(purged, first_kept, chained_from)
