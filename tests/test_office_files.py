"""Files and typing as offices and phones really produce them (issue 15, kinds 1–3): every
case of tests/cases/ with its expected value, and more inputs of each kind.

Kind 1, Excel as people make it: the real extent of a sheet, display formats, built-in date
formats, hidden rows, merged cells, a header under a title whatever its padding, one reader for
the roster, the problem list and the ledger. Kind 2, text as people type it. Kind 3, the
field's vocabularies (政治面貌 per GB/T 4762, unit column names).
"""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from evalapp.campaigns.models import Campaign, ProblemEntry, RaterGroup, Subject
from evalapp.extensions import db
from evalapp.rectification.models import RectificationMeasure, RectificationProblem
from evalapp.roster.models import RosterEntry
from evalapp.tabular import read_rows, shown_number
from evalapp.tickets.tokens import grouped, normalize
from tests.support.cases import case
from tests.support.factories import make_campaign, make_user, make_world
from tests.support.ledger import import_ledger, measures, shijiazhuang_campaign
from tests.support.organiser import post_subject
from tests.support.rater import make_tickets
from tests.support.roster import csv_bytes, map_columns, roster, selected_columns, upload
from tests.support.spreadsheets import workbook_bytes
from tests.support.web import csrf_token, login


def ledger_campaign(app) -> int:
    with app.app_context():
        world = make_world()
        make_user("organiser", world.customs)
        campaign = make_campaign(world.customs)
        db.session.commit()
        return campaign.id


@pytest.fixture
def campaign_id(app, client) -> int:
    """A campaign of the unit of the logged-in organiser of `client`."""
    campaign = ledger_campaign(app)
    login(client, "organiser")
    return campaign


def groups_by_staff(app, campaign_id) -> dict[str, tuple[str, str]]:
    with app.app_context():
        return {staff: (name, group) for staff, name, group in db.session.execute(
            sa.select(RosterEntry.staff_number, RosterEntry.name, RaterGroup.name_zh)
            .join(RaterGroup, RaterGroup.id == RosterEntry.rater_group_id)
            .where(RosterEntry.campaign_id == campaign_id))}


# --- kind 1: Excel as people make it ------------------------------------------------------

CASE_PEOPLE = [("00301", "赵一鸣"), ("00302", "钱二娟"), ("00303", "孙三喆")]


@pytest.mark.parametrize("name", ["roster_dimension_a1.xlsx", "roster_number_format_zeros.xlsx",
                                  "roster_padded_header.xlsx"])
def test_case_rosters_read_as_excel_shows_them(app, client, campaign_id, name):
    uploaded = upload(client, campaign_id, name, case(name))
    assert uploaded.status_code == 303, uploaded.get_data(as_text=True)
    preview = map_columns(client, uploaded)
    page = preview.get_data(as_text=True)
    assert selected_columns(page) == {"name": "0", "staff_number": "1", "unit": "2",
                                      "group": "3", "office": "-1", "membership": "-1"}
    assert "导入 3 人" in page
    assert map_columns(client, uploaded, confirm=True).status_code == 303
    assert roster(app, campaign_id) == CASE_PEOPLE


def test_case_hidden_row_is_listed_and_left_out_unless_included(app, client, campaign_id):
    uploaded = upload(client, campaign_id, "r.xlsx", case("roster_hidden_row.xlsx"))
    page = map_columns(client, uploaded).get_data(as_text=True)
    hidden = page.split('id="hidden-rows"')[1].split("</div>")[0]
    assert "第 5 行" in hidden and "李已调" in hidden and "00304" in hidden
    assert "导入 3 人" in page
    assert map_columns(client, uploaded, confirm=True).status_code == 303
    assert roster(app, campaign_id) == CASE_PEOPLE
    again = upload(client, campaign_id, "r.xlsx", case("roster_hidden_row.xlsx"))
    assert map_columns(client, again, confirm=True, include_hidden="y").status_code == 303
    assert roster(app, campaign_id) == [*CASE_PEOPLE, ("00304", "李已调")]


def test_case_ledger_deadline_in_the_chinese_builtin_date_format(app, client):
    campaign_id = shijiazhuang_campaign(app)
    login(client, "organiser")
    response = import_ledger(client, campaign_id, "台账.xlsx",
                             case("ledger_date_builtin_format31.xlsx"))
    assert response.status_code == 303, response.get_data(as_text=True)[-800:]
    assert measures(app) == [("每季度召开一次党建专题会议", date(2026, 12, 31), "办公室")]


