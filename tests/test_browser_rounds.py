"""An organiser of 海关总署 makes a round in a real browser (headless Chromium): its
campaigns for every 党支部 below, then a change of its questionnaire that reaches them."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from evalapp.campaigns.models import Campaign
from evalapp.extensions import db
from tests.support.browser import log_in
from tests.support.factories import PASSWORD
from tests.support.rounds import make_tree

pytestmark = pytest.mark.one_database


def test_an_organiser_makes_a_round_for_every_branch_and_changes_its_questionnaire(
        app, live_server, page, tmp_path):
    with app.app_context():
        make_tree()  # and its own round, made at the same unit

    log_in(page, live_server, "organiser", PASSWORD)
    page.get_by_role("link", name="测评轮次").click()
    page.get_by_role("link", name="新建测评轮次").click()
    page.get_by_label("名称").fill("2027年度党支部书记述职评议")
    page.get_by_label("计划开始日期").fill("2027-01-10")
    page.get_by_label("计划结束日期").fill("2027-01-20")
    page.get_by_role("button", name="创建").click()
    expect(page.get_by_role("heading", name="2027年度党支部书记述职评议")).to_be_visible()

    page.get_by_label("某一层级的所有单位").check()
    page.get_by_label("层级", exact=True).select_option(label="处室 / 党支部")
    page.screenshot(path=str(tmp_path / "round.png"), full_page=True)
    page.locator("#instantiate").get_by_role("button", name="生成测评活动").click()
    expect(page.get_by_text("将生成 8 个草稿测评活动")).to_be_visible()
    page.get_by_role("button", name="生成测评活动").click()
    expect(page.get_by_text("已生成 8 个测评活动")).to_be_visible()
    expect(page.locator("#campaigns tbody tr")).to_have_count(8)

    page.locator("#design").get_by_role("link", name="测评表").click()
    expect(page.get_by_text("这是测评轮次的设计")).to_be_visible()
    page.get_by_label("第 1 项（中文）").fill("改过的第一项")
    page.locator("tr", has=page.get_by_label("第 1 项（中文）")).get_by_role(
        "button", name="保存").click()
    expect(page.get_by_text("修改已同步到本轮次尚未开始的 8 个测评活动")).to_be_visible()
    page.screenshot(path=str(tmp_path / "round-questionnaire.png"), full_page=True)
    with app.app_context():
        made = db.session.scalars(sa.select(Campaign).where(
            Campaign.title == "2027年度党支部书记述职评议")).all()
        assert len(made) == 9  # the template and a campaign a branch
        assert {c.common_items()[0].text_zh for c in made} == {"改过的第一项"}
    page.wait_for_url(re.compile(r".*/questionnaire.*"))
    assert page.outside_requests == []
    assert page.console_errors == []
