"""Test apps on each database: SQLite always, PostgreSQL when EVALAPP_TEST_POSTGRES_URL names a
server (in a schema of its own per run)."""

from __future__ import annotations

import os
import secrets
import shutil
import threading
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import make_url
from werkzeug.routing import Rule

from evalapp import create_app
from evalapp.extensions import db
from evalapp.schema import upgrade_schema

POSTGRES_URL = os.environ.get("EVALAPP_TEST_POSTGRES_URL", "")


def share_url_builders() -> None:
    """Compile each URL rule's builders once per process instead of once per app.

    Werkzeug writes, parses and compiles two small Python functions for every URL rule of
    every app it makes (Rule._compile_builder): two thirds of create_app's time, and the
    tests make an app for nearly every test (about 0.2 s each on a busy machine). A builder
    depends only on the rule's text and parts, its defaults, the converters' kinds and
    whether unknown arguments are appended, and it takes the rule as its argument, so one
    compiled copy serves the same rule in every app: what an app builds is unchanged. Left
    alone when Werkzeug's internals are not the ones this was written for (3.1)."""
    original = getattr(Rule, "_compile_builder", None)
    if original is None or getattr(original, "shared", False):
        return
    builders: dict[tuple, Any] = {}

    def compile_builder(rule: Rule, append_unknown: bool = True) -> Any:
        key = (rule.rule, tuple(rule._trace), append_unknown,
               repr(sorted((rule.defaults or {}).items())),
               tuple((name, type(converter)) for name, converter
                     in sorted(rule._converters.items())))
        if key not in builders:
            builders[key] = original(rule, append_unknown)
        return builders[key]

    compile_builder.shared = True
    Rule._compile_builder = compile_builder


share_url_builders()
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


def postgres_schema_url(schema: str) -> str:
    """The test server's URL with its search path set to `schema`, so tests never touch the
    database's own tables."""
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


class PostgresSchema:
    """A schema of its own on the test server, created for this run and dropped after it."""

    def __init__(self) -> None:
        self.name = f"evalapp_test_{secrets.token_hex(4)}"
        self.admin = sa.create_engine(POSTGRES_URL)
        with self.admin.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {self.name}")
        self.url = postgres_schema_url(self.name)
        self.engine = sa.create_engine(self.url)
        self._written_probe = ""
        self._superuser = False

    def empty(self) -> None:
        """Every table of the migrated schema emptied and every sequence restarted, as a fresh
        migration leaves them. Only the tables that hold a row are emptied, and only the
        sequences that were read are restarted; as a superuser (a local test server's
        `postgres`) the rows are deleted with triggers and foreign keys set aside for the
        transaction (session_replication_role), else truncated. A TRUNCATE of every table
        took about 50 ms and these DELETEs take about 8, paid by each of some 900 tests."""
        with self.engine.begin() as connection:
            if not self._written_probe:
                tables = [name for name in sa.inspect(connection).get_table_names()
                          if name != "alembic_version"]
                self._written_probe = " UNION ALL ".join(
                    f"SELECT '{name}' WHERE EXISTS (SELECT FROM {name})" for name in tables)
                self._superuser = connection.exec_driver_sql(
                    "SELECT current_setting('is_superuser') = 'on'").scalar()
            written = connection.exec_driver_sql(self._written_probe).scalars().all()
            if written and self._superuser:
                connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
                for table in written:
                    connection.exec_driver_sql(f"DELETE FROM {table}")
            elif written:
                connection.exec_driver_sql(
                    f"TRUNCATE {', '.join(written)} RESTART IDENTITY CASCADE")
            read = connection.exec_driver_sql(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema() "
                "AND last_value IS NOT NULL").scalars().all()
            for sequence in read:
                connection.exec_driver_sql(f"ALTER SEQUENCE {sequence} RESTART")

    def drop(self) -> None:
        self.engine.dispose()
        with self.admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {self.name} CASCADE")
        self.admin.dispose()


def build_app(database_url: str, instance: Path, **config: Any) -> Flask:
    """A test app; a setting given as None is left to the instance folder and environment."""
    settings = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": str(instance),
        "BASE_URL": "http://evalapp.test",
        # Closing would draw every chart in both languages in the background, seconds of CPU
        # per closing that most tests never read; the tests of that preparation turn it on.
        "PREPARE_RESULTS_AT_CLOSE": False,
        **config,
    }
    return create_app({key: value for key, value in settings.items() if value is not None})


BACKGROUND_WORK = ("job-",)  # the threads of evalapp.jobs run in-process


def dispose(app: Flask) -> None:
    """Close the app's connections, once the work it started in the background (opening a
    box, building a report) is over: a thread still holding a connection when the engine is
    disposed left it to the garbage collector, a ResourceWarning that failed the run."""
    for thread in threading.enumerate():
        if thread.name.startswith(BACKGROUND_WORK):
            thread.join(timeout=120)
    with app.app_context():
        db.engine.dispose()


def migrate(url: str, instance: Path) -> None:
    """Bring the database at `url` to the newest schema, as `evalapp` does at start-up."""
    app = build_app(url, instance, SCHEMA_CHECK=False)
    upgrade_schema(app)
    dispose(app)


def copy_of_sqlite(template_url: str, folder: Path) -> str:
    """The URL of a fresh copy, in `folder`, of the migrated SQLite file at `template_url`."""
    copy = folder / "evalapp.sqlite3"
    shutil.copyfile(Path(make_url(template_url).database or ""), copy)
    return f"sqlite:///{copy}"
