"""Checking the audit log's chain (`evalapp audit verify`): every entry's MAC recomputed
from its stored fields and its predecessor's MAC, the sequence without gaps from the first
entry kept to the chain head's last, and the head's own MAC. The first break is named: an
altered entry, a missing one (deleted, or a truncated tail), or a rewritten head."""

from __future__ import annotations

import enum
from contextlib import closing
from dataclasses import dataclass

import sqlalchemy as sa

from evalapp.audit.chain import Head, entry_mac, read_head
from evalapp.audit.models import AuditEntry
from evalapp.extensions import db

BATCH = 1000  # entries read at a time


class Break(enum.StrEnum):
    ALTERED = "altered"  # the entry's MAC does not match its fields and predecessor
    MISSING = "missing"  # the entry with this sequence number is gone
    HEAD = "head"  # the chain head was rewritten, lost, or does not end the log


@dataclass(frozen=True)
class Verdict:
    """`kept` entries, `first`…`last` by sequence; `broken` the first break, at `sequence`
    (and the entry's `entry_id` when it is there)."""

    kept: int
    first: int
    last: int
    broken: Break | None = None
    sequence: int | None = None
    entry_id: int | None = None

    @property
    def intact(self) -> bool:
        return self.broken is None


def verify_chain(key: bytes) -> Verdict:
    """Check the log with `key`. Ends the caller's transaction: the head and the entries are
    read in one snapshot of their own (REPEATABLE READ on PostgreSQL; a read transaction is
    one on SQLite), so that entries appended meanwhile are not taken for a break."""
    db.session.rollback()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    try:
        return _verify(key)
    finally:
        db.session.rollback()


def _verify(key: bytes) -> Verdict:
    stored = read_head()
    if stored is None:
        count = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))
        return Verdict(0, 1, 0) if not count else Verdict(0, 1, 0, Break.HEAD)
    head, head_mac = stored
    if head.sealed(key) != head_mac:
        return Verdict(0, head.first_kept, head.sequence, Break.HEAD)
    expected, previous = head.first_kept, head.kept_from_mac
    # (closed when left early: on PostgreSQL yield_per reads through a server-side cursor)
    with closing(db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.sequence)
                                    .execution_options(yield_per=BATCH))) as entries:
        for entry in entries:
            if entry.sequence != expected:
                broken = Break.MISSING if entry.sequence > expected else Break.ALTERED
                return _break(head, broken, min(expected, entry.sequence), entry)
            if entry_mac(key, previous, entry) != entry.mac:
                return _break(head, Break.ALTERED, expected, entry)
            expected, previous = expected + 1, entry.mac
    if expected - 1 < head.sequence:
        return _break(head, Break.MISSING, expected, None)
    if previous != head.mac:
        return _break(head, Break.HEAD, head.sequence, None)
    return Verdict(expected - head.first_kept, head.first_kept, head.sequence)


def _break(head: Head, broken: Break, sequence: int, entry: AuditEntry | None) -> Verdict:
    return Verdict(max(sequence - head.first_kept, 0), head.first_kept, head.sequence, broken,
                   sequence, entry.id if entry is not None and entry.sequence == sequence
                   else None)
