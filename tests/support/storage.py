"""What an attacker who reads the database finds: in its tables and, on SQLite, in its files."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from evalapp.ballotbox.sealing import SealedContent
from evalapp.ballots.models import Ballot
from evalapp.extensions import db
from evalapp.tickets.operations import spend


def readable_anywhere(app, needles: list[str]) -> set[str]:
    """Which needles a database reader finds: in any row of any table (as text, and bytes
    as hex), and on SQLite in the raw bytes of the database file and its -wal file; in UTF-8
    and in UTF-16."""
    found = set()
    encodings = ("utf-8", "utf-16-le")
    forms = {needle: [needle, *(needle.encode(e).hex() for e in encodings)]
             for needle in needles}
    with app.app_context(), db.engine.connect() as connection:
        for table in sa.inspect(connection).get_table_names():
            for row in connection.execute(sa.text(f"SELECT * FROM {table}")):
                text = " ".join(value.hex() if isinstance(value, bytes) else str(value)
                                for value in row)
                found |= {n for n, ways in forms.items() if any(w in text for w in ways)}
        if connection.dialect.name == "sqlite":
            path = Path(make_url(str(db.engine.url)).database)
            raw = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
            found |= {n for n in needles if any(n.encode(e) in raw for e in encodings)}
    return found


def insert_readable(campaign_id: int, public_key: bytes, group_id: int,
                    ballots: Sequence[SealedContent], *, spend_check: str | None = None) -> None:
    """A stand-in for `seal_ballots` with the box switched off: the ballots written readable
    in the transaction that spends the ticket (the design before the box)."""
    db.session.execute(sa.insert(Ballot), [{
        "id": secrets.token_hex(16), "campaign_id": campaign_id,
        "subject_id": b.subject_id, "rater_group_id": group_id, "levels": b.levels,
        "satisfaction": b.satisfaction, "comment": b.comment} for b in ballots])


def spend_writing_the_ticket(token_hash: str, *, paper: bool = False) -> bool:
    """A stand-in for `spend` with its defence switched off: the ticket's own row written in
    the spending transaction, as the spend before issue 23 did (an UPDATE of `spent`). On
    PostgreSQL any UPDATE moves the row to the heap's end with the spend's `xmin`; SQLite
    updates in place, so there the row moves to the end by a new rowid (phones only: a
    paper ballot's keyings refer to the ticket's id)."""
    if not spend(token_hash, paper=paper):
        return False
    new_id = "id" if paper else "(SELECT max(id) + 1 FROM tickets)"
    db.session.execute(sa.text(f"UPDATE tickets SET id = {new_id} WHERE token_hash = :hash"),
                       {"hash": token_hash})
    return True


def every_value() -> list[object]:
    """Every value of every row of every table of the schema, as stored (in an app context):
    what a copy of the database holds."""
    return [value for table in db.metadata.sorted_tables
            for row in db.session.execute(sa.select(table)) for value in row]


def windows(values: Iterable[object], size: int = 32, longest: int = 128) -> Iterator[bytes]:
    """Every `size` consecutive bytes of every binary value of at most `longest` bytes: where a
    key or a secret, wrapped or not, would sit."""
    for value in values:
        if isinstance(value, bytes | memoryview) and size <= len(value) <= longest:
            data = bytes(value)
            yield from (data[start:start + size] for start in range(len(data) - size + 1))


def store_unwrapped(monkeypatch: pytest.MonkeyPatch, module: ModuleType) -> None:
    """Wrapping under the key-encryption key switched off where `module` wraps: the secret's
    own bytes where the wrapped secret goes, between a zero nonce and a zero tag (the same
    length, so the tables' CHECK constraints still hold)."""
    monkeypatch.setattr(module, "wrap", lambda secret, *_owner: bytes(24) + secret + bytes(16))
    monkeypatch.setattr(module, "unwrap", lambda wrapped, *_owner: bytes(wrapped)[24:-16])
