"""`evalapp demo`: a realistic Chinese demo a newcomer can log in to and scan right away."""

from __future__ import annotations

import re
import socket

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from evalapp.ballotbox.models import BoxKey
from evalapp.ballots.models import Ballot
from evalapp.campaigns.models import Campaign, CampaignStatus, Subject
from evalapp.extensions import db
from evalapp.roster.models import RosterEntry, SampleDraw
from evalapp.tickets.models import Ticket, TicketBatch, batch_subjects
from evalapp.tickets.tokens import hash_token
from tests.support.demo import PASSWORD
from tests.support.web import login

TICKET_URL = re.compile(r"^http://evalapp\.test/t/([0-9A-Z]{26})\s", re.MULTILINE)


def run_demo(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def demo(module_app: Flask) -> str:
    """The demo, built once for the module's readers (building it takes seconds)."""
    return run_demo(module_app)


@pytest.fixture
def demo_client(module_app: Flask) -> FlaskClient:
    return module_app.test_client()


def test_demo_prints_how_to_start(demo):
    assert "http://evalapp.test/" in demo
    assert PASSWORD.search(demo)
    assert len(TICKET_URL.findall(demo)) == 5


def test_demo_builds_three_campaigns_over_the_five_pilot_units(module_app, demo):
    with module_app.app_context():
        campaigns = db.session.scalars(sa.select(Campaign).order_by(Campaign.id)).all()
        assert [c.status for c in campaigns] == [CampaignStatus.CLOSED] * 2 + [
            CampaignStatus.OPEN]
        assert campaigns[0].closed_at < campaigns[1].closed_at  # the rounds in their order
        assert all(c.is_demo and "演示" in c.title for c in campaigns)
        for campaign in campaigns:
            units = [subject.unit.name_zh for subject in campaign.subjects]
            assert units == ["石家庄海关", "呼和浩特海关", "宁波海关", "黄埔海关", "重庆海关"]
            for subject in campaign.subjects:
                assert 20 <= len(subject.problems) <= 22
                assert len(subject.individual_items) == 4
                assert subject.report_text.startswith("（演示数据）")
            assert sum(len(section.items) for section in campaign.sections) == 24
            groups = [group.name_zh for group in campaign.rater_groups]
            assert groups == ["机关党员", "机关群众", "基层党员", "基层群众"]
            roster = db.session.scalar(sa.select(sa.func.count(RosterEntry.id)).where(
                RosterEntry.campaign_id == campaign.id))
            assert roster >= 500
            draw = db.session.scalar(sa.select(SampleDraw).where(
                SampleDraw.campaign_id == campaign.id))
            assert len(draw.people) == round(roster * 0.3)


@pytest.mark.parametrize("round_", [0, 1])
def test_the_closed_campaigns_have_a_ballot_for_every_spent_ticket(module_app, demo, round_):
    with module_app.app_context():
        closed = db.session.scalars(sa.select(Campaign).where(
            Campaign.status == CampaignStatus.CLOSED).order_by(Campaign.id)).all()[round_]
        spent_per_subject = dict(db.session.execute(
            sa.select(batch_subjects.c.subject_id, sa.func.count(Ticket.id))
            .join(TicketBatch, TicketBatch.id == batch_subjects.c.batch_id)
            .join(Ticket, Ticket.batch_id == TicketBatch.id)
            .where(TicketBatch.campaign_id == closed.id, Ticket.spent)
            .group_by(batch_subjects.c.subject_id)
        ).all())
        ballots_per_subject = dict(db.session.execute(
            sa.select(Ballot.subject_id, sa.func.count(Ballot.id))
            .where(Ballot.campaign_id == closed.id).group_by(Ballot.subject_id)
        ).all())
        assert ballots_per_subject == spent_per_subject
        assert sum(ballots_per_subject.values()) >= 200


def test_last_years_campaign_has_a_year_of_rectification(module_app, demo):
    from datetime import date

    from evalapp.rectification.operations import figures, ledger_of

    with module_app.app_context():
        closed = db.session.scalars(sa.select(Campaign).where(
            Campaign.status == CampaignStatus.CLOSED).order_by(Campaign.id)).all()[-1]
        ledger = ledger_of([s.id for s in closed.subjects])
        published = sum(len(s.problems) for s in closed.subjects)
        result = figures(ledger, date.today())
    assert result.problems == published >= 100  # every published problem, 20-22 per unit
    assert result.measures >= result.problems
    assert 0 < result.done_on_time < result.done < result.measures and result.overdue > 0


def test_printed_tickets_are_unspent_tickets_of_the_open_campaign(module_app, demo):
    with module_app.app_context():
        for token in TICKET_URL.findall(demo):
            ticket = db.session.scalar(
                sa.select(Ticket).where(Ticket.token_hash == hash_token(token)))
            assert ticket is not None and not ticket.spent and not ticket.voided
            assert ticket.batch.campaign.status is CampaignStatus.OPEN


def test_running_demo_again_replaces_it(app):
    demo = run_demo(app)
    again = app.test_cli_runner().invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert "重建" in again.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Campaign.id))) == 3
        assert db.session.scalar(sa.select(sa.func.count(Subject.id))) == 15
        # the open campaign's box key, and no other: the replaced demo's went with it
        assert db.session.scalars(sa.select(BoxKey.public_key)).all() == list(
            db.session.scalars(sa.select(Campaign.box_public_key).where(
                Campaign.status == CampaignStatus.OPEN)))
    old_password = PASSWORD.search(demo).group(1)
    assert PASSWORD.search(again.output).group(1) != old_password


