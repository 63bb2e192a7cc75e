"""The unit tree for the system administrator: units created, edited, moved (never into a
cycle, not even by a hand-typed UPDATE), retired and restored, each action logged; a tree
imported from an HR office's spreadsheet with a preview first; and the subject form offering
only the campaign's units still in service."""

from __future__ import annotations

import re
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from evalapp.audit.models import AuditEntry
from evalapp.auth.models import Role
from evalapp.campaigns.models import Campaign, Subject
from evalapp.extensions import db
from evalapp.units import imports
from evalapp.units.models import OrgUnit, UnitKind
from tests.support.factories import make_campaign, make_user, make_world
from tests.support.units import (
    TREE,
    confirm_units,
    csv_bytes,
    tree,
    unit_id,
    upload_units,
    xlsx_bytes,
)
from tests.support.web import csrf_token, login

pytestmark = pytest.mark.usefixtures("administrators_enrolled")


@pytest.fixture
def admin(app, client):
    """The system administrator of 海关总署 (whose reach is the whole test world), logged in;
    also an organiser of 宁波海关 with a draft campaign there."""
    with app.app_context():
        world = make_world()
        make_user("sysadmin", world.root, Role.SYSTEM_ADMIN)
        make_user("organiser", world.customs)
        make_campaign(world.customs)
        db.session.commit()
    login(client, "sysadmin")
    return client


def post(client, path: str, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, "/units/"), **data})


def create(client, name: str, parent: int, **fields):
    return post(client, "/units/", **{"new-parent": parent, "new-name_zh": name,
                                      "new-kind": "", **{f"new-{key}": value
                                                         for key, value in fields.items()}})


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEntry.action).where(
            AuditEntry.action.startswith("unit.")).order_by(AuditEntry.id)))


def test_create_edit_move_retire_restore_each_logged(app, admin):
    root, ningbo = unit_id(app, "海关总署"), unit_id(app, "宁波海关")
    assert create(admin, "北仑海关", ningbo, code="３１０１").status_code == 303
    beilun = unit_id(app, "北仑海关")
    assert create(admin, "第一党支部", beilun).status_code == 303
    branch = unit_id(app, "第一党支部")
    with app.app_context():
        made = db.session.get(OrgUnit, beilun)
        assert (made.kind, made.code) == (UnitKind.SUBORDINATE, "3101")  # level below, folded
        assert db.session.get(OrgUnit, branch).kind is UnitKind.BRANCH
    saved = post(admin, f"/units/{beilun}", name_zh="北仑海关（新）", name_en="Beilun",
                 code="3101", kind="subordinate")
    assert saved.status_code == 303
    assert post(admin, f"/units/{beilun}/move", parent=root).status_code == 303
    assert ("北仑海关（新）", "海关总署", "3101") in tree(app)
    assert ("第一党支部", "北仑海关（新）", None) in tree(app)  # moved with its parent
    assert post(admin, f"/units/{beilun}/retire").status_code == 303
    with app.app_context():
        assert db.session.get(OrgUnit, branch).retired  # retired with it
    page = admin.get("/units/").get_data(as_text=True)
    assert "北仑海关（新）" in page and "撤销于" in page  # still listed, marked
    assert post(admin, f"/units/{beilun}/restore").status_code == 303
    with app.app_context():
        assert not db.session.get(OrgUnit, branch).retired
    assert actions(app) == ["unit.create", "unit.create", "unit.edit", "unit.move",
                            "unit.retire", "unit.restore"]


def test_a_duplicate_name_or_code_is_refused_with_its_reason(app, admin):
    ningbo = unit_id(app, "宁波海关")
    assert create(admin, "北仑海关", ningbo, code="3101").status_code == 303
    again = create(admin, "北仑海关", ningbo)
    assert again.status_code == 409 and "上级单位下已有同名单位" in again.get_data(as_text=True)
    taken = create(admin, "镇海海关", ningbo, code="3101")
    assert taken.status_code == 409 and "单位代码已被其他单位使用" in taken.get_data(as_text=True)
    assert create(admin, "", ningbo).status_code == 422


