"""The declarative base, shared column types and the per-dialect connection set-up.

Constraint names follow one convention so that Alembic migrations (and SQLite's batch mode,
which rebuilds tables) can address every constraint by name on both databases.
"""

from __future__ import annotations

import contextlib
import enum
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import g, has_app_context, has_request_context, request
from sqlalchemy.orm import DeclarativeBase, Session

from evalapp.paths import create_private, make_private

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class DefaultsAtInit:
    """For models whose objects are read before they are stored (a benchmark's questionnaire,
    a paper ballot laid out in memory, a rule shown with its defaults): each column's scalar
    default is given at construction, where SQLAlchemy gives it only at insert. Put it before
    the declarative base among the model's bases."""

    def __init__(self, **fields: object) -> None:
        for column in self.__table__.columns:  # type: ignore[attr-defined]
            if column.default is not None and column.default.is_scalar:
                fields.setdefault(column.key, column.default.arg)
        super().__init__(**fields)


# The largest id of a row: PostgreSQL's `integer` (SQLite's goes to 2**63 - 1).
MAX_ROW_ID = 2**31 - 1


class UTCDateTime(sa.TypeDecorator[datetime]):
    """An aware UTC datetime on every database.

    SQLite keeps no time zone; storing naive UTC and re-attaching UTC on the way out means the
    application only ever sees aware datetimes, whichever database is underneath.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def render_migration_type(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Migrations spell UTCDateTime as a plain DateTime, so they never import the app."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def utcnow() -> datetime:
    return datetime.now(UTC)


def str_enum(enum_cls: type[enum.StrEnum], name: str) -> sa.Enum:
    """A portable enumeration: a short string column with a named CHECK constraint."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum_cls),
        values_callable=lambda members: [member.value for member in members],
    )


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def private_database_file(database: str | None) -> None:
    """Make the SQLite file readable by its owner only (0600), creating it empty when it does
    not exist yet (SQLite takes an empty file for an empty database). SQLite gives the WAL and
    shared-memory files it makes beside it the main file's mode, so they are private too;
    ones left by an earlier run are set to 0600 here. In-memory databases have no file."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    with contextlib.suppress(FileExistsError):
        os.close(create_private(path, exclusive=True))
    for each in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
        make_private(each)


def configure_sqlite(engine: sa.Engine) -> None:
    """Make SQLite safe for many concurrent writers.

    WAL lets readers proceed while one writer writes; the busy timeout makes a writer wait for
    the lock instead of failing; and write transactions begin IMMEDIATE, taking the write lock
    up front, because a deferred transaction that reads first and writes later cannot be
    upgraded once another writer has committed and fails with "database is locked" whatever
    the timeout. Requests with safe methods never write, so they begin deferred and do not
    queue behind writers, as do a request's or a job's reads after `read_first`; a connection
    with the execution option `writing` (`write_now`'s) always begins IMMEDIATE.
    synchronous=FULL keeps a committed ballot through a power cut.
    secure_delete overwrites deleted rows with zeros, so the sealed ballots and spends that
    the ballot box deletes at close leave nothing in the file's free pages.
    """

    private_database_file(engine.url.database)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # let the "begin" hook below issue BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        deferred = not connection.get_execution_options().get("writing") and (
            (has_request_context() and request.method in SAFE_METHODS)
            or (has_app_context() and g.get("reading_first", False)))
        connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


def read_first() -> None:
    """This request, or this job, reads and checks at length before it writes: its
    transactions take no write lock until `start_writing`, so other writers (raters
    submitting) are not held up meanwhile (SQLite only)."""
    g.reading_first = True


def start_writing(session: Session) -> None:
    """End the reading transaction; the next statement begins a write transaction that takes
    the lock up front. Whatever was read is read again inside it before anything is written."""
    session.rollback()
    g.reading_first = False


def write_now(engine: sa.Engine, table: sa.Table, key: dict[str, Any],
              values: dict[str, Any]) -> None:
    """Write the row of `table` with primary key `key`, committed at once in a connection of
    its own (not the session's, whose transaction may be long): for reports that others must
    see while the work that makes them goes on. An UPDATE when the row exists, else an INSERT;
    an INSERT that loses the race to another writer's becomes that UPDATE.

    Raises sqlalchemy.exc.IntegrityError when the values break a constraint."""
    where = [table.c[column] == value for column, value in key.items()]
    for attempt in (1, 2):
        try:
            with engine.connect().execution_options(writing=True) as connection, \
                    connection.begin():
                if not connection.execute(sa.update(table).where(*where)
                                          .values(values)).rowcount:
                    connection.execute(sa.insert(table).values({**key, **values}))
            return
        except sa.exc.IntegrityError:
            if attempt == 2:
                raise
