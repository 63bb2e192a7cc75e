"""Accounts managed in the app by the three separated administrators (issue 21): what each may
do, what none may do to its own account, the temporary passwords, the audit log, the staff
import, and the database rule that an account holds one administrator role for life."""

from __future__ import annotations

import base64
import csv
import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import Workbook
from sqlalchemy.exc import DBAPIError, IntegrityError
from werkzeug.security import check_password_hash

from evalapp.accounts.operations import (
    NewAccount,
    Refused,
    change_role,
    create_account,
    reset_password,
)
from evalapp.audit.models import AuditEntry
from evalapp.auth.models import Role, User
from evalapp.extensions import db
from evalapp.units.models import OrgUnit, UnitKind
from evalapp.units.operations import retire_unit
from tests.support.admins import account, make_admin_setup, unit_id
from tests.support.factories import PASSWORD, make_user
from tests.support.spreadsheets import workbook_bytes
from tests.support.web import csrf_token, login

pytestmark = pytest.mark.usefixtures("administrators_enrolled")

TEMPORARY = re.compile(r'<code class="password">([^<]+)</code>')


@pytest.fixture
def world(app):
    with app.app_context():
        return make_admin_setup()


def admin_client(app, username: str):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def post(client, path: str, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, "/"), **data})


def entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


# --- the system administrator ---------------------------------------------------------------


def test_the_system_administrator_creates_an_account_with_a_temporary_password(app, world):
    client = admin_client(app, "sysadmin")
    response = post(client, "/accounts/new", username="wang.fang", display_name="王芳",
                    unit=world.customs, role="organiser")
    assert response.status_code == 200
    password = TEMPORARY.search(response.get_data(as_text=True)).group(1)
    with app.app_context():
        user = account("wang.fang")
        assert (user.role, user.unit_id, user.must_change_password) == (
            Role.ORGANISER, world.customs, True)
        assert password not in user.password_hash and check_password_hash(
            user.password_hash, password)
        [entry] = entries("account.create")
        assert entry.user.username == "sysadmin"
        assert entry.detail == {"username": "wang.fang", "role": "organiser", "unit": "宁波海关",
                                "directory": False}
    assert login(app.test_client(), "wang.fang", password).status_code == 302


@pytest.mark.parametrize("role", ["sysadmin", "secadmin", "auditadmin"])
def test_the_system_administrator_cannot_create_an_administrator(app, world, role):
    client = admin_client(app, "sysadmin")
    response = post(client, "/accounts/new", username="second", display_name="第二",
                    unit=world.root, role=role)
    assert response.status_code == 422
    with app.app_context():
        assert account("second") is None
        with pytest.raises(Refused, match="安全管理员"):
            create_account(account("sysadmin"),
                           NewAccount("second", "第二", world.root, Role(role)))


@pytest.mark.parametrize("role", ["secadmin", "auditadmin"])
def test_the_system_administrator_makes_only_the_first_security_and_audit_administrator(
        app, world, role):
    """Day one needs no console for the other two administrators: while no account has ever
    held the role, the system administrator may create its first holder; never a second."""
    with app.app_context():
        db.session.delete(account(role))
        db.session.commit()
    client = admin_client(app, "sysadmin")
    assert role in client.get("/accounts/new").get_data(as_text=True)
    response = post(client, "/accounts/new", username="first", display_name="第一",
                    unit=world.root, role=role)
    assert response.status_code == 200 and TEMPORARY.search(response.get_data(as_text=True))
    response = post(client, "/accounts/new", username="second", display_name="第二",
                    unit=world.root, role=role)
    assert response.status_code == 422
    with app.app_context():
        assert account("first").role is Role(role) and account("second") is None