def test_a_unit_cannot_be_moved_under_itself_or_below_it(app, admin):
    ningbo = unit_id(app, "宁波海关")
    create(admin, "北仑海关", ningbo)
    beilun = unit_id(app, "北仑海关")
    page = admin.get(f"/units/{ningbo}").get_data(as_text=True)
    move_form = page[page.index('id="move"'):]
    assert "北仑海关" not in move_form[:move_form.index("</form>")]  # not offered
    for target in (ningbo, beilun):
        refused = post(admin, f"/units/{ningbo}/move", parent=target)
        assert refused.status_code == 409
        assert "不能移到自身或其下级单位之下" in refused.get_data(as_text=True)
    assert ("宁波海关", "海关总署", None) in tree(app)


@pytest.fixture
def guard_put_back(app):
    """For tests that switch the cycle guard off: on PostgreSQL, whose tables (and so their
    triggers) the next tests reuse, the guard as migrated is put back afterwards. (Each SQLite
    test has a copy of its own.) The trigger is the one of this schema's table: each test
    worker has a schema of its own, with a trigger of the same name."""
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
        if postgres:
            function = db.session.scalar(sa.text(
                "SELECT pg_get_functiondef('org_units_acyclic'::regproc)"))
            trigger = db.session.scalar(sa.text(
                "SELECT pg_get_triggerdef(oid) FROM pg_trigger "
                "WHERE tgname = 'org_units_acyclic' AND tgrelid = 'org_units'::regclass"))
        db.session.rollback()
    yield
    if postgres:
        with app.app_context():
            for statement in ("DROP TRIGGER IF EXISTS org_units_acyclic ON org_units",
                              function, trigger):
                db.session.execute(sa.text(statement))
            db.session.commit()


def _cycle(app) -> None:
    """宁波海关 put under its own child by a hand-typed UPDATE, as a database user could."""
    ningbo = unit_id(app, "宁波海关")
    with app.app_context():
        child = OrgUnit(parent=db.session.get(OrgUnit, ningbo),
                        kind=UnitKind.SUBORDINATE, name_zh="北仑海关")
        db.session.add(child)
        db.session.commit()
        db.session.execute(sa.update(OrgUnit).where(OrgUnit.name_zh == "宁波海关")
                           .values(parent_id=child.id))
        db.session.commit()


def test_the_database_refuses_a_cycle_written_around_the_app(app, admin):
    with pytest.raises(DBAPIError, match="cannot be placed under itself"):
        _cycle(app)


def test_without_the_trigger_the_same_update_makes_a_cycle(app, admin, guard_put_back):
    """The attack above succeeds once the trigger is gone: the trigger is what refused it."""
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            db.session.execute(sa.text("DROP TRIGGER org_units_acyclic"))
        else:
            db.session.execute(sa.text("DROP TRIGGER org_units_acyclic ON org_units"))
        db.session.commit()
    _cycle(app)
    ningbo_id = unit_id(app, "宁波海关")
    with app.app_context():
        ningbo = db.session.get(OrgUnit, ningbo_id)
        assert ningbo.parent.parent is ningbo


