"""A mixed round in a real browser: raters on phones, paper ballots keyed on desktops by two
clerks (one disagreement decided by a third person), closed by the organiser; the tally and
the results count every ballot once, by the right mode."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import PHONE, log_in
from tests.support.factories import PASSWORD

pytestmark = pytest.mark.one_database


def test_a_mixed_round_of_phones_and_paper_closes_with_the_right_counts(
        app, browser, live_server, tmp_path):
    from evalapp.auth.models import Role
    from evalapp.extensions import db
    from tests.support.factories import make_user
    from tests.support.rater import campaign_of, make_tickets

    with app.app_context():
        tickets = make_tickets()
        campaign = campaign_of(tickets.campaign_id)
        campaign.paper_recheck_percent = 0
        for name in ("clerk1", "clerk2", "clerk3"):
            make_user(name, campaign.unit, Role.CLERK)
        make_user("organiser", campaign.unit)
        db.session.commit()
    phones, papers = tickets.single[:2], tickets.single[2:5]

    phone = browser.new_context(**PHONE).new_page()
    for token in phones:
        phone.goto(f"{live_server}/t/{token}")
        questions = phone.locator("fieldset.item")
        for index in range(questions.count()):
            questions.nth(index).locator("label").nth(1).tap()
        phone.get_by_role("button", name="提交").tap()
        expect(phone.get_by_role("heading", name="测评票已提交")).to_be_visible()
        phone.context.clear_cookies()

    desks = {name: _desk(browser, live_server, name) for name in ("clerk1", "clerk2", "clerk3",
                                                                   "organiser")}
    _scan(desks["clerk1"], live_server, tickets.campaign_id, papers[0])
    expect(desks["clerk1"].locator("table.keying")).to_be_visible()
    desks["clerk1"].screenshot(path=str(tmp_path / "paper-keying.png"))
    for token in papers:
        for name in ("clerk1", "clerk2"):
            # clerk2 misreads item 5 of the last paper ballot
            misread = 4 if name == "clerk2" and token == papers[-1] else None
            _key(desks[name], live_server, tickets.campaign_id, token, misread)
    desks["clerk2"].screenshot(path=str(tmp_path / "paper-keyed.png"), full_page=True)

    third = desks["clerk3"]
    _scan(third, live_server, tickets.campaign_id, papers[-1])
    expect(third.get_by_role("heading", name="核对纸质票")).to_be_visible()
    expect(third.locator("fieldset.dispute")).to_have_count(1)
    expect(third.locator("fieldset.dispute")).to_contain_text("录入为：较好；一般")
    third.screenshot(path=str(tmp_path / "paper-decide.png"), full_page=True)
    third.locator("fieldset.dispute").get_by_label("较好").check()
    third.get_by_role("button", name="按核对结果投入投票箱").click()
    expect(third.locator(".flash")).to_contain_text("第三人裁定：不一致之处按裁定录入，选票已投入投票箱")

    organiser = desks["organiser"]
    organiser.goto(f"{live_server}/campaigns/{tickets.campaign_id}")
    organiser.get_by_role("link", name="结束测评…").click()
    organiser.get_by_role("button", name="结束测评并开启投票箱").click()
    organiser.wait_for_url(re.compile(r".*/campaigns/\d+$"), timeout=60_000)
    expect(organiser.get_by_text("投票箱已开启")).to_be_visible()

    organiser.get_by_role("link", name="计票单 →").click()
    first_group = organiser.locator("table.tally tbody tr").first
    # A issued, B withdrawn, C by phone, D paper counted, E paper left unkeyed, F not
    # returned, G and H void paper ballots
    expect(first_group).to_be_visible()
    assert first_group.locator("td").all_inner_texts() == [
        "机关党员", "60", "0", "2", "3", "0", "55", "0", "0"]
    organiser.screenshot(path=str(tmp_path / "tally.png"), full_page=True)

    organiser.goto(f"{live_server}/campaigns/{tickets.campaign_id}/results/")
    expect(organiser.locator("table tbody tr").first).to_contain_text("5")
    with app.app_context():
        from sqlalchemy import select

        from evalapp.ballots.models import Ballot

        levels = sorted(db.session.scalars(select(Ballot.levels)))
    assert levels == ["1" * 28] * 5  # every ballot as marked, the misreading decided away


def _desk(browser, live_server: str, username: str):
    page = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900}).new_page()
    log_in(page, live_server, username, PASSWORD)
    page.wait_for_url(re.compile(r".*/campaigns/$"))
    return page


def _scan(page, live_server: str, campaign_id: int, token: str) -> None:
    page.goto(f"{live_server}/campaigns/{campaign_id}/paper/")
    page.get_by_label("纸质票上的编码").fill(f"{live_server}/t/{token}")  # as a scanner types
    page.get_by_role("button", name="查找这张票").click()


def _key(page, live_server: str, campaign_id: int, token: str, misread: int | None) -> None:
    _scan(page, live_server, campaign_id, token)
    expect(page.get_by_role("heading", name="录入纸质票")).to_be_visible()
    rows = page.locator("table.keying tr")
    expect(rows).to_have_count(29)
    for index in range(29):
        rows.nth(index).locator("input").nth(2 if index == misread else 1).check()
    page.get_by_role("button", name="保存本遍录入").click()
    expect(page.locator(".flash")).to_be_visible()
