"""The organiser's manual (docs/organiser-manual.zh.md) and its screenshots: one walk in a real
browser through what the manual describes, in its order, each step checked as it is taken and
photographed at a desktop's 1280 × 800 (a phone's for the rater).

The walk: a system administrator imports the unit tree and makes an organiser, who changes the
temporary password, creates a campaign with two subjects, imports the roster, prepares the
draw (its printed commitment), draws with the witness value, verifies the draw, issues the
tickets and opens the campaign; then, on the demo's rounds, the live monitor, a rater's phone,
the close, the results and the rectification ledger.

The pictures go to a temporary folder; with EVALAPP_MANUAL_IMAGES=write in the environment
they go to docs/img/ instead, to be committed (they change with every run, dates and codes in
them, so a plain test run leaves the checkout alone). Either way the test checks that every
image the manual shows is one this walk takes, and is in docs/img/.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from evalapp.paths import PROJECT_DIR
from tests.support.browser import PHONE, log_in
from tests.support.demo import PASSWORD as DEMO_PASSWORD
from tests.support.roster import GOOD, csv_bytes
from tests.support.units import TREE, fill_new_account, xlsx_bytes

pytestmark = [pytest.mark.usefixtures("administrators_enrolled"), pytest.mark.one_database]

MANUAL = PROJECT_DIR / "docs" / "organiser-manual.zh.md"
IMAGES = PROJECT_DIR / "docs" / "img"
IMAGE = re.compile(r"!\[[^\]]*\]\(img/([^)]+)\)")
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
NEW_PASSWORD = "杭州海关组织者之新口令2026"
# tests.support.units.TREE with 嘉兴海关 for 北仑海关, which the demo already has
HANGZHOU = [[cell.replace("北仑海关", "嘉兴海关") for cell in row] for row in TREE]


class Camera:
    """Takes the manual's pictures: JPEG at quality 70, what the window shows (a full page of
    a long table would be tall and heavy)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.taken: list[str] = []

    def __call__(self, page: Page, name: str, *, scroll_to=None) -> None:
        if scroll_to is None:
            page.evaluate("window.scrollTo(0, 0)")
        else:
            scroll_to.scroll_into_view_if_needed()
        file = f"manual-{name}.jpg"
        page.screenshot(path=str(self.folder / file), type="jpeg", quality=70)
        self.taken.append(file)


def _log_out(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("link", name="登录")).to_be_visible()


def _units_and_accounts(app, page: Page, base: str, password: str, shoot: Camera,
                        folder: Path) -> str:
    """The system administrator's part; the organiser's temporary password."""
    tree = folder / "机构设置.xlsx"
    tree.write_bytes(xlsx_bytes(HANGZHOU, title="杭州海关机构设置表"))
    log_in(page, base, "sysadmin", password)
    page.get_by_role("link", name="单位管理").click()
    page.get_by_label("单位文件（CSV 或 Excel）").set_input_files(str(tree))
    page.locator("#import-units").get_by_role("button", name="上传").click()
    expect(page.get_by_text("新建 6 个，移动 0 个，修改 0 个，未变 0 个。")).to_be_visible()
    shoot(page, "units-preview")
    page.get_by_role("button", name="导入").click()
    expect(page.get_by_text("单位文件已导入：新建 6 个")).to_be_visible()
    shoot(page, "units", scroll_to=page.get_by_text("综合业务处").first)

    fill_new_account(page, app, "hz-organiser", "张组织", "杭州海关")
    shoot(page, "account-new")
    page.get_by_role("button", name="创建账号").click()
    expect(page.get_by_role("heading", name="账号已创建")).to_be_visible()
    shoot(page, "account-created")
    temporary = page.locator("code.password").inner_text()
    _log_out(page)
    return temporary