def test_an_account_checked_by_the_directory_has_no_local_password(app, world):
    client = admin_client(app, "sysadmin")
    response = post(client, "/accounts/new", username="li.si", display_name="李四",
                    unit=world.customs, role="leader", directory="y")
    assert response.status_code == 303
    with app.app_context():
        user = account("li.si")
        assert (user.directory, user.password_hash) == (True, None)
        with pytest.raises(Refused, match="统一身份认证"):
            reset_password(account("sysadmin"), user)
    assert "统一身份认证" in client.get("/accounts/").get_data(as_text=True)


def test_accounts_are_created_only_in_the_administrators_units(app, world):
    with app.app_context():
        account("sysadmin").unit_id = world.customs  # a customs' system administrator
        db.session.commit()
        with pytest.raises(Refused, match="范围"):
            create_account(account("sysadmin"),
                           NewAccount("chongqing", "重庆", world.other_customs, Role.CLERK))
    client = admin_client(app, "sysadmin")
    assert post(client, "/accounts/new", username="chongqing", display_name="重庆",
                unit=world.other_customs, role="clerk").status_code == 422


def test_a_password_reset_ends_the_old_password_and_every_session(app, world):
    victim = admin_client(app, "clerk")
    assert victim.get("/campaigns/").status_code == 200
    client = admin_client(app, "sysadmin")
    assert client.get(f"/accounts/{world.clerk}/password").status_code == 200  # asks first
    response = post(client, f"/accounts/{world.clerk}/password", confirm="yes")
    password = TEMPORARY.search(response.get_data(as_text=True)).group(1)
    assert victim.get("/campaigns/").status_code == 302  # the session ended
    assert login(app.test_client(), "clerk", PASSWORD).status_code == 401
    assert login(app.test_client(), "clerk", password).status_code == 302
    with app.app_context():
        assert account("clerk").must_change_password
        assert [entry.detail for entry in entries("account.reset_password")] == [
            {"username": "clerk"}]


def test_a_disabled_account_cannot_log_in_until_re_enabled(app, world):
    victim = admin_client(app, "clerk")
    client = admin_client(app, "sysadmin")
    assert post(client, f"/accounts/{world.clerk}/status", active="0").status_code == 303
    assert victim.get("/campaigns/").status_code == 302
    assert login(app.test_client(), "clerk").status_code == 401
    assert post(client, f"/accounts/{world.clerk}/status", active="1").status_code == 303
    assert login(app.test_client(), "clerk").status_code == 302
    with app.app_context():
        assert [entry.action for entry in db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action.startswith("account.")).order_by(AuditEntry.id))] == [
            "account.disable", "account.enable"]


def test_deleting_an_account_keeps_its_audit_history_readable(app, world):
    admin_client(app, "clerk")  # a log-in of the clerk's, in the log
    client = admin_client(app, "sysadmin")
    assert client.get(f"/accounts/{world.clerk}/delete").status_code == 200  # asks first
    assert post(client, f"/accounts/{world.clerk}/delete", confirm="yes").status_code == 303
    with app.app_context():
        assert account("clerk") is None
        [deletion] = entries("account.delete")
        assert deletion.detail["username"] == "clerk" and deletion.user.username == "sysadmin"
        # The clerk's own entries stay as they were, naming the account deleted since.
        assert any(entry.username == "clerk" for entry in entries("login"))
    page = admin_client(app, "auditadmin").get("/audit/").get_data(as_text=True)
    assert "删除账号" in page and "clerk" in page and "录入员" in page  # the role, in words


@pytest.mark.parametrize("path", ["status", "delete", "password"])
def test_nobody_disables_deletes_or_resets_their_own_account(app, world, path):
    client = admin_client(app, "sysadmin")
    with app.app_context():
        own = account("sysadmin").id
    response = post(client, f"/accounts/{own}/{path}", confirm="yes", active="0")
    assert response.status_code == 303
    assert "自己" in client.get("/accounts/").get_data(as_text=True)
    with app.app_context():
        user = account("sysadmin")
        assert user.active and not user.must_change_password
        assert not db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
            AuditEntry.action.startswith("account.")))


