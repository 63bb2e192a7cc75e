"""Refusing to run on a database whose schema is not the one the code expects.

Running on an unmigrated or half-migrated database would fail later, on some request, with an
error nobody can act on; failing at start-up names the command that fixes it.
"""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy.engine import make_url

from evalapp.extensions import db
from evalapp.paths import MIGRATIONS_DIR

UPGRADE_COMMAND = "evalapp db upgrade"


class SchemaNotCurrent(RuntimeError):
    pass


def expected_revisions() -> set[str]:
    return set(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


def current_revisions() -> set[str]:
    with db.engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def ensure_schema_current(app: Flask) -> None:
    with app.app_context():
        current = current_revisions()
        expected = expected_revisions()
        if current == expected:
            return
        db.engine.dispose()  # the app will not run: leave no connections behind
        where = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(
            hide_password=True
        )
        state = f"at revision {', '.join(sorted(current))}" if current else "not migrated"
        raise SchemaNotCurrent(
            f"数据库结构不是当前版本，请先运行 `{UPGRADE_COMMAND}`。\n"
            f"The database {where} is {state}; this version of evalapp needs revision "
            f"{', '.join(sorted(expected))}. Run `{UPGRADE_COMMAND}` (or `evalapp serve`, "
            "which migrates by itself) and start again."
        )


def upgrade_schema(app: Flask) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
