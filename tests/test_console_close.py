"""`evalapp close` shows what it will close and asks first, and the audit log says who did
what in the reader's language: a console close by its system user, an opening's scrutineers,
a closing's tickets and ballots each named for what they count, a set-aside draw's actor."""

from __future__ import annotations

import getpass
import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from evalapp.audit.models import AuditEntry
from evalapp.audit.present import present
from evalapp.auth.models import Role
from evalapp.ballotbox import cli
from evalapp.campaigns.models import Campaign, CampaignStatus
from evalapp.extensions import db
from evalapp.roster.models import SampleDraw
from tests.support.custody import make_scrutineers
from tests.support.factories import make_user
from tests.support.organiser import make_setup
from tests.support.rater import campaign_of, make_tickets, vote
from tests.support.web import csrf_token, login


@pytest.fixture
def tickets(app):
    with app.app_context():
        made = make_tickets(singles=3)
        unit = campaign_of(made.campaign_id).unit
        make_user("organiser", unit)
        make_user("auditor", unit, Role.AUDITOR)
        db.session.commit()
        return made


def status(app, campaign_id: int) -> CampaignStatus:
    with app.app_context():
        return db.session.get(Campaign, campaign_id).status


def audit_line(app, action_label: str) -> tuple[str, str]:
    """(操作人, details) of the latest line of the audit log showing `action_label`, as the
    auditor reads it."""
    auditor = app.test_client()
    login(auditor, "auditor")
    page = auditor.get("/audit/").get_data(as_text=True)
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        if f">{action_label}</td>" in row:
            by = re.search(r'<td class="by"[^>]*>([^<]*)</td>', row).group(1)
            return by, re.sub(r"<[^>]+>", " ", row.split(action_label, 1)[1])
    raise AssertionError(f"no {action_label} in the log")


def test_close_shows_the_campaign_and_refuses_without_a_terminal_or_yes(app, runner, tickets):
    refused = runner.invoke(args=["close", str(tickets.campaign_id)], input="y\n")
    assert refused.exit_code == 1
    assert "2026年度测评" in refused.output and "宁波海关" in refused.output
    assert "发出测评票 / tickets issued：6；" in refused.output
    assert "没有终端可以确认" in refused.output and "--yes" in refused.output
    assert status(app, tickets.campaign_id) is CampaignStatus.OPEN


def test_close_asks_at_a_terminal_and_a_no_closes_nothing(app, runner, tickets, monkeypatch):
    monkeypatch.setattr(cli, "interactive", lambda: True)
    declined = runner.invoke(args=["close", str(tickets.campaign_id)], input="n\n")
    assert declined.exit_code == 0
    assert "2026年度测评" in declined.output and "结束这个测评并开箱？" in declined.output
    assert "未结束" in declined.output
    assert status(app, tickets.campaign_id) is CampaignStatus.OPEN
    accepted = runner.invoke(args=["close", str(tickets.campaign_id)], input="y\n")
    assert accepted.exit_code == 0 and "已结束" in accepted.output
    assert status(app, tickets.campaign_id) is CampaignStatus.CLOSED


def test_a_console_close_is_logged_with_its_system_user_tickets_and_ballots(
        app, runner, tickets):
    vote(app, tickets.single[0])  # one subject: one ballot
    vote(app, tickets.pair[0])  # two subjects: two ballots
    closed = runner.invoke(args=["close", "--yes", str(tickets.campaign_id)])
    assert closed.exit_code == 0, closed.output
    by, details = audit_line(app, "结束测评")
    assert by == f"控制台（系统用户 {getpass.getuser()}）"
    assert re.search(r"已使用的测评票（张）\s+2\b", details)
    assert re.search(r"开出的选票（每张测评票每个被测评对象一份）\s+3\b", details)
    assert "console" not in details
    verified = runner.invoke(args=["audit", "verify"])  # the chain covers the new detail
    assert verified.exit_code == 0, verified.output


def test_an_opening_with_scrutineers_is_logged_in_the_readers_language(app, tickets):
    with app.app_context():
        draft = db.session.scalar(sa.select(Campaign).where(Campaign.title == "未开始的测评"))
        custodians = make_scrutineers(draft.unit)
        db.session.commit()
        draft_id = draft.id
    organiser = app.test_client()
    login(organiser)
    path = f"/campaigns/{draft_id}"
    choice = {"csrf_token": csrf_token(organiser, path), "custody": "scrutineers",
              "threshold": 2, "custodians": custodians}
    asked = organiser.post(f"{path}/open", data=choice).get_data(as_text=True)
    assert "<dt>k：开箱所需份数</dt><dd>2</dd>" in asked
    assert "<dt>n：密钥份数（每位监票人一份）</dt><dd>3</dd>" in asked
    assert organiser.post(f"{path}/open", data=choice | {"confirm": "yes"}).status_code == 303
    by, details = audit_line(app, "开始测评")
    assert by == "Organiser"
    assert re.search(r"开箱所需份额数\s+2\b", details)
    assert re.search(r"保管密钥的监票人\s+Scrutineer1、Scrutineer2、Scrutineer3", details)
    assert "scrutineers" not in details and "2/3" not in details


def test_an_older_opening_entry_reads_in_the_readers_language(app):
    older = AuditEntry(sequence=1, at=datetime.now(UTC), action="campaign.open",
                       detail={"scrutineers": "3/5: 甲、乙、丙、丁、戊"}, mac="")
    with app.test_request_context():
        [line] = present([older])
    assert line.details == (("保管密钥的监票人", "5 人中任意 3 人：甲、乙、丙、丁、戊"),)


def test_a_set_aside_draw_shows_who_set_it_aside(app, client):
    with app.app_context():
        setup = make_setup()
    login(client)
    index = f"/campaigns/{setup.campaign}/draws/"
    prepared = client.post(index, data={"csrf_token": csrf_token(client, index),
                                        "percent": "20", "reason": "名单有误需要重新抽取"})
    assert prepared.status_code == 303, prepared.get_data(as_text=True)
    with app.app_context():
        draw = db.session.scalar(sa.select(SampleDraw).where(
            SampleDraw.campaign_id == setup.campaign, SampleDraw.sequence == 2))
        draw_id = draw.id
    pending = client.get(index).get_data(as_text=True)
    assert _by_of(pending, 2) == "Organiser"  # prepared, waiting: who prepared it
    detail = f"/campaigns/{setup.campaign}/draws/{draw_id}"
    assert client.post(f"{detail}/abandon", data={
        "csrf_token": csrf_token(client, detail),
        "reason": "见证人未到场改期抽取"}).status_code == 303
    page = client.get(index).get_data(as_text=True)
    assert _by_of(page, 2) == "Organiser"
    assert "见证人未到场改期抽取" in page


def _by_of(page: str, sequence: int) -> str:
    row = next(row for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)
               if f">第 {sequence} 次抽样<" in row)
    return re.search(r'<td data-label="操作人">([^<]*)</td>', row).group(1)
