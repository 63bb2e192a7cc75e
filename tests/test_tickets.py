"""Issuing tickets: the printable sheet, single tickets, voiding, and who may do it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from evalapp.audit.models import AuditEntry
from evalapp.auth.models import Role
from evalapp.ballotbox.operations import close_campaign, open_campaign
from evalapp.extensions import db
from evalapp.tickets.models import Ticket
from evalapp.tickets.tokens import hash_token, normalize
from tests.support.factories import PASSWORD, groups_of, make_campaign, make_user, make_world
from tests.support.rater import campaign_of
from tests.support.sheets import CODE, pdf_text
from tests.support.web import csrf_token, login, logout


@pytest.fixture
def setup(app):
    with app.app_context():
        world = make_world()
        make_user("organiser", world.customs)
        make_user("leader", world.customs, Role.LEADER)
        make_user("chongqing", world.other_customs)
        campaign = make_campaign(world.customs, "2026年度测评", subjects=2)
        db.session.commit()
        return {"campaign": campaign.id, "group": groups_of(campaign)[0].id,
                "subjects": [s.id for s in campaign.subjects]}


def issue(client, setup, **overrides):
    path = f"/campaigns/{setup['campaign']}/tickets/"
    data = {"csrf_token": csrf_token(client, path), "rater_group": setup["group"],
            "subjects": setup["subjects"][:1], "count": 3, "spares": 1, "output": "pdf"}
    data.update(overrides)
    return client.post(path, data=data)


def test_an_organiser_issues_a_printable_sheet(app, client, setup):
    login(client, "organiser", PASSWORD)
    response = issue(client, setup)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    (text,) = pdf_text(response.data)
    assert "请用手机相机扫描二维码" in text
    assert "2026年度测评" in text and "机关党员" in text and "备用票" in text
    codes = [re.sub(r"\s+", "-", code) for code in CODE.findall(text)]
    assert len(codes) == 4
    with app.app_context():
        tickets = db.session.scalars(sa.select(Ticket)).all()
        assert len(tickets) == 4 and sum(t.is_spare for t in tickets) == 1
        entry = db.session.scalar(sa.select(AuditEntry).where(
            AuditEntry.action == "tickets.issue"))
        assert entry.detail["count"] == 3 and entry.detail["spares"] == 1
        open_campaign(campaign_of(setup["campaign"]))
        db.session.commit()
    rater = app.test_client()
    for code in codes:  # every printed code opens the questionnaire
        assert rater.get(f"/t/{code}").headers["Location"] == "/ballot"


def test_a_sheet_holds_eight_tickets_a_page(client, setup):
    login(client, "organiser", PASSWORD)
    response = issue(client, setup, count=17, spares=0)
    pages = pdf_text(response.data)
    assert [len(CODE.findall(page)) for page in pages] == [8, 8, 1]


@pytest.mark.parametrize(("output", "media_type", "magic"),
                         [("png", "image/png", b"\x89PNG"), ("svg", "image/svg+xml", b"<svg")])
def test_a_single_ticket_as_image(client, setup, output, media_type, magic):
    login(client, "organiser", PASSWORD)
    response = issue(client, setup, count=1, spares=0, output=output)
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert response.data.startswith(magic)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"count": 2, "spares": 0, "output": "png"}, "PNG 和 SVG 只能包含一张测评票"),
        ({"count": 0, "spares": 0}, "至少发放一张测评票"),
        ({"count": -1}, ""),
        ({"count": "many"}, ""),
        ({"subjects": []}, "请至少选择一个被评对象"),
        ({"rater_group": 999999}, ""),
    ],
)
def test_bad_issuing_requests_are_refused_with_a_message(app, client, setup, overrides,
                                                        message):
    login(client, "organiser", PASSWORD)
    response = issue(client, setup, **overrides)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Ticket.id))) == 0


def test_voiding_withdraws_only_unused_tickets(app, client, setup):
    login(client, "organiser", PASSWORD)
    codes = [re.sub(r"\s+", "-", c) for c in CODE.findall(pdf_text(issue(client, setup).data)[0])]
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket).where(
            Ticket.token_hash == hash_token(normalize(codes[0]))))
        ticket.spent = True
        db.session.commit()
        batch_id = ticket.batch_id
    path = f"/campaigns/{setup['campaign']}/tickets/"
    asked = client.get(f"{path}{batch_id}/void").get_data(as_text=True)  # the link on the list
    assert f'href="{path}{batch_id}/void"' in client.get(path).get_data(as_text=True)
    assert "确认作废第 1 批中未使用的测评票" in asked and "3 张未使用" in asked
    assert "此操作无法撤销" in asked
    data = {"csrf_token": csrf_token(client, path)}
    assert client.post(f"{path}{batch_id}/void", data=data).status_code == 200  # asks again
    with app.app_context():
        assert not db.session.scalar(sa.select(sa.func.count()).where(Ticket.voided))
    response = client.post(f"{path}{batch_id}/void", data={**data, "confirm": "yes"})
    assert response.status_code == 303
    assert "3 张未使用的测评票已作废" in client.get(path).get_data(as_text=True)
    with app.app_context():
        states = db.session.execute(sa.select(Ticket.spent, Ticket.voided)).all()
        assert sorted(states) == [(False, True)] * 3 + [(True, False)]
        open_campaign(campaign_of(setup["campaign"]))
        db.session.commit()
    assert app.test_client().get(f"/t/{codes[-1]}").status_code == 410


def test_who_may_issue(app, client, setup):
    path = f"/campaigns/{setup['campaign']}/tickets/"
    assert client.get(path).status_code == 302  # not logged in
    login(client, "leader", PASSWORD)
    assert client.get(path).status_code == 403
    logout(client)
    login(client, "chongqing", PASSWORD)
    assert client.get(path).status_code == 404
    logout(client)
    login(client, "organiser", PASSWORD)
    assert client.get(path).status_code == 200


def test_no_tickets_for_a_closed_campaign(app, client, setup):
    with app.app_context():
        campaign = campaign_of(setup["campaign"])
        open_campaign(campaign)
        close_campaign(campaign)
        db.session.commit()
    login(client, "organiser", PASSWORD)
    assert issue(client, setup).status_code == 409


def test_issuing_without_csrf_is_refused(client, setup):
    login(client, "organiser", PASSWORD)
    response = client.post(f"/campaigns/{setup['campaign']}/tickets/", data={
        "rater_group": setup["group"], "subjects": setup["subjects"], "count": 1, "spares": 0,
        "output": "pdf"})
    assert response.status_code == 400


@pytest.mark.parametrize(("base", "printed"), [
    ("https://evalapp.intranet", "https://evalapp.intranet"),  # behind TLS: its own name
    ("http://evalapp.intranet:8080", "http://10.1.2.3:8080"),  # plain: the LAN address
])
def test_without_a_base_url_tickets_open_the_address_phones_can_reach(
        make_app, monkeypatch, base, printed):
    """Served over HTTPS without EVALAPP_BASE_URL, every QR code opened http://<lan>:443,
    where nothing answers."""
    monkeypatch.setattr("evalapp.netaddr.lan_address", lambda: "10.1.2.3")
    app = make_app(BASE_URL=None)
    with app.app_context():
        world = make_world()
        make_user("organiser", world.customs)
        campaign = make_campaign(world.customs, "2026年度测评", subjects=1)
        db.session.commit()
        path = f"/campaigns/{campaign.id}/tickets/"
    client = app.test_client()
    form = client.get("/auth/login", base_url=base).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    client.post("/auth/login", base_url=base, data={
        "username": "organiser", "password": PASSWORD, "csrf_token": token})
    page = client.get(path, base_url=base).get_data(as_text=True)
    assert f"二维码将打开 {printed}。" in page