def test_a_retired_unit_keeps_its_campaigns_but_is_offered_for_nothing_new(app, admin):
    ningbo, chongqing = unit_id(app, "宁波海关"), unit_id(app, "重庆海关")
    create(admin, "北仑海关", ningbo)
    create(admin, "镇海海关", ningbo)
    beilun = unit_id(app, "北仑海关")
    post(admin, f"/units/{beilun}/retire")
    with app.app_context():
        campaign = db.session.scalar(sa.select(Campaign))
        campaign_id, subject = campaign.id, campaign.subjects[0]
        subject.unit_id = beilun  # a subject saved before its unit was retired
        db.session.commit()
        subject_id = subject.id
    client = app.test_client()
    login(client, "organiser")
    new_subject = client.get(f"/campaigns/{campaign_id}/subjects/new").get_data(as_text=True)
    assert "镇海海关" in new_subject and "北仑海关" not in new_subject
    assert "重庆海关" not in new_subject  # outside the campaign's unit
    assert "北仑海关" not in client.get("/campaigns/new").get_data(as_text=True)
    existing = client.get(f"/campaigns/{campaign_id}/subjects/{subject_id}")
    assert "北仑海关" in existing.get_data(as_text=True)  # its own unit stays

    def save(unit: int, path: str = "new"):
        page = f"/campaigns/{campaign_id}/subjects/{path}"
        return client.post(page, data={"csrf_token": csrf_token(client, page), "unit": unit,
                                       "person_name": "王五", "problems": ""})

    for refused in (beilun, chongqing):
        answer = save(refused)
        assert answer.status_code == 409
        assert "不属于本测评的单位，或已撤销" in answer.get_data(as_text=True)
    assert save(beilun, str(subject_id)).status_code == 303  # kept where it was
    assert save(unit_id(app, "镇海海关")).status_code == 303
    with app.app_context():
        assert db.session.get(Subject, subject_id).unit_id == beilun
        assert db.session.scalar(sa.select(sa.func.count(Subject.id))) == 2


@pytest.mark.parametrize(("filename", "content"), [
    ("单位.xlsx", xlsx_bytes(TREE, title="杭州海关机构设置表")),
    ("units.csv", csv_bytes(TREE, encoding="gb18030")),  # as Excel saves CSV in China
    ("units.csv", csv_bytes([["Unit name", "Parent unit", "Code"], *TREE[1:]])),
])
def test_a_tree_is_previewed_then_imported_once(app, admin, filename, content):
    before = tree(app)
    uploaded = upload_units(admin, filename, content)
    assert uploaded.status_code == 303
    page = admin.get(uploaded.headers["Location"]).get_data(as_text=True)
    assert "新建 6 个" in page
    assert tree(app) == before  # nothing before confirming
    assert confirm_units(admin, uploaded).status_code == 303
    assert tree(app) - before == {
        ("杭州海关", "海关总署", "3100"), ("北仑海关", "杭州海关", "3101"),
        ("办公室", "杭州海关", "3100-01"), ("综合业务处", "杭州海关", None),
        ("第一党支部", "办公室", None), ("第一党支部", "北仑海关", None)}
    with app.app_context():
        kinds = {unit.name_zh: unit.kind for unit in db.session.scalars(sa.select(OrgUnit))}
    assert (kinds["杭州海关"], kinds["北仑海关"], kinds["第一党支部"]) == (
        UnitKind.DIRECT, UnitKind.SUBORDINATE, UnitKind.BRANCH)
    again = upload_units(admin, filename, content)
    assert "未变 6 个" in admin.get(again.headers["Location"]).get_data(as_text=True)
    assert confirm_units(admin, again).status_code == 303
    assert len(tree(app)) == len(before) + 6  # idempotent
    assert actions(app) == ["unit.import", "unit.import"]


def test_an_import_moves_renames_and_matches_the_root_by_name(app, admin):
    ningbo = unit_id(app, "宁波海关")
    create(admin, "北仑海关", ningbo, code="3101")
    rows = [["单位名称", "上级单位", "单位代码"], ["海关总署", "", ""],
            ["北仑港海关", "重庆海关", "3101"], ["宁波海关", "海关总署", ""]]
    uploaded = upload_units(admin, "units.xlsx", xlsx_bytes(rows))
    page = admin.get(uploaded.headers["Location"]).get_data(as_text=True)
    assert "移动 1 个" in page and "未变 2 个" in page
    confirm_units(admin, uploaded)
    assert ("北仑港海关", "重庆海关", "3101") in tree(app)
    assert ("宁波海关", "海关总署", None) in tree(app)


