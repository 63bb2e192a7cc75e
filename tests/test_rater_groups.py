"""Rater groups are the campaign's own (issue 25, part 1): the organiser names 1 to 12 groups
with their weights, maps the roster's own category column to them, draws, and the results,
exports and recount follow the groups it named."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy.exc import IntegrityError

from analysis.recount import differences, recount
from evalapp.auth.models import Role
from evalapp.ballotbox.operations import close_campaign, open_campaign
from evalapp.campaigns.models import Campaign, Level, RaterGroup, Satisfaction
from evalapp.extensions import db
from evalapp.results.ballots_csv import ballots_csv
from evalapp.results.compute import campaign_results
from evalapp.results.published import published_figures, recount_settings
from evalapp.roster.models import RosterEntry, SampleDraw
from evalapp.tickets.tokens import new_receipt_code
from tests.support.ballots import BallotContent, insert_ballots
from tests.support.draws import prepare_and_draw_on_the_web
from tests.support.factories import make_campaign, make_user, make_world
from tests.support.groups import Row, group_ids, post_groups, replace_groups
from tests.support.organiser import download
from tests.support.roster import csv_bytes, map_columns, upload
from tests.support.web import login

OWN = ["班子成员", "中层干部", "一般干部", "服务对象", "离退休干部"]
SIZES = (6, 10, 14, 8, 6)  # people per group in the roster below


@pytest.fixture
def campaign_id(app, client) -> int:
    """A draft campaign with the four default groups; `client` is its organiser."""
    with app.app_context():
        world = make_world()
        make_user("organiser", world.customs)
        make_user("leader", world.customs, Role.LEADER)
        campaign = make_campaign(world.customs, "2026年度测评")
        db.session.commit()
        made = campaign.id
    login(client)
    return made


def groups_of(app, campaign_id: int) -> list[tuple[str, float | None, str | None]]:
    with app.app_context():
        return [(g.name_zh, g.weight, g.office) for g in
                db.session.get(Campaign, campaign_id).rater_groups]


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def own_roster() -> bytes:
    """The organisation's roster as its office keeps it: a 类别 column of its own words, one
    of them (离退休) spelled unlike the group, and one person (临时人员) of no group."""
    words = [*OWN[:4], "离退休"]
    rows = [["姓名", "工号", "部门", "类别"]]
    rows += [[f"{word}{n}", f"{g}{n:03d}", "宁波海关", word]
             for g, (word, size) in enumerate(zip(words, SIZES, strict=True))
             for n in range(size)]
    return csv_bytes([*rows, ["临时工", "9999", "宁波海关", "临时人员"]])


def values_offered(page: str) -> dict[str, tuple[str, str]]:
    """{value of the group column: (its field's number, the group id selected)}."""
    offered = {}
    for number, value in re.findall(r'name="value-(\d+)" value="([^"]*)"', page):
        select = re.search(rf'name="value-{number}-group">(.*?)</select>', page, re.S).group(1)
        offered[value] = (number, re.search(r'<option value="(\d*)" selected', select).group(1))
    return offered


def build_five_groups(app, client, campaign_id: int) -> list[int]:
    """The organiser's five groups with weights, the roster imported by its 类别 column and
    the sample drawn, all on the web; the groups' ids."""
    saved = replace_groups(app, client, campaign_id, OWN, ["30", "25", "25", "10", "10"])
    assert saved.status_code == 303, text(saved)
    ids = group_ids(app, campaign_id)
    uploaded = upload(client, campaign_id, "名单.csv", own_roster())
    checked = map_columns(client, uploaded)
    page = text(checked)
    assert checked.status_code == 422  # 临时人员 goes to no group yet
    assert "机关/基层" not in page and 'name="office"' not in page  # no preset groups left
    assert "未知的测评人类别“临时人员”" in page
    offered = values_offered(page)
    assert list(offered) == [*OWN[:4], "离退休", "临时人员"]
    assert [offered[name][1] for name in OWN[:4]] == [str(i) for i in ids[:4]]
    assert offered["离退休"][1] == offered["临时人员"][1] == ""  # no group of that name
    data = {"values_column": "3"}
    for value, group in (("离退休", ids[4]), ("临时人员", ids[2])):
        data |= {f"value-{offered[value][0]}": value, f"value-{offered[value][0]}-group": group}
    for name, group in zip(OWN[:4], ids, strict=False):
        data |= {f"value-{offered[name][0]}": name, f"value-{offered[name][0]}-group": group}
    imported = map_columns(client, uploaded, confirm=True, **data)
    assert imported.status_code == 303, text(imported)
    with app.app_context():
        per_group = dict(db.session.execute(sa.select(RosterEntry.rater_group_id, sa.func.count())
                                            .group_by(RosterEntry.rater_group_id)).all())
    assert per_group == {ids[0]: 6, ids[1]: 10, ids[2]: 15, ids[3]: 8, ids[4]: 6}
    prepare_and_draw_on_the_web(client, campaign_id, percent=50)
    return ids


def test_an_organiser_builds_five_groups_of_its_own_imports_and_draws(app, client,
                                                                      campaign_id):
    ids = build_five_groups(app, client, campaign_id)
    assert groups_of(app, campaign_id) == [
        (name, pytest.approx(weight), None)
        for name, weight in zip(OWN, (0.3, 0.25, 0.25, 0.1, 0.1), strict=True)]
    with app.app_context():
        draw = db.session.scalar(sa.select(SampleDraw))
        assert draw.allocation == {str(ids[0]): 3, str(ids[1]): 5, str(ids[2]): 8,
                                   str(ids[3]): 4, str(ids[4]): 3}
    page = text(client.get(f"/campaigns/{campaign_id}/roster/"))
    assert all(name in page for name in OWN)


def test_the_draw_fixes_the_set_of_groups_but_not_their_names(app, client, campaign_id):
    ids = build_five_groups(app, client, campaign_id)
    rows = [Row(name, "", group) for name, group in zip(OWN, ids, strict=True)]
    added = post_groups(client, campaign_id, [*rows, Row("新类别", "")])
    assert added.status_code == 409 and "请先在抽样页面将其作废" in text(added)
    assert len(group_ids(app, campaign_id)) == 5
    renamed = post_groups(client, campaign_id, [Row("领导班子", "", ids[0]), *rows[1:]])
    assert renamed.status_code == 303
    assert groups_of(app, campaign_id)[0][0] == "领导班子"


def test_a_campaign_of_one_group_imports_draws_and_reports(app, client, campaign_id):
    assert replace_groups(app, client, campaign_id, ["全体干部"]).status_code == 303
    rows = [["姓名", "工号"], *([f"人员{n}", f"{n:03d}"] for n in range(20))]
    uploaded = upload(client, campaign_id, "名单.csv", csv_bytes(rows))
    refused = map_columns(client, uploaded, confirm=True)
    assert refused.status_code == 422 and "请选择每人所属测评人类别所在的列" in text(refused)
    rows = [[*row, "类别" if number == 0 else "全体干部"] for number, row in enumerate(rows)]
    uploaded = upload(client, campaign_id, "名单.csv", csv_bytes(rows))
    assert map_columns(client, uploaded, confirm=True).status_code == 303
    prepare_and_draw_on_the_web(client, campaign_id, total=10)
    with app.app_context():
        (group,) = db.session.get(Campaign, campaign_id).rater_groups
        assert (group.position, group.name_zh, group.office, group.membership) == (
            1, "全体干部", None, None)
        assert db.session.scalar(sa.select(SampleDraw.allocation)) == {str(group.id): 10}


def test_a_thirteenth_group_is_refused(app, client, campaign_id):
    twelve = [f"类别{n}" for n in range(1, 13)]
    assert replace_groups(app, client, campaign_id, twelve).status_code == 303
    rows = [Row(name, group=group) for name, group in zip(
        twelve, group_ids(app, campaign_id), strict=True)]
    more = post_groups(client, campaign_id, rows, add=True)
    assert more.status_code == 422
    assert "一个测评活动最多有 12 个测评人类别：请先删除一个再添加" in text(more)
    saved = post_groups(client, campaign_id, [*rows, Row("类别13")])
    assert saved.status_code == 422 and "最多有 12 个测评人类别" in text(saved)
    assert len(group_ids(app, campaign_id)) == 12
    assert post_groups(client, campaign_id, rows[:11], add=True).status_code == 409  # stale
    last_removed = Row(rows[11].name_zh, group=rows[11].group, remove=True)
    one_more = post_groups(client, campaign_id, [*rows[:11], last_removed], add=True)
    assert one_more.status_code == 200 and 'name="groups-12-name_zh"' in text(one_more)


def test_the_database_holds_a_campaign_to_twelve_groups(app, campaign_id):
    with app.app_context(), pytest.raises(IntegrityError):
        db.session.add(RaterGroup(campaign_id=campaign_id, position=13, name_zh="类别13"))
        db.session.flush()


def test_none_left_names_missing_or_twice_and_weights_off_100_are_refused(app, client,
                                                                         campaign_id):
    ids = group_ids(app, campaign_id)
    none_left = post_groups(client, campaign_id, [Row("", group=g, remove=True) for g in ids])
    assert none_left.status_code == 422 and "请至少保留一个测评人类别" in text(none_left)
    removed = [Row("", group=g, remove=True) for g in ids]
    unnamed = post_groups(client, campaign_id, [*removed, Row(" ", "")])
    assert unnamed.status_code == 422 and "请填写类别的中文名称" in text(unnamed)
    twice = post_groups(client, campaign_id, [*removed, Row("甲"), Row("甲 ")])
    assert twice.status_code == 422 and "各测评人类别的名称不能重复" in text(twice)
    off = post_groups(client, campaign_id, [*removed, Row("甲", "50"), Row("乙", "40")])
    assert off.status_code == 422 and "合计为 100%" in text(off)
    partial = post_groups(client, campaign_id, [*removed, Row("甲", "100"), Row("乙", "")])
    assert partial.status_code == 422
    # names a reader cannot tell apart, an invisible one, and the merged cell's own name
    for rows in ([Row("Ａ组"), Row("A组")], [Row("\u200b")], [Row("其他类别"), Row("乙")]):
        refused = post_groups(client, campaign_id, [*removed, *rows])
        assert refused.status_code == 422, rows
    assert "合并显示的小类别" in text(refused)
    long = post_groups(client, campaign_id, [*removed, Row("甲" * 51)])
    assert long.status_code == 422 and "50" in text(long) and "Field cannot" not in text(long)
    assert [name for name, _w, _o in groups_of(app, campaign_id)] == [
        "机关党员", "机关群众", "基层党员", "基层群众"]


def test_removing_a_group_the_roster_refers_to_is_refused(app, client, campaign_id):
    ids = group_ids(app, campaign_id)
    with app.app_context():
        db.session.add(RosterEntry(campaign_id=campaign_id, rater_group_id=ids[1], name="王伟",
                                   staff_number="1001"))
        db.session.commit()
    rows = [Row(name, group=g) for name, g in zip(
        ["机关党员", "机关群众", "基层党员", "基层群众"], ids, strict=True)]
    refused = post_groups(client, campaign_id, [rows[0], Row("", group=ids[1], remove=True),
                                                Row("", group=ids[2], remove=True), rows[3]])
    assert refused.status_code == 422
    assert "名单中的人员、测评票或选票属于此类别，不能删除" in text(refused)
    assert len(group_ids(app, campaign_id)) == 4
    # the unused one goes, the preset ones that stay keep their office and membership
    kept = post_groups(client, campaign_id, [*rows[:2], Row("", group=ids[2], remove=True),
                                             Row("基层群众（含服务对象）", group=ids[3])])
    assert kept.status_code == 303
    assert groups_of(app, campaign_id) == [("机关党员", None, "head_office"),
                                           ("机关群众", None, "head_office"),
                                           ("基层群众（含服务对象）", None, "grassroots")]
    assert group_ids(app, campaign_id) == [ids[0], ids[1], ids[3]]


def test_groups_are_read_only_once_open(app, client, campaign_id):
    ids = group_ids(app, campaign_id)
    with app.app_context():
        open_campaign(db.session.get(Campaign, campaign_id))
        db.session.commit()
    page = client.get(f"/campaigns/{campaign_id}/groups")
    assert page.status_code == 200 and "添加类别" not in text(page)
    assert post_groups(client, campaign_id, [Row("甲", group=g) for g in ids]).status_code == 409


def test_five_own_groups_rated_closed_and_reported(app, client, campaign_id):
    """Rated by every group (服务对象 too few to be shown alone, merged with 离退休干部), closed:
    the results page, the exports and the recount follow the organiser's groups."""
    ids = build_five_groups(app, client, campaign_id)
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        open_campaign(campaign)
        subject = campaign.subjects[0].id
        for group, (count, level) in zip(ids, ((6, Level.EXCELLENT), (7, Level.GOOD),
                                               (8, Level.GOOD), (2, Level.FAIR),
                                               (5, Level.EXCELLENT)), strict=True):
            insert_ballots(campaign_id, group, [BallotContent(
                subject, [level] * 27 + [Level.FAIR], Satisfaction.SATISFIED, "",
                new_receipt_code()) for _ in range(count)])
        close_campaign(campaign)
        db.session.commit()
        results = campaign_results(campaign)
        export = ballots_csv(results)
        found = recount(export, recount_settings(results))
        assert differences(published_figures(results), found.figures) == []
        assert found.digest == campaign.ballot_export_sha256
    client = app.test_client()
    login(client, "leader")
    page = text(client.get(f"/campaigns/{campaign_id}/results/{subject}"))
    cells = re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", page)
    # every group in the reconciliation, the two small ones counted together only
    assert [cell for cell in cells if cell in OWN] == OWN
    assert "其他类别（服务对象、离退休干部）" in cells
    for export_name in ("export.pdf", "export.xlsx", "export.csv"):
        assert download(client, f"/campaigns/{campaign_id}/results/{export_name}"
                        ).status_code == 200
    export = client.get(f"/campaigns/{campaign_id}/results/export.csv").get_data(as_text=True)
    assert {line.split(",")[1] for line in export.splitlines()[1:]} == {
        "班子成员", "中层干部", "一般干部", "其他类别"}


def test_the_migration_adds_and_removes_the_checks(app, campaign_id):
    """Before 0022 a thirteenth position and a half-preset group were stored; after it they
    are refused; migrated down and up again, the campaign's groups are as they were."""
    with app.app_context():
        db.session.remove()  # the migration takes the write lock on SQLite
        downgrade(revision="c9d0e1f2a342")
        db.session.execute(sa.text(
            "INSERT INTO rater_groups (campaign_id, position, name_zh, name_en, office) "
            "VALUES (:campaign, 13, '类别13', '', 'head_office')"), {"campaign": campaign_id})
        db.session.commit()
        db.session.execute(sa.text("DELETE FROM rater_groups WHERE position = 13"))
        db.session.commit()
        db.session.remove()
        upgrade()
        with pytest.raises(IntegrityError):
            db.session.execute(sa.text(
                "INSERT INTO rater_groups (campaign_id, position, name_zh, name_en) "
                "VALUES (:campaign, 13, '类别13', '')"), {"campaign": campaign_id})
        db.session.rollback()
        with pytest.raises(IntegrityError):
            db.session.execute(sa.text(
                "INSERT INTO rater_groups (campaign_id, position, name_zh, name_en, office) "
                "VALUES (:campaign, 5, '类别5', '', 'head_office')"), {"campaign": campaign_id})
        db.session.rollback()
        assert [g.name_zh for g in db.session.get(Campaign, campaign_id).rater_groups] == [
            "机关党员", "机关群众", "基层党员", "基层群众"]
