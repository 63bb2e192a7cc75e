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

from evalapp import create_app
from evalapp.extensions import db
from evalapp.schema import upgrade_schema

POSTGRES_URL = os.environ.get("EVALAPP_TEST_POSTGRES_URL", "")
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

    def drop(self) -> None:
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
        **config,
    }
    return create_app({key: value for key, value in settings.items() if value is not None})


BACKGROUND_WORK = ("open-box-", "results-")  # the threads of ballotbox.closing, results.store


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
