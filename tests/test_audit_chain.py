"""The tamper-evident audit log (issue 22): every entry chained by HMAC under a key the
database never holds, UPDATE and DELETE refused by the database, a purge only of entries
over 181 days old, refusals recorded, and `evalapp audit verify` naming the first break.

The attacker is the database administrator: each attack is shown to succeed against the
table (triggers dropped first) and to be caught by verify; the forgery is shown to work
with the real key and only with it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from openpyxl import load_workbook

import evalapp.audit.chain
from evalapp.audit.models import AuditChain, AuditEntry
from evalapp.audit.operations import record, record_now
from evalapp.audit.retention import TooRecent, purge
from evalapp.auth.models import Role, User
from evalapp.extensions import db
from tests.support.audit import reseal, without_triggers
from tests.support.factories import make_campaign, make_user, make_world
from tests.support.race import all_at_once
from tests.support.rater import make_tickets, submit_full
from tests.support.storage import readable_anywhere
from tests.support.web import csrf_token, login

pytestmark = pytest.mark.usefixtures("administrators_enrolled")

ACTIONS = 6  # entries the `logged` fixture records


@pytest.fixture
def people(app):
    """An organiser and an auditor of 宁波海关, the audit administrator of 海关总署, and an
    organiser of 重庆海关."""
    with app.app_context():
        world = make_world()
        make_user("organiser", world.customs)
        make_user("auditor", world.customs, Role.AUDITOR)
        make_user("auditadmin", world.root, Role.AUDIT_ADMIN)
        make_user("other", world.other_customs)
        db.session.commit()


@pytest.fixture
def logged(app, people):
    """ACTIONS entries, of both customs."""
    with app.app_context():
        organiser, other = (db.session.scalar(sa.select(User).where(User.username == name))
                            for name in ("organiser", "other"))
        campaign = make_campaign(organiser.unit, "宁波海关2026年度测评")
        record("campaign.create", user=organiser, campaign=campaign, title=campaign.title)
        for number in range(ACTIONS - 2):
            record("subject.save", user=organiser, campaign=campaign, subject=number,
                   per_group={1: number, 2: [number, "二"]})
        record("login", user=other)
        db.session.commit()


def verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def assert_intact(app, entries: int | None = None) -> None:
    result = verify(app)
    assert result.exit_code == 0, result.output
    assert "审计日志完整" in result.output and "the audit log is intact" in result.output
    if entries is not None:
        assert f"共 {entries} 条" in result.output


def assert_broken(app, message: str) -> None:
    result = verify(app)
    assert result.exit_code == 1, result.output
    assert message in result.output, result.output


def in_app(app, statements: list[str]) -> None:
    with app.app_context():
        without_triggers(statements)


def test_verify_passes_on_a_fresh_demo_and_after_its_rebuild(app):
    """The demo records its campaigns' closing; its rebuild deletes the demo's campaigns and
    users, which the entries outlive (no foreign keys), so the chain stays whole."""
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert_intact(app)
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert_intact(app)
    with app.app_context():
        kept = db.session.scalars(sa.select(AuditEntry.campaign_id).where(
            AuditEntry.action == "campaign.close")).all()
        assert len(kept) == 4  # two closed rounds per build, the first build's still there


def test_verify_passes_after_many_actions(app, logged):
    assert_intact(app, ACTIONS)
    with app.app_context():
        sequences = db.session.scalars(sa.select(AuditEntry.sequence)
                                       .order_by(AuditEntry.id)).all()
        assert sequences == list(range(1, ACTIONS + 1))
        head = db.session.get(AuditChain, 1)
        assert head.sequence == ACTIONS


def test_the_migration_numbers_and_seals_the_entries_already_there(app, logged):
    """Down to 0008 (entries without numbers or MACs) and up again: 0013 seals them with the
    installation's key, so the chain covers the log from its start."""
    with app.app_context():
        db.session.remove()  # the migration takes the write lock on SQLite
        downgrade(revision="a2e5162b3c12")  # just before 0014
        assert "mac" not in {c["name"] for c in sa.inspect(db.engine).get_columns(
            "audit_entries")}
        upgrade()
    assert_intact(app, ACTIONS)


def test_the_database_refuses_to_update_or_delete_an_entry(app, logged):
    with app.app_context():
        for statement in ("UPDATE audit_entries SET action = 'login' WHERE sequence = 2",
                          "DELETE FROM audit_entries WHERE sequence = 2",
                          "DELETE FROM audit_chain",
                          "UPDATE audit_chain SET sequence = 2"):
            with pytest.raises(sa.exc.DBAPIError):
                db.session.execute(sa.text(statement))
            db.session.rollback()
    assert_intact(app, ACTIONS)


