"""Items of the campaign's own in a real browser: the organiser gives an item the 满意 scale
and 不了解 and adds a row for an individual item; a rater on a phone answers 不了解."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from evalapp.ballotbox.operations import open_campaign
from evalapp.campaigns.models import Campaign, Scale
from evalapp.extensions import db
from evalapp.tickets.operations import issue_tickets
from tests.support.browser import PHONE, log_in
from tests.support.factories import PASSWORD, groups_of, make_campaign, make_user, make_world

pytestmark = pytest.mark.one_database


def test_an_item_of_the_satisfaction_scale_with_dont_know_set_and_answered_on_a_phone(
        app, browser, live_server, page, tmp_path):
    with app.app_context():
        world = make_world()
        make_user("organiser", world.customs)
        campaign = make_campaign(world.customs, "满意度测评")
        db.session.commit()
        campaign_id, subject_id = campaign.id, campaign.subjects[0].id
        first = campaign.sections[0].items[0].id

    log_in(page, live_server, "organiser", PASSWORD)
    page.goto(f"{live_server}/campaigns/{campaign_id}/questionnaire")
    row = page.locator(f"#item-{first}")
    row.get_by_label("第 1 条的答案选项").select_option(label="满意 / 基本满意 / 不满意")
    row.get_by_label("“不了解”").check()
    row.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(rf".*#item-{first}$"))
    expect(page.locator(f"#item-{first} .saved")).to_be_visible()
    page.screenshot(path=str(tmp_path / "questionnaire-scales.png"))

    page.goto(f"{live_server}/campaigns/{campaign_id}/subjects/{subject_id}")
    page.get_by_role("button", name="再加一行条目").click()
    expect(page.locator("fieldset.individual")).to_have_count(5)
    page.locator("#items-4-text_zh").fill("第五项个性化内容")
    page.locator("#items-4-dont_know").check()
    page.screenshot(path=str(tmp_path / "subject-items.png"), full_page=True)
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"{live_server}/campaigns/{campaign_id}")
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        subject = campaign.subjects[0]
        assert campaign.sections[0].items[0].scale is Scale.SATISFACTION
        assert [(i.text_zh, i.dont_know) for i in subject.individual_items][-1] == (
            "第五项个性化内容", True)
        _, tokens = issue_tickets(campaign, groups_of(campaign)[0], [subject], 1)
        open_campaign(campaign)
        db.session.commit()

    phone = browser.new_context(**PHONE).new_page()
    phone.goto(f"{live_server}/t/{tokens[0]}")
    questions = phone.locator("fieldset.item")
    expect(questions).to_have_count(30)  # 24 + 5 and satisfaction
    expect(questions.first.locator("label")).to_have_text(["满意", "基本满意", "不满意", "不了解"])
    questions.first.locator("label").filter(has_text="不了解").tap()
    expect(phone.locator("[data-progress]")).to_have_text("已答 1 / 30 题")
    phone.screenshot(path=str(tmp_path / "ballot-dont-know.png"))
    for index in range(1, 30):
        questions.nth(index).locator("label").first.tap()
    phone.get_by_role("button", name="提交").tap()
    phone.wait_for_url(f"{live_server}/ballot/receipt*")
    expect(phone.get_by_role("heading", name="测评票已提交")).to_be_visible()
    expect(phone.locator(".receipts")).to_contain_text("有效票")
    assert page.outside_requests == [] and page.console_errors == []