def test_a_level_column_sets_each_units_level(app, admin):
    rows = [["单位名称", "上级单位", "层级"], ["杭州海关", "", ""], ["办公室", "杭州海关", "处室"],
            ["北仑海关", "杭州海关", ""]]
    confirm_units(admin, upload_units(admin, "units.xlsx", xlsx_bytes(rows)))
    with app.app_context():
        kinds = {unit.name_zh: unit.kind for unit in db.session.scalars(sa.select(OrgUnit))}
    assert (kinds["办公室"], kinds["北仑海关"]) == (UnitKind.BRANCH, UnitKind.SUBORDINATE)
    rows[3][2] = "直属海关"  # a level changed in the HR file is a change
    again = upload_units(admin, "units.xlsx", xlsx_bytes(rows))
    assert "修改 1 个" in admin.get(again.headers["Location"]).get_data(as_text=True)
    rows[1][2], rows[2][2] = "总署", "某某级"
    wrong = upload_units(admin, "units.xlsx", xlsx_bytes(rows))
    page = admin.get(wrong.headers["Location"]).get_data(as_text=True)
    assert "只有顶级单位才能是总署" in page and "无法识别的层级“某某级”" in page


PROBLEMS = [
    (["", "杭州海关", ""], "没有单位名称"),
    (["甲", "不存在的处", ""], "未知的上级单位“不存在的处”"),
    (["乙", "丙", ""], "上级单位循环"),
    (["丙", "乙", ""], "上级单位循环"),
    (["丁", "杭州海关", "77"], "单位代码 77 出现在第"),
    (["戊", "杭州海关", "77"], "单位代码 77 出现在第"),
    (["己", "第一党支部", ""], "上级单位“第一党支部”不唯一"),
]


def test_every_problem_is_shown_and_nothing_is_written(app, admin):
    before = tree(app)
    rows = [*TREE, *(row for row, _reason in PROBLEMS)]
    uploaded = upload_units(admin, "units.csv", csv_bytes(rows))
    preview = admin.get(uploaded.headers["Location"])
    assert preview.status_code == 422
    page = preview.get_data(as_text=True)
    assert "未导入任何数据：7 行存在问题" in page
    for row, (_cells, reason) in enumerate(PROBLEMS, start=len(TREE) + 1):
        assert reason in page, (row, reason)
    assert confirm_units(admin, uploaded).status_code == 422
    assert tree(app) == before


def test_files_that_cannot_be_imported_say_why(app, admin, monkeypatch):
    not_excel = upload_units(admin, "units.xlsx", b"PK\x03\x04 not a workbook")
    assert not_excel.status_code == 422
    assert "不是可读取的 Excel" in not_excel.get_data(as_text=True)
    headless = upload_units(admin, "units.csv", csv_bytes([["甲", "乙"], ["丙", "丁"]]))
    page = admin.get(headless.headers["Location"])
    assert page.status_code == 422 and "单位名称" in page.get_data(as_text=True)
    monkeypatch.setattr(imports, "MAX_UNITS", 3)
    too_many = upload_units(admin, "units.csv", csv_bytes(TREE))
    page = admin.get(too_many.headers["Location"])
    assert page.status_code == 422 and "超过 3 个单位" in page.get_data(as_text=True)


def test_import_units_on_the_command_line(app, admin, tmp_path):
    path = tmp_path / "units.xlsx"
    path.write_bytes(xlsx_bytes(TREE))
    result = app.test_cli_runner().invoke(args=["import-units", str(path), "--under", "海关总署"])
    assert result.exit_code == 0, result.output
    assert "created 6" in result.output
    assert ("第一党支部", "北仑海关", None) in tree(app)


def test_create_user_names_a_unit_by_its_code_when_its_name_repeats(app, admin, tmp_path):
    path = tmp_path / "units.csv"
    path.write_bytes(csv_bytes([["单位名称", "上级单位", "单位代码"], ["甲处", "", ""],
                                ["乙处", "", ""], ["第一党支部", "甲处", "A1"],
                                ["第一党支部", "乙处", "B1"]]))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["import-units", str(path), "--under", "宁波海关"]).exit_code == 0
    account = ["create-user", "secretary", "--password", "s3cret-pass-2026", "--unit"]
    ambiguous = runner.invoke(args=[*account, "第一党支部"])
    assert ambiguous.exit_code == 1 and "请改用单位代码" in ambiguous.output
    assert runner.invoke(args=[*account, "B1"]).exit_code == 0
    post(admin, f"/units/{unit_id(app, '甲处')}/retire")
    retired = runner.invoke(args=["create-user", "other", "--password", "s3cret-pass-2026",
                                  "--unit", "A1"])
    assert retired.exit_code == 1 and "单位已撤销" in retired.output


