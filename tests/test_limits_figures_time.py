"""Limits that agree, figures that add up, one time zone (issue 15, kinds 4–6): every case of
tests/cases/ with its expected value, and more inputs of each kind."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from evalapp.auth.models import Role
from evalapp.ballotbox.operations import close_campaign, open_campaign
from evalapp.ballots.models import Ballot
from evalapp.campaigns.models import Campaign, Level
from evalapp.extensions import db
from evalapp.rectification.models import ProblemSource, RectificationMeasure
from evalapp.rectification.operations import add_problem
from evalapp.tickets.operations import issue_tickets
from evalapp.tickets.tokens import new_receipt_code
from tests.support.ballots import BallotContent, insert_ballots
from tests.support.factories import groups_of, make_campaign, make_user, make_world
from tests.support.organiser import measure_data
from tests.support.rater import campaign_of, full_answers, make_tickets
from tests.support.web import csrf_token, login

CASES = Path(__file__).parent / "cases"


# --- kind 4: limits that agree -------------------------------------------------------------

@pytest.fixture
def tickets(app):
    with app.app_context():
        return make_tickets(singles=4)


def ballot_page(client, token: str) -> str:
    assert client.get(f"/t/{token}").status_code == 303
    return client.get("/ballot").get_data(as_text=True)


def stored_comments(app, tickets) -> list[str]:
    """The opinions as the opened ballot box gives them (closing the campaign)."""
    with app.app_context():
        close_campaign(campaign_of(tickets.campaign_id))
        return list(db.session.scalars(sa.select(Ballot.comment)))


def test_case_an_opinion_at_the_limit_with_line_breaks_sent_as_cr_lf(app, client, tickets):
    text = (CASES / "ballot_comment_2000_with_breaks.txt").read_text(encoding="utf-8")
    assert len(text) == 2000 and text.count("\n") == 11  # as the page's counter sees it
    data = full_answers(ballot_page(client, tickets.single[0]))
    sent = text.replace("\n", "\r\n")  # as the browser submits a textarea
    assert len(sent) == 2011
    data[f"s{tickets.subject_ids[0]}_comment"] = sent
    response = client.post("/ballot", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[-600:]
    assert stored_comments(app, tickets) == [text.strip()]


def test_lone_carriage_returns_count_once_and_an_overlong_opinion_says_how_much_to_cut(
        app, client, tickets):
    data = full_answers(ballot_page(client, tickets.single[0]))
    field = f"s{tickets.subject_ids[0]}_comment"
    data[field] = "建议\r" * 666 + "意见"  # 2000 with old Mac line breaks
    assert client.post("/ballot", data=data).status_code == 303
    other = app.test_client()
    data = full_answers(ballot_page(other, tickets.single[1]))
    data[field] = "意\r\n" * 1003  # 2006 characters as the counter counts them
    refused = other.post("/ballot", data=data)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "最多 2000 字，请删减 6 字。" in page
    assert 'data-text-over="超出 {count} 字，请删减"' in page  # the counter's words past the limit
    assert stored_comments(app, tickets) == ["建议\n" * 666 + "意见"]


# --- kind 5: figures that add up -----------------------------------------------------------

def test_case_item_shares_show_their_counts_and_say_they_are_rounded(app, client):
    """11 valid ballots answering an item 3/4/3/1: 27.3% + 36.4% + 27.3% + 9.1% = 100.1%."""
    with app.app_context():
        world = make_world()
        make_user("leader", world.customs, Role.LEADER)
        campaign = make_campaign(world.customs)
        group = groups_of(campaign)[0]
        issue_tickets(campaign, group, campaign.subjects, 11)
        open_campaign(campaign)
        subject = campaign.subjects[0].id
        levels = [Level.EXCELLENT] * 3 + [Level.GOOD] * 4 + [Level.FAIR] * 3 + [Level.POOR]
        insert_ballots(campaign.id, group.id, [
            BallotContent(subject, [level] * 28, None, None, new_receipt_code())
            for level in levels])
        close_campaign(campaign)
        db.session.commit()
        campaign_id = campaign.id
    login(client, "leader")
    page = client.get(f"/campaigns/{campaign_id}/results/{subject}").get_data(as_text=True)
    # An item's head may carry the weakest items' mark (▲, in bold): the print's mark beyond
    # colour.
    rows = re.findall(r'<tr[^>]*><td class="head">(?:<strong>▲ )?\d+\. [^<]*(?:</strong>)?</td>'
                      r'\s*<td class="num"[^>]*>[^<]*</td>'
                      r'\s*((?:<td class="num"[^>]*>.*?</td>){4})', page)
    assert len(rows) == 28
    cells = re.findall(r'<td class="num"[^>]*>(.*?)</td>', rows[0])
    assert cells == [f'{share} <span class="muted">({count})</span>' for share, count in
                     (("27.3%", 3), ("36.4%", 4), ("27.3%", 3), ("9.1%", 1))]
    assert "各项比例分别四舍五入到 0.1%，每行合计可能为 99.9% 或 100.1%" in page


# --- kind 6: one time zone -----------------------------------------------------------------

@pytest.fixture
def early_campaign(app):
    """A campaign created at 00:30 Beijing time on 29 November 2026 (16:30 UTC the day
    before), with one problem in its ledger: (campaign id, problem id)."""
    with app.app_context():
        world = make_world()
        make_user("organiser", world.customs)
        campaign = make_campaign(world.customs)
        campaign.created_at = datetime(2026, 11, 28, 16, 30, tzinfo=UTC)
        problem = add_problem(campaign.subjects[0], ProblemSource.LEADERSHIP, "问题")
        db.session.commit()
        return campaign.id, problem.id


def post_measure(client, campaign_id: int, problem_id: int, deadline: str):
    path = f"/campaigns/{campaign_id}/rectification/problems/{problem_id}/measures/new"
    return client.post(path, data={**measure_data(deadline=deadline),
                                   "csrf_token": csrf_token(client, "/")})


def test_case_a_campaign_created_after_midnight_beijing_time_started_that_day(
        app, client, early_campaign):
    campaign_id, problem_id = early_campaign
    login(client)
    listed = client.get("/campaigns/").get_data(as_text=True)
    assert "2026年11月29日 00:30:00" in listed
    refused = post_measure(client, campaign_id, problem_id, "2026-11-28")
    assert refused.status_code == 422
    assert "整改时限（2026-11-28）不能早于测评开始（2026-11-29）" in refused.get_data(as_text=True)
    assert post_measure(client, campaign_id, problem_id, "2026-11-29").status_code == 303


def test_the_time_zone_is_a_setting_used_by_rules_and_displays(make_app, early_campaign,
                                                                monkeypatch):
    monkeypatch.setenv("EVALAPP_TIMEZONE", "UTC")
    app = make_app()
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "UTC"
    client = app.test_client()
    campaign_id, problem_id = early_campaign
    login(client)
    assert "2026年11月28日 16:30:00" in client.get("/campaigns/").get_data(as_text=True)
    assert post_measure(client, campaign_id, problem_id, "2026-11-28").status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(RectificationMeasure.id))) == 1
        assert db.session.get(Campaign, campaign_id).created_at.hour == 16
