"""Office files as offices really save them (issue 24, the third round of cases): text from
Excel for Mac and Excel's "Unicode 文本", Excel 97-2003 workbooks (and WPS's .et), workbooks
with an open password, OA exports with `_xHHHH_` escapes, files that are not tables, and what
an upload may cost before it is refused. Each case file goes through the real upload view of
the roster (and the ledger, where the case is a ledger), then made variants of its kind."""

from __future__ import annotations

import codecs
import io
import random
import zipfile
from datetime import date, datetime

import pytest
import xlwt
from msoffcrypto.format.ooxml import OOXMLFile
from openpyxl import Workbook

from evalapp import tabular
from evalapp.tabular import TableError, check_workbook, read_rows
from tests.support.cases import case
from tests.support.ledger import import_ledger, measures, shijiazhuang_campaign
from tests.support.roster import map_columns, roster, upload
from tests.support.spreadsheets import docx_bytes, shared_strings_xlsx, workbook_bytes
from tests.support.web import login

pytestmark = pytest.mark.one_database

THIRD_ROUND_PEOPLE = [("00311", "张建国"), ("00312", "李秀英"), ("00313", "王\u3000伟")]
PEOPLE = [["姓名", "工号", "单位", "测评人类别"], ["王伟", "01001", "宁波海关", "机关党员"],
          ["李娜", "01002", "北仑海关", "基层党员"], ["张敏", "01003", "北仑海关", "基层群众"]]
IMPORTED = [("01001", "王伟"), ("01002", "李娜"), ("01003", "张敏")]
LEDGER = [["被评对象", "序号", "来源", "问题", "整改措施", "责任部门", "配合部门", "整改时限",
           "状态", "完成情况", "完成日期"],
          ["石家庄海关 · 郑怀远", "1", "问题清单", "学习不够深入", "每月集中学习一次", "机关党委",
           "", "2026-12-31", "推进中", "", ""]]


@pytest.fixture
def roster_campaign(app, client) -> int:
    campaign_id = shijiazhuang_campaign(app)
    login(client, "organiser")
    return campaign_id


def imported(app, client, campaign_id: int, filename: str, content: bytes):
    """Uploads a roster through the form, confirms the columns it guessed, and returns the
    people stored (staff number, name)."""
    uploaded = upload(client, campaign_id, filename, content)
    assert uploaded.status_code == 303, uploaded.get_data(as_text=True)[-1500:]
    done = map_columns(client, uploaded, confirm=True)
    assert done.status_code == 303, done.get_data(as_text=True)[-1500:]
    return roster(app, campaign_id)


def refused(client, campaign_id: int, filename: str, content: bytes) -> str:
    response = upload(client, campaign_id, filename, content)
    assert response.status_code == 422
    return response.get_data(as_text=True)


# --- the case files, through the roster's and the ledger's upload ------------------------

@pytest.mark.parametrize(("name", "sent_as"), [
    ("roster_mac_cr_line_endings.csv", "名单.csv"),
    ("roster_unicode_text_utf16.txt", "名单.txt"),
    ("roster_excel97.xls", "名单.xls"),
    ("roster_excel97.xls", "名单.et"),  # WPS's own name for the same format
    ("roster_excel97.xls", "名单.xlsx"),  # renamed: the content decides
])
def test_case_rosters_of_the_third_round(app, client, roster_campaign, name, sent_as):
    assert imported(app, client, roster_campaign, sent_as, case(name)) == THIRD_ROUND_PEOPLE


def test_case_workbook_with_an_open_password(client, roster_campaign):
    page = refused(client, roster_campaign, "名单.xlsx", case("roster_password_123456.xlsx"))
    assert "此文件设有打开密码" in page and "请取消密码后再上传" in page


def test_case_ledger_with_line_breaks_written_as_x000d(app, client, roster_campaign):
    response = import_ledger(client, roster_campaign, "台账.xlsx",
                             case("ledger_multiline_x000D.xlsx"))
    assert response.status_code == 303, response.get_data(as_text=True)[-800:]
    [(text, deadline, _department)] = measures(app)
    assert text.split("\n") == ["1. 每月开展一次主题党日；", "2. 邀请青年党员讲党课；",
                                 "3. 组织到红色教育基地现场学习。"]
    assert deadline == date(2026, 12, 31)


def test_case_ledger_csv_with_rows_ended_by_cr(app, client, roster_campaign):
    content = "\r".join(",".join(row) for row in LEDGER).encode("gbk")
    response = import_ledger(client, roster_campaign, "台账.csv", content)
    assert response.status_code == 303, response.get_data(as_text=True)[-800:]
    assert measures(app) == [("每月集中学习一次", date(2026, 12, 31), "机关党委")]