def test_the_organiser_logs_in_and_sees_both_demo_campaigns(demo_client, demo):
    assert login(demo_client, "organiser", PASSWORD.search(demo).group(1)).status_code == 302
    page = demo_client.get("/campaigns/").get_data(as_text=True)
    assert "2025年度基层党建工作述职评议考核（演示）" in page
    assert "2026年度基层党建工作述职评议考核（演示）" in page
    assert "2024年度基层党建工作述职评议考核（演示）" in page
    assert page.count("演示</span>") == 3


def test_demo_writes_the_open_campaigns_ticket_sheet(module_app, demo):
    from pathlib import Path

    from tests.support.sheets import CODE, pdf_text

    sheet = Path(module_app.instance_path) / "demo-tickets.pdf"
    assert str(sheet) in demo
    codes = [code for page in pdf_text(sheet.read_bytes()) for code in CODE.findall(page)]
    with module_app.app_context():
        open_campaign = db.session.scalar(sa.select(Campaign).where(
            Campaign.status == CampaignStatus.OPEN))
        tickets = db.session.scalar(sa.select(sa.func.count(Ticket.id)).join(TicketBatch).where(
            TicketBatch.campaign_id == open_campaign.id))
    assert len(codes) == tickets
    printed = {re.sub(r"[\s-]", "", code) for code in codes}
    assert set(TICKET_URL.findall(demo)) <= printed


def test_the_look_back_compares_the_two_closed_rounds_at_first_run(demo_client, demo):
    login(demo_client, "leader", PASSWORD.search(demo).group(1))
    page = demo_client.get("/lookback/").get_data(as_text=True)
    selected = re.findall(r'<option selected value="\d+">([^<]+)</option>', page)
    assert selected == ["2024年度基层党建工作述职评议考核（演示）",
                        "2025年度基层党建工作述职评议考核（演示）"]
    earlier, later = re.findall(r'<option selected value="(\d+)"', page)
    compared = demo_client.get(f"/lookback/?earlier={earlier}&later={later}")
    text = compared.get_data(as_text=True)
    assert compared.status_code == 200 and text.count("<tr>") > 5 + 24
    assert "明显好转" in text  # the demo's secretaries improved


def said(result) -> list[str]:
    """What a command printed, without the migration's log lines."""
    return [line for line in result.output.splitlines() if not line.startswith("INFO  [")]


def test_demo_refuses_a_database_with_real_campaigns_in_one_line(app, runner):
    from tests.support.factories import make_campaign, make_world

    with app.app_context():
        make_campaign(make_world().customs, "宁波海关2026年度测评")
        db.session.commit()
    refused = runner.invoke(args=["demo"])
    assert refused.exit_code == 1
    assert said(refused) == [
        "Error: 此数据库已有 1 个正式测评活动，不能放入演示数据 / this database holds 1 real "
        "campaign: the demo goes only into a database without any (set EVALAPP_DATABASE_URL "
        "to another one)"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Campaign.id))) == 1
        make_campaign(db.session.get(Campaign, 1).unit, "宁波海关2027年度测评")
        db.session.commit()
    assert "holds 2 real campaigns:" in said(runner.invoke(args=["demo"]))[0]


def test_demo_links_and_serve_use_one_port(make_app, monkeypatch):
    import waitress

    app = make_app(BASE_URL=None, PORT=5123)
    monkeypatch.setattr("evalapp.commands.lan_address", lambda: "10.1.2.3")
    monkeypatch.setattr("evalapp.netaddr.lan_address", lambda: "10.1.2.3")
    demo = app.test_cli_runner().invoke(args=["demo"])
    links = re.findall(r"^(http://\S+)/t/\S+", demo.output, re.MULTILINE)
    assert set(links) == {"http://10.1.2.3:5123"} and len(links) == 5
    served = {}
    monkeypatch.setattr(waitress, "serve", lambda app, **options: served.update(options))
    listening = app.test_cli_runner().invoke(args=["serve"])
    assert served["port"] == 5123
    assert said(listening) == [
        "evalapp: 请在浏览器中打开 / open http://127.0.0.1:5123/",
        "evalapp: 请在浏览器中打开 / open http://10.1.2.3:5123/"]
    served.clear()
    local = app.test_cli_runner().invoke(args=["serve", "--host", "127.0.0.1", "--port", "8080"])
    assert served["port"] == 8080  # it prints only what it listens on
    assert said(local) == ["evalapp: 请在浏览器中打开 / open http://127.0.0.1:8080/"]


def test_serving_on_a_taken_port_says_so_in_a_line(make_app):
    """Another program (or a second evalapp) on the port: one line in both languages, exit
    code 1, no traceback, and nothing done first."""
    app = make_app()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = app.test_cli_runner().invoke(
            args=["serve", "--host", "127.0.0.1", "--port", str(port)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"无法监听端口 {port}" in result.output and "--port" in result.output
    assert "请在浏览器中打开" not in result.output


@pytest.mark.parametrize(("username", "area"), [("sysadmin", "/accounts/"),
                                                ("secadmin", "/accounts/roles"),
                                                ("auditadmin", "/audit/")])
def test_the_demo_has_one_account_of_each_administrator(module_app, demo, username, area,
                                                      administrators_enrolled):
    """Printed with the others; each logs in and is led to its own area, not the campaigns."""
    assert re.search(rf"\s{username}\s+密码 / password: ", demo)
    client = module_app.test_client()
    assert login(client, username, PASSWORD.search(demo).group(1)).status_code == 302
    assert client.get("/campaigns/").headers["Location"] == area
    assert client.get(area).status_code == 200


def test_the_demo_has_scrutineers(demo):
    assert "scrutineer1, scrutineer2, scrutineer3" in demo
