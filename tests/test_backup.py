"""`evalapp backup` and `evalapp restore`: a restored database holds exactly what was saved."""

from __future__ import annotations

import secrets

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from evalapp.ballotbox.operations import close_campaign
from evalapp.campaigns.models import Campaign
from evalapp.extensions import db
from evalapp.results.compute import campaign_results
from tests.support.apps import POSTGRES_URL, build_app, dispose
from tests.support.rater import make_tickets, submit_full


def snapshot(app) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: equal snapshots mean equal databases."""
    with app.app_context(), db.engine.connect() as connection:
        return {
            table.name: sorted(map(tuple, connection.execute(sa.select(table))), key=repr)
            for table in db.metadata.sorted_tables
        }


@pytest.fixture
def empty_target(backend, tmp_path):
    """A URL for an empty database of the same kind as the one under test."""
    name, url = backend
    if name == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    database = f"evalapp_restore_{secrets.token_hex(4)}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {database}")
    yield make_url(url).set(database=database).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE {database} WITH (FORCE)")
    admin.dispose()


def figures(app, campaign_id: int) -> list[tuple]:
    """The results leaders read, subject by subject."""
    with app.app_context():
        results = campaign_results(db.session.get(Campaign, campaign_id))
        return [(r.subject.id, r.issued, r.returned, r.counted, r.score, r.design, r.grade,
                 r.rank, r.satisfaction, [i.counts for i in r.items],
                 [(g.counted, g.score) for g in r.groups]) for r in results.subjects]


def test_backup_then_restore_into_an_empty_database(app, runner, tmp_path, empty_target):
    with app.app_context():
        tickets = make_tickets()
    for token in tickets.single[:3] + tickets.pair[:1]:
        submit_full(app.test_client(), token)
    with app.app_context():
        campaign = db.session.get(Campaign, tickets.campaign_id)
        campaign.min_report_size = 3  # 4 ballots: enough to have figures to compare
        close_campaign(campaign)
        db.session.commit()
    results = figures(app, tickets.campaign_id)
    assert results[0][3] == 4 and results[0][4] is not None  # 3 single + 1 pair ticket
    before = snapshot(app)
    assert len(before["ballots"]) == 5

    saved = tmp_path / "evalapp.backup"
    result = runner.invoke(args=["backup", str(saved)])
    assert result.exit_code == 0, result.output
    assert saved.stat().st_size > 0

    target = build_app(empty_target, tmp_path / "other", SCHEMA_CHECK=False)
    result = target.test_cli_runner().invoke(args=["restore", str(saved)])
    assert result.exit_code == 0, result.output
    dispose(target)
    restored = build_app(empty_target, tmp_path / "other")  # migrated: the app starts
    assert snapshot(restored) == before
    assert figures(restored, tickets.campaign_id) == results
    again = restored.test_cli_runner().invoke(args=["restore", str(saved)])
    assert again.exit_code == 1 and "not empty" in again.output  # never merges
    dispose(restored)


def test_a_backup_during_rating_restored_and_closed_gives_the_same_results(
        app, runner, tmp_path, empty_target):
    with app.app_context():
        tickets = make_tickets()
    for token in tickets.single[:4] + tickets.pair[:1]:
        submit_full(app.test_client(), token)
    saved = tmp_path / "during.backup"
    result = runner.invoke(args=["backup", str(saved)])
    assert result.exit_code == 0, result.output
    assert "EVALAPP_KEY_ENCRYPTION_KEY" in result.output and "与备份分开保管" in result.output
    # the key-encryption key, kept apart from the backup as told, configures the new server
    kept = {"KEY_ENCRYPTION_KEY": app.config["KEY_ENCRYPTION_KEY"]}
    other = tmp_path / "other"

    with app.app_context():
        close_campaign(db.session.get(Campaign, tickets.campaign_id))
    original = figures(app, tickets.campaign_id)

    target = build_app(empty_target, other, SCHEMA_CHECK=False, **kept)
    assert target.test_cli_runner().invoke(args=["restore", str(saved)]).exit_code == 0
    dispose(target)
    restored = build_app(empty_target, other, **kept)
    closed = restored.test_cli_runner().invoke(args=["close", "--yes", str(tickets.campaign_id)])
    assert closed.exit_code == 0, closed.output
    assert "已结束" in closed.output
    assert figures(restored, tickets.campaign_id) == original
    assert original[0][3] == 5  # four single tickets and the pair
    dispose(restored)