@pytest.mark.parametrize("admin", ["secadmin", "auditadmin"])
def test_the_system_administrator_cannot_take_over_another_administrator(app, world, admin):
    """A password it reset would be its way into the security or audit administrator's
    account."""
    client = admin_client(app, "sysadmin")
    with app.app_context():
        target = account(admin).id
    post(client, f"/accounts/{target}/password", confirm="yes")
    post(client, f"/accounts/{target}/delete", confirm="yes")
    assert login(app.test_client(), admin).status_code == 302
    with app.app_context():
        assert not account(admin).must_change_password


def test_accounts_of_other_units_do_not_exist_for_a_customs_administrator(app, world):
    with app.app_context():
        account("sysadmin").unit_id = world.other_customs
        db.session.commit()
    client = admin_client(app, "sysadmin")
    assert client.get(f"/accounts/{world.clerk}/password").status_code == 404
    assert "clerk" not in client.get("/accounts/").get_data(as_text=True)


# --- the security administrator -------------------------------------------------------------


def test_the_security_administrator_gives_roles_and_units(app, world):
    victim = admin_client(app, "clerk")
    client = admin_client(app, "secadmin")
    response = post(client, f"/accounts/{world.clerk}/role", role="organiser",
                    unit=world.root)
    assert response.status_code == 303
    assert victim.get("/campaigns/").status_code == 302  # sessions end with the old rights
    with app.app_context():
        user = account("clerk")
        assert (user.role, user.unit_id) == (Role.ORGANISER, world.root)
        [entry] = entries("account.role")
        assert entry.detail == {"username": "clerk",
                                "before": {"role": "clerk", "unit": "宁波海关"},
                                "after": {"role": "organiser", "unit": "海关总署"}}


def test_the_security_administrator_grants_an_administrator_role_once(app, world):
    client = admin_client(app, "secadmin")
    assert post(client, f"/accounts/{world.clerk}/role", role="auditadmin",
                unit=world.root).status_code == 303
    for second in ("sysadmin", "secadmin"):
        refused = post(client, f"/accounts/{world.clerk}/role", role=second, unit=world.root)
        assert refused.status_code == 403
        assert "三员" in refused.get_data(as_text=True)
    # Nor through a business role in between.
    assert post(client, f"/accounts/{world.clerk}/role", role="clerk",
                unit=world.root).status_code == 303
    assert post(client, f"/accounts/{world.clerk}/role", role="sysadmin",
                unit=world.root).status_code == 403
    with app.app_context():
        assert account("clerk").role is Role.CLERK


def test_the_security_administrator_creates_deletes_and_resets_nothing(app, world):
    client = admin_client(app, "secadmin")
    for path in ("/accounts/new", f"/accounts/{world.clerk}/password",
                 f"/accounts/{world.clerk}/delete", f"/accounts/{world.clerk}/status",
                 "/accounts/import"):
        assert post(client, path, confirm="yes", username="x1", display_name="x",
                    unit=world.root, role="clerk").status_code == 403, path
    with app.app_context(), pytest.raises(Refused):
        create_account(account("secadmin"),
                       NewAccount("x1", "x", world.root, Role.CLERK))


def test_nobody_changes_their_own_role(app, world):
    client = admin_client(app, "secadmin")
    with app.app_context():
        own = account("secadmin").id
    response = post(client, f"/accounts/{own}/role", role="sysadmin", unit=world.root)
    assert response.status_code == 403
    assert "自己" in response.get_data(as_text=True)
    with app.app_context():
        assert account("secadmin").role is Role.SECURITY_ADMIN
        with pytest.raises(Refused):
            change_role(account("secadmin"), account("secadmin"), Role.ORGANISER, world.root)


def test_the_system_administrator_changes_no_role(app, world):
    client = admin_client(app, "sysadmin")
    assert post(client, f"/accounts/{world.clerk}/role", role="organiser",
                unit=world.root).status_code == 403
    with app.app_context():
        with pytest.raises(Refused):
            change_role(account("sysadmin"), account("clerk"), Role.ORGANISER, world.root)
        assert account("clerk").role is Role.CLERK


