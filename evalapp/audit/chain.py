"""The audit log as a hash chain (after Belenios' event log): each entry carries an
HMAC-SHA256 over its own canonical form and the previous entry's MAC, so that changing,
inserting or deleting an entry breaks every MAC after it, and nobody can mend the chain
without the key.

The key (config AUDIT_KEY: EVALAPP_AUDIT_KEY, else the instance folder's `audit_key`, made
0600 on first start) is never in the database: whoever holds only the database, a database
administrator included, can read the chain but not forge it.

Appends are serialised by the chain head (AuditChain, one row): every append updates it
first, in the transaction that writes the entry, so the row stays locked until commit on
PostgreSQL (SQLite's writers are serial anyway, see evalapp.database), and the head's
sequence numbers the entries without gaps. Raters never append (only staff actions are
recorded), so a rater never waits on the chain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from evalapp.audit.models import AuditChain, AuditEntry
from evalapp.database import utcnow
from evalapp.extensions import db

GENESIS = ""  # the MAC the first entry chains from
HEAD_ID = 1
CHAIN = AuditChain.__table__


class Sealable(Protocol):
    """An entry's sealed fields: an AuditEntry, or a row read by a migration."""

    sequence: int
    at: datetime
    user_id: int | None
    username: str | None
    campaign_id: int | None
    unit_id: int | None
    action: str
    detail: dict[str, Any]


def audit_key() -> bytes:
    return str(current_app.config["AUDIT_KEY"]).encode()


def _canonical(value: Any) -> bytes:
    """JSON with sorted keys, no spaces and UTF-8 text: one byte string per value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def as_stored(detail: dict[str, Any]) -> dict[str, Any]:
    """A detail as the database gives it back (JSON: keys become strings, tuples lists), so
    that the MAC computed at append is the MAC verification recomputes from the stored row.
    The keys keep their order: the log shows the details in the order recorded."""
    return json.loads(json.dumps(detail))


def entry_mac(key: bytes, previous: str, entry: Sealable) -> str:
    """HMAC-SHA256 (hex) over the previous MAC and the entry's canonical JSON: sequence, time
    (UTC, microseconds), user id and username, campaign and unit ids, action and detail."""
    fields = {
        "sequence": entry.sequence,
        "at": entry.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "user_id": entry.user_id, "username": entry.username,
        "campaign_id": entry.campaign_id, "unit_id": entry.unit_id,
        "action": entry.action, "detail": entry.detail,
    }
    message = previous.encode() + b"\n" + _canonical(fields)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Head:
    """The chain's state: the last entry (sequence, MAC) and, after a purge, the first entry
    kept and the MAC it chains from."""

    sequence: int = 0
    mac: str = GENESIS
    first_kept: int = 1
    kept_from_mac: str = GENESIS

    def sealed(self, key: bytes) -> str:
        """The head's own MAC, so that it cannot be rewritten to fit a shortened log."""
        message = b"head\n" + _canonical([self.sequence, self.mac, self.first_kept,
                                          self.kept_from_mac])
        return hmac.new(key, message, hashlib.sha256).hexdigest()


def read_head(*, lock: bool = False) -> tuple[Head, str] | None:
    """The head and its stored MAC; None before the first append. `lock`: SELECT … FOR
    UPDATE (PostgreSQL), held until commit."""
    query = sa.select(CHAIN).where(CHAIN.c.id == HEAD_ID)
    row = db.session.execute(query.with_for_update() if lock else query).one_or_none()
    if row is None:
        return None
    return Head(row.sequence, row.mac, row.first_kept, row.kept_from_mac), row.head_mac


def write_head(key: bytes, head: Head) -> None:
    db.session.execute(sa.update(CHAIN).where(CHAIN.c.id == HEAD_ID).values(
        sequence=head.sequence, mac=head.mac, first_kept=head.first_kept,
        kept_from_mac=head.kept_from_mac, head_mac=head.sealed(key)))


def _start(key: bytes) -> None:
    """The head of an empty log; a concurrent first append may have written it already."""
    dialect = sqlite if db.session.get_bind().dialect.name == "sqlite" else postgresql
    db.session.execute(dialect.insert(CHAIN).values(
        id=HEAD_ID, sequence=0, mac=GENESIS, first_kept=1, kept_from_mac=GENESIS,
        head_mac=Head().sealed(key)).on_conflict_do_nothing())


def _advance(key: bytes) -> Head:
    """Take the next sequence number. The first statement writes, so on SQLite it waits for
    the write lock rather than failing, and on PostgreSQL it locks the head until commit."""
    statement = (sa.update(CHAIN).where(CHAIN.c.id == HEAD_ID)
                 .values(sequence=CHAIN.c.sequence + 1)
                 .returning(CHAIN.c.sequence, CHAIN.c.mac, CHAIN.c.first_kept,
                            CHAIN.c.kept_from_mac))
    row = db.session.execute(statement).one_or_none()
    if row is None:
        _start(key)
        row = db.session.execute(statement).one()
    return Head(*row)


def append(entry: AuditEntry) -> None:
    """Number, date and seal `entry` at the end of the chain, in the caller's transaction."""
    key = audit_key()
    taken = _advance(key)
    entry.sequence = taken.sequence
    entry.at = utcnow()
    entry.detail = as_stored(entry.detail)
    entry.mac = entry_mac(key, taken.mac, entry)
    db.session.add(entry)
    write_head(key, Head(taken.sequence, entry.mac, taken.first_kept, taken.kept_from_mac))