def test_a_declared_size_of_a1_and_padded_headers_of_every_kind(app, client, campaign_id):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["宁波海关 2026 年度测评人员名单"])
    sheet.append([])
    sheet.append(["姓\u00a0\u00a0名", " 工 号 ", "所在部门", "测评人\t类别"])  # no-break, tab
    sheet.append(["周一", 7, "办公室", "机关党员"])
    sheet.append(["吴二", 12, "缉私局", "基层群众"])
    for row in (4, 5):
        sheet.cell(row, 2).number_format = "000000"
    content = workbook_bytes(workbook, dimension="A1")
    uploaded = upload(client, campaign_id, "名册.xlsx", content)
    page = map_columns(client, uploaded).get_data(as_text=True)
    assert selected_columns(page) == {"name": "0", "staff_number": "1", "unit": "2",
                                      "group": "3", "office": "-1", "membership": "-1"}
    assert map_columns(client, uploaded, confirm=True).status_code == 303
    assert roster(app, campaign_id) == [("000007", "周一"), ("000012", "吴二")]


@pytest.mark.parametrize(("value", "number_format", "shown"), [
    (301, "00000", "00301"), (42, '"NB"0000', "NB0042"), (1234567, "#,##0", "1,234,567"),
    (1234.5, "#,##0.00", "1,234.50"), (0.256, "0.0%", "25.6%"), (3.0, "General", "3"),
    (0.1 + 0.2, "General", "0.3"), (-5, "000", "-005"), (1.5, "0.##", "1.5"),
])
def test_numbers_read_as_their_format_shows_them(value, number_format, shown):
    assert shown_number(value, number_format) == shown


@pytest.mark.parametrize(("format_id", "serial", "shown"), [
    (14, 46387, "2026-12-31"),  # m/d/yyyy in every locale
    (27, 46357, "2026-12"), (31, 46023, "2026-01-01"), (57, 46022, "2025-12"),  # months
    (58, 46387, "2026-12-31"),
])
def test_builtin_date_formats_read_as_dates(format_id, serial, shown):
    workbook = Workbook()
    workbook.active.append(["整改时限", serial])
    workbook.active["B1"].number_format = "0.000"  # a custom format, made built-in below
    rows = read_rows("t.xlsx", workbook_bytes(workbook, builtin_format=format_id))
    assert rows[0].cells == ("整改时限", shown)


def test_a_ledger_with_merged_problems_and_a_hidden_row(app, client, campaign_id):
    """A problem merged over two measures, another written on each of its rows, and a hidden
    row (a measure withdrawn) that is left out, then included."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["整改台账"])
    sheet.append(["被评对象", "序号", "来源", "问　题", "整改措施", "责任部门", "配合部门",
                  "整改时限", "状态", "完成情况", "完成日期"])
    subject = "宁波海关·述职人1"  # typed without the spaces around the dot
    sheet.append([subject, 1, "领导点评", "问题甲", "措施一", "办公室", "", "2027/3/1", "未开始"])
    sheet.append([None, None, None, None, "措施二", "人事处", "", "2027年3月2日", "进行中"])
    sheet.append([subject, 2, "问题清单", "问题乙", "措施三", "办公室", "", "2027-03-03", "计划"])
    sheet.append([subject, 2, "问题清单", "问题乙", "措施四", "办公室", "", "2027-03-04", "计划"])
    sheet.append([subject, 2, "问题清单", "问题乙", "撤销的措施", "办公室", "", "2027-03-05",
                  "计划"])
    for column in "ABCD":
        sheet.merge_cells(f"{column}3:{column}4")
    sheet.row_dimensions[7].hidden = True

    def imported(**extra) -> list[tuple[str, str]]:
        response = client.post(f"/campaigns/{campaign_id}/rectification/import", data={
            "csrf_token": csrf_token(client, "/"), **extra,
            "file": (io.BytesIO(workbook_bytes(workbook)), "台账.xlsx")})
        assert response.status_code == 303, response.get_data(as_text=True)[-800:]
        with app.app_context():
            return db.session.execute(
                sa.select(RectificationProblem.text, RectificationMeasure.text)
                .join(RectificationMeasure.problem).order_by(RectificationMeasure.deadline)
            ).all()

    assert imported() == [("问题甲", "措施一"), ("问题甲", "措施二"), ("问题乙", "措施三"),
                          ("问题乙", "措施四")]
    assert "隐藏的行未导入：7" in client.get(
        f"/campaigns/{campaign_id}/rectification/").get_data(as_text=True)
    assert imported(include_hidden="y")[-1] == ("问题乙", "撤销的措施")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(RectificationProblem.id))) == 2


def subject_post(client, campaign_id: int, subject_id: int, filename: str, content: bytes,
                 **extra):
    return post_subject(client, campaign_id, subject_id,
                        problems_file=(io.BytesIO(content), filename),
                        **{"items-0-text_zh": "个性化内容1", "items-0-problem": "2", **extra})


def subject_problems(app, subject_id: int) -> tuple[list[str], str | None]:
    """The subject's problem list and the problem its first individual item is tied to."""
    with app.app_context():
        subject = db.session.get(Subject, subject_id)
        item = subject.individual_items[0]
        return ([p.text for p in subject.problems],
                item.problem.text if item.problem else None)


