"""Backing up and restoring the database, for both engines.

SQLite uses its online backup API, which copies a consistent snapshot while the app keeps
serving; PostgreSQL uses pg_dump/pg_restore in their custom format. A restore goes into an
empty database only, so a slip of the command line cannot merge two installations.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from evalapp.extensions import db
from evalapp.paths import create_private


class BackupError(RuntimeError):
    pass


def _libpq(url: URL) -> tuple[str, list[str]]:
    """The libpq connection string for pg_dump/pg_restore, and the schema when the URL pins
    one through its search path (as the tests do)."""
    options = url.query.get("options", "")
    schema = []
    if isinstance(options, str) and "search_path=" in options:
        schema = ["--schema", options.split("search_path=", 1)[1].split()[0]]
    plain = url.set(drivername="postgresql").difference_update_query(["options"])
    return plain.render_as_string(hide_password=False), schema


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed; install the PostgreSQL client tools")
    return path


def backup(target: Path) -> None:
    """Copy the database to `target`, a file readable by its owner only (0600): it is
    created so before SQLite or pg_dump writes into it, each of which keeps an existing
    file's mode."""
    url = make_url(str(db.engine.url.render_as_string(hide_password=False)))
    os.close(create_private(target))
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(url.database) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        copy.close()
        source.close()
        return
    connection, schema = _libpq(url)
    result = subprocess.run(
        [_tool("pg_dump"), "--format=custom", "--no-owner", *schema, "--file", str(target),
         "--dbname", connection],
        capture_output=True, text=True,
    )
    if result.returncode:
        raise BackupError(result.stderr.strip())


def _has_data() -> bool:
    tables = set(sa.inspect(db.engine).get_table_names())
    return any(
        db.session.scalar(sa.select(sa.func.count()).select_from(sa.table(name)))
        for name in ("org_units", "users", "campaigns") if name in tables
    )


def restore(source: Path) -> None:
    """Into an empty database: for SQLite one without data (its file is overwritten whole),
    for PostgreSQL one without tables (the dump creates them)."""
    if not source.exists():
        raise BackupError(f"{source} does not exist")
    url = make_url(str(db.engine.url.render_as_string(hide_password=False)))
    sqlite = url.get_backend_name() == "sqlite"
    occupied = _has_data() if sqlite else bool(sa.inspect(db.engine).get_table_names())
    db.session.remove()
    db.engine.dispose()
    if occupied:
        raise BackupError("the database is not empty; restore into an empty database")
    if sqlite:
        with sqlite3.connect(source) as backup_file, sqlite3.connect(url.database) as live:
            backup_file.backup(live)
        backup_file.close()
        live.close()
        return
    connection, _schema = _libpq(url)  # the dump holds just the schema it was taken from
    result = subprocess.run(
        [_tool("pg_restore"), "--no-owner", "--exit-on-error", "--dbname", connection,
         str(source)],
        capture_output=True, text=True,
    )
    if result.returncode:
        raise BackupError(result.stderr.strip())