PAGES = [("get", "/units/"), ("post", "/units/"), ("get", "/units/{unit}"),
         ("post", "/units/{unit}/move"), ("post", "/units/{unit}/retire"),
         ("post", "/units/{unit}/restore"), ("post", "/units/import"),
         ("get", "/units/import/preview")]


def test_only_the_system_administrator_reaches_the_unit_pages(app, admin):
    unit, root = unit_id(app, "宁波海关"), unit_id(app, "海关总署")
    with app.app_context():
        world_root = db.session.get(OrgUnit, root)
        for role in (Role.SECURITY_ADMIN, Role.AUDIT_ADMIN):
            make_user(role.value, world_root, role)
        db.session.commit()
    anonymous = app.test_client()
    token = csrf_token(anonymous, "/")
    for method, path in PAGES:
        answer = getattr(anonymous, method)(path.format(unit=unit), data={"csrf_token": token})
        assert answer.status_code == 302 and "/auth/login" in answer.headers["Location"], path
    for role in (Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.ORGANISER):
        other = app.test_client()
        login(other, role.value)
        assert "单位管理" not in other.get("/").get_data(as_text=True)
        for method, path in PAGES:
            answer = getattr(other, method)(path.format(unit=unit), data={
                "csrf_token": csrf_token(other, "/")})
            assert answer.status_code == 403, (role, path)
    assert "单位管理" in admin.get("/").get_data(as_text=True)


def test_a_unit_outside_the_administrators_unit_is_not_found(app, client):
    with app.app_context():
        world = make_world()
        world.other_customs.code = "5000"
        make_user("sysadmin", world.customs, Role.SYSTEM_ADMIN)
        db.session.commit()
        other, root = world.other_customs.id, world.root.id
    login(client, "sysadmin")
    assert client.get(f"/units/{other}").status_code == 404
    assert "重庆海关" not in client.get("/units/").get_data(as_text=True)
    own = unit_id(app, "宁波海关")
    moved = post(client, f"/units/{own}/move", parent=root)
    assert moved.status_code == 409
    assert ("宁波海关", "海关总署", None) in tree(app)
    rows = [["单位名称", "上级单位", "单位代码"], ["重庆海关", "", "5000"], ["海关总署", "", ""]]
    uploaded = upload_units(client, "units.csv", csv_bytes(rows))
    page = client.get(uploaded.headers["Location"]).get_data(as_text=True)
    assert "单位代码 5000 已属于本单位范围以外的单位" in page
    assert tree(app) == {("海关总署", None, None), ("宁波海关", "海关总署", None),
                         ("重庆海关", "海关总署", "5000")}


