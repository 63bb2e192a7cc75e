"""Security at the edges (issue 15, kind 10): log-out ends the session on the server, weak
passwords are refused, private pages and exports are never cached, and the audit log shows an
auditor only their units. Each attack test fails with its defence switched off."""

from __future__ import annotations

import pytest
from werkzeug.security import check_password_hash

from evalapp.audit.operations import record
from evalapp.auth.models import Role, User, WeakPassword, password_problems
from evalapp.campaigns.models import Campaign
from evalapp.extensions import db
from evalapp.units.models import OrgUnit
from tests.support.ballots import closed_campaign
from tests.support.factories import make_campaign, make_user
from tests.support.organiser import download, make_setup
from tests.support.web import csrf_token, login


@pytest.fixture
def setup(app):
    with app.app_context():
        return make_setup()


def test_a_copied_session_cookie_stops_working_at_log_out(app, client, setup):
    login(client, "organiser")
    assert client.get("/campaigns/").status_code == 200
    copied = client.get_cookie("session").value  # what a shared computer or a proxy keeps
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/campaigns/").status_code == 200
    other_device = app.test_client()
    login(other_device, "organiser")
    assert client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")}
                       ).status_code == 303
    for stale in (thief, other_device):  # log-out ends every session of the account
        response = stale.get("/campaigns/")
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    login(client, "organiser")  # a new log-in works
    assert client.get("/campaigns/").status_code == 200


@pytest.mark.parametrize(("password", "reason"), [
    ("short-pass", "至少需要 12 个字符"),
    ("aaaaaaaaaaaabbbb", "不同的字符太少"),
    ("first-organiser-2026", "不能包含用户名"),
])
def test_create_user_refuses_weak_passwords(app, runner, password, reason):
    result = runner.invoke(args=["create-user", "first", "--unit", "杭州海关",
                                 "--password", password])
    assert result.exit_code == 1
    assert reason in result.output
    with app.app_context():
        assert db.session.query(User).count() == 0


def test_every_password_set_is_checked(app):
    with app.app_context():
        user = User(username="leader", display_name="领导", role=Role.LEADER)
        with pytest.raises(WeakPassword):
            user.set_password("12345678901")  # 11 characters
        user.set_password("宁波海关2026年度测评")  # 12 characters, Chinese counts
        assert check_password_hash(user.password_hash, "宁波海关2026年度测评")
        assert user.session_version == 1
    assert password_problems("correct horse battery") == []


def test_results_pages_and_exports_are_never_cached(app, client):
    campaign_id = closed_campaign(app, ["好"] * 5)
    login(client, "leader")
    with app.app_context():
        subject = db.session.get(Campaign, campaign_id).subjects[0].id
    results = f"/campaigns/{campaign_id}/results"
    paths = [f"{results}/", f"{results}/{subject}", f"{results}/subjects.png",
             f"{results}/export.pdf", f"{results}/export.xlsx", f"{results}/export.csv",
             f"/campaigns/{campaign_id}/rectification/ledger.xlsx"]
    for path in paths:
        response = download(client, path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
    with client.get("/static/css/app.css") as static:
        assert "no-store" not in static.headers.get("Cache-Control", "")


def test_names_and_the_audit_log_are_never_cached(app, setup):
    organiser = app.test_client()
    login(organiser, "organiser")
    auditor = app.test_client()
    login(auditor, "auditor")
    for who, path in ((organiser, f"/campaigns/{setup.campaign}/draws/{setup.draw}/people.xlsx"),
                      (auditor, "/audit/"), (auditor, "/audit/audit.csv")):
        response = who.get(path)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"


def test_an_auditor_reads_only_the_audit_log_of_their_units(app, setup):
    """Today's attack: an auditor of any unit read every unit's log (titles, names, seeds)."""
    with app.app_context():
        other_unit = db.session.scalar(db.select(OrgUnit).where(OrgUnit.name_zh == "重庆海关"))
        other = make_campaign(other_unit, "重庆海关秘密测评")
        record("draw", user=db.session.scalar(db.select(User).where(User.username == "stranger")),
               campaign=other, seed="seed-of-chongqing", people=["渝某某"])
        ours = db.session.get(Campaign, setup.campaign)
        record("draw", user=db.session.scalar(db.select(User).where(User.username == "organiser")),
               campaign=ours, seed="seed-of-ningbo")
        make_user("chongqing_staff", other_unit)
        db.session.commit()
    for auditor in ("organiser", "stranger"):  # the log-ins the readers may or may not see
        login(app.test_client(), auditor)
    seen = {}
    for auditor in ("auditor", "other_auditor", "cross_auditor"):
        client = app.test_client()
        login(client, auditor)
        seen[auditor] = (client.get("/audit/").get_data(as_text=True)
                         + client.get("/audit/audit.csv").get_data(as_text=True))
    assert "seed-of-ningbo" in seen["auditor"] and "Organiser" in seen["auditor"]
    assert "seed-of-chongqing" not in seen["auditor"] and "渝某某" not in seen["auditor"]
    assert "Stranger" not in seen["auditor"]  # another customs' log-ins
    assert "seed-of-chongqing" in seen["other_auditor"]
    assert "seed-of-ningbo" not in seen["other_auditor"]
    assert "Organiser" not in seen["other_auditor"]
    assert "seed-of-ningbo" in seen["cross_auditor"]
    assert "seed-of-chongqing" in seen["cross_auditor"]
