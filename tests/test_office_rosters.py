"""Rosters as offices really keep them (issue 24, third round): a header of two rows under
merged headings, ID numbers that Excel cut to 15 significant digits, and a system-wide roster
of 50,000 people. Each case of tests/cases/ through the organiser's upload pages, and more
files of each kind."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from evalapp import tabular
from evalapp.accounts.importing import check_accounts
from evalapp.campaigns.setup import problem_list
from evalapp.extensions import db
from evalapp.roster.models import RosterEntry
from evalapp.tabular import Row, find_header, from_header, read_rows, shown_number
from evalapp.units.imports import plan_import, read_lines
from evalapp.units.models import OrgUnit
from tests.support.admins import account, make_admin_setup, unit_id
from tests.support.draws import campaign_with_roster
from tests.support.roster import csv_bytes, map_columns, roster, selected_columns, upload
from tests.support.spreadsheets import workbook_bytes
from tests.support.web import login

CASES = Path(__file__).parent / "cases"
ROSTER_WORDS = ["姓名", "工号", "单位", "部门", "工作单位", "类别"]


def case(name: str) -> bytes:
    return (CASES / name).read_bytes()


def xlsx(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    return workbook_bytes(workbook)


@pytest.fixture
def campaign_id(app, client) -> int:
    """A campaign, its roster empty, of the unit of the logged-in organiser of `client`."""
    with app.app_context():
        campaign_id = campaign_with_roster((0, 0, 0, 0))
    login(client, "organiser")
    return campaign_id


def stored(app, campaign_id) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(RosterEntry.id)).where(
            RosterEntry.campaign_id == campaign_id))


# --- a header of several rows -------------------------------------------------------------

def test_case_two_header_rows_under_merged_headings(app, client, campaign_id):
    uploaded = upload(client, campaign_id, "名单.xlsx", case("roster_two_row_header.xlsx"))
    assert uploaded.status_code == 303, uploaded.get_data(as_text=True)
    page = client.get(uploaded.headers["Location"]).get_data(as_text=True)
    assert "表头下共 3 行。" in page
    assert ">工作单位/单位</option>" in page and ">工作单位/部门</option>" in page
    assert selected_columns(page) == {"name": "1", "staff_number": "2", "unit": "3",
                                      "group": "5", "office": "-1", "membership": "-1"}
    preview = map_columns(client, uploaded)
    assert "导入 3 人" in preview.get_data(as_text=True)
    assert map_columns(client, uploaded, confirm=True).status_code == 303
    assert roster(app, campaign_id) == [("00311", "张建国"), ("00312", "李秀英"),
                                        ("00313", "王\u3000伟")]
    with app.app_context():
        assert sorted(db.session.scalars(sa.select(RosterEntry.unit_name))) == [
            "石家庄海关", "石家庄海关", "秦皇岛海关"]


def test_two_header_rows_in_a_csv_are_one_header_too(app, client, campaign_id):
    """Saved as CSV, the merges are gone: the heading stands in its first column, blanks to
    its right and below it."""
    rows = [["序号", "姓名", "工号", "工作单位", "", "类别"],
            ["", "", "", "单位", "部门", ""],
            ["1", "王伟", "1001", "宁波海关", "办公室", "机关党员"],
            ["2", "李娜", "1002", "北仑海关", "监管科", "基层群众"]]
    uploaded = upload(client, campaign_id, "r.csv", csv_bytes(rows))
    page = client.get(uploaded.headers["Location"]).get_data(as_text=True)
    assert selected_columns(page)["unit"] == "3" and "表头下共 2 行。" in page
    assert map_columns(client, uploaded, confirm=True).status_code == 303
    assert roster(app, campaign_id) == [("1001", "王伟"), ("1002", "李娜")]


H = ["序号", "姓名", "工号", "工作单位", "", "类别"]


@pytest.mark.parametrize(("rows", "below", "cells"), [
    # merged down (read on both rows) and across (its first column only)
    ([H, ["序号", "姓名", "工号", "单位", "部门", "类别"], ["1", "王伟", "1", "甲", "乙", "党员"]],
     2, ("序号", "姓名", "工号", "工作单位/单位", "工作单位/部门", "类别")),
    # sub-headings we do not know, under a spanning heading
    ([["姓名", "工号", "联系方式", "", ""], ["", "", "手机", "座机", "邮箱"], ["王伟", "1"]],
     2, ("姓名", "工号", "联系方式/手机", "联系方式/座机", "联系方式/邮箱")),
    # a title above, three rows of header, headings merged down over all three
    ([["2026 年名单"], ["姓名", "工号", "工作单位", "", "", ""],
      ["姓名", "工号", "单位", "", "部门", ""], ["姓名", "工号", "名称", "代码", "名称", "代码"],
      ["王伟", "1", "甲", "1", "乙", "2"]],
     4, ("姓名", "工号", "工作单位/单位/名称", "工作单位/单位/代码", "工作单位/部门/名称",
         "工作单位/部门/代码")),
    # a person just below a one-row header is a person, even under a blank heading
    ([["姓名", "工号", "单位", ""], ["王伟", "1001", "宁波海关", "备注"]], 1,
     ("姓名", "工号", "单位", "")),
    # a row of expected words that is a person's is not: 部门 under 姓名
    ([["姓名", "工号", "单位"], ["单位", "1001", "部门"]], 1, ("姓名", "工号", "单位")),
])
def test_a_header_takes_the_rows_of_its_sub_headings(rows, below, cells):
    header = find_header(rows, ROSTER_WORDS)
    assert (header.below, header.cells) == (below, cells)


def test_every_import_reads_a_header_of_two_rows():
    """The roster, the unit tree and the problem list share the header (so do the staff
    accounts and the ledger): the second row of the header is never data."""
    def numbered(*rows):
        return [Row(number, tuple(row)) for number, row in enumerate(rows, start=1)]

    units = numbered(["单位", "", "上级单位"], ["名称", "代码", ""], ["杭州海关", "3100", ""])
    lines, _hidden = read_lines(units)
    assert [(line.row, line.name, line.code) for line in lines] == [(3, "杭州海关", "3100")]
    problems = numbered(["序号", "问题", ""], ["", "表现", "原因"], ["1", "学习不够", "忙"])
    assert problem_list(problems, include_hidden=False) == (["学习不够"], [])
    assert [row.cells for row in from_header(problems, ["问题"], minimum=1)] == [
        ("序号", "问题/表现", "问题/原因"), ("1", "学习不够", "忙")]


# --- identifiers that Excel cut to 15 significant digits --------------------------------------

def test_case_id_numbers_typed_as_numbers_are_refused_by_row(app, client, campaign_id):
    uploaded = upload(client, campaign_id, "名单.xlsx", case("roster_id_numbers_15_digits.xlsx"))
    assert uploaded.status_code == 303
    page = client.get(uploaded.headers["Location"]).get_data(as_text=True)
    assert selected_columns(page)["staff_number"] == "1"  # 身份证号, there being no 工号
    checked = map_columns(client, uploaded)
    shown = checked.get_data(as_text=True)
    assert checked.status_code == 422
    for row, value in ((2, "1.30102E+17"), (3, "1.30105E+17"), (5, "1.30104E+17")):
        assert (f'<td class="num">{row}</td><td>工号“{value}”是被 Excel 截断为 15 位有效数字'
                "的数字，其余数字已丢失。请在 Excel 中将该列设为“文本”格式，重新录入后再上传。"
                ) in shown
    assert '<td class="num">4</td>' not in shown  # 13010219900307003X, typed as text
    assert map_columns(client, uploaded, confirm=True).status_code == 422
    assert stored(app, campaign_id) == 0


def test_a_long_number_under_any_format_or_in_a_csv_is_refused(app, client, campaign_id):
    """An 18-digit number under the format 0 shows its lost digits as zeros; a CSV saved by
    Excel writes it in scientific notation; either way nothing is stored."""
    workbook = Workbook()
    workbook.active.append(["姓名", "工号", "类别"])
    for name, number, number_format in (("王伟", 130102198805123456, "0"),
                                        ("李娜", 13010219880512345, "General"),
                                        ("张敏", 13812345678, "General")):  # a phone: whole
        workbook.active.append([name, number, "机关党员"])
        workbook.active.cell(workbook.active.max_row, 2).number_format = number_format
    uploaded = upload(client, campaign_id, "r.xlsx", workbook_bytes(workbook))
    shown = map_columns(client, uploaded).get_data(as_text=True)
    assert "工号“1.30102E+17”是被 Excel 截断" in shown
    assert "工号“1.30102E+16”是被 Excel 截断" in shown
    assert "13812345678" not in shown.split('role="alert"')[1].split("</section>")[0]
    rows = [["姓名", "手机号", "类别"], ["王伟", "1.38123E+10", "机关党员"],
            ["李娜", "1.3010219880512E+17", "机关党员"], ["张敏", "13812345678", "机关党员"]]
    uploaded = upload(client, campaign_id, "r.csv", csv_bytes(rows))
    page = client.get(uploaded.headers["Location"]).get_data(as_text=True)
    assert selected_columns(page)["staff_number"] == "1"  # 手机号, there being no 工号
    checked = map_columns(client, uploaded, confirm=True)
    assert checked.status_code == 422
    assert "1.38123E+10" in checked.get_data(as_text=True)
    assert "1.3010219880512E+17" in checked.get_data(as_text=True)
    assert stored(app, campaign_id) == 0


def test_usernames_and_unit_codes_cut_by_excel_are_refused_too(app):
    """The staff accounts' usernames (often staff numbers) and the unit tree's codes."""
    cut = "是被 Excel 截断为 15 位有效数字的数字"
    with app.test_request_context():
        make_admin_setup()
        staff = check_accounts(account("sysadmin"), [
            Row(1, ("用户名", "姓名", "单位", "角色")),
            Row(2, ("1.30102E+17", "王伟", "宁波海关", "组织者")),
            Row(3, ("li.na", "李娜", "宁波海关", "组织者"))])
        assert [(p.row, p.reasons[0].startswith("用户名“1.30102E+17”" + cut))
                for p in staff.problems] == [(2, True)]
        tree = plan_import([Row(1, ("单位名称", "上级单位", "单位代码")),
                            Row(2, ("杭州海关", "海关总署", "3.10012E+17"))],
                           db.session.get_one(OrgUnit, unit_id("海关总署")))
        assert [(p.row, any(reason.startswith("单位代码“3.10012E+17”" + cut)
                            for reason in p.reasons)) for p in tree.problems] == [(2, True)]


@pytest.mark.parametrize(("value", "number_format", "shown"), [
    (1.30102198805123e17, "General", "1.30102E+17"),
    (1.30102198805123e17, "0", "1.30102E+17"),
    (10**15, "00000", "1E+15"),
    (999_999_999_999_999, "0", "999999999999999"),  # 15 digits: whole
    (301, "00000", "00301"),
])
def test_numbers_beyond_15_digits_are_shown_as_excel_keeps_them(value, number_format, shown):
    assert shown_number(value, number_format) == shown


# --- a system-wide roster -----------------------------------------------------------------

def test_case_a_roster_of_50000_people_imports_whole(app, client, campaign_id):
    """The file (GBK, as Excel saves CSV in China) is read at each step; the mapping page
    shows its first rows and counts, not 50,000 rows."""
    content = case("roster_50000_people.csv")
    uploaded = upload(client, campaign_id, "全关名单.csv", content)
    assert uploaded.status_code == 303, uploaded.get_data(as_text=True)[-500:]
    checked = map_columns(client, uploaded)
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200, page[-2000:]
    assert "表头下共 50000 行。" in page and "导入 50000 人" in page
    assert len(page) < 40_000
    assert map_columns(client, uploaded, confirm=True).status_code == 303
    assert stored(app, campaign_id) == 50_000
    listing = client.get(f"/campaigns/{campaign_id}/roster/?page=1000")
    assert listing.status_code == 200 and "1000" in listing.get_data(as_text=True)


def test_a_roster_over_the_limit_says_its_rows_the_limit_and_what_to_do(
        client, campaign_id, monkeypatch):
    monkeypatch.setattr(tabular, "MAX_ROWS", 5)
    rows = [["姓名", "工号", "类别"], *[[f"人{n}", f"{n}", "机关党员"] for n in range(7)]]
    for filename, content in (("r.csv", csv_bytes(rows)), ("r.xlsx", xlsx(rows))):
        refused = upload(client, campaign_id, filename, content)
        assert refused.status_code == 422
        assert "文件最多可有 5 行。" in refused.get_data(as_text=True)  # said beforehand too
        assert ("文件有 8 行，超过可导入的上限 5 行。请删除非数据行（标题、备注、合计等），"
                "或将测评分为若干个活动（例如按单位），各自导入名单。") in refused.get_data(
                    as_text=True)


def test_a_long_roster_with_a_problem_a_row_lists_the_first_ones(app, client, campaign_id):
    rows = [["姓名", "工号", "类别"], *[[f"人{n}", f"{n}", "无此类别"] for n in range(250)]]
    checked = map_columns(client, upload(client, campaign_id, "r.csv", csv_bytes(rows)))
    page = checked.get_data(as_text=True)
    assert checked.status_code == 422
    assert "250 行存在问题" in page and page.count("未知的测评人类别") == 200
    assert "以上列出前 200 行；另有 50 行有问题。请先改正这些行，再检查一遍。" in page


def test_read_rows_keeps_every_row_of_a_long_file():
    rows = read_rows("r.csv", case("roster_50000_people.csv"))
    assert len(rows) == 50_001 and rows[-1].number == 50_001


def test_a_workbook_is_read_once_however_many_steps_follow(app, client, campaign_id,
                                                           monkeypatch):
    """Upload, mapping page, check and confirm: the later steps read the rows kept at upload
    (a workbook of 50,000 rows takes openpyxl tens of seconds a read)."""
    reads = []
    monkeypatch.setattr(tabular, "load_workbook",
                        lambda *args, **kwargs: reads.append(1) or load_workbook(*args, **kwargs))
    rows = [["姓名", "工号", "类别"], ["王伟", "1001", "机关党员"], ["李娜", "1002", "基层群众"]]
    uploaded = upload(client, campaign_id, "r.xlsx", xlsx(rows))
    assert "导入 2 人" in map_columns(client, uploaded).get_data(as_text=True)
    assert map_columns(client, uploaded, confirm=True).status_code == 303
    assert stored(app, campaign_id) == 2 and len(reads) == 1
