"""Lock-out after failed log-ins and staff session time-outs (issue 22, parts 1 and 2), each
beside the attack that succeeds with the defence switched off."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from bench import harness
from bench.http import HttpClient
from evalapp.audit.models import AuditEntry
from evalapp.auth import gate, lockout, policy, sessions
from evalapp.auth.models import LoginFailure, Role
from evalapp.extensions import db
from evalapp.units.models import OrgUnit
from tests.support.clock import Clock, app_at
from tests.support.factories import PASSWORD, World, make_user
from tests.support.web import CSRF_PATTERN, login, post_form

# 02:00 UTC is 10:00 in Shanghai, the app's time zone: the lock page speaks local time.
START = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


def staff(world: World) -> None:
    make_user("organiser", world.customs)
    make_user("retired", world.customs).active = False
    make_user("security", world.root, Role.SECURITY_ADMIN)


@pytest.fixture
def app(make_app, clock):
    return app_at(make_app, clock, staff)


def guess(client, username: str, attempts: int, first_address: int = 1) -> list[int]:
    """Wrong passwords for `username`, each from another address (none is rate-limited)."""
    return [login(client, username, "wrong password", address=f"10.0.0.{first_address + n}")
            .status_code for n in range(attempts)]


def actions(app) -> list[tuple[str, str | None, dict]]:
    with app.app_context():
        entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))
        return [(entry.action, entry.user.username if entry.user else None, entry.detail)
                for entry in entries]


def test_five_failures_from_five_addresses_lock_the_account(app, client):
    assert guess(client, "organiser", 5) == [401, 401, 401, 401, 423]
    locked = login(client, "organiser", PASSWORD, address="10.0.1.1")  # the right password
    assert locked.status_code == 423
    assert "账户已锁定" in locked.get_data(as_text=True)
    assert "2026-12-07 10:15" in locked.get_data(as_text=True)  # Shanghai time
    assert client.get("/campaigns/").status_code == 302
    refusals = [detail["reason"] for action, user, detail in actions(app)
                if action == "login.refused" and user == "organiser"]
    assert refusals == ["wrong_password"] * 5 + ["locked"]
    assert [detail["until"] for action, _user, detail in actions(app)
            if action == "login.locked"] == ["2026-12-07T02:15:00+00:00"]
    assert not any("wrong password" in str(detail) for _a, _u, detail in actions(app))


def test_with_the_lock_out_switched_off_the_sixth_guess_gets_in(app, client, monkeypatch):
    monkeypatch.setattr(lockout, "count_failure", lambda *args: None)
    assert guess(client, "organiser", 5) == [401] * 5
    assert login(client, "organiser", PASSWORD, address="10.0.1.1").status_code == 302


def test_the_lock_ends_after_its_time(app, client, clock):
    guess(client, "organiser", 5)
    clock.move(minutes=14, seconds=59)
    assert login(client, "organiser", PASSWORD, address="10.0.1.1").status_code == 423
    clock.move(seconds=1)
    assert login(client, "organiser", PASSWORD, address="10.0.1.2").status_code == 302
    with app.app_context():  # a log-in starts the count again
        assert db.session.get(LoginFailure, "organiser") is None


def test_unknown_usernames_and_disabled_accounts_look_and_lock_alike(app, client):
    for username in ("nobody", "retired"):
        replies = [login(client, username, password, address=f"10.0.{n}.9")
                   for n, password in enumerate(["wrong password"] * 4 + [PASSWORD] * 2)]
        assert [reply.status_code for reply in replies] == [401] * 4 + [423, 423]
        assert "用户名或密码错误" in replies[0].get_data(as_text=True)
        assert "账户已锁定" in replies[-1].get_data(as_text=True)
    refused = {(user, detail["reason"]) for action, user, detail in actions(app)
               if action == "login.refused"}
    assert (None, "unknown_user") in refused and ("retired", "disabled") in refused
    locked = [(user, detail["username"]) for action, user, detail in actions(app)
              if action == "login.locked"]
    assert locked == [(None, "nobody"), ("retired", "retired")]


def log_in_to(server: harness.Server, password: str) -> int:
    """A log-in through `server`'s form, as a browser posts it: the reply's status."""
    client = HttpClient(server.base)
    token = CSRF_PATTERN.search(client.get("/auth/login").text)
    assert token, server.stop()
    return client.post("/auth/login", {"username": "organiser", "password": password,
                                       "csrf_token": token.group(1)}).status


def test_the_lock_holds_across_two_server_processes(app, backend, database_url, tmp_path):
    """Two real servers (`evalapp serve` on SQLite, gunicorn on PostgreSQL), each with its
    own memory and rate limits, on one database: guesses spread over both lock the account
    on both."""
    servers = [harness.Server(backend[0], database_url, tmp_path / name, 1)
               for name in ("node1", "node2")]
    for server in servers:
        server.instance.mkdir()
    try:
        with ThreadPoolExecutor(2) as pool:  # both start at once: half the wait
            list(pool.map(harness.Server.start, servers))
        guesses = [log_in_to(servers[n % 2], "wrong password") for n in range(5)]
        right = [log_in_to(server, PASSWORD) for server in servers]
    finally:
        logs = [server.stop() for server in servers]
    assert guesses == [401, 401, 401, 401, 423], logs
    assert right == [423, 423], logs


def test_concurrent_failures_are_all_counted(app):
    """The count is one atomic statement: failures counted at once from many threads are
    each counted."""
    def fail(_n: int) -> None:
        with app.app_context():
            lockout.count_failure("organiser", START, policy.Policy(lock_threshold=10))
            db.session.commit()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(fail, range(8)))
    with app.app_context():
        assert db.session.get(LoginFailure, "organiser").failed == 8


def test_only_the_security_administrator_opens_the_settings(app, client):
    login(client, "organiser", PASSWORD)
    assert client.get("/security/settings").status_code == 403


def test_security_settings_change_the_lock_out_and_are_audited(app, monkeypatch):
    monkeypatch.setattr(gate, "must_enrol", lambda user: False)  # enrolment: test_second_factor
    admin = app.test_client()
    login(admin, "security", PASSWORD)
    changed = {"lock_threshold": "3", "lock_minutes": "60", "idle_minutes": "10",
               "session_hours": "4", "password_max_age_days": "30"}
    assert post_form(admin, "/security/settings", changed).status_code == 302
    assert post_form(admin, "/security/settings", {**changed, "lock_threshold": "1"}
                     ).status_code == 422
    audited = [detail for action, user, detail in actions(app) if action == "security.settings"]
    assert audited[0]["before"]["lock_threshold"] == 5
    assert audited[0]["after"]["lock_threshold"] == 3
    assert guess(app.test_client(), "organiser", 3) == [401, 401, 423]
    organiser = app.test_client()
    login(organiser, "organiser", PASSWORD)  # locked: no page opens
    assert organiser.get("/security/settings").status_code == 302


def staff_client(app):
    client = app.test_client()
    assert login(client, "organiser", PASSWORD).status_code == 302
    return client


def test_an_idle_session_ends(app, clock):
    client = staff_client(app)
    for _ in range(4):  # an hour of work, a request every 14 minutes
        clock.move(minutes=14)
        assert client.get("/campaigns/").status_code == 200
    clock.move(minutes=15)
    ended = client.get("/campaigns/")
    assert ended.headers["Location"].startswith("/auth/login?next=")
    assert "空闲超时" in client.get(ended.headers["Location"]).get_data(as_text=True)
    assert client.get("/campaigns/").status_code == 302


def test_a_session_ends_at_its_maximum_length(app, clock):
    client = staff_client(app)
    for _ in range(47):  # 7 h 50 min of steady work
        clock.move(minutes=10)
        assert client.get("/campaigns/").status_code == 200
    clock.move(minutes=10)
    ended = client.get("/campaigns/")
    assert ended.headers["Location"].startswith("/auth/login?next=")
    assert "会话已满最长时间" in client.get(ended.headers["Location"]).get_data(as_text=True)


def test_with_the_time_outs_switched_off_an_idle_session_lasts(app, clock, monkeypatch):
    monkeypatch.setattr(sessions, "ended", lambda *args: None)
    client = staff_client(app)
    clock.move(hours=9)
    assert client.get("/campaigns/").status_code == 200


def test_a_raters_half_filled_ballot_outlasts_the_staff_time_out(app, clock):
    client = staff_client(app)
    with client.session_transaction() as session:
        session["rater"] = {"campaign": 1, "receipts": {"1": "R"}, "ticket": "h", "mark": "m"}
    clock.move(minutes=16)
    assert client.get("/").status_code == 200  # a visitor's page opens, as a visitor's
    assert client.get("/campaigns/").status_code == 302
    with client.session_transaction() as session:
        assert session["rater"]["ticket"] == "h"
        assert "_user_id" not in session


def test_the_auditor_reads_refusals_and_locks_in_words(app, client):
    with app.app_context():
        make_user("auditor", db.session.get(OrgUnit, 1), Role.AUDITOR)
        db.session.commit()
    guess(client, "organiser", 5)
    login(client, "auditor", PASSWORD)
    page = client.get("/audit/").get_data(as_text=True)
    assert "登录被拒绝" in page and "密码错误" in page
    assert "登录失败次数过多，账户已锁定" in page