# --- text as Excel, WPS and Numbers save it -----------------------------------------------

def text_file(rows, delimiter: str, ending: str, encoding: str, mark: bytes = b"") -> bytes:
    return mark + ending.join(delimiter.join(row) for row in rows).encode(encoding)


@pytest.mark.parametrize(("encoding", "mark"), [
    ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
    ("utf-16-le", b""), ("utf-16-be", b""), ("utf-8", codecs.BOM_UTF8), ("utf-8", b""),
    ("gb18030", b""), ("gb2312", b""),
])
@pytest.mark.parametrize("ending", ["\r", "\n", "\r\n"])
@pytest.mark.parametrize("delimiter", ["\t", ",", ";"])
def test_text_in_every_encoding_line_ending_and_separator(encoding, mark, ending, delimiter):
    rows = read_rows("名单.txt", text_file(PEOPLE, delimiter, ending, encoding, mark))
    assert [row.cells for row in rows] == [tuple(row) for row in PEOPLE]
    assert [row.number for row in rows] == [1, 2, 3, 4]


def test_a_quoted_line_break_stays_in_its_cell_and_commas_in_tab_text_stay_too():
    content = '姓名\t单位\r"王伟"\t"办公室\r\n综合科"\r李娜\t北仑海关, 查验科\r'.encode("utf-16")
    assert [row.cells for row in read_rows("名单.txt", content)] == [
        ("姓名", "单位"), ("王伟", "办公室\n综合科"), ("李娜", "北仑海关, 查验科")]


@pytest.mark.parametrize(("filename", "content"), [
    ("名单.txt", text_file(PEOPLE, "\t", "\r\n", "utf-16-be", codecs.BOM_UTF16_BE)),
    ("名单.csv", text_file(PEOPLE, ",", "\r", "utf-8")),
    ("名单.txt", text_file(PEOPLE, "\t", "\r\n", "gbk")),  # Excel's "文本文件(制表符分隔)"
])
def test_text_variants_through_the_roster_upload(app, client, roster_campaign, filename,
                                                 content):
    assert imported(app, client, roster_campaign, filename, content) == IMPORTED


# --- which sheet holds the table ----------------------------------------------------------

def sheets_before_the_table(suffix: str) -> bytes:
    """A workbook as templates come: an empty sheet of instructions (填表说明) and a hidden
    sheet of the lists its drop-downs offer, then the roster."""
    if suffix == "xls":
        book = xlwt.Workbook(encoding="utf-8")
        book.add_sheet("填表说明")
        lists = book.add_sheet("字典")
        lists.write(0, 0, "机关党员")
        lists.visibility = 1
        sheet = book.add_sheet("名单")
        for row, cells in enumerate(PEOPLE):
            for column, value in enumerate(cells):
                sheet.write(row, column, value)
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()
    workbook = Workbook()
    workbook.active.title = "填表说明"
    lists = workbook.create_sheet("字典")
    lists.append(["机关党员"])
    lists.sheet_state = "hidden"
    sheet = workbook.create_sheet("名单")
    for cells in PEOPLE:
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("suffix", ["xlsx", "xls"])
def test_the_table_is_read_from_the_first_visible_sheet_holding_cells(app, client,
                                                                       roster_campaign, suffix):
    content = sheets_before_the_table(suffix)
    assert imported(app, client, roster_campaign, f"名单.{suffix}", content) == IMPORTED


def last_years_roster_first(suffix: str) -> bytes:
    """A workbook saved while its maker looked at this year's roster, on the second sheet,
    after last year's (one person, under the same header) on the first."""
    last_year = [PEOPLE[0], ["王已退", "09999", "宁波海关", "机关党员"]]
    if suffix == "xls":
        book = xlwt.Workbook(encoding="utf-8")
        for title, people in (("去年名单", last_year), ("名单", PEOPLE)):
            sheet = book.add_sheet(title)
            for row, cells in enumerate(people):
                for column, value in enumerate(cells):
                    sheet.write(row, column, value)
            shown = title == "名单"
            sheet.set_selected(shown)
            sheet.sheet_visible = shown  # the sheet the workbook opens on
        book.set_active_sheet(1)
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()
    workbook = Workbook()
    workbook.active.title = "去年名单"
    for cells in last_year:
        workbook.active.append(cells)
    sheet = workbook.create_sheet("名单")
    for cells in PEOPLE:
        sheet.append(cells)
    workbook.active = sheet
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("suffix", ["xlsx", "xls"])
def test_the_table_is_read_from_the_sheet_the_workbook_opens_on(app, client, roster_campaign,
                                                                 suffix):
    content = last_years_roster_first(suffix)
    assert imported(app, client, roster_campaign, f"名单.{suffix}", content) == IMPORTED


