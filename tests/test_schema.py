"""The migrations build exactly the models' schema, and the app refuses an unmigrated one."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from evalapp.extensions import db
from evalapp.schema import SchemaNotCurrent, expected_revisions
from tests.support.apps import POSTGRES_URL, PostgresSchema, build_app, dispose


def test_upgrade_from_empty_gives_the_models_schema(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        assert compare_metadata(context, db.metadata) == []
        assert set(context.get_current_heads()) == expected_revisions()


def test_every_model_table_exists(app):
    with app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= tables


@pytest.fixture(params=["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"])
def empty_database_url(request, tmp_path: Path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    schema = PostgresSchema()
    yield schema.url
    schema.drop()


def test_app_refuses_to_start_on_an_unmigrated_database(empty_database_url, tmp_path):
    with pytest.raises(SchemaNotCurrent) as refused:
        build_app(empty_database_url, tmp_path / "instance")
    message = str(refused.value)
    assert "evalapp db upgrade" in message
    assert "not migrated" in message


def test_cli_commands_that_need_the_schema_say_how_to_fix_it(empty_database_url, tmp_path):
    app = build_app(empty_database_url, tmp_path / "instance", SCHEMA_CHECK=False)
    result = app.test_cli_runner().invoke(
        args=["create-user", "alice", "--unit", "宁波海关", "--password", "pw-123456"]
    )
    dispose(app)
    assert result.exit_code == 1
    assert "evalapp db upgrade" in result.output


def test_db_upgrade_then_start(empty_database_url, tmp_path):
    cli_app = build_app(empty_database_url, tmp_path / "instance", SCHEMA_CHECK=False)
    result = cli_app.test_cli_runner().invoke(args=["db", "upgrade"])
    dispose(cli_app)
    assert result.exit_code == 0, result.output
    app = build_app(empty_database_url, tmp_path / "instance")  # no longer refuses
    dispose(app)
