"""SQLite as the embedded default: WAL, foreign keys, a busy timeout, and concurrent writers
that wait for each other instead of failing with "database is locked"."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from evalapp.extensions import db
from evalapp.schema import upgrade_schema
from evalapp.units.models import OrgUnit, UnitKind
from tests.support.apps import build_app, dispose


@pytest.fixture
def sqlite_app(tmp_path):
    """Its own SQLite database, whichever backend the rest of the run tests."""
    app = build_app(f"sqlite:///{tmp_path / 'own.sqlite3'}", tmp_path / "instance",
                    SCHEMA_CHECK=False)
    upgrade_schema(app)
    yield app
    dispose(app)


def test_connection_settings(sqlite_app):
    with sqlite_app.app_context(), db.engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") >= 5000
        assert pragma("synchronous") == 2  # FULL


def test_concurrent_writers_wait_instead_of_failing(sqlite_app):
    """Each worker reads, then writes, in one transaction: the pattern that fails with
    "database is locked" when transactions begin deferred."""
    workers, rounds = 8, 15
    errors: list[BaseException] = []
    start = threading.Barrier(workers)

    def work(index: int) -> None:
        try:
            with sqlite_app.app_context():
                start.wait()
                for round_ in range(rounds):
                    db.session.scalar(sa.select(sa.func.count(OrgUnit.id)))
                    db.session.add(OrgUnit(kind=UnitKind.ADMINISTRATION,
                                           name_zh=f"单位{index}-{round_}"))
                    db.session.commit()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with sqlite_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(OrgUnit.id))) == workers * rounds
