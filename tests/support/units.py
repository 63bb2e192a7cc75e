"""Unit files as HR offices keep them, and the unit pages driven as a system administrator
drives them."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa
from openpyxl import Workbook

from evalapp.extensions import db
from evalapp.units.models import OrgUnit
from tests.support.web import csrf_token

# A three-level tree below 海关总署 (the test world's root), rows shuffled: children come
# before their parents, and 第一党支部 is the name of two branches (told apart by parent).
TREE = [
    ["单位名称", "上级单位", "单位代码"],
    ["第一党支部", "办公室", ""],
    ["北仑海关", "杭州海关", "3101"],
    ["办公室", "3100", "3100-01"],
    ["杭州海关", "", "3100"],
    ["第一党支部", "北仑海关", ""],
    ["综合业务处", "杭州海关", ""],
]


def csv_bytes(rows, encoding="utf-8-sig") -> bytes:
    return "\n".join(",".join(row) for row in rows).encode(encoding)


def xlsx_bytes(rows, *, title: str | None = None) -> bytes:
    """An Excel file of `rows`, codes typed as numbers as offices type them, under a title
    row when given."""
    workbook = Workbook()
    if title:
        workbook.active.append([title])
    for row in rows:
        workbook.active.append([int(cell) if cell.isdigit() else cell for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload_units(client, filename: str, content: bytes):
    return client.post("/units/import", data={
        "file-csrf_token": csrf_token(client, "/units/"),
        "file-file": (io.BytesIO(content), filename)}, content_type="multipart/form-data")


def confirm_units(client, uploaded):
    """Press the preview's import button (the preview is read first, as a person would)."""
    location = uploaded.headers["Location"]
    page = client.get(location).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    upload = re.search(r"upload=([0-9a-f]{32})", location).group(1)
    return client.post("/units/import/preview", data={
        "csrf_token": token, "upload": upload, "confirm": "1"})


def tree(app) -> set[tuple[str, str | None, str | None]]:
    """Every unit as (name, parent's name, code)."""
    with app.app_context():
        return {(unit.name_zh, unit.parent.name_zh if unit.parent else None, unit.code)
                for unit in db.session.scalars(sa.select(OrgUnit))}


def unit_id(app, name: str, parent: str | None = None) -> int:
    with app.app_context():
        units = [unit for unit in db.session.scalars(sa.select(OrgUnit).where(
            OrgUnit.name_zh == name)) if parent is None or unit.parent.name_zh == parent]
        assert len(units) == 1, units
        return units[0].id


def fill_new_account(page, app, username: str, name: str, unit: str,
                     role: str = "组织者") -> None:
    """The system administrator's 新建账号 form, filled in a browser for an account at `unit`
    with the role labelled `role`, and not yet sent."""
    page.get_by_role("link", name="账号管理").click()
    page.get_by_role("link", name="新建账号").click()
    page.get_by_label("用户名").fill(username)
    page.get_by_label("姓名").fill(name)
    page.get_by_label("单位", exact=True).select_option(str(unit_id(app, unit)))
    page.get_by_label("角色").select_option(label=role)
