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


PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "locale": "zh-CN"}


def test_a_rater_on_a_phone_reloads_halfway_loses_nothing_and_submits(
    app, browser, live_server, tmp_path
):
    from tests.rater import make_tickets

    with app.app_context():
        tickets = make_tickets()
    context = browser.new_context(**PHONE)
    page = context.new_page()
    outside = []
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
        live_server) else (outside.append(route.request.url), route.abort()))
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server}/t/{tickets.single[0]}")
    assert page.url == f"{live_server}/ballot"  # the code left the address bar
    questions = page.locator("fieldset.item")
    assert questions.count() == 29
    progress = page.locator("[data-progress]")
    assert progress.inner_text() == "已答 0 / 29 题"
    page.screenshot(path=str(tmp_path / "questionnaire-top.png"))

    for index in range(15):  # half of the questions, tapping the visible labels
        questions.nth(index).locator("label").nth(index % 4).tap()
    page.locator("textarea").fill("希望整改措施落到实处")
    assert progress.inner_text() == "已答 15 / 29 题"

    page.reload()
    assert progress.inner_text() == "已答 15 / 29 题"
    assert page.locator("textarea").input_value() == "希望整改措施落到实处"
    assert questions.nth(3).locator("input").nth(3).is_checked()

    page.get_by_role("button", name="提交").tap()  # blanks are pointed out first
    notice = page.locator("#blank-notice")
    assert "14 题未作答" in notice.inner_text()
    assert page.locator("fieldset.item.blank").count() == 14
    assert page.url == f"{live_server}/ballot"

    for index in range(15, 29):
        questions.nth(index).locator("label").first.tap()
    assert progress.inner_text() == "已答 29 / 29 题"
    page.screenshot(path=str(tmp_path / "questionnaire.png"), full_page=True)
    page.get_by_role("button", name="提交").tap()
    page.wait_for_url(f"{live_server}/ballot/receipt")
    assert page.get_by_role("heading", name="测评票已提交").is_visible()
    receipt = page.locator(".receipt-code").inner_text()
    assert len(receipt) == 10
    page.screenshot(path=str(tmp_path / "receipt.png"))
    assert page.evaluate("Object.keys(window.localStorage)") == []  # the draft is gone

    assert outside == [] and errors == []
    context.close()


def test_the_questionnaire_works_without_javascript(app, browser, live_server):
    from tests.rater import make_tickets

    with app.app_context():
        tickets = make_tickets()
    context = browser.new_context(java_script_enabled=False, **PHONE)
    page = context.new_page()
    page.goto(f"{live_server}/t/{tickets.single[1]}")
    questions = page.locator("fieldset.item")
    for index in range(questions.count()):
        questions.nth(index).locator("label").nth(1).click()
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(f"{live_server}/ballot/receipt")
    assert page.get_by_role("heading", name="测评票已提交").is_visible()
    context.close()
