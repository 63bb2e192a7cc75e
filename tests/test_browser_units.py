"""The system administrator imports the organisation's unit tree in a real browser (headless
Chromium) and reads it back as a tree."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from evalapp.auth.models import Role
from evalapp.extensions import db
from tests.support.browser import log_in
from tests.support.factories import PASSWORD, make_user, make_world
from tests.support.units import TREE, xlsx_bytes

pytestmark = [pytest.mark.usefixtures("administrators_enrolled"), pytest.mark.one_database]


def test_the_system_administrator_imports_a_three_level_tree(app, live_server, page,
                                                             tmp_path):
    with app.app_context():
        make_user("sysadmin", make_world().root, Role.SYSTEM_ADMIN)
        db.session.commit()
    file = tmp_path / "机构设置.xlsx"
    file.write_bytes(xlsx_bytes(TREE, title="杭州海关机构设置表"))

    log_in(page, live_server, "sysadmin", PASSWORD)
    page.get_by_role("link", name="单位管理").click()
    expect(page.get_by_role("heading", name="单位管理")).to_be_visible()

    page.get_by_label("单位文件（CSV 或 Excel）").set_input_files(file)
    page.locator("#import-units").get_by_role("button", name="上传").click()
    expect(page.get_by_text("新建 6 个，移动 0 个，修改 0 个，未变 0 个。")).to_be_visible()
    page.screenshot(path=str(tmp_path / "units-preview.png"), full_page=True)
    page.get_by_role("button", name="导入").click()

    page.wait_for_url(re.compile(r".*/units/$"))
    expect(page.get_by_text("单位文件已导入：新建 6 个")).to_be_visible()
    rows = page.locator("table.units tbody tr")
    expect(rows).to_have_count(9)  # the three units of the test world and the six imported
    assert rows.locator("strong").all_inner_texts() == [  # each under its parent
        "海关总署", "宁波海关", "重庆海关", "杭州海关", "北仑海关", "第一党支部", "办公室",
        "第一党支部", "综合业务处"]
    page.screenshot(path=str(tmp_path / "units-tree.png"), full_page=True)

    rows.filter(has_text="办公室").get_by_role("link", name="编辑或移动").click()
    expect(page.get_by_role("heading", name="办公室")).to_be_visible()
    offered = page.get_by_label("新的上级单位").locator("option").all_inner_texts()
    # neither 办公室 nor its 第一党支部 (北仑海关's is another unit): no cycle is offered
    assert "办公室" not in " ".join(offered) and " ".join(offered).count("第一党支部") == 1
    page.get_by_label("层级").select_option(label="处室 / 党支部")
    page.screenshot(path=str(tmp_path / "unit-edit.png"), full_page=True)
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存单位：办公室")).to_be_visible()
    expect(rows.filter(has_text="办公室")).to_contain_text("处室 / 党支部")
    assert page.outside_requests == []
    assert page.console_errors == []