def test_an_entry_altered_with_the_triggers_dropped_is_named(app, logged):
    in_app(app, ["UPDATE audit_entries SET detail = '{\"subject\": 99}' WHERE sequence = 3"])
    with app.app_context():  # the attack worked on the table
        assert db.session.scalar(sa.select(AuditEntry.detail).where(
            AuditEntry.sequence == 3)) == {"subject": 99}
    assert_broken(app, "第 3 条审计记录（记录编号 3）被改动")


def test_an_entry_deleted_with_the_triggers_dropped_is_named(app, logged):
    in_app(app, ["DELETE FROM audit_entries WHERE sequence = 4"])
    assert_broken(app, "第 4 条审计记录缺失")


def test_a_truncated_tail_is_caught(app, logged):
    in_app(app, [f"DELETE FROM audit_entries WHERE sequence >= {ACTIONS - 1}"])
    assert_broken(app, f"第 {ACTIONS - 1} 条审计记录缺失")


def test_a_head_rewritten_to_fit_a_truncated_tail_is_caught(app, logged):
    """The administrator who also moves the head back to the last entry kept: its MAC,
    which needs the key, no longer matches."""
    in_app(app, [f"DELETE FROM audit_entries WHERE sequence = {ACTIONS}",
                 f"UPDATE audit_chain SET sequence = {ACTIONS - 1}, mac = (SELECT mac FROM "
                 f"audit_entries WHERE sequence = {ACTIONS - 1})"])
    assert_broken(app, "审计链头被改动")


def test_without_the_key_no_forgery_verifies(app, logged):
    """The database alone does not hold the key: an altered entry resealed with a guessed
    key fails; resealed with the real key (the defence switched off: the key leaked) it
    passes, so the key is what stands between the administrator and a forged log."""
    key = app.config["AUDIT_KEY"]
    assert (Path(app.instance_path) / "audit_key").stat().st_mode & 0o777 == 0o600
    assert not readable_anywhere(app, [key])
    in_app(app, ["UPDATE audit_entries SET action = 'logout' WHERE sequence = 2"])
    for guess in (b"", b"secret", app.config["SECRET_KEY"].encode()):
        with app.app_context():
            reseal(guess)
        assert_broken(app, "审计链头被改动")
    with app.app_context():
        reseal(key.encode())
    assert_intact(app, ACTIONS)


def test_appends_from_two_connections_at_once_keep_the_chain(app, people):
    def appender(name: str):
        def run() -> None:
            with app.app_context():
                user = db.session.scalar(sa.select(User).where(User.username == name))
                for number in range(15):
                    record("login", user=user, attempt=number)
                    db.session.commit()
        return run

    all_at_once([appender("organiser"), appender("other")])
    assert_intact(app, 30)


def moved_clock(monkeypatch, days: int) -> None:
    monkeypatch.setattr(evalapp.audit.chain, "utcnow",
                        lambda: datetime.now(UTC) - timedelta(days=days))


def test_entries_younger_than_181_days_are_never_purged(app, logged):
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.username == "auditadmin"))
        with pytest.raises(TooRecent):
            purge(datetime.now(UTC) - timedelta(days=180), user=admin)
        # The administrator who moves the head's start forward (the trigger lets the head
        # move forward) still cannot delete them: they are too young for the trigger.
        db.session.execute(sa.text("UPDATE audit_chain SET first_kept = sequence + 1"))
        with pytest.raises(sa.exc.DBAPIError):
            db.session.execute(sa.text("DELETE FROM audit_entries"))
        db.session.rollback()


