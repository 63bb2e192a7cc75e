"""Key pages in a real browser (headless Chromium)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import PHONE, log_in
from tests.support.demo import PASSWORD
from tests.support.factories import PASSWORD as STAFF_PASSWORD

pytestmark = pytest.mark.one_database


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
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("2026年度基层党建工作述职评议考核（演示）")
    page.screenshot(path=str(tmp_path / "campaigns.png"), full_page=True)

    page.get_by_role("link", name="2025年度基层党建工作述职评议考核（演示）").click()
    expect(page.get_by_role("heading", name="测评表")).to_be_visible()
    expect(page.locator("ol li")).to_have_count(24)

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Questionnaire")).to_be_visible()

    assert page.outside_requests == []
    assert page.console_errors == []


def log_in_to_the_demo(runner, live_server, page, username: str) -> None:
    demo = runner.invoke(args=["demo"])
    password = PASSWORD.search(demo.output).group(1)
    log_in(page, live_server, username, password)


def test_a_leader_reads_the_results_with_their_charts(runner, live_server, page, tmp_path):
    log_in_to_the_demo(runner, live_server, page, "leader")
    page.get_by_role("link", name="2025年度基层党建工作述职评议考核（演示）").click()
    page.get_by_role("link", name="测评结果").click()
    expect(page.get_by_role("heading", name=re.compile("测评结果"))).to_be_visible()
    expect(page.locator("table tbody tr")).to_have_count(5)
    expect(page.get_by_role("link", name="汇总表（Excel）")).to_be_visible()
    _charts_drawn(page, 1)
    page.screenshot(path=str(tmp_path / "results-overview.png"), full_page=True)

    page.locator("table tbody tr").first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="按测评人类别")).to_be_visible()
    assert page.locator("tr.low").count() >= 4  # the weakest items, flagged
    _charts_drawn(page, 2)
    page.screenshot(path=str(tmp_path / "results-subject.png"), full_page=True)
    assert page.outside_requests == []
    assert page.console_errors == []


def _charts_drawn(page, count: int) -> None:
    """Every chart image loaded and has a size: no broken image icons."""
    charts = page.locator("figure.chart img")
    expect(charts).to_have_count(count)
    for index in range(count):
        chart = charts.nth(index)
        chart.scroll_into_view_if_needed()
        page.wait_for_function("image => image.complete", arg=chart.element_handle())
        assert chart.evaluate("image => image.naturalWidth") > 300


def test_wrong_password_is_said_plainly(live_server, page):
    log_in(page, live_server, "nobody", "nothing")
    expect(page.get_by_role("alert")).to_have_text("用户名或密码错误。")


def test_a_rater_on_a_phone_reloads_halfway_loses_nothing_and_submits(
    app, browser, live_server, tmp_path
):
    from tests.support.rater import make_tickets

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
    expect(questions).to_have_count(29)
    progress = page.locator("[data-progress]")
    expect(progress).to_have_text("已答 0 / 29 题")
    page.screenshot(path=str(tmp_path / "questionnaire-top.png"))

    for index in range(15):  # half of the questions, tapping the visible labels
        questions.nth(index).locator("label").nth(index % 4).tap()
    page.locator("textarea").fill("希望整改措施落到实处")
    expect(progress).to_have_text("已答 15 / 29 题")

    page.reload()
    expect(progress).to_have_text("已答 15 / 29 题")
    assert page.locator("textarea").input_value() == "希望整改措施落到实处"
    assert questions.nth(3).locator("input").nth(3).is_checked()

    page.get_by_role("button", name="提交").tap()  # blanks are pointed out first, in view
    notice = page.locator("#confirm")
    expect(notice).to_contain_text("未作答：14 题")
    expect(notice).to_contain_text("本票将作为废票，不计入结果：28 道题目中有 13 道未答")
    assert _in_view(notice) and _in_view(page.get_by_role("button", name="仍然提交"))
    page.screenshot(path=str(tmp_path / "questionnaire-blanks.png"))
    expect(page.locator("fieldset.item.blank")).to_have_count(14)
    assert page.url == f"{live_server}/ballot#confirm"

    for index in range(15, 29):
        questions.nth(index).locator("label").first.tap()
    expect(progress).to_have_text("已答 29 / 29 题")
    page.screenshot(path=str(tmp_path / "questionnaire.png"), full_page=True)
    page.get_by_role("button", name="仍然提交").tap()
    page.wait_for_url(f"{live_server}/ballot/receipt*")
    expect(page.get_by_role("heading", name="测评票已提交")).to_be_visible()
    expect(page.locator(".receipts")).to_contain_text("有效票：本票计入测评结果")
    receipt = page.locator(".receipt-code").inner_text()
    assert len(receipt) == 10
    page.screenshot(path=str(tmp_path / "receipt.png"))
    assert page.evaluate("Object.keys(window.localStorage)") == []  # the draft is gone

    assert outside == [] and errors == []
    context.close()


def _in_view(locator) -> bool:
    """Whether the element is wholly within the window, as the rater sees it."""
    return locator.evaluate("e => { const r = e.getBoundingClientRect(); "
                            "return r.top >= 0 && r.bottom <= window.innerHeight; }")


def test_the_questionnaire_works_without_javascript(app, browser, live_server):
    from tests.support.rater import make_tickets

    with app.app_context():
        tickets = make_tickets()
    context = browser.new_context(java_script_enabled=False, **PHONE)
    page = context.new_page()
    page.goto(f"{live_server}/t/{tickets.single[1]}")
    questions = page.locator("fieldset.item")
    for index in range(questions.count()):
        questions.nth(index).locator("label").nth(1).click()
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(f"{live_server}/ballot/receipt*")  # the form sends #confirm along
    expect(page.get_by_role("heading", name="测评票已提交")).to_be_visible()
    context.close()


def _log_in(page, live_server: str, username: str) -> None:
    log_in(page, live_server, username, STAFF_PASSWORD)
    page.wait_for_url(re.compile(r".*/campaigns/$"))


def test_the_ledger_is_kept_and_the_lookback_read(app, live_server, page, tmp_path):
    from tests.support.ballots import rated_campaign

    with app.app_context():
        from evalapp.auth.models import Role
        from evalapp.campaigns.models import Level, Satisfaction
        from evalapp.extensions import db
        from tests.support.factories import make_user, make_world

        world = make_world()
        make_user("organiser", world.customs)
        make_user("leader", world.customs, Role.LEADER)
        rated_campaign("2025年度测评", [world.customs], lambda unit: [
            (Level.GOOD, Satisfaction.FAIRLY_SATISFIED)] * 5)
        rated_campaign("2026年度测评", [world.customs], lambda unit: [
            (Level.EXCELLENT, Satisfaction.SATISFIED)] * 5)
        db.session.commit()

    _log_in(page, live_server, "organiser")
    page.get_by_role("link", name="2026年度测评").click()
    page.get_by_role("link", name="整改清单").click()
    page.get_by_role("link", name=re.compile("宁波海关")).click()
    page.get_by_role("button", name="添加测评结果中得分最弱的题目").click()
    expect(page.locator("section.problem")).to_have_count(4)
    page.get_by_label("问题", exact=True).fill("基层调研次数偏少")
    page.get_by_role("button", name="添加", exact=True).click()
    page.locator("section.problem").last.get_by_role("link", name="添加整改措施").click()
    page.get_by_label("整改措施").fill("每季度到基层蹲点调研不少于一次")
    page.get_by_label("责任部门").fill("机关党委")
    page.get_by_label("整改时限").fill("2030-06-30")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("section.problem").last).to_contain_text("每季度到基层蹲点调研不少于一次")
    page.screenshot(path=str(tmp_path / "ledger.png"), full_page=True)

    page.get_by_role("link", name=re.compile("整改清单 ·")).click()
    page.wait_for_url(re.compile(r".*/rectification/?$"))
    assert page.locator("tfoot").inner_text().split()[1:4] == ["5", "1", "0"]
    _charts_drawn(page, 1)

    page.goto(live_server + "/lookback/")
    page.get_by_label("前一次测评").select_option(label="2025年度测评")
    page.get_by_label("后一次测评").select_option(label="2026年度测评")
    page.get_by_role("button", name="比较").click()
    expect(page.locator("table").first).to_contain_text("明显好转")
    # the unit's name on one line beside the long verdicts (it was squeezed to two characters)
    units = page.locator("table .unit-name")
    assert [units.nth(i).evaluate("e => e.getClientRects().length")
            for i in range(units.count())] == [1] * units.count() != []
    _charts_drawn(page, 1)
    page.screenshot(path=str(tmp_path / "lookback.png"), full_page=True)
    assert page.outside_requests == []
    assert page.console_errors == []


def test_an_organiser_prints_paper_ballots_from_the_tickets_page(app, browser, live_server,
                                                                tmp_path):
    from tests.support.factories import make_campaign, make_user, make_world
    from tests.support.sheets import CODE, page_sizes, pdf_text

    with app.app_context():
        world = make_world()
        make_user("organiser", world.customs)
        campaign = make_campaign(world.customs, "2026年度纸质票测评")
        from evalapp.extensions import db

        db.session.commit()
        campaign_id = campaign.id
    context = browser.new_context(locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    _log_in(page, live_server, "organiser")
    page.goto(f"{live_server}/campaigns/{campaign_id}/tickets/")
    page.get_by_label("述职人1").check()
    page.get_by_label("测评票", exact=True).fill("2")
    page.get_by_label("纸质测评票（每张测评票一份）").check()
    page.get_by_label("A5（每位被评对象两张，双面打印）").check()
    page.get_by_label("纸质测评票交至何处（印在票上）").fill("党建办公室")
    page.screenshot(path=str(tmp_path / "issue-paper.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("button", name="发放并下载").click()
    assert download.value.suggested_filename.startswith("ballots-")
    body = download.value.path().read_bytes()
    pages = pdf_text(body)
    assert set(page_sizes(body)) == {(148, 210)}
    assert len({code for text in pages for code in CODE.findall(text)}) == 2
    assert all("交至党建办公室" in text for text in pages if "第 1 /" in text)
    context.close()
