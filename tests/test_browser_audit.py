"""The audit log in a browser: the 操作人 (by) column keeps each name on one line, a console
close's "控制台（系统用户 …）" included, beside long details."""

from __future__ import annotations

import getpass

import pytest
from playwright.sync_api import expect

from evalapp.auth.models import Role
from evalapp.extensions import db
from tests.support.browser import log_in
from tests.support.factories import PASSWORD, make_user
from tests.support.rater import campaign_of, make_tickets, vote

pytestmark = pytest.mark.one_database

# Each cell of the by column: how many line boxes its text takes.
LINES_PER_CELL = """() => [...document.querySelectorAll('td.by')].map(td => {
  const range = document.createRange(); range.selectNodeContents(td);
  return [td.textContent, new Set([...range.getClientRects()].map(r => r.top)).size];
})"""


@pytest.fixture
def logged(app):
    with app.app_context():
        made = make_tickets(singles=2)
        unit = campaign_of(made.campaign_id).unit
        organiser = make_user("organiser", unit)
        organiser.display_name = "组织者欧阳明远"
        auditor = make_user("auditor", unit, Role.AUDITOR)
        auditor.display_name = "审计员司马文静"
        db.session.commit()
        return made


@pytest.mark.parametrize("width", [1280, 1024])
def test_the_by_column_keeps_each_name_on_one_line(app, page, live_server, logged, width,
                                                    tmp_path):
    vote(app, logged.single[0])
    closed = app.test_cli_runner().invoke(args=["close", "--yes", str(logged.campaign_id)])
    assert closed.exit_code == 0, closed.output
    for username in ("organiser", "auditor"):  # log-ins under long Chinese names
        log_in(page, live_server, username, PASSWORD)
        page.context.clear_cookies()
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server, "auditor", PASSWORD)
    page.goto(live_server + "/audit/")
    console = f"控制台（系统用户 {getpass.getuser()}）"
    expect(page.locator("td.by", has_text=console)).to_be_visible()
    page.screenshot(path=str(tmp_path / f"audit-{width}.png"), full_page=True)
    cells = page.evaluate(LINES_PER_CELL)
    names = {text for text, _lines in cells}
    assert {console, "组织者欧阳明远", "审计员司马文静"} <= names
    assert [(text, lines) for text, lines in cells if text and lines != 1] == []