@pytest.mark.parametrize("rows", [
    [["问题"], ["理论学习不够系统"], ["调研基层不够深入"]],  # the header the issue saw as problem 1
    [["某某同志问题清单"], ["序号", "问　题"], [1, "理论学习不够系统"], [2, "调研基层不够深入"]],
    [["理论学习不够系统"], ["调研基层不够深入"]],  # no header: every row is a problem
])
def test_the_problem_list_from_excel_skips_its_title_and_header(app, client, campaign_id,
                                                                 rows):
    with app.app_context():
        subject_id = db.session.get(Campaign, campaign_id).subjects[0].id
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    response = subject_post(client, campaign_id, subject_id, "问题清单.xlsx",
                            workbook_bytes(workbook))
    assert response.status_code == 303, response.get_data(as_text=True)[-800:]
    assert subject_problems(app, subject_id) == (["理论学习不够系统", "调研基层不够深入"],
                                                 "调研基层不够深入")


def test_a_hidden_problem_is_left_out_unless_included(app, client, campaign_id):
    with app.app_context():
        subject_id = db.session.get(Campaign, campaign_id).subjects[0].id
    workbook = Workbook()
    for row in (["问题"], ["甲"], ["已整改完毕的旧问题"], ["乙"]):
        workbook.active.append(row)
    workbook.active.row_dimensions[3].hidden = True
    assert subject_post(client, campaign_id, subject_id, "p.xlsx",
                        workbook_bytes(workbook)).status_code == 303
    assert subject_problems(app, subject_id) == (["甲", "乙"], "乙")
    assert subject_post(client, campaign_id, subject_id, "p.xlsx", workbook_bytes(workbook),
                        problems_hidden="y").status_code == 303
    assert subject_problems(app, subject_id) == (["甲", "已整改完毕的旧问题", "乙"],
                                                 "已整改完毕的旧问题")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ProblemEntry.id))) == 3


# --- kind 2: text as people type it -------------------------------------------------------

FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def test_case_ticket_code_typed_in_full_width(app):
    with app.app_context():
        tickets = make_tickets(singles=4)
    typed = [
        tickets.single[0].translate(FULL_WIDTH),  # 1. every letter and digit full-width
        grouped(tickets.single[1]).translate(FULL_WIDTH),  # 2. full-width dashes too
        grouped(tickets.single[2]).replace("-", "\u2014"),  # 3. the Chinese dash
    ]
    for code in typed:
        fresh = app.test_client()
        response = fresh.post("/t", data={"code": code, "csrf_token": csrf_token(fresh, "/")})
        assert response.status_code == 303, code
        assert response.headers["Location"] == "/ballot"


@pytest.mark.parametrize("dash", ["\u2013", "\u2015", "\u2212", "\ufe63", "\u2e3a", "\u30a0",
                                  "\u2014\u2014"])
def test_every_dash_and_space_is_ignored_in_a_code(dash):
    token = "70NJTJNG3F7K9QRSTVWXYZ0123"
    typed = dash.join(token[i:i + 4] for i in range(0, 26, 4))
    assert normalize(typed) == token
    assert normalize(f"\u3000{typed[:6]}\u200b\u00a0{typed[6:]}\ufeff") == token
    assert normalize(typed.lower().translate(FULL_WIDTH)) == token


def test_an_empty_code_is_asked_for_not_called_wrong(client):
    token = csrf_token(client, "/")
    for empty in ("", "   ", "\u3000", "——"):
        response = client.post("/t", data={"code": empty, "csrf_token": token})
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert "请输入测评票上印的编码" in page and "未能识别" not in page