# --- Excel 97-2003 (.xls, WPS .et) --------------------------------------------------------

def xls_roster() -> bytes:
    """A roster as Excel 97-2003 saves one: a title merged over the columns, staff numbers
    stored as numbers shown 00000, a date under a Chinese date format, a hidden row."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("名单")
    sheet.write_merge(0, 0, 0, 4, "宁波海关测评人员名单")
    for column, word in enumerate([*PEOPLE[0], "入职日期"]):
        sheet.write(1, column, word)
    staff = xlwt.easyxf(num_format_str="00000")
    day = xlwt.easyxf(num_format_str='yyyy"年"m"月"d"日"')
    people = [*PEOPLE[1:], ["李已调", "01004", "宁波海关", "机关群众"]]
    for row, (name, number, unit, group) in enumerate(people, 2):
        sheet.write(row, 0, name)
        sheet.write(row, 1, int(number), staff)
        sheet.write(row, 2, unit)
        sheet.write(row, 3, group)
        sheet.write(row, 4, datetime(2020, 3, row), day)
    sheet.row(5).hidden = True
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xls_read_as_excel_shows_it():
    rows = read_rows("名单.xls", xls_roster())
    assert [(row.number, row.cells, row.hidden) for row in rows] == [
        (1, ("宁波海关测评人员名单", "", "", "", ""), False),
        (2, (*PEOPLE[0], "入职日期"), False),
        (3, (*PEOPLE[1], "2020-03-02"), False),
        (4, (*PEOPLE[2], "2020-03-03"), False),
        (5, (*PEOPLE[3], "2020-03-04"), False),
        (6, ("李已调", "01004", "宁波海关", "机关群众", "2020-03-05"), True),
    ]


@pytest.mark.parametrize("sent_as", ["名单.xls", "名单.et", "名单.xlsx"])
def test_xls_through_the_roster_upload_leaves_the_hidden_row_out(app, client, roster_campaign,
                                                                 sent_as):
    assert imported(app, client, roster_campaign, sent_as, xls_roster()) == IMPORTED


def test_an_xlsx_named_xls_is_read_as_xlsx(app, client, roster_campaign):
    workbook = Workbook()
    for row in PEOPLE:
        workbook.active.append(row)
    assert imported(app, client, roster_campaign, "名单.xls",
                    workbook_bytes(workbook)) == IMPORTED


def test_an_xls_ledger_with_a_problem_merged_over_its_measures(app, client, roster_campaign):
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("台账")
    for column, word in enumerate(LEDGER[0]):
        sheet.write(0, column, word)
    for column, value in enumerate(LEDGER[1][:4]):
        sheet.write_merge(1, 2, column, column, value)
    day = xlwt.easyxf(num_format_str="yyyy/m/d")
    for row, (measure, deadline) in enumerate([("措施一", date(2027, 6, 30)),
                                               ("措施二", date(2027, 12, 31))], 1):
        sheet.write(row, 4, measure)
        sheet.write(row, 5, "办公室")
        sheet.write(row, 7, deadline, day)
        sheet.write(row, 8, "推进中")
    buffer = io.BytesIO()
    book.save(buffer)
    response = import_ledger(client, roster_campaign, "台账.xls", buffer.getvalue())
    assert response.status_code == 303, response.get_data(as_text=True)[-800:]
    assert measures(app) == [("措施一", date(2027, 6, 30), "办公室"),
                             ("措施二", date(2027, 12, 31), "办公室")]


# --- open passwords, and files that are not tables ----------------------------------------

def test_any_encrypted_workbook_is_refused_with_what_to_do(client, roster_campaign):
    workbook = Workbook()
    for row in PEOPLE:
        workbook.active.append(row)
    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(workbook_bytes(workbook))).encrypt("另一个密码", encrypted)
    for name in ("名单.xlsx", "名单.xls", "名单.csv"):
        page = refused(client, roster_campaign, name, encrypted.getvalue())
        assert "此文件设有打开密码" in page and "请取消密码后再上传" in page


def test_an_encrypted_ledger_is_refused_too(client, roster_campaign):
    response = import_ledger(client, roster_campaign, "台账.xlsx",
                             case("roster_password_123456.xlsx"))
    assert response.status_code == 422
    assert "此文件设有打开密码" in response.get_data(as_text=True)


def zipped(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(("sent_as", "content", "named"), [
    ("名单.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "此文件是 PDF 文档"),
    ("名单.xls", docx_bytes(), "此文件是 Word 文档"),
    ("名单.xls", b'<html xmlns:x="urn:schemas-microsoft-com:office:excel"><table><tr><td>'
                b"\xe5\xa7\x93\xe5\x90\x8d</td></tr></table></html>", "此文件是网页（HTML）"),
    ("名单.xls", b'<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:'
                b'spreadsheet"></Workbook>', "Excel 2003 XML 表格"),
    ("名单.xlsx", zipped({"xl/workbook.bin": b"\x83\x01"}), "Excel 二进制工作簿（.xlsb）"),
    ("名单.et", zipped({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}),
     "OpenDocument 电子表格（.ods）"),
    ("名单.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "此文件是图片"),
    ("名单.csv", zipped({"名单.xlsx": b"PK"}), "此文件是压缩包"),
    ("名单.txt", b"\x00\x01\x02\x03\x04\x05\x06\x07" * 8, "非文本文件"),
    # Past IN_PROCESS_BYTES, so read in the child, which sends back the kind it found (a
    # 500 when the kind was a translated text the child could not write as JSON).
    ("名单.csv", b"\x00" * (2 * tabular.IN_PROCESS_BYTES), "非文本文件"),
])
def test_files_that_are_not_tables_are_named(client, roster_campaign, sent_as, content, named):
    page = refused(client, roster_campaign, sent_as, content)
    assert named in page and "另存为 Excel 工作簿（.xlsx）或 CSV" in page


def test_a_file_of_another_name_is_refused_by_the_form(client, roster_campaign):
    page = refused(client, roster_campaign, "名单.pdf", b"%PDF-1.7")
    assert "仅限 CSV、文本（.txt）或 Excel（.xlsx、.xls、.et）文件" in page


# --- _xHHHH_ escapes (ECMA-376 ST_Xstring) ------------------------------------------------

def test_escapes_are_decoded_in_inline_and_shared_strings():
    """openpyxl decodes neither (it only drops "x005F_" from shared strings): every text cell
    is decoded here, and its line breaks read as LF."""
    workbook = Workbook()  # openpyxl writes inline strings
    workbook.active.append(["甲_x000D_\n乙_x000a_丙", "_x005F_x000D_ 是字面的", "制表_x0009_符"])
    assert read_rows("t.xlsx", workbook_bytes(workbook))[0].cells == (
        "甲\n乙\n丙", "_x000D_ 是字面的", "制表\t符")
    shared = shared_strings_xlsx([["甲_x000D_\n乙_x000D_丙", "A_x0026_B"]])
    assert read_rows("t.xlsx", shared)[0].cells == ("甲\n乙\n丙", "A&B")


# --- what an upload may cost --------------------------------------------------------------

def roster_workbook(rows: int, columns: int = 10) -> bytes:
    """A roster of `rows` people as Excel writes it (shared strings), every cell distinct."""
    return shared_strings_xlsx([[f"{row}-{column}" for column in range(columns)]
                                for row in range(rows)])


def test_a_roster_of_fifty_thousand_people_passes_every_bound():
    content = roster_workbook(50_001)
    assert len(content) < tabular.MAX_FILE_BYTES
    check_workbook(content)  # raises past a bound


@pytest.mark.parametrize(("limit", "value", "message"), [
    ("MAX_CELLS", 15, "该工作簿共有 16 个单元格，最多可读取 15 个"),
    ("MAX_SHEET_ROWS", 3, "文件共有 4 行，最多可读取 3 行"),
    ("MAX_SHARED_STRINGS", 10, "该工作簿共有 16 个不同的文本，最多可读取 10 个"),
    ("MAX_UNPACKED_BYTES", 100 * 1024, "该工作簿解压后为 0.2 MB，最多可读取 0.1 MB"),
    ("MAX_FILE_BYTES", 100 * 1024, "文件大小为 0.2 MB，最多可读取 0.1 MB"),
    ("MAX_ROWS", 2, "文件有 4 行，超过可导入的上限 2 行"),
    ("MAX_COLUMNS", 3, "文件共有 4 列，最多可读取 3 列"),
])
def test_each_bound_is_refused_with_the_count_and_the_limit(client, roster_campaign,
                                                            monkeypatch, limit, value, message):
    monkeypatch.setattr(tabular, limit, value)
    monkeypatch.setattr(tabular, "IN_PROCESS_BYTES", 1024 * 1024)  # read here, with the limit
    photo = random.Random(0).randbytes(200_000)  # packs to its own size
    content = shared_strings_xlsx([[f"{row}-{column}" for column in range(4)] for row in range(4)],
                                  extra={"xl/media/image1.png": photo})
    page = refused(client, roster_campaign, "名单.xlsx", content)
    assert message in page


def test_a_workbook_past_a_bound_is_refused_before_it_is_loaded(client, roster_campaign,
                                                                monkeypatch):
    """The attack's file: cells by the hundred thousand packed small. Refused from the
    counts, without openpyxl building anything."""
    def not_loaded(*_args, **_kwargs):
        raise AssertionError("loaded")

    monkeypatch.setattr(tabular, "load_workbook", not_loaded)
    # 720,000 blank formatted cells in eight sheets of under a megabyte each: 30 kB sent.
    sheet = ('<worksheet><sheetData><row r="1">' + '<c s="1"/>' * 90_000
             + "</row></sheetData></worksheet>").encode()
    content = shared_strings_xlsx([["姓名"]], extra={f"xl/worksheets/sheet{n}.xml": sheet
                                                    for n in range(2, 10)})
    page = refused(client, roster_campaign, "名单.xlsx", content)
    assert "该工作簿共有 720,001 个单元格，最多可读取 600,000 个" in page


def test_the_child_sends_back_no_blank_rows():
    """The attack's text file: blank lines by the million. The child reads them (2 s of its
    own processor for six million), but sends back only the rows that hold something, under
    the numbers they have in the file: decoding six million blank rows from its answer took
    the web worker 16 s of processor while phones waited."""
    content = "姓名,工号\r\n".encode() + b"\r\n" * 100_000 + "王伟,1".encode()
    assert len(content) > tabular.IN_PROCESS_BYTES
    assert tabular._read_in_child(content, "text") == [
        tabular.Row(1, ("姓名", "工号")), tabular.Row(100_002, ("王伟", "1"))]


def test_a_part_packed_a_thousand_times_is_refused(client, roster_campaign):
    content = shared_strings_xlsx(PEOPLE, extra={"docProps/custom.xml": b" " * 4_000_000})
    page = refused(client, roster_campaign, "名单.xlsx", content)
    assert "解压后是压缩大小的" in page and "最多读取 100 倍" in page


def test_text_past_what_a_table_holds_is_refused_plainly():
    with pytest.raises(TableError) as refusal:
        read_rows("t.csv", b'a,"' + b"x" * 200_000 + b'"\n1,2')
    assert str(refusal.value) == "not_text"
    with pytest.raises(TableError) as refusal:
        read_rows("t.csv", b"a" + b",a" * 300 + b"\n1,2")
    assert refusal.value.values == {"count": 301, "limit": tabular.MAX_COLUMNS}


@pytest.mark.parametrize(("name", "sent_as"), [
    ("roster_mac_cr_line_endings.csv", "名单.csv"), ("roster_excel97.xls", "名单.et"),
    ("roster_hidden_row.xlsx", "名单.xlsx"),
])
def test_a_large_file_is_read_in_a_child_process_alike(app, client, roster_campaign,
                                                       monkeypatch, name, sent_as):
    """Past IN_PROCESS_BYTES a file is read by `python -m evalapp.tabular`: the same rows,
    hidden ones marked, and the same refusals, come back from it."""
    monkeypatch.setattr(tabular, "IN_PROCESS_BYTES", 0)
    people = imported(app, client, roster_campaign, sent_as, case(name))
    assert len(people) == 3
    assert read_rows(sent_as, case(name)) == tabular._READERS[tabular._kind(case(name))](
        case(name))
    page = refused(client, roster_campaign, "名单.xlsx", roster_workbook(4, 250))
    assert "文件共有 250 列，最多可读取 200 列" in page


def test_a_child_past_its_time_is_refused_plainly(client, roster_campaign, monkeypatch):
    monkeypatch.setattr(tabular, "IN_PROCESS_BYTES", 0)
    monkeypatch.setattr(tabular, "CHILD_SECONDS", 0.01)
    page = refused(client, roster_campaign, "名单.xlsx", case("roster_hidden_row.xlsx"))
    assert "读取此文件所需的时间或内存超出了上传所允许的限度" in page