# --- the database rule: one administrator role for life --------------------------------------


def switch_off_the_rule(connection) -> None:
    """The attacker's (or a careless migration's) database without the rule."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
        connection.exec_driver_sql("DROP TRIGGER users_administrator_role_fixed")
    else:
        connection.exec_driver_sql(
            "ALTER TABLE users DROP CONSTRAINT ck_users_one_administrator_role")
        connection.exec_driver_sql("DROP TRIGGER users_administrator_role_fixed ON users")


ATTACKS = {
    # another administrator role in `role` alone
    "role": "UPDATE users SET role = 'secadmin' WHERE username = 'sysadmin'",
    # in both columns, as the app itself would write it
    "both": "UPDATE users SET role = 'secadmin', administrator_role = 'secadmin' "
            "WHERE username = 'sysadmin'",
    # an administrator role without naming it as the account's one
    "insert": "INSERT INTO users (username, display_name, password_hash, role, unit_id, "
              "active, session_version, created_at, password_changed_at) "
              "SELECT 'rogue', 'rogue', password_hash, 'auditadmin', unit_id, active, 0, "
              "created_at, password_changed_at FROM users WHERE username = 'sysadmin'",
    # an old administrator, made a business account, made another administrator
    "through_business": "UPDATE users SET role = 'auditadmin', administrator_role = "
                        "'auditadmin' WHERE username = 'was_admin'",
}


def _was_admin(connection) -> None:
    connection.exec_driver_sql("UPDATE users SET username = 'was_admin', role = 'organiser' "
                               "WHERE username = 'secadmin'")


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_the_database_refuses_a_second_administrator_role(app, world, attack):
    with app.app_context(), db.engine.connect() as connection:
        _was_admin(connection)
        connection.commit()
        with pytest.raises((IntegrityError, DBAPIError)):
            connection.exec_driver_sql(ATTACKS[attack])


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_without_the_rule_the_attack_succeeds(app, world, attack):
    """The defence's counterpart: the same statements pass once the CHECK constraint and the
    trigger are gone, so the test above fails when they are."""
    with app.app_context(), db.engine.connect() as connection:
        _was_admin(connection)
        switch_off_the_rule(connection)
        assert connection.exec_driver_sql(ATTACKS[attack]).rowcount == 1
        connection.rollback()


def test_the_create_user_command_makes_the_first_system_administrator(app, runner):
    result = runner.invoke(args=["create-user", "root", "--role", "sysadmin", "--unit",
                                 "海关总署", "--password", "s3cret-pass-2026"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = account("root")
        assert (user.role, user.administrator_role.value) == (Role.SYSTEM_ADMIN, "sysadmin")
    client = app.test_client()
    assert login(client, "root", "s3cret-pass-2026").headers["Location"] == "/campaigns/"
    assert client.get("/campaigns/").headers["Location"] == "/accounts/"


# --- the staff import -----------------------------------------------------------------------


def xlsx(*rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["2026年工作人员名单"])  # a title above the header, as offices write
    sheet.append(["用户名", "姓名", "单位", "角色"])
    for row in rows:
        sheet.append(list(row))
    return workbook_bytes(workbook)


def upload(client, content: bytes, filename: str = "staff.xlsx"):
    response = client.post("/accounts/import", data={
        "csrf_token": csrf_token(client, "/accounts/import"),
        "file": (io.BytesIO(content), filename)}, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"]


GOOD = (("li.ming", "李明", "宁波海关", "组织者"), ("zhao.lei", "赵磊", "海关总署", "监票人"),
        ("clerk", "Clerk", "宁波海关", "录入员"))  # the last one exists already


def test_a_staff_file_with_problems_imports_nothing_and_says_why_per_row(app, world):
    client = admin_client(app, "sysadmin")
    preview = upload(client, xlsx(*GOOD, ("li.ming", "李明二", "宁波海关", "领导"),
                                  ("x", "", "杭州海关", "系统管理员"),
                                  ("organiser", "组织者", "重庆海关", "组织者"),
                                  ("王 芳", "王芳", "宁波海关", "领导")))
    page = client.get(preview)
    assert page.status_code == 422
    shown = page.get_data(as_text=True)
    for reason in ("用户名 li.ming 重复出现在第 3和6 行", "用户名至少需要 2 个字符", "缺少姓名",
                   "未知单位“杭州海关”", "未知角色“系统管理员”",
                   "用户名 organiser 已被另一单位或另一角色的账号使用",
                   "用户名 王 芳 只能使用字母、数字和 . _ @ -"):
        assert reason in shown, reason
    assert post(client, preview, confirm="yes").status_code == 422
    with app.app_context():
        assert account("zhao.lei") is None


def test_importing_staff_twice_creates_each_account_once(app, world):
    client = admin_client(app, "sysadmin")
    preview = upload(client, xlsx(*GOOD))
    assert client.get(preview).status_code == 200
    done = post(client, preview, confirm="yes")
    shown = done.get_data(as_text=True)
    passwords = dict(re.findall(r"<td>([a-z.]+)</td><td>[^<]*</td><td><code class=\"password\">"
                                r"([^<]+)</code>", shown))
    assert sorted(passwords) == ["li.ming", "zhao.lei"]
    # The list to hand out, as a file made inside the page: nothing kept on the server.
    listed = base64.b64decode(re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"',
                                        shown).group(1)).decode("utf-8-sig")
    assert {row[0]: row[2] for row in list(csv.reader(io.StringIO(listed)))[1:]} == passwords
    assert login(app.test_client(), "zhao.lei", passwords["zhao.lei"]).status_code == 302
    again = post(client, upload(client, xlsx(*GOOD)), confirm="yes")
    assert "没有新账号" in again.get_data(as_text=True)
    with app.app_context():
        assert account("li.ming").must_change_password
        assert account("zhao.lei").role is Role.SCRUTINEER
        assert db.session.scalar(sa.select(sa.func.count(User.id)).where(
            User.username.in_(["li.ming", "zhao.lei"]))) == 2
        assert [entry.detail["count"] for entry in entries("account.import")] == [2, 0]


def test_a_csv_staff_file_in_gbk_is_read_too(app, world):
    client = admin_client(app, "sysadmin")
    content = "用户名,姓名,单位,角色\nsun.li,孙丽,宁波海关,领导\n".encode("gb18030")
    done = post(client, upload(client, content, "staff.csv"), confirm="yes")
    assert done.status_code == 200
    with app.app_context():
        assert account("sun.li").role is Role.LEADER


def test_a_staff_file_without_the_columns_is_sent_back(app, world):
    client = admin_client(app, "sysadmin")
    content = "姓名,部门\n孙丽,宁波海关\n".encode()
    response = client.get(upload(client, content, "staff.csv"), follow_redirects=True)
    assert "表头缺少以下列：用户名、角色" in response.get_data(as_text=True)


@pytest.mark.parametrize("fields", [{}, {"unit": "abc", "role": "nope"},
                                    {"unit": str(2**40), "role": "organiser",
                                     "username": " ", "display_name": "x" * 500}])
def test_hostile_account_forms_are_refused_in_words_never_a_500(app, world, fields):
    for admin, paths in {"sysadmin": ["/accounts/new", "/accounts/import",
                                      "/accounts/import/..%2F..%2Fsecret.csv"],
                         "secadmin": [f"/accounts/{world.clerk}/role"]}.items():
        client = admin_client(app, admin)
        for path in paths:
            response = post(client, path, **fields)
            assert response.status_code in (303, 400, 404, 422), (path, response.status_code)
    with app.app_context():
        assert account("clerk").role is Role.CLERK


# --- units: retired, codes, names borne twice -----------------------------------------------


def add_unit(parent: str, name: str, code: str | None = None) -> int:
    unit = OrgUnit(parent_id=unit_id(parent), kind=UnitKind.BRANCH, name_zh=name, code=code)
    db.session.add(unit)
    db.session.flush()
    return unit.id


@pytest.fixture
def retired(app, world) -> int:
    """办公室 of 宁波海关, retired, with an account ("old") made before."""
    with app.app_context():
        office = db.session.get_one(OrgUnit, add_unit("宁波海关", "办公室"))
        make_user("old", office, Role.CLERK)
        retire_unit(office, world.root)
        db.session.commit()
        return office.id


def offered_units(page: str) -> list[str]:
    return re.findall(r'<option[^>]*value="(\d+)"', page.split('name="unit"')[1].split(
        "</select>")[0])


def test_a_retired_unit_takes_no_new_account(app, world, retired):
    client = admin_client(app, "sysadmin")
    assert str(retired) not in offered_units(client.get("/accounts/new").get_data(as_text=True))
    assert str(world.customs) in offered_units(client.get("/accounts/new").get_data(
        as_text=True))
    response = post(client, "/accounts/new", username="new.one", display_name="新人",
                    unit=retired, role="clerk")
    assert response.status_code == 422
    assert "该单位不在您管理的单位范围内，或已撤销。" in response.get_data(as_text=True)
    with app.app_context():
        assert account("new.one") is None
        with pytest.raises(Refused, match="单位“办公室”已撤销"):  # the operation refuses too
            create_account(account("sysadmin"), NewAccount("new.one", "新人", retired,
                                                           Role.CLERK))


def test_an_account_of_a_retired_unit_keeps_working_and_keeps_its_unit(app, world, retired):
    assert login(app.test_client(), "old").status_code == 302
    client = admin_client(app, "secadmin")
    with app.app_context():
        old = account("old").id
    page = client.get(f"/accounts/{old}/role").get_data(as_text=True)
    assert str(retired) in offered_units(page)  # its own unit, kept
    assert post(client, f"/accounts/{old}/role", role="leader", unit=retired).status_code == 303
    assert str(retired) not in offered_units(client.get(
        f"/accounts/{world.clerk}/role").get_data(as_text=True))
    moved = post(client, f"/accounts/{world.clerk}/role", role="clerk", unit=retired)
    assert moved.status_code == 422 and "已撤销" in moved.get_data(as_text=True)
    with app.app_context():
        assert (account("old").role, account("old").unit_id) == (Role.LEADER, retired)
        assert account("clerk").unit_id == world.customs
        with pytest.raises(Refused, match="已撤销"):
            change_role(account("secadmin"), account("clerk"), Role.CLERK, retired)
    sysadmin = admin_client(app, "sysadmin")
    assert post(sysadmin, f"/accounts/{old}/status", active="0").status_code == 303


def test_a_staff_file_names_a_unit_by_its_code_and_a_shared_name_asks_for_it(app, world,
                                                                           retired):
    with app.app_context():
        ningbo = add_unit("宁波海关", "第一党支部", "3100")
        chongqing = add_unit("重庆海关", "第一党支部", "CQ-01")
        db.session.commit()
    client = admin_client(app, "sysadmin")
    preview = upload(client, xlsx(("a.one", "甲", "第一党支部", "领导"),
                                  ("b.two", "乙", "办公室", "领导")))
    shown = client.get(preview).get_data(as_text=True)
    assert "有多个单位名为“第一党支部”（上级单位分别为宁波海关、重庆海关），请改填单位代码" in shown
    assert "单位“办公室”已撤销" in shown
    # The code, typed as a number in Excel or with full-width characters in a CSV file.
    done = post(client, upload(client, xlsx(("a.one", "甲", 3100, "领导"),
                                            ("b.two", "乙", "ＣＱ－01", "领导"))), confirm="yes")
    assert done.status_code == 200, done.get_data(as_text=True)
    with app.app_context():
        assert (account("a.one").unit_id, account("b.two").unit_id) == (ningbo, chongqing)
