"""A round of 民主推荐 in a real browser: the organiser makes the questionnaire a nomination
ballot and sets at most 2 of 3 candidates; a rater on a phone ticks three, sees the count go
red and the server's plain refusal, takes one off (the other ticks kept) and submits; the
leader reads the tally."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import PHONE, log_in
from tests.support.factories import PASSWORD
from tests.support.grading import grading_draft, open_with_tickets
from tests.support.organiser import close_on_the_web
from tests.support.rater import CSRF, enter
from tests.support.web import login

pytestmark = pytest.mark.one_database


def test_a_nomination_round_from_set_up_to_the_tally(app, browser, live_server, page,
                                                    tmp_path):
    with app.app_context():
        campaign_id = grading_draft().campaign_id

    log_in(page, live_server, "organiser", PASSWORD)
    page.goto(f"{live_server}/campaigns/{campaign_id}/questionnaire")
    page.get_by_role("button", name="改为推荐票").click()
    expect(page.get_by_role("heading", name="将测评表改为推荐票？")).to_be_visible()
    page.screenshot(path=str(tmp_path / "nomination-confirm.png"), full_page=True)
    page.get_by_role("button", name="改为推荐票").click()
    expect(page.locator(".flash")).to_contain_text("测评表已改为推荐票")
    expect(page.locator("#satisfaction")).to_contain_text("推荐票不设总体满意度问题")
    page.screenshot(path=str(tmp_path / "nomination-questionnaire.png"), full_page=True)
    page.goto(f"{live_server}/campaigns/{campaign_id}/scoring")
    page.get_by_label("每张票最多可推荐人数").fill("2")
    page.get_by_label("得票率要求").select_option(value="at_least")
    page.get_by_label("得票率标准（占有效票的百分比）").fill("50")
    page.screenshot(path=str(tmp_path / "nomination-rule.png"), full_page=True)
    page.get_by_role("button", name="保存规则").click()
    page.wait_for_url(f"{live_server}/campaigns/{campaign_id}")
    expect(page.locator(".flash")).to_contain_text("推荐规则已保存")

    with app.app_context():
        fields, tokens = open_with_tickets(campaign_id, 5)

    phone = browser.new_context(**PHONE).new_page()
    phone.goto(f"{live_server}/t/{tokens[0]}")
    boxes = phone.locator("input[data-mark]")
    expect(boxes).to_have_count(3)
    progress = phone.locator("[data-progress]")
    expect(progress).to_have_text("已勾选 0 人，最多 2 人")
    for index in range(3):
        phone.locator("label.candidate").nth(index).tap()
    expect(progress).to_have_text("已勾选 3 人，最多 2 人：请去掉 1 人")
    expect(progress).to_have_class(re.compile("over"))
    phone.screenshot(path=str(tmp_path / "nomination-too-many.png"), full_page=True)
    phone.get_by_role("button", name="提交").tap()
    expect(phone.locator("#marks-error")).to_contain_text("您勾选了 3 人")
    expect(boxes.nth(2)).to_be_checked()  # every tick kept, for the rater to choose
    phone.screenshot(path=str(tmp_path / "nomination-refused.png"), full_page=True)
    phone.locator("label.candidate").nth(2).tap()
    expect(progress).to_have_text("已勾选 2 人，最多 2 人")
    phone.get_by_role("button", name="提交").tap()
    phone.wait_for_url(f"{live_server}/ballot/receipt*")
    phone.screenshot(path=str(tmp_path / "nomination-receipt.png"), full_page=True)
    for token, marked in zip(tokens[1:], ((0, 1), (0,), (1, 2), (0, 2)), strict=True):
        rater = app.test_client()
        ballot = enter(rater, token).get_data(as_text=True)
        assert rater.post("/ballot", data={"csrf_token": CSRF.search(ballot).group(1)} | {
            fields[n]: "nominated" for n in marked}).status_code == 303

    organiser = app.test_client()
    login(organiser, "organiser")
    close_on_the_web(organiser, campaign_id)

    page.context.clear_cookies()  # the organiser leaves; the leader reads
    log_in(page, live_server, "leader", PASSWORD)
    page.goto(f"{live_server}/campaigns/{campaign_id}/results/")
    rows = page.locator("table.nomination-tally tbody tr")
    expect(rows).to_have_count(3)
    # candidate 1: 4 of 5 (80.0%), candidate 2: 3 of 5, candidate 3: 2 of 5
    expect(rows.first).to_contain_text("述职人1")
    expect(rows.first).to_contain_text("80.0%")
    expect(rows.nth(2)).to_contain_text("未达到")
    expect(page.locator("#nomination ~ p").first).to_contain_text("达到有效票的 50%")
    expect(page.locator("body")).to_contain_text("废票：推荐超过 2 人的推荐票")
    expect(page.locator("body")).not_to_contain_text("未作答题目超过")
    page.screenshot(path=str(tmp_path / "nomination-results.png"), full_page=True)
    assert page.outside_requests == [] and page.console_errors == []
    assert phone.context.pages  # the phone's page is still open: nothing was lost
