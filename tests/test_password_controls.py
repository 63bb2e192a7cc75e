"""Password expiry, history and the refusal of common passwords (issue 22, part 3), each
beside the attack that succeeds with the defence switched off."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from evalapp.auth import gate, models
from evalapp.auth.models import User, password_problems
from evalapp.extensions import db
from tests.support.clock import app_at
from tests.support.factories import PASSWORD, make_user
from tests.support.web import login, post_form

NEW = "晨光熹微的宁波港2026"


@pytest.fixture
def app(make_app, clock):
    return app_at(make_app, clock, lambda world: make_user("organiser", world.customs))


def change(client, old: str, new: str, again: str | None = None):
    return post_form(client, "/account/password",
                     {"old": old, "new": new, "again": new if again is None else again})


def organiser(app) -> User:
    return db.session.scalar(sa.select(User).where(User.username == "organiser"))


def test_an_expired_password_opens_only_the_change_page(app, client, clock):
    clock.move(days=90, minutes=1)
    assert login(client).headers["Location"] == "/account/password"
    assert client.get("/campaigns/").headers["Location"] == "/account/password"
    assert "密码已过期" in client.get("/account/password").get_data(as_text=True)
    assert change(client, PASSWORD, NEW).status_code == 302
    assert client.get("/campaigns/").status_code == 200  # the session goes on
    with app.app_context():
        assert organiser(app).password_changed_at == clock.at
        assert db.session.scalar(sa.text(
            "SELECT count(*) FROM audit_entries WHERE action = 'security.password_change'")) == 1


def test_a_password_reset_to_null_must_be_changed(app, client):
    with app.app_context():
        organiser(app).password_changed_at = None
        db.session.commit()
    assert login(client).headers["Location"] == "/account/password"
    assert "请先设置您自己的密码" in client.get("/account/password").get_data(as_text=True)


def test_with_expiry_switched_off_an_old_password_opens_everything(app, client, clock,
                                                                    monkeypatch):
    monkeypatch.setattr(gate, "password_change_due", lambda user, now: None)
    clock.move(days=365)
    login(client)
    assert client.get("/campaigns/").status_code == 200


def test_the_change_needs_the_current_password_and_the_same_new_one_twice(app, client):
    login(client)
    assert "当前密码错误" in change(client, "wrong", NEW).get_data(as_text=True)
    assert "不一致" in change(client, PASSWORD, NEW, NEW + "x").get_data(as_text=True)
    with app.app_context():
        assert organiser(app).password_changed_at is not None
        assert not organiser(app).password_history


def test_the_last_five_passwords_cannot_be_used_again(app, client):
    login(client)
    assert change(client, PASSWORD, NEW).status_code == 302
    refused = change(client, NEW, PASSWORD)
    assert refused.status_code == 422
    assert "最近使用过" in refused.get_data(as_text=True)
    assert change(client, NEW, NEW).status_code == 422  # nor the current one
    with app.app_context():
        user = organiser(app)
        for n in range(4):
            user.set_password(f"{NEW}第{n}次")
        assert len(user.password_history) == 4
        assert user.used_recently(NEW)  # the fifth last
        user.set_password(f"{NEW}第4次")
        assert not user.used_recently(NEW) and user.used_recently(f"{NEW}第0次")


def test_with_the_history_switched_off_an_old_password_comes_back(app, client, monkeypatch):
    monkeypatch.setattr(User, "used_recently", lambda self, password: False)
    login(client)
    change(client, PASSWORD, NEW)
    assert change(client, NEW, PASSWORD).status_code == 302


@pytest.mark.parametrize("common", ["password1234", "qwertyuiop123", "Password1234!",
                                    "abc123456789"])
def test_common_and_leaked_passwords_are_refused(app, common):
    with app.test_request_context():
        assert password_problems(common) == ["该密码是常用密码或已泄露的密码，或与之过于相近。"]


def test_password1234_is_refused_on_the_change_page(app, client):
    login(client)
    refused = change(client, PASSWORD, "password1234")
    assert refused.status_code == 422
    assert "常用密码或已泄露的密码" in refused.get_data(as_text=True)


def test_with_the_list_switched_off_password1234_is_accepted(app, client, monkeypatch):
    monkeypatch.setattr(models, "MIN_PASSWORD_SCORE", 0)
    login(client)
    assert change(client, PASSWORD, "password1234").status_code == 302


def test_accounts_from_before_the_migration_keep_working(app, client):
    """Migrated down and up again: the existing account's password counts as set at the
    migration, so it is neither expired nor due for a change."""
    with app.app_context():
        db.session.remove()  # the migration takes the write lock on SQLite
        downgrade(revision="c4a7384d5e14")  # just before 0013
        upgrade()
        assert organiser(app).password_changed_at is not None
    assert login(client).headers["Location"] == "/campaigns/"


def test_guessing_the_current_password_on_the_change_page_locks_the_account(app, client):
    """A session left open (or stolen) is no way round the lock-out."""
    login(client)
    replies = [change(client, f"guess number {n}", NEW) for n in range(5)]
    assert [reply.status_code for reply in replies] == [422] * 4 + [302]
    assert client.get("/campaigns/").status_code == 302  # logged out
    assert login(client).status_code == 423
    with app.app_context():
        reasons = db.session.scalars(sa.text(
            "SELECT action FROM audit_entries WHERE action LIKE 'login.%'")).all()
    assert reasons.count("login.refused") == 6 and reasons.count("login.locked") == 1
