"""An organisation sets itself up in a real browser (headless Chromium), issue 21: the system
administrator imports a three-level unit tree and creates an organiser in a sub-unit, who
signs in with the temporary password, is made to change it, and builds a campaign whose
subjects are in two sub-units; its results and exports name those sub-units.

Rating is not the point here: tickets, ballots and the close go through the operations."""

from __future__ import annotations

import csv
import io
import re
import time

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from evalapp.auth.models import Role
from evalapp.ballotbox.operations import close_campaign, open_campaign
from evalapp.campaigns.models import Campaign, Level, Satisfaction
from evalapp.extensions import db
from evalapp.tickets.operations import issue_tickets
from evalapp.tickets.tokens import new_receipt_code
from tests.support.ballots import BallotContent, insert_ballots
from tests.support.browser import log_in
from tests.support.factories import PASSWORD, groups_of, make_user, make_world
from tests.support.pdf import pdf_pages
from tests.support.units import TREE, fill_new_account, xlsx_bytes

pytestmark = [pytest.mark.usefixtures("administrators_enrolled"), pytest.mark.one_database]

NEW_PASSWORD = "杭州海关组织者之新口令2026"
SUBJECTS = {"北仑海关": "陈立新", "综合业务处": "刘海燕"}


def _import_the_tree(page, file, shots) -> None:
    page.get_by_role("link", name="单位管理").click()
    expect(page.get_by_role("heading", name="单位管理")).to_be_visible()
    page.get_by_label("单位文件（CSV 或 Excel）").set_input_files(file)
    page.locator("#import-units").get_by_role("button", name="上传").click()
    expect(page.get_by_text("新建 6 个，移动 0 个，修改 0 个，未变 0 个。")).to_be_visible()
    page.get_by_role("button", name="导入").click()
    expect(page.get_by_text("单位文件已导入：新建 6 个")).to_be_visible()
    page.screenshot(path=str(shots / "1-units.png"), full_page=True)


def _create_the_organiser(app, page, shots) -> str:
    """The organiser of 杭州海关 (a sub-unit of the administrator's 海关总署); its temporary
    password, as the page shows it once."""
    fill_new_account(page, app, "hz-organiser", "张组织", "杭州海关")
    page.get_by_role("button", name="创建账号").click()
    expect(page.get_by_role("heading", name="账号已创建")).to_be_visible()
    page.screenshot(path=str(shots / "2-organiser-created.png"), full_page=True)
    password = page.locator("code.password").inner_text()
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("link", name="登录")).to_be_visible()
    return password


def _change_the_temporary_password(page, temporary: str, shots) -> None:
    expect(page.get_by_role("heading", name="修改密码")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("请先设置您自己的密码，然后继续。")
    page.screenshot(path=str(shots / "3-must-change.png"), full_page=True)
    page.get_by_label("当前密码").fill(temporary)
    page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="修改密码").click()
    expect(page.get_by_role("link", name="新建测评活动")).to_be_visible()


def _build_the_campaign(page, shots) -> int:
    page.get_by_role("link", name="新建测评活动").click()
    page.get_by_label("名称").fill("2026年度杭州海关述职评议")
    page.get_by_label("组织单位").select_option(label="杭州海关")
    page.get_by_role("button", name="创建").click()
    expect(page.get_by_role("heading", name="2026年度杭州海关述职评议")).to_be_visible()
    for unit, person in SUBJECTS.items():
        page.get_by_role("link", name="添加被评对象").click()
        units = page.get_by_label("单位", exact=True)
        expect(units).to_be_visible()
        # the campaign's units, as a tree: no unit of 宁波海关 or above 杭州海关
        assert units.locator("option").all_inner_texts() == [
            "杭州海关", "└ 北仑海关", "\u3000└ 第一党支部", "└ 办公室", "\u3000└ 第一党支部",
            "└ 综合业务处"]
        units.select_option(label=f"└ {unit}")
        page.get_by_label("述职人").fill(person)
        page.get_by_label("述职报告", exact=True).fill("（述职报告正文）")
        for index in range(4):
            page.locator(f"#items-{index}-text_zh").fill(f"个性化内容{index + 1}")
        page.get_by_role("button", name="保存").click()
        expect(page.locator("table").first.get_by_role("link", name=person)).to_be_visible()
    page.screenshot(path=str(shots / "4-campaign.png"), full_page=True)
    return int(re.search(r"/campaigns/(\d+)", page.url).group(1))


def _rate_and_close(app, campaign_id: int) -> None:
    """Five ballots per subject from the first rater group, all 好 / 较好."""
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        group = groups_of(campaign)[0]
        issue_tickets(campaign, group, campaign.subjects, 5)
        open_campaign(campaign)
        insert_ballots(campaign.id, group.id, [
            BallotContent(subject.id, [level] * 28, Satisfaction.SATISFIED, "",
                          new_receipt_code())
            for subject, level in zip(campaign.subjects, (Level.EXCELLENT, Level.GOOD),
                                      strict=True) for _ in range(5)])
        close_campaign(campaign)
        db.session.commit()


def _export(page, url: str) -> bytes:
    """An export as the organiser's browser gets it (the PDF answers 202 while it is made)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        response = page.request.get(url)
        if response.status != 202:
            assert response.status == 200, (url, response.status)
            return response.body()
        time.sleep(0.1)
    raise AssertionError(f"{url} was not ready within two minutes")


def test_an_organisation_sets_itself_up_and_its_results_name_its_units(
        app, live_server, page, tmp_path):
    with app.app_context():
        make_user("sysadmin", make_world().root, Role.SYSTEM_ADMIN)
        db.session.commit()
    file = tmp_path / "机构设置.xlsx"
    file.write_bytes(xlsx_bytes(TREE, title="杭州海关机构设置表"))

    log_in(page, live_server, "sysadmin", PASSWORD)
    _import_the_tree(page, file, tmp_path)
    temporary = _create_the_organiser(app, page, tmp_path)
    log_in(page, live_server, "hz-organiser", temporary)
    _change_the_temporary_password(page, temporary, tmp_path)
    campaign_id = _build_the_campaign(page, tmp_path)
    _rate_and_close(app, campaign_id)

    page.reload()
    page.get_by_role("link", name="测评结果 →").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("北仑海关 · 陈立新")
    expect(rows.nth(1)).to_contain_text("综合业务处 · 刘海燕")
    page.screenshot(path=str(tmp_path / "5-results.png"), full_page=True)

    base = f"{live_server}/campaigns/{campaign_id}/results"
    sheet = load_workbook(io.BytesIO(_export(page, f"{base}/export.xlsx")), read_only=True)
    cells = {str(cell) for row in sheet.worksheets[0].iter_rows(values_only=True)
             for cell in row if cell is not None}
    assert {"北仑海关", "陈立新", "综合业务处", "刘海燕"} <= cells, sorted(cells)
    assert not {"杭州海关", "宁波海关"} & cells  # no subject is labelled with another unit
    table = list(csv.reader(io.StringIO(_export(page, f"{base}/export.csv").decode("utf-8-sig"))))
    said = " ".join(" ".join(row) for row in table)
    assert "北仑海关" in said and "综合业务处" in said and "宁波海关" not in said
    report = "\n".join(pdf_pages(_export(page, f"{base}/export.pdf")))
    assert "北仑海关 · 陈立新" in report and "综合业务处 · 刘海燕" in report
    assert page.outside_requests == []
    assert page.console_errors == []
