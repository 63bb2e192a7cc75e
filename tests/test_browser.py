"""Key pages in a real browser (headless Chromium)."""

from __future__ import annotations

import re

from tests.test_demo import PASSWORD


def test_organiser_logs_in_and_sees_the_demo_campaigns(runner, live_server, page, tmp_path):
    demo = runner.invoke(args=["demo"])
    assert demo.exit_code == 0, demo.output
    password = PASSWORD.search(demo.output).group(1)

    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.get_by_role("link", name="登录").click()
    page.get_by_label("用户名").fill("organiser")
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*/campaigns/$"))
    rows = page.locator("table tbody tr")
    assert rows.count() == 2
    assert "2026年度基层党建工作述职评议考核（演示）" in rows.nth(0).inner_text()
    page.screenshot(path=str(tmp_path / "campaigns.png"), full_page=True)

    page.get_by_role("link", name="2025年度基层党建工作述职评议考核（演示）").click()
    assert page.get_by_role("heading", name="测评表").is_visible()
    assert page.locator("ol li").count() == 24

    page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Questionnaire").is_visible()

    assert page.outside_requests == []
    assert page.console_errors == []


def test_wrong_password_is_said_plainly(live_server, page):
    page.goto(live_server + "/auth/login")
    page.get_by_label("用户名").fill("nobody")
    page.get_by_label("密码").fill("nothing")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_role("alert").inner_text() == "用户名或密码错误。"
