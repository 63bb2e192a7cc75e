"""Issuing tickets: the printable sheet, single tickets, voiding, and who may do it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from evalapp.audit.models import AuditEntry
from evalapp.ballotbox.operations import close_campaign, open_campaign
from evalapp.extensions import db
from evalapp.tickets.models import Ticket
from evalapp.tickets.operations import spend
from evalapp.tickets.tokens import hash_token, normalize
from tests.support.factories import PASSWORD, make_campaign, make_user, make_world
from tests.support.organiser import issue_on_the_web
from tests.support.rater import campaign_of
from tests.support.sheets import CODE, pdf_text
from tests.support.web import csrf_token, login, logout


def test_an_organiser_issues_a_printable_sheet(app, client, ticket_campaign):
    login(client, "organiser", PASSWORD)
    response = issue_on_the_web(client, ticket_campaign)
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
        open_campaign(campaign_of(ticket_campaign.campaign))
        db.session.commit()
    rater = app.test_client()
    for code in codes:  # every printed code opens the questionnaire
        assert rater.get(f"/t/{code}").headers["Location"] == "/ballot"


def test_a_sheet_holds_eight_tickets_a_page(client, ticket_campaign):
    login(client, "organiser", PASSWORD)
    response = issue_on_the_web(client, ticket_campaign, count=17, spares=0)
    pages = pdf_text(response.data)
    assert [len(CODE.findall(page)) for page in pages] == [8, 8, 1]


@pytest.mark.parametrize(("output", "media_type", "magic"),
                         [("png", "image/png", b"\x89PNG"), ("svg", "image/svg+xml", b"<svg")])
def test_a_single_ticket_as_image(client, ticket_campaign, output, media_type, magic):
    login(client, "organiser", PASSWORD)
    response = issue_on_the_web(client, ticket_campaign, count=1, spares=0, output=output)
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
        # paper ballots (issue 18)
        ({"count": 1, "spares": 0, "output": "png", "prints": "ballots"},
         "纸质测评票只能打印为 PDF"),
        ({"count": 1, "spares": 0, "output": "svg", "prints": "both"}, "纸质测评票只能打印为 PDF"),
        ({"prints": "ballots", "paper": "A3"}, ""),
        ({"prints": "posters"}, ""),
        ({"prints": "ballots", "hand_in": "票" * 101}, ""),
    ],
)
def test_bad_issuing_requests_are_refused_with_a_message(app, client, ticket_campaign, overrides,
                                                        message):
    login(client, "organiser", PASSWORD)
    response = issue_on_the_web(client, ticket_campaign, **overrides)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Ticket.id))) == 0


def test_voiding_withdraws_only_unused_tickets(app, client, ticket_campaign):
    login(client, "organiser", PASSWORD)
    sheet = pdf_text(issue_on_the_web(client, ticket_campaign).data)[0]
    codes = [re.sub(r"\s+", "-", c) for c in CODE.findall(sheet)]
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket).where(
            Ticket.token_hash == hash_token(normalize(codes[0]))))
        spend(ticket.token_hash)
        db.session.commit()
        batch_id = ticket.batch_id
    path = f"/campaigns/{ticket_campaign.campaign}/tickets/"
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
        open_campaign(campaign_of(ticket_campaign.campaign))
        db.session.commit()
    assert app.test_client().get(f"/t/{codes[-1]}").status_code == 410


def test_who_may_issue(app, client, ticket_campaign):
    path = f"/campaigns/{ticket_campaign.campaign}/tickets/"
    assert client.get(path).status_code == 302  # not logged in
    login(client, "leader", PASSWORD)
    assert client.get(path).status_code == 403
    logout(client)
    login(client, "chongqing", PASSWORD)
    assert client.get(path).status_code == 404
    logout(client)
    login(client, "organiser", PASSWORD)
    assert client.get(path).status_code == 200


def test_no_tickets_for_a_closed_campaign(app, client, ticket_campaign):
    with app.app_context():
        campaign = campaign_of(ticket_campaign.campaign)
        open_campaign(campaign)
        close_campaign(campaign)
        db.session.commit()
    login(client, "organiser", PASSWORD)
    assert issue_on_the_web(client, ticket_campaign).status_code == 409


def test_issuing_without_csrf_is_refused(client, ticket_campaign):
    login(client, "organiser", PASSWORD)
    response = client.post(f"/campaigns/{ticket_campaign.campaign}/tickets/", data={
        "rater_group": ticket_campaign.group, "subjects": ticket_campaign.subjects, "count": 1,
        "spares": 0, "output": "pdf"})
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