def _campaign_to_open(page: Page, base: str, temporary: str, shoot: Camera,
                      folder: Path) -> None:
    """The new organiser's first round, from the password change to the opened campaign."""
    log_in(page, base, "hz-organiser", temporary)
    expect(page.get_by_role("heading", name="修改密码")).to_be_visible()
    page.get_by_label("当前密码").fill(temporary)
    page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="修改密码").click()

    page.get_by_role("link", name="新建测评活动").click()
    page.get_by_label("名称").fill("2026年度杭州海关述职评议")
    page.get_by_label("组织单位").select_option(label="杭州海关")
    shoot(page, "campaign-new")
    page.get_by_role("button", name="创建").click()
    expect(page.get_by_role("heading", name="2026年度杭州海关述职评议")).to_be_visible()
    for unit, person in {"嘉兴海关": "陈立新", "综合业务处": "刘海燕"}.items():
        page.get_by_role("link", name="添加被评对象").click()
        page.get_by_label("单位", exact=True).select_option(label=f"└ {unit}")
        page.get_by_label("述职人").fill(person)
        page.get_by_label("述职报告", exact=True).fill(
            f"{unit}党委书记{person}述职报告。\n\n一年来，围绕党建与业务深度融合开展工作。")
        page.get_by_label("问题清单（每行一个问题）").fill("基层调研不够深入\n制度执行有偏差")
        for index in range(4):
            page.locator(f"#items-{index}-text_zh").fill(f"个性化内容{index + 1}")
        if person == "刘海燕":
            shoot(page, "subject")
        page.get_by_role("button", name="保存").click()
        expect(page.locator("table").first.get_by_role("link", name=person)).to_be_visible()
    shoot(page, "campaign-draft")

    roster = folder / "名册.csv"
    roster.write_bytes(csv_bytes(GOOD))
    page.get_by_role("link", name="名册").click()
    page.get_by_label("名册文件（CSV 或 Excel）").set_input_files(str(roster))
    page.get_by_role("button", name="上传").click()
    shoot(page, "roster-columns")
    page.get_by_role("button", name="检查").click()
    shoot(page, "roster-check")
    page.get_by_role("button", name="导入 5 人").click()
    expect(page.locator(".flash")).to_contain_text("已导入 5 人")

    page.goto(page.url.replace("/roster/", "/draws/"))
    page.get_by_label("抽样比例（%）").fill("60")
    shoot(page, "draw-new")
    page.get_by_role("button", name="准备抽样").click()
    expect(page.get_by_role("heading", name="输入见证值并抽样")).to_be_visible()
    shoot(page, "draw-prepared")
    draw_page = page.url
    page.get_by_role("link", name="会议通知用承诺值（打印）").click()
    expect(page.get_by_role("heading", name="抽样承诺")).to_be_visible()
    shoot(page, "draw-commitment")
    page.evaluate("window.print = () => { window.printed = true; }")
    page.get_by_role("button", name="打印").click()  # its script, not an inline handler
    assert page.evaluate("window.printed === true")
    page.goto(draw_page)
    page.get_by_label("见证值（按会上宣读的内容）").fill("３ 5 1 6")  # full-width digits too
    page.get_by_label("再次输入见证值").fill("３ 5 1 6")
    page.get_by_role("button", name="抽样", exact=True).click()
    expect(page.get_by_role("heading", name="抽中人员名单（用于通知）")).to_be_visible()
    shoot(page, "draw-drawn")
    page.get_by_role("link", name="核验此次抽样").click()
    expect(page.locator("#verdict")).to_contain_text("记录相符")
    shoot(page, "draw-verify")
    page.goto(draw_page)
    issue = page.get_by_role("button", name="发放并下载")
    shoot(page, "tickets-issue", scroll_to=issue)
    with page.expect_download() as download:
        issue.click()
    assert download.value.path().read_bytes().startswith(b"%PDF")

    page.goto(page.url.split("/draws/")[0])
    expect(page.locator(".card li")).to_have_count(0)  # nothing missing any more
    opening = page.get_by_role("button", name="开启测评")
    shoot(page, "campaign-ready", scroll_to=opening)
    opening.click()
    expect(page.locator(".big-figure")).to_contain_text("已收回 0 / 3 张测评票")
    _log_out(page)


