"""A leader at 海关总署 reads a round's roll-up in a real browser (headless Chromium), and an
organiser makes an API token on the account's page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from evalapp.auth.models import Role
from evalapp.extensions import db
from evalapp.units.models import OrgUnit
from tests.support.browser import log_in
from tests.support.factories import PASSWORD, make_user
from tests.support.rollup import run_round
from tests.support.rounds import make_tree

pytestmark = pytest.mark.one_database


def test_a_leader_reads_the_rollup_of_a_round(app, live_server, page, tmp_path):
    with app.app_context():
        tree = make_tree()
        make_user("hq_leader", db.session.get(OrgUnit, tree.root), Role.LEADER)
        db.session.commit()
        run_round(tree.round_id, tree.branches)

    log_in(page, live_server, "hq_leader", PASSWORD)
    page.get_by_role("link", name="轮次汇总").click()
    page.get_by_role("link", name="2026年度党支部书记述职评议").click()
    expect(page.get_by_text("8 个测评中已结束 6 个")).to_be_visible()
    table = page.locator("#rollup")
    expect(table.locator("tbody tr")).to_have_count(1 + 2 + 3 + 6)
    expect(table.locator("tbody tr").first).to_contain_text("海关总署")
    for image in page.locator("section.charts img").all():  # both charts drawn
        image.scroll_into_view_if_needed()
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("i => i.naturalWidth") > 300
    page.screenshot(path=str(tmp_path / "rollup.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Excel 汇总表").click()
    assert download.value.suggested_filename == f"rollup-{tree.round_id}.xlsx"
    assert page.outside_requests == []
    assert page.console_errors == []


def test_an_organiser_makes_an_api_token_and_sees_it_once(app, live_server, page, tmp_path):
    with app.app_context():
        tree = make_tree()
        assert tree.root
    log_in(page, live_server, "organiser", PASSWORD)
    page.get_by_role("link", name="Organiser").click()
    page.get_by_role("link", name="接口令牌").click()
    page.get_by_label("令牌用途").fill("人事系统")
    page.get_by_label("您的密码").fill(PASSWORD)
    page.get_by_role("button", name="创建令牌").click()
    token = page.locator("#new-token").inner_text()
    assert token.startswith("evalapp_")
    page.screenshot(path=str(tmp_path / "token.png"), full_page=True)
    page.goto(live_server + "/account/tokens/")
    expect(page.locator("body")).not_to_contain_text(token)
    expect(page.locator("tbody tr")).to_have_count(1)
    page.get_by_role("button", name="撤销").click()
    expect(page.get_by_text("令牌已撤销")).to_be_visible()
    assert page.outside_requests == []
    assert page.console_errors == []