def test_staff_numbers_are_compared_and_stored_half_width(app, client, campaign_id):
    rows = [["姓名", "工号", "单位", "测评人类别"],
            ["王伟", "ＮＢ－００１", "宁波海关", "机关党员"],
            ["李娜", "NB-001", "北仑海关", "基层党员"],
            ["张敏", "ＮＢ－００３", "北仑海关", "基层群众"]]
    page = map_columns(client, upload(client, campaign_id, "r.csv", csv_bytes(rows)),
                       confirm=True).get_data(as_text=True)
    assert "工号 NB-001 重复出现在第 2和3 行" in page
    rows[2][1] = "NB\u2014002 "
    assert map_columns(client, upload(client, campaign_id, "r.csv", csv_bytes(rows)),
                       confirm=True).status_code == 303
    assert roster(app, campaign_id) == [("NB-001", "王伟"), ("NB-002", "李娜"), ("NB-003", "张敏")]


# --- kind 3: the field's vocabularies -----------------------------------------------------

def test_case_politics_as_gbt_4762_names_it(app, client, campaign_id):
    uploaded = upload(client, campaign_id, "roster_politics.csv", case("roster_politics.csv"))
    done = map_columns(client, uploaded, confirm=True)
    assert done.status_code == 303, done.get_data(as_text=True)[-1500:]
    assert groups_by_staff(app, campaign_id) == {
        "00401": ("周一", "机关党员"), "00402": ("吴二", "机关党员"), "00403": ("郑三", "基层群众"),
        "00404": ("王四", "基层群众"), "00405": ("冯五", "基层群众"), "00406": ("陈六", "机关群众")}


def test_full_names_codes_and_unit_column_names(app, client, campaign_id):
    """政治面貌 in the standard's full names and codes (致公党党员 and 农工党党员 end in 党员 but
    are not members of the Communist Party); the unit under 工作单位."""
    rows = [["姓　名", "人员编号", "工作单位", "机关/基层", "政治面貌"],
            ["甲", "1", "办公室", "机关", "中国共产党预备党员"],
            ["乙", "2", "缉私局", "基层", "中国致公党党员"],
            ["丙", "3", "办公室", "机关", "农工党党员"],
            ["丁", "4", "缉私局", "基层", "01"],
            ["戊", "5", "缉私局", "基层", "九三学社社员"],
            ["己", "6", "办公室", "机关", "无党派民主人士"]]
    uploaded = upload(client, campaign_id, "r.csv", csv_bytes(rows))
    page = map_columns(client, uploaded).get_data(as_text=True)
    assert selected_columns(page) == {"name": "0", "staff_number": "1", "unit": "2",
                                      "group": "-1", "office": "3", "membership": "4"}
    assert map_columns(client, uploaded, confirm=True).status_code == 303
    assert groups_by_staff(app, campaign_id) == {
        "1": ("甲", "机关党员"), "2": ("乙", "基层群众"), "3": ("丙", "机关群众"),
        "4": ("丁", "基层党员"), "5": ("戊", "基层群众"), "6": ("己", "机关群众")}
    with app.app_context():
        assert set(db.session.scalars(sa.select(RosterEntry.unit_name))) == {"办公室", "缉私局"}


def test_politics_as_personnel_systems_write_it(app, client, campaign_id):
    """A probationary member written with the qualifier in brackets (full- or half-width) is a
    party member; a member of a democratic party written 民革党员 or 农工党员 is not."""
    rows = [["姓名", "工号", "机关/基层", "政治面貌"],
            ["甲", "1", "机关", "中共党员（预备）"], ["乙", "2", "基层", "中共党员(预备期)"],
            ["丙", "3", "机关", "民革党员"], ["丁", "4", "基层", "农工党员"]]
    uploaded = upload(client, campaign_id, "r.csv", csv_bytes(rows))
    assert map_columns(client, uploaded, confirm=True).status_code == 303
    assert groups_by_staff(app, campaign_id) == {
        "1": ("甲", "机关党员"), "2": ("乙", "基层党员"), "3": ("丙", "机关群众"),
        "4": ("丁", "基层群众")}


@pytest.mark.parametrize("header", ["所在部门", "部门", "所在单位", "单位名称", "所属部门"])
def test_common_unit_column_names_are_recognised(client, campaign_id, header):
    rows = [["姓名", "工号", header, "类别"], ["王伟", "1", "办公室", "机关党员"]]
    page = map_columns(client, upload(client, campaign_id, "r.csv", csv_bytes(rows))
                       ).get_data(as_text=True)
    assert selected_columns(page)["unit"] == "2"