def _two_moves_at_once(app, *, wait_for_lock: bool) -> DBAPIError | None:
    """Two crossing moves, each valid on its own, neither touching a row the other writes or
    points to: transaction 1 puts 宁波海关 under 万州海关 (below 重庆海关) and, before it
    commits, transaction 2 puts 重庆海关 under 北仑海关 (below 宁波海关). Both committed
    would make 宁波海关 → 万州海关 → 重庆海关 → 北仑海关 → 宁波海关 a cycle. Transaction 2's
    error, if any. With `wait_for_lock`, transaction 1 commits only once transaction 2 waits
    for the trigger's lock (read from pg_locks, not guessed from time)."""
    ningbo, chongqing = unit_id(app, "宁波海关"), unit_id(app, "重庆海关")
    with app.app_context():
        beilun = OrgUnit(parent_id=ningbo, kind=UnitKind.SUBORDINATE, name_zh="北仑海关")
        wanzhou = OrgUnit(parent_id=chongqing, kind=UnitKind.SUBORDINATE, name_zh="万州海关")
        db.session.add_all([beilun, wanzhou])
        db.session.commit()
        beilun, wanzhou = beilun.id, wanzhou.id
    move = "UPDATE org_units SET parent_id = :parent WHERE id = :unit"
    outcome: list[DBAPIError | None] = []
    with app.app_context(), db.engine.connect() as first, db.engine.connect() as second:
        first.execute(sa.text(move), {"parent": wanzhou, "unit": ningbo})

        def other_move() -> None:
            try:
                second.execute(sa.text(move), {"parent": beilun, "unit": chongqing})
                second.commit()
                outcome.append(None)
            except DBAPIError as error:
                second.rollback()
                outcome.append(error)

        thread = threading.Thread(target=other_move)
        thread.start()
        if wait_for_lock:
            for _poll in range(2400):  # a bound, not a timing: the lock shows up or the test fails
                if not thread.is_alive() or first.scalar(sa.text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                        "AND objid = 21 AND NOT granted AND database = "
                        "(SELECT oid FROM pg_database WHERE datname = current_database())")):
                    break
                thread.join(0.05)
        else:
            thread.join(120)
        waited = thread.is_alive()
        first.commit()
        thread.join()
    assert waited is wait_for_lock  # it waited for the lock, or went ahead without one
    return outcome[0]


def _postgres_only(app) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite runs one writing transaction at a time: no two moves cross")


def test_two_crossing_moves_at_once_cannot_make_a_cycle(app, admin):
    _postgres_only(app)
    refused = _two_moves_at_once(app, wait_for_lock=True)
    assert refused is not None and "cannot be placed under itself" in str(refused)


def test_without_the_lock_two_crossing_moves_make_a_cycle(app, admin, guard_put_back):
    """The race above succeeds when the trigger checks without its advisory lock: each move
    reads the tree without the other's, uncommitted, so the lock is what serialises them."""
    _postgres_only(app)
    with app.app_context():
        source = db.session.scalar(sa.text(
            "SELECT pg_get_functiondef('org_units_acyclic'::regproc)"))
        assert "pg_advisory_xact_lock" in source
        db.session.execute(sa.text(re.sub(r"PERFORM pg_advisory_xact_lock\(\d+\);", "",
                                          source)))
        db.session.commit()
    assert _two_moves_at_once(app, wait_for_lock=False) is None
    ningbo_id = unit_id(app, "宁波海关")
    with app.app_context():
        ningbo = db.session.get(OrgUnit, ningbo_id)
        assert ningbo.parent.parent.parent.parent is ningbo  # 万州, 重庆, 北仑, 宁波


def test_a_subject_is_offered_only_the_units_of_its_campaigns_unit(app, client):
    """An organiser of 宁波海关 runs a campaign of 北仑海关, below it: its subjects come from
    北仑海关 and the units below, not from the organiser's own unit, a sibling or above."""
    with app.app_context():
        world = make_world()
        make_user("organiser", world.customs)
        beilun = OrgUnit(parent=world.customs, kind=UnitKind.SUBORDINATE, name_zh="北仑海关")
        branch = OrgUnit(parent=beilun, kind=UnitKind.BRANCH, name_zh="北仑海关第一党支部")
        zhenhai = OrgUnit(parent=world.customs, kind=UnitKind.SUBORDINATE, name_zh="镇海海关")
        db.session.add_all([beilun, branch, zhenhai])
        campaign_id = make_campaign(beilun, "北仑海关测评").id
        db.session.commit()
        refused = [world.customs.id, world.other_customs.id, world.root.id, zhenhai.id]
    login(client)
    page = client.get(f"/campaigns/{campaign_id}/subjects/new").get_data(as_text=True)
    offered = re.findall(r'<option[^>]*value="\d+"[^>]*>([^<]*)</option>', page)
    assert [name.strip("\u3000└ ") for name in offered] == ["北仑海关", "北仑海关第一党支部"]
    for unit in refused:
        path = f"/campaigns/{campaign_id}/subjects/new"
        answer = client.post(path, data={"csrf_token": csrf_token(client, path), "unit": unit,
                                          "person_name": "王五", "problems": ""})
        assert answer.status_code == 409