def _the_demo_round(browser, page: Page, base: str, password: str, tickets: list[str],
                    shoot: Camera) -> None:
    """The meeting, the close, the results and the ledger, on the demo's rounds."""
    phone = browser.new_context(**{**PHONE, "device_scale_factor": 1})
    rater = phone.new_page()
    rater.goto(f"{base}/t/{tickets[0]}")
    questions = rater.locator("fieldset.item")
    expect(questions).to_have_count(29)
    shoot(rater, "rater-phone")
    for index in range(questions.count()):
        questions.nth(index).locator("label").first.click()
    rater.get_by_role("button", name="提交").click()
    expect(rater.get_by_role("heading", name="测评票已提交")).to_be_visible()
    phone.close()

    log_in(page, base, "organiser", password)
    page.get_by_role("link", name="2026年度基层党建工作述职评议考核（演示）").click()
    page.get_by_role("link", name="实时进度").click()
    expect(page.locator(".big-figure")).to_contain_text("已收回 1 / 300 张测评票")
    shoot(page, "monitor")
    page.go_back()
    page.get_by_role("link", name="结束测评…").click()
    expect(page.get_by_role("heading", name="结束测评将会")).to_be_visible()
    assert "尚未使用的测评票全部失效" in page.content()
    shoot(page, "close-confirm")
    page.get_by_role("button", name="结束测评并开启投票箱").click()
    page.wait_for_url(re.compile(r".*/campaigns/\d+$"), timeout=60_000)
    assert "投票箱已开启" in page.content()
    expect(page.get_by_role("link", name="测评结果 →")).to_be_visible()
    shoot(page, "closed")

    page.goto(base + "/campaigns/")
    page.get_by_role("link", name="2025年度基层党建工作述职评议考核（演示）").click()
    page.get_by_role("link", name="测评结果").click()
    expect(page.locator("table tbody tr")).to_have_count(5)
    chart = page.locator("figure.chart img").first
    page.wait_for_function("image => image.complete", arg=chart.element_handle())
    shoot(page, "results")
    page.locator("table tbody tr").first.get_by_role("link").first.click()
    expect(page.get_by_role("heading").first).to_be_visible()
    shoot(page, "results-subject")

    page.goto(base + "/campaigns/")
    page.get_by_role("link", name="2025年度基层党建工作述职评议考核（演示）").click()
    page.get_by_role("link", name="整改清单").click()
    shoot(page, "ledger")
    page.get_by_role("link", name=re.compile("宁波海关")).first.click()
    expect(page.locator("section.problem").first).to_be_visible()
    shoot(page, "ledger-subject")


def test_the_manual_walk_takes_every_picture_the_manual_shows(app, runner, browser, page,
                                                               live_server, tmp_path):
    """Also what tests/test_browser.py checked of setting up, opening and closing a campaign:
    the walk is the same, and is taken once."""
    demo = runner.invoke(args=["demo"])
    assert demo.exit_code == 0, demo.output
    password = DEMO_PASSWORD.search(demo.output).group(1)
    tickets = re.findall(r"/t/([0-9A-Z]+)", demo.output)
    folder = IMAGES if os.environ.get("EVALAPP_MANUAL_IMAGES") == "write" else tmp_path
    folder.mkdir(exist_ok=True)
    shoot = Camera(folder)

    page.set_viewport_size(DESKTOP["viewport"])
    temporary = _units_and_accounts(app, page, live_server, password, shoot, tmp_path)
    _campaign_to_open(page, live_server, temporary, shoot, tmp_path)
    _the_demo_round(browser, page, live_server, password, tickets, shoot)
    assert page.outside_requests == [] and page.console_errors == []

    shown = IMAGE.findall(MANUAL.read_text(encoding="utf-8"))
    assert shown and set(shown) <= set(shoot.taken), set(shown) - set(shoot.taken)
    assert all((IMAGES / name).is_file() for name in shown)
    kept = {path.name for path in IMAGES.glob("manual-*")}
    assert kept == set(shown), kept ^ set(shown)  # none left over from an older manual
    assert sum((IMAGES / name).stat().st_size for name in shown) < 2_000_000
