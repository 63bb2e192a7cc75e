"""The HTTP API (`/api/v1/`): bearer tokens made on the console and on the account's page,
what each token reaches (its account's role and units, as the pages), revocation, expiry and
the audit log, the roster import, draws, ticket counts, and results only once closed, as
the pages publish them."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
import sqlalchemy as sa

from evalapp.accounts import operations as accounts
from evalapp.api import tokens
from evalapp.api.models import ApiToken
from evalapp.audit.models import AuditEntry
from evalapp.auth.models import Role, User
from evalapp.campaigns.models import Campaign
from evalapp.extensions import db, limiter
from evalapp.results.compute import campaign_results
from evalapp.results.published import published_figures
from evalapp.roster.models import RosterEntry
from tests.support.ballots import closed_campaign
from tests.support.factories import PASSWORD, make_campaign, make_user
from tests.support.organiser import make_setup
from tests.support.web import csrf_token, login


def make_token(runner, username: str, *options: str) -> str:
    result = runner.invoke(args=["create-token", username, *options])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def setup(app):
    with app.app_context():
        made = make_setup()
        customs = db.session.get(Campaign, made.campaign).unit
        make_user("clerk", customs, Role.CLERK)
        make_user("sysadmin", customs.parent, Role.SYSTEM_ADMIN)
        db.session.commit()
        return made


def actions(app) -> list[tuple[str, dict]]:
    with app.app_context():
        return [(e.action, e.detail) for e in db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action.like("api.%"))
            .order_by(AuditEntry.id))]


def test_a_console_token_reads_its_accounts_units_and_campaigns_only(app, client, runner,
                                                                      setup):
    token = make_token(runner, "organiser", "--name", "人事系统")
    assert token.startswith("evalapp_") and len(token) > 40
    units = client.get("/api/v1/units", headers=bearer(token))
    assert units.status_code == 200
    assert [u["name_zh"] for u in units.get_json()] == ["宁波海关"]  # not 重庆海关, not 总署
    listed = client.get("/api/v1/campaigns", headers=bearer(token)).get_json()
    assert [c["id"] for c in listed] == [setup.campaign]
    assert listed[0]["status"] == "draft"
    assert [g["name_zh"] for g in listed[0]["rater_groups"]] == [
        "机关党员", "机关群众", "基层党员", "基层群众"]
    # another customs' organiser does not learn the campaign exists
    stranger = make_token(runner, "stranger")
    assert client.get(f"/api/v1/campaigns/{setup.campaign}",
                      headers=bearer(stranger)).status_code == 404
    assert client.get("/api/v1/campaigns", headers=bearer(stranger)).get_json() == []
    # an auditor above every customs sees both customs' units
    above = make_token(runner, "cross_auditor")
    names = {u["name_zh"] for u in client.get("/api/v1/units", headers=bearer(above)).get_json()}
    assert names == {"海关总署", "宁波海关", "重庆海关"}
    made = [(action, detail["account"], detail["name"]) for action, detail in actions(app)
            if action == "api.token_create"]
    assert made[0] == ("api.token_create", "organiser", "人事系统")
    with app.app_context():  # only the keyed digest is kept
        stored = db.session.scalars(sa.select(ApiToken.digest)).all()
        assert token not in stored and hashlib.sha256(token.encode()).hexdigest() not in stored


def test_every_address_but_the_document_needs_a_token(app, client, runner, setup,
                                                     monkeypatch):
    monkeypatch.setattr(limiter, "enabled", False)  # 40 refusals from one address
    document = client.get("/api/v1/openapi.json")
    assert document.status_code == 200
    spec = document.get_json()
    assert spec["openapi"].startswith("3.") and spec["components"]["securitySchemes"]["bearer"]
    paths = [(method, path.replace("{campaign_id}", str(setup.campaign)))
             for path, operations in spec["paths"].items()
             for method in operations if method in ("get", "post", "put", "delete", "patch")]
    assert len(paths) == 7
    revoked = make_token(runner, "organiser")
    with app.app_context():
        db.session.execute(sa.update(ApiToken).values(revoked_at=ApiToken.created_at))
        db.session.commit()
    for headers in ({}, bearer("evalapp_" + "x" * 43), {"Authorization": "Basic b3JnOnB3"},
                    bearer(revoked), {"Cookie": "session=whatever"}):
        for method, path in [*paths, ("get", "/api/v1/nothing"), ("delete", "/api/v1/units"),
                             ("get", "/api/v1")]:
            response = client.open(path, method=method, headers=headers)
            assert response.status_code == 401, (method, path, headers)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            body = response.get_json()
            assert body["code"] == 401 and "Authorization: Bearer" in body["message"]


def test_a_logged_in_browser_session_is_not_a_token(app, client, setup):
    """A page's cookie never opens the API: another site's form could send the cookie."""
    login(client)
    assert client.get("/campaigns/").status_code == 200
    assert client.get("/api/v1/campaigns").status_code == 401


def test_roles_as_on_the_pages(app, client, runner, setup):
    leader, clerk = make_token(runner, "leader"), make_token(runner, "clerk")
    auditor = make_token(runner, "auditor")
    c = f"/api/v1/campaigns/{setup.campaign}"
    assert client.get(f"{c}/tickets", headers=bearer(leader)).status_code == 403
    assert client.get(f"{c}/draws", headers=bearer(clerk)).status_code == 403
    assert client.get(f"{c}/draws", headers=bearer(auditor)).status_code == 200
    assert client.get(f"{c}/results", headers=bearer(clerk)).status_code == 403
    refused = client.post(f"{c}/roster", headers=bearer(leader),
                          data={"file": (io.BytesIO(b"x"), "a.csv")})
    assert refused.status_code == 403 and refused.get_json()["code"] == 403
    console = runner.invoke(args=["create-token", "sysadmin"])
    assert console.exit_code != 0 and "administrators hold no API token" in console.output
    assert runner.invoke(args=["create-token", "nobody"]).exit_code != 0


def test_revoked_expired_and_disabled_are_refused_and_audited(app, client, runner, setup,
                                                              clock):
    app.config["CLOCK"] = clock
    token = make_token(runner, "organiser", "--days", "2")
    assert client.get("/api/v1/units", headers=bearer(token)).status_code == 200
    clock.move(days=2, seconds=1)
    assert client.get("/api/v1/units", headers=bearer(token)).status_code == 401
    other = make_token(runner, "organiser")
    assert client.get("/api/v1/units", headers=bearer(other)).status_code == 200
    with app.app_context():
        db.session.scalar(sa.select(User).where(User.username == "organiser")).active = False
        db.session.commit()
    assert client.get("/api/v1/units", headers=bearer(other)).status_code == 401
    with app.app_context():
        db.session.scalar(sa.select(User).where(User.username == "organiser")).active = True
        db.session.commit()
    assert client.get("/api/v1/units", headers=bearer(other)).status_code == 200
    refused = [a for a, _detail in actions(app) if a == "api.token_refused"]
    assert len(refused) == 2


def test_the_account_page_makes_shows_once_and_revokes(app, client, setup):
    login(client)
    page = client.get("/account/tokens/")
    assert page.status_code == 200 and "接口令牌" in page.get_data(as_text=True)
    form = {"csrf_token": csrf_token(client, "/account/tokens/"), "name": "OA",
            "password": PASSWORD}
    bad = client.post("/account/tokens/", data={**form, "days": "400"})
    assert bad.status_code == 422 and "366" in bad.get_data(as_text=True)
    made = client.post("/account/tokens/", data={**form, "days": "30"})
    assert made.status_code == 200
    secret = made.get_data(as_text=True).split('id="new-token">')[1].split("<")[0]
    assert client.get("/api/v1/units", headers=bearer(secret)).status_code == 200
    listing = client.get("/account/tokens/").get_data(as_text=True)
    assert secret not in listing and secret[8:16] in listing  # its first characters only
    with app.app_context():
        token_id = db.session.scalar(sa.select(ApiToken.id))
    # another account cannot revoke it
    other = app.test_client()
    login(other, "leader")
    assert other.post(f"/account/tokens/{token_id}/revoke",
                      data={"csrf_token": csrf_token(other, "/account/tokens/")}).status_code == 404
    revoked = client.post(f"/account/tokens/{token_id}/revoke",
                          data={"csrf_token": form["csrf_token"]})
    assert revoked.status_code == 303
    assert client.get("/api/v1/units", headers=bearer(secret)).status_code == 401
    assert [a for a, _d in actions(app)] == ["api.token_create", "api.token_revoke",
                                            "api.token_refused"]


def test_a_database_writer_cannot_plant_a_token(app, client, setup, monkeypatch):
    """Whoever writes the database adds a row for a token of their own making: it opens
    nothing, as the row's digest is keyed with the key-encryption key the database lacks.
    With the keyed digest switched off (a plain SHA-256), the planted token works."""
    planted = "evalapp_" + "p" * 43

    def plant() -> int:
        with app.app_context():
            organiser = db.session.scalar(sa.select(User).where(User.username == "organiser"))
            db.session.execute(sa.delete(ApiToken))
            db.session.execute(sa.insert(ApiToken).values(
                user_id=organiser.id, name="planted", prefix="pppppppp",
                digest=hashlib.sha256(planted.encode()).hexdigest(),
                created_at=sa.func.current_timestamp(),
                expires_at=sa.literal_column("'2999-01-01 00:00:00'")))
            db.session.commit()
        return client.get("/api/v1/campaigns", headers=bearer(planted)).status_code

    assert plant() == 401
    monkeypatch.setattr(tokens, "digest",
                        lambda secret: hashlib.sha256(secret.encode()).hexdigest())
    assert plant() == 200  # the attack, with the defence off


def test_failed_tokens_are_throttled_as_log_ins_are(app, client, runner, setup):
    good = make_token(runner, "organiser")
    statuses = [client.get("/api/v1/units", headers=bearer(f"evalapp_wrong{n}")).status_code
                for n in range(31)]
    assert statuses[:30] == [401] * 30 and statuses[30] == 429
    assert client.get("/api/v1/units", headers=bearer(good)).status_code == 429
    other_room = client.get("/api/v1/units", headers=bearer(good),
                            environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other_room.status_code == 200


ROSTER = "姓名,工号,类别\n" + "".join(f"人员{n},A{n:03d},{group}\n" for n, group in enumerate(
    ["机关党员"] * 3 + ["基层群众"] * 2))


def test_roster_import(app, client, runner):
    with app.app_context():
        from tests.support.factories import make_world
        world = make_world()
        make_user("organiser", world.customs)
        campaign_id = make_campaign(world.customs).id
        db.session.commit()
    token = make_token(runner, "organiser")
    path = f"/api/v1/campaigns/{campaign_id}/roster"

    def send(content: bytes | str, name: str = "名单.csv", **columns: str):
        body = content.encode() if isinstance(content, str) else content
        return client.post(path, headers=bearer(token),
                           data={"file": (io.BytesIO(body), name), **columns})

    done = send(ROSTER)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["people"] == 5
    assert [(g["name_zh"], g["people"]) for g in done.get_json()["groups"]] == [
        ("机关党员", 3), ("机关群众", 0), ("基层党员", 0), ("基层群众", 2)]
    renamed = ROSTER.replace("工号", "职员代码")
    assert send(renamed).status_code == 422  # no staff number column found ...
    assert send(renamed, staff_number="职员代码").status_code == 200  # ... unless named
    missing = send(ROSTER, group="部门")
    assert missing.status_code == 422 and "部门" in json.dumps(missing.get_json()["errors"],
                                                              ensure_ascii=False)
    problems = send(ROSTER + "人员9,A000,机关党员\n,A010,火星人\n")
    assert problems.status_code == 422
    rows = problems.get_json()["errors"]["rows"]
    assert [row["row"] for row in rows] == [2, 7, 8]
    assert send(b"\x00\x01not a table", "x.xlsx").status_code == 422
    assert client.post(path, headers=bearer(token)).status_code == 422  # no file
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(RosterEntry.id))) == 5
        audit = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "roster.import")).all()
        assert [(e.username, e.detail["people"]) for e in audit] == [
            ("organiser", 5), ("organiser", 5)]


def test_draws_and_ticket_counts(app, client, runner, setup):
    token = make_token(runner, "organiser")
    c = f"/api/v1/campaigns/{setup.campaign}"
    draws = client.get(f"{c}/draws", headers=bearer(token)).get_json()
    assert [g["people"] for g in draws["roster"]] == [10, 10, 10, 10]
    assert [d["state"] for d in draws["draws"]] == ["drawn"]
    assert sum(draws["draws"][0]["allocation"].values()) == 12
    counts = client.get(f"{c}/tickets", headers=bearer(token)).get_json()
    assert counts["issued"] == 3 and counts["returned"] == 0
    assert [(g["name"], g["issued"]) for g in counts["groups"]] == [
        ("机关党员", 3), ("机关群众", 0), ("基层党员", 0), ("基层群众", 0)]
    # the roster is locked by the draw: 409
    locked = client.post(f"{c}/roster", headers=bearer(token),
                         data={"file": (io.BytesIO(ROSTER.encode()), "a.csv")})
    assert locked.status_code == 409


def test_results_only_once_closed_and_as_published(app, client, runner):
    campaign_id = closed_campaign(app, [f"意见{n}" for n in range(6)])
    token = make_token(runner, "leader")
    with app.app_context():
        organiser = db.session.scalar(sa.select(User).where(User.username == "leader"))
        draft = make_campaign(organiser.unit, "草稿")
        db.session.commit()
        draft_id = draft.id
    assert client.get(f"/api/v1/campaigns/{draft_id}/results",
                      headers=bearer(token)).status_code == 409
    response = client.get(f"/api/v1/campaigns/{campaign_id}/results", headers=bearer(token))
    assert response.status_code == 200
    body = response.get_json()
    with app.test_request_context():
        results = campaign_results(db.session.get(Campaign, campaign_id))
        assert body["figures"] == json.loads(json.dumps(published_figures(results)))
        assert body["ballot_export_sha256"] == results.campaign.ballot_export_sha256
    assert "意见" not in response.get_data(as_text=True)  # no opinion, only figures
    with app.app_context():
        assert db.session.scalars(sa.select(AuditEntry.detail).where(
            AuditEntry.action == "results.export")).all() == [{"format": "json", "via": "api"}]


def test_a_text_field_named_file_is_refused_not_a_server_error(app, client, runner):
    """`curl -F file=名单.csv` (no @) sends the name as a text field: 422 saying to send a
    file, not a 500 from reading a string as an upload."""
    with app.app_context():
        from tests.support.factories import make_world
        make_user("organiser", make_world().customs)
        db.session.commit()
        campaign_id = make_campaign(db.session.scalar(
            sa.select(User).where(User.username == "organiser")).unit).id
        db.session.commit()
    token = make_token(runner, "organiser")
    response = client.post(f"/api/v1/campaigns/{campaign_id}/roster", headers=bearer(token),
                           data={"file": "名单.csv"})
    assert response.status_code == 422
    assert "不是文件" in json.dumps(response.get_json()["errors"], ensure_ascii=False)


def test_a_session_alone_makes_no_token(app, client, setup):
    """Whoever holds an open session (a stolen cookie, a desk left) but not the password
    makes no token: the page asks for the password, and wrong ones count to the lock-out."""
    login(client)
    form = {"csrf_token": csrf_token(client, "/account/tokens/"), "name": "OA", "days": "30"}
    assert client.post("/account/tokens/", data=form).status_code == 422
    wrong = client.post("/account/tokens/", data={**form, "password": "not the password"})
    assert wrong.status_code == 422 and "当前密码错误" in wrong.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
            AuditEntry.action == "login.refused")) == 1


def test_an_administrators_reset_disable_or_role_change_revokes_the_tokens(app, runner,
                                                                             client, setup):
    """The answers to a compromised account reach the tokens made with it."""
    with app.app_context():
        root = db.session.get(Campaign, setup.campaign).unit.parent
        admin = make_user("secadmin2", root, Role.SECURITY_ADMIN)
        sysadmin = db.session.scalar(sa.select(User).where(User.username == "sysadmin"))
        db.session.commit()
        admin_id, sysadmin_id = admin.id, sysadmin.id

    def withdrawn(change) -> int:
        token = make_token(runner, "organiser")
        assert client.get("/api/v1/units", headers=bearer(token)).status_code == 200
        with app.test_request_context():
            organiser = db.session.scalar(sa.select(User).where(User.username == "organiser"))
            change(organiser)
            db.session.commit()
        return client.get("/api/v1/units", headers=bearer(token)).status_code

    with app.app_context():
        sysadmin = db.session.get(User, sysadmin_id)
    assert withdrawn(lambda u: accounts.reset_password(db.session.get(User, sysadmin_id),
                                                       u)) == 401
    assert withdrawn(lambda u: accounts.change_role(db.session.get(User, admin_id), u,
                                                    Role.LEADER, u.unit_id)) == 401
    assert withdrawn(lambda u: accounts.set_active(db.session.get(User, sysadmin_id), u,
                                                   False)) == 401
    with app.app_context():
        reasons = [d.get("reason") for a, d in actions(app) if a == "api.token_revoke"]
        assert reasons == ["rights_withdrawn"] * 3


def test_a_session_cookie_beside_a_token_changes_nothing(app, client, runner, setup):
    """The page gate (password change due, idle time-out) is the pages': an API request
    that also carries a staff session answers to its token alone."""
    token = make_token(runner, "organiser")
    with app.app_context():
        db.session.scalar(sa.select(User).where(User.username == "organiser")
                          ).require_password_change()
        db.session.commit()
    login(client)
    assert client.get("/campaigns/").status_code == 302  # the pages: change the password
    assert client.get("/api/v1/units", headers=bearer(token)).status_code == 200
    assert client.get("/api/v1/units").status_code == 401
