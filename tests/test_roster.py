"""Roster import from CSV and Excel: column mapping, a preview by group, every problem of every
row reported with its row number, and all or nothing."""

from __future__ import annotations

import contextlib
import io
import re
import zlib

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from evalapp import uploads
from evalapp.campaigns.models import Campaign, RaterGroup
from evalapp.extensions import db
from evalapp.roster.models import RosterEntry, SampleDraw
from evalapp.uploads import KeptUpload
from tests.support.apps import build_app, dispose
from tests.support.draws import prepare, prepare_and_draw_on_the_web, set_aside
from tests.support.factories import make_campaign, make_user, make_world
from tests.support.roster import GOOD, csv_bytes, map_columns, roster, upload
from tests.support.storage import every_value
from tests.support.web import login


@pytest.fixture
def campaign_id(app, client):
    with app.app_context():
        world = make_world()
        make_user("organiser", world.customs)
        campaign = make_campaign(world.customs)
        db.session.commit()
        campaign_id = campaign.id
    login(client, "organiser")
    return campaign_id


def xlsx_bytes(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append([int(cell) if cell.isdigit() else cell for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(("filename", "content"), [
    ("roster.csv", csv_bytes(GOOD)),
    ("roster.csv", csv_bytes(GOOD, encoding="gb18030")),  # as Excel saves CSV in China
    ("名册.xlsx", xlsx_bytes(GOOD)),
])
def test_a_good_file_is_previewed_then_imported(app, client, campaign_id, filename, content):
    uploaded = upload(client, campaign_id, filename, content)
    assert uploaded.status_code == 303
    preview = map_columns(client, uploaded)
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "导入 5 人" in page
    counts = re.findall(r'<td>(机关党员|机关群众|基层党员|基层群众)</td><td class="num">(\d+)',
                        page)
    assert dict(counts) == {"机关党员": "1", "机关群众": "1", "基层党员": "2", "基层群众": "1"}
    assert roster(app, campaign_id) == []  # nothing before confirming
    done = map_columns(client, uploaded, confirm=True)
    assert done.status_code == 303
    assert roster(app, campaign_id) == [("1001", "王伟"), ("1002", "李娜"), ("1003", "张敏"),
                                        ("1004", "刘洋"), ("1005", "陈静")]


def test_a_file_uploaded_on_one_node_is_imported_on_another(app, client, campaign_id,
                                                            database_url, tmp_path):
    """The rows kept between the steps are in the database: the mapping and the confirmation
    may reach another node than the upload (behind a proxy; the nodes share the
    key-encryption key), even one whose instance folder is new, and the kept rows are gone
    once imported."""
    uploaded = upload(client, campaign_id, "roster.csv", csv_bytes(GOOD))
    other = build_app(database_url, tmp_path / "other",
                      KEY_ENCRYPTION_KEY=app.config["KEY_ENCRYPTION_KEY"])
    try:
        there = other.test_client()
        login(there, "organiser")
        assert "导入 5 人" in map_columns(there, uploaded).get_data(as_text=True)
        assert map_columns(there, uploaded, confirm=True).status_code == 303
    finally:
        dispose(other)
    assert len(roster(app, campaign_id)) == 5
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(KeptUpload)) == 0


def test_a_kept_upload_is_its_uploaders_alone(app, client, campaign_id):
    """Another organiser who learns the upload's name (it travels in addresses) is sent to
    upload a file of their own, and sees none of the rows."""
    uploaded = upload(client, campaign_id, "roster.csv", csv_bytes(GOOD))
    with app.app_context():
        other_unit = db.session.get(Campaign, campaign_id).unit
        make_user("neighbour", other_unit)
        theirs = make_campaign(other_unit, "邻居的测评").id
        db.session.commit()
    neighbour = app.test_client()
    login(neighbour, "neighbour")
    name = uploaded.headers["Location"].split("upload=")[1]
    sent_back = neighbour.get(f"/campaigns/{theirs}/roster/mapping?upload={name}")
    assert sent_back.status_code == 303
    assert sent_back.headers["Location"].endswith(f"/campaigns/{theirs}/roster/")


@pytest.fixture(params=["defended", "undefended"])
def upload_wrapping(request, monkeypatch) -> bool:
    """Kept rows wrapped under the key-encryption key as shipped, or stored as they are."""
    if request.param == "undefended":
        monkeypatch.setattr(uploads, "wrap", lambda content, *_owner: content)
        monkeypatch.setattr(uploads, "unwrap", lambda content, *_owner: content)
    return request.param == "defended"


def test_a_database_reader_gets_no_row_of_a_kept_upload(app, client, campaign_id,
                                                         upload_wrapping):
    """Every value of every row, decompressed where it decompresses: the staff numbers and
    names of the sheet waiting to be imported are not there; stored unwrapped, they are."""
    upload(client, campaign_id, "roster.csv", csv_bytes(GOOD))
    texts = []
    with app.app_context():
        for value in every_value():
            with contextlib.suppress(zlib.error, TypeError):
                texts.append(zlib.decompress(value).decode())
            texts.append(str(value))
    found = {name for name in ("王伟", "李娜") if any(name in text for text in texts)}
    assert found == (set() if upload_wrapping else {"王伟", "李娜"})


def test_the_group_is_derived_from_office_and_membership(app, client, campaign_id):
    rows = [["姓名", "工号", "机关/基层", "政治面貌"], ["王伟", "1", "机关", "中共党员"],
            ["李娜", "2", "基层", "群众"]]
    uploaded = upload(client, campaign_id, "r.csv", csv_bytes(rows))
    done = map_columns(client, uploaded, confirm=True, group=-1, office=2, membership=3)
    assert done.status_code == 303
    with app.app_context():
        groups = db.session.execute(
            sa.select(RosterEntry.staff_number, RaterGroup.name_zh)
            .join(RaterGroup, RaterGroup.id == RosterEntry.rater_group_id)
            .order_by(RosterEntry.staff_number)).all()
    assert groups == [("1", "机关党员"), ("2", "基层群众")]


MIXED = [
    ["姓名", "工号", "单位", "测评人类别"],
    ["王伟", "1001", "宁波海关", "机关党员"],
    ["", "1002", "北仑海关", "基层党员"],  # row 3: no name
    ["张敏", "", "北仑海关", "基层群众"],  # row 4: no staff number
    ["刘洋", "1001", "宁波海关", "机关群众"],  # row 5: duplicate of row 2
    ["陈静", "1006", "镇海海关", "领导班子"],  # row 6: unknown group
    ["", "", "", "外来人员"],  # row 7: three problems at once
    ["赵强", "1008", "镇海海关", "基层党员"],
]


@pytest.mark.parametrize("make", [csv_bytes, xlsx_bytes], ids=["csv", "xlsx"])
def test_a_file_with_mixed_problems_imports_nothing_and_reports_every_problem(
    app, client, campaign_id, make
):
    uploaded = upload(client, campaign_id, "mixed." + ("csv" if make is csv_bytes else "xlsx"),
                      make(MIXED))
    response = map_columns(client, uploaded, confirm=True)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    problems = dict(re.findall(r'<tr><td class="num">(\d+)</td><td>(.*?)</td></tr>', page))
    assert problems == {
        "2": "工号 1001 重复出现在第 2和5 行",
        "3": "缺少姓名",
        "4": "缺少工号",
        "5": "工号 1001 重复出现在第 2和5 行",
        "6": "未知的测评人类别“领导班子”",
        "7": "缺少姓名；缺少工号；未知的测评人类别“外来人员”",
    }
    assert "未导入任何数据：6 行存在问题" in page
    assert "导入 " not in page.split("未导入")[0]  # no import button while problems remain
    assert roster(app, campaign_id) == []


def test_a_title_above_the_header_is_skipped_and_rows_keep_their_numbers(client, campaign_id):
    rows = [["宁波海关干部花名册"], ["2026年3月"], ["姓名", "工号", "单位", "测评人类别"],
            ["王伟", "1001", "宁波海关", "机关党员"], [], [],
            ["", "1002", "北仑海关", "基层党员"]]  # a title above the header, blank rows: row 7
    uploaded = upload(client, campaign_id, "titled.xlsx", xlsx_bytes(rows))
    page = map_columns(client, uploaded, confirm=True).get_data(as_text=True)
    assert dict(re.findall(r'<tr><td class="num">(\d+)</td><td>(.*?)</td></tr>', page)) == {
        "7": "缺少姓名"}


@pytest.mark.parametrize(("filename", "content", "message"), [
    ("roster.doc", b"a,b", "仅限 CSV、文本（.txt）或 Excel"),
    ("roster.xlsx", b"PK\x03\x04 not a workbook", "不是可读取的 Excel 工作簿"),
    ("roster.csv", "姓名,工号".encode(), "没有数据行"),
    ("roster.csv", b"\xff\xfe\x00\x00\xff", "既不是 UTF-8、UTF-16，也不是 GBK"),
    ("roster.csv", b"\x80\x80\xff,\xff", "既不是 UTF-8、UTF-16，也不是 GBK"),
])
def test_unreadable_files_are_refused_plainly(client, campaign_id, filename, content, message):
    response = upload(client, campaign_id, filename, content)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_the_roster_is_frozen_once_a_draw_is_prepared(app, client, campaign_id):
    """The commitment covers the roster's fingerprint: from preparing on, the roster cannot
    change (a change would let the sample be steered, or make the draw impossible to check);
    only setting the prepared draw aside, with its reason, frees it again."""
    map_columns(client, upload(client, campaign_id, "r.csv", csv_bytes(GOOD)), confirm=True)
    drawn = prepare(client, campaign_id, percent=40)
    assert drawn.status_code == 303
    # said on the roster page before anyone picks a file, with no form to fill in vain
    page = client.get(f"/campaigns/{campaign_id}/roster/").get_data(as_text=True)
    assert "已据此准备或抽取 1 次抽样" in page and "名册不能再替换" in page
    assert 'type="file"' not in page
    refused = upload(client, campaign_id, "r.csv", csv_bytes(GOOD[:3]))
    assert refused.status_code == 409 and "不能再替换" in refused.get_data(as_text=True)
    assert client.get(f"/campaigns/{campaign_id}/roster/mapping?upload=x.csv").status_code == 409
    assert len(roster(app, campaign_id)) == 5
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SampleDraw.id))) == 1

    set_aside(client, drawn.headers["Location"], "名册有误，重新导入")
    fixed = map_columns(client, upload(client, campaign_id, "r.csv", csv_bytes(GOOD[:4])),
                        confirm=True)
    assert fixed.status_code == 303 and len(roster(app, campaign_id)) == 3
    prepare_and_draw_on_the_web(client, campaign_id, percent=40, reason="名册已更正，重新抽样")
    assert upload(client, campaign_id, "r.csv", csv_bytes(GOOD)).status_code == 409


def test_the_roster_page_lists_its_people_fifty_a_page(app, client):
    from tests.support.organiser import make_setup

    with app.app_context():
        setup = make_setup(people_per_group=15)  # 60 people
    login(client)
    path = f"/campaigns/{setup.campaign}/roster/"

    def names(query: str = "") -> list[str]:
        page = client.get(path + query).get_data(as_text=True)
        return re.findall(r'<td class="head">(人员\d+)</td>', page)

    first, second = names(), names("?page=2")
    assert len(first) == 50 and len(second) == 10 and not set(first) & set(second)
    assert "第 1 页，共 2 页（60 人）" in client.get(path).get_data(as_text=True)
    assert names("?page=99999999999999999999999") == second  # beyond the last: the last
    assert names("?page=x") == names("?page=-3") == first
