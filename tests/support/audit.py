"""What a database administrator can do to the audit log: switch its triggers off for one
transaction and rewrite rows, or reseal the whole chain with a key of their choosing."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from evalapp.audit.chain import Head, entry_mac, read_head, write_head
from evalapp.audit.models import AuditEntry
from evalapp.extensions import db

SQLITE_TRIGGERS = ("audit_entries_unchanged", "audit_entries_kept", "audit_chain_forward",
                   "audit_chain_kept")
POSTGRES_TRIGGERS = (("audit_entries", "audit_entries_guard"),
                     ("audit_chain", "audit_chain_guard"))


def _switch(on: bool) -> None:
    """Off: SQLite's triggers dropped (each test has its own copy of the database);
    PostgreSQL's disabled, and enabled again in the same transaction."""
    if db.session.get_bind().dialect.name == "sqlite":
        if not on:
            for name in SQLITE_TRIGGERS:
                db.session.execute(sa.text(f"DROP TRIGGER IF EXISTS {name}"))
        return
    for table, name in POSTGRES_TRIGGERS:
        db.session.execute(sa.text(
            f"ALTER TABLE {table} {'ENABLE' if on else 'DISABLE'} TRIGGER {name}"))


def without_triggers(statements: Sequence[str]) -> None:
    """Run `statements` as the database administrator who dropped the triggers first."""
    _switch(False)
    for statement in statements:
        db.session.execute(sa.text(statement))
    _switch(True)
    db.session.commit()


def reseal(key: bytes) -> None:
    """Recompute every entry's MAC and the head's with `key`, triggers off: the forgery that
    only the key makes work."""
    _switch(False)
    head, _mac = read_head()
    previous = head.kept_from_mac
    for entry in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.sequence)):
        previous = entry_mac(key, previous, entry)
        db.session.execute(sa.update(AuditEntry.__table__).where(AuditEntry.id == entry.id)
                           .values(mac=previous))
    write_head(key, Head(head.sequence, previous, head.first_kept, head.kept_from_mac))
    _switch(True)
    db.session.commit()
