"""A round of 干部考核 in a real browser, from set-up to the 公示 list: the organiser makes
the questionnaire's item one of grades, asks no satisfaction and sets the quota by 进一法; a
rater grades three persons on a phone; the leader reads the proposal and the 公示 list."""

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


def test_a_grading_round_from_set_up_to_the_publicity_list(app, browser, live_server, page,
                                                           tmp_path):
    with app.app_context():
        draft = grading_draft()
    campaign_id, item_id = draft.campaign_id, draft.item_id

    log_in(page, live_server, "organiser", PASSWORD)
    page.goto(f"{live_server}/campaigns/{campaign_id}/questionnaire")
    row = page.locator(f"#item-{item_id}")
    row.get_by_label("第 1 项（中文）").fill("德能勤绩廉综合评价")
    row.get_by_label("第 1 条的答案选项").select_option(value="grades")
    row.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(rf".*#item-{item_id}$"))
    page.locator("#satisfaction input[name=asks]").uncheck()
    page.locator("#satisfaction").get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r".*#satisfaction$"))
    expect(page.locator("#satisfaction input[name=asks]")).not_to_be_checked()
    page.screenshot(path=str(tmp_path / "grading-questionnaire.png"), full_page=True)

    page.goto(f"{live_server}/campaigns/{campaign_id}/scoring")
    page.get_by_label("优秀比例（占参评人数的百分比）").fill("34")
    page.get_by_label("名额取整方法").select_option(value="up")
    page.screenshot(path=str(tmp_path / "grading-rule.png"), full_page=True)
    page.get_by_role("button", name="保存规则").click()
    page.wait_for_url(f"{live_server}/campaigns/{campaign_id}")
    expect(page.locator(".flash")).to_contain_text("等次规则已保存")

    with app.app_context():
        fields, tokens = open_with_tickets(campaign_id, 5)

    phone = browser.new_context(**PHONE).new_page()
    phone.goto(f"{live_server}/t/{tokens[0]}")
    questions = phone.locator("fieldset.item")
    expect(questions).to_have_count(3)  # one item per person, no satisfaction
    expect(questions.first.locator("label")).to_have_text(["优秀", "称职", "基本称职", "不称职"])
    for index, answer in enumerate(("优秀", "优秀", "称职")):
        questions.nth(index).locator("label").filter(has_text=re.compile(f"^{answer}$")).tap()
    phone.screenshot(path=str(tmp_path / "grading-ballot.png"), full_page=True)
    phone.get_by_role("button", name="提交").tap()
    phone.wait_for_url(f"{live_server}/ballot/receipt*")
    for token, votes in zip(tokens[1:], (("excellent", "excellent", "competent"),
                                         ("excellent", "competent", "competent"),
                                         ("excellent", "excellent", "competent"),
                                         ("competent", "excellent", "competent")), strict=True):
        rater = app.test_client()
        ballot = enter(rater, token).get_data(as_text=True)
        assert rater.post("/ballot", data={"csrf_token": CSRF.search(ballot).group(1),
                                           **dict(zip(fields, votes, strict=True))}
                          ).status_code == 303

    organiser = app.test_client()
    login(organiser, "organiser")
    close_on_the_web(organiser, campaign_id)

    page.context.clear_cookies()  # the organiser leaves; the leader reads
    log_in(page, live_server, "leader", PASSWORD)
    page.goto(f"{live_server}/campaigns/{campaign_id}/results/")
    grading = page.locator("table.grading")
    expect(grading.locator("tbody tr")).to_have_count(3)
    expect(grading.locator("tbody tr").first).to_contain_text("优秀")
    expect(page.locator("#grading ~ p").first).to_contain_text("按进一法为 2 名")
    page.screenshot(path=str(tmp_path / "grading-results.png"), full_page=True)
    page.get_by_role("link", name="拟定为优秀人员的公示名单").click()
    page.wait_for_url(f"{live_server}/campaigns/{campaign_id}/results/publicity")
    expect(page.get_by_role("heading", name="拟确定为优秀等次人员公示")).to_be_visible()
    expect(page.locator("table.publicity tbody tr")).to_have_count(2)
    expect(page.locator("table.publicity")).to_contain_text("述职人1")
    expect(page.locator("table.publicity")).to_contain_text("述职人2")
    page.screenshot(path=str(tmp_path / "grading-publicity.png"), full_page=True)
    page.emulate_media(media="print")
    page.screenshot(path=str(tmp_path / "grading-publicity-print.png"), full_page=True)
    assert page.outside_requests == [] and page.console_errors == []