def test_old_entries_are_purged_only_through_the_purge(app, client, people):
    with pytest.MonkeyPatch.context() as two_hundred_days_ago, app.app_context():
        moved_clock(two_hundred_days_ago, 200)
        organiser = db.session.scalar(sa.select(User).where(User.username == "organiser"))
        for number in range(3):
            record("login", user=organiser, attempt=number)
        db.session.commit()
    with app.app_context():  # old enough, but no purge moved the head's start past them
        with pytest.raises(sa.exc.DBAPIError):
            db.session.execute(sa.text("DELETE FROM audit_entries WHERE sequence = 1"))
        db.session.rollback()
    login(client, "auditadmin")
    day = (datetime.now(UTC) - timedelta(days=190)).date().isoformat()
    assert client.get(f"/audit/purge?before={datetime.now(UTC).date()}").status_code == 422
    asked = client.get(f"/audit/purge?before={day}").get_data(as_text=True)
    assert "3 条" in asked
    done = client.post(f"/audit/purge?before={day}",
                       data={"csrf_token": csrf_token(client, "/audit/"), "confirm": "yes"})
    assert done.status_code == 303
    with app.app_context():
        entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.sequence)).all()
        assert [entry.action for entry in entries] == ["login", "audit.purge"]  # the log-in
        marker = entries[-1]
        assert marker.detail["purged"] == 3 and marker.detail["first_kept"] == 4
        assert len(marker.detail["chained_from"]) == 64
    assert_intact(app, 2)
    with app.app_context():  # the chain goes on from the cut
        record("login", user=db.session.scalar(sa.select(User).where(User.username == "other")))
        db.session.commit()
    assert_intact(app, 3)


def test_only_the_top_audit_administrator_purges(app, client, people):
    login(client, "auditor")
    assert client.get("/audit/purge").status_code == 403


def test_forbidden_pages_are_recorded(app, client, people):
    login(client, "organiser")
    assert client.get("/audit/").status_code == 403
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry).order_by(
            AuditEntry.sequence.desc())).first()
        assert entry.action == "access.forbidden" and entry.username == "organiser"
        assert entry.detail == {"path": "/audit/", "method": "GET"}
    auditor = app.test_client()
    login(auditor, "auditor")
    page = auditor.get("/audit/?action=access.").get_data(as_text=True)
    assert "访问被拒绝（无权限）" in page and "Organiser" in page
    assert_intact(app)


def test_raters_never_write_to_the_log(app, client):
    with app.app_context():
        tickets = make_tickets(singles=2)
        before = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))
    submit_full(client, tickets.single[0])
    assert client.get("/audit/").status_code in (302, 303)  # to the log-in: not a staff 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == before


def test_the_audit_administrator_filters_and_exports(app, client, logged):
    login(client, "auditadmin")
    page = client.get("/audit/?user=other").get_data(as_text=True)
    assert "Other" in page and "Organiser" not in page
    assert client.get("/audit/?start=2026-02-30").status_code == 400
    csv_text = client.get("/audit/audit.csv").get_data(as_text=True)
    assert csv_text.startswith("\ufeff序号,时间（Asia/Shanghai）,操作人,用户名,测评活动,操作,详情,")
    rows = list(csv.reader(io.StringIO(csv_text.lstrip("\ufeff"))))
    workbook = load_workbook(io.BytesIO(client.get("/audit/audit.xlsx").data))
    sheet = [list(row) for row in workbook.active.iter_rows(values_only=True)]
    assert sheet[0] == rows[0] and sheet[0][-1].startswith("校验码")
    with app.app_context():
        entries = {entry.sequence: entry for entry in db.session.scalars(sa.select(AuditEntry))}
    for row in sheet[1:]:
        entry = entries[row[0]]
        assert row[-1] == entry.mac
        assert row[1] == entry.at.astimezone(ZoneInfo("Asia/Shanghai")).replace(
            tzinfo=None, microsecond=0)
    created = next(row for row in sheet if row[5] == "新建测评活动")
    assert created[2:5] == ["Organiser", "organiser", "宁波海关2026年度测评"]
    # the CSV export (first) was itself recorded before the Excel one
    assert [row[5] for row in sheet[1:3]] == ["导出审计日志"] * 2
    assert len(rows) == len(sheet) - 1  # the Excel export's own entry came after the CSV


def test_the_auditor_reads_only_their_units(app, client, logged):
    """An entry of no unit (a refusal for an unknown username) is read at the top only."""
    with app.app_context():
        record_now("login", user=None, username="nobody-known")
    login(client, "auditor")
    page = client.get("/audit/").get_data(as_text=True)
    assert "Organiser" in page and "Other" not in page and "nobody-known" not in page
    top = app.test_client()
    login(top, "auditadmin")
    assert "nobody-known" in top.get("/audit/").get_data(as_text=True)


def test_the_key_may_come_from_the_environment(make_app, monkeypatch):
    monkeypatch.setenv("EVALAPP_AUDIT_KEY", "a key kept by the operator")
    app = make_app()
    assert app.config["AUDIT_KEY"] == "a key kept by the operator"
    assert not (Path(app.instance_path) / "audit_key").exists()
