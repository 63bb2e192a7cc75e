"""Details a newcomer's walk found on a 375 px phone and on a desktop (issue 24): the staff
header's rows, checkboxes at the start of their line, every button styled, the ballot's sticky
subject band clear of the question it jumps to. Screenshots go to the test's folder."""

from __future__ import annotations

import itertools
import re

import pytest

from evalapp.campaigns.models import Campaign, Subject
from evalapp.extensions import db
from evalapp.paths import PACKAGE_DIR
from evalapp.sampling.operations import DrawRequest, prepare_draw
from tests.support.ballots import closed_campaign
from tests.support.browser import log_in
from tests.support.draws import campaign_with_roster
from tests.support.factories import PASSWORD
from tests.support.rater import make_tickets

pytestmark = pytest.mark.one_database

PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
WIDTHS = {"phone": PHONE, "desktop": DESKTOP}
ACCENT = "rgb(179, 38, 30)"


def logged_in(browser, live_server: str, settings: dict, username: str = "organiser"):
    context = browser.new_context(locale="zh-CN", **settings)
    page = context.new_page()
    log_in(page, live_server, username, PASSWORD)
    page.wait_for_url(lambda url: "/auth/login" not in url)
    return context, page


def rows(page, selector: str) -> int:
    """How many lines the visible elements of `selector` take: their vertical centres, a new
    line wherever two are more than 20 px apart."""
    centres = sorted(page.evaluate(f"""() => [...document.querySelectorAll("{selector}")]
        .filter(e => e.offsetParent !== null)
        .map(e => {{ const r = e.getBoundingClientRect(); return r.top + r.height / 2; }})"""))
    return 1 + sum(b - a > 20 for a, b in itertools.pairwise(centres))


@pytest.fixture
def setup(app):
    """A draft campaign with its roster and a draw prepared (not yet drawn): the campaign's
    id, its subject's and the draw's."""
    with app.app_context():
        campaign_id = campaign_with_roster((47, 33, 19, 1))
        campaign = db.session.get(Campaign, campaign_id)
        draw = prepare_draw(campaign, DrawRequest(fraction=0.4, minimum_per_group=3))
        db.session.commit()
        return campaign_id, campaign.subjects[0].id, draw.id


@pytest.mark.parametrize("width", WIDTHS)
def test_staff_pages_on_a_phone_and_a_desktop(app, browser, live_server, setup, tmp_path,
                                              width):
    campaign_id, subject_id, draw = setup
    context, page = logged_in(browser, live_server, WIDTHS[width])
    at = f"{live_server}/campaigns/{campaign_id}"

    page.goto(f"{at}/subjects/{subject_id}")
    header = page.locator("header.topbar").bounding_box()
    page.screenshot(path=str(tmp_path / f"subject-{width}.png"), full_page=True)
    # the staff header: the name and the links on at most two rows, a row a tap target high
    assert rows(page, "header.topbar .brand, header.topbar nav > *") <= (
        2 if width == "phone" else 1)
    assert header["height"] <= (2 * 44 + 16 if width == "phone" else 60)
    # a checkbox at the start of its line, before its label, not centred in the column
    box = page.locator("#problems_hidden").bounding_box()
    check = page.locator(".field.check").filter(has=page.locator("#problems_hidden"))
    field = check.bounding_box()
    label = check.locator("label span").bounding_box()
    assert check.locator("label span").inner_text() == "包括表格中隐藏的行"
    assert box["x"] - field["x"] < 4 and box["x"] < label["x"]
    assert abs((box["y"] + box["height"] / 2) - (label["y"] + label["height"] / 2)) < 6

    page.goto(f"{at}/draws/{draw}")
    page.screenshot(path=str(tmp_path / f"draw-{width}.png"), full_page=True)
    set_aside = page.get_by_role("button", name="作废")
    assert set_aside.evaluate("b => getComputedStyle(b).borderTopColor") == ACCENT
    assert set_aside.bounding_box()["height"] >= 36
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_first_blank_question_is_not_under_the_subject_band(app, browser, live_server,
                                                                 tmp_path, width):
    """'Go to the first' jumps to the first question left blank: it shows below the band of
    the subject (sticky at the top, two or three lines on a phone), not under it."""
    with app.app_context():
        tickets = make_tickets()
        for subject_id in tickets.subject_ids:
            subject = db.session.get(Subject, subject_id)
            subject.person_name = "欧阳明远"
            subject.post = "党委书记、关长、一级巡视员（兼任党建工作领导小组组长）"
        db.session.commit()
    context = browser.new_context(locale="zh-CN", **WIDTHS[width])
    page = context.new_page()
    page.goto(f"{live_server}/t/{tickets.pair[0]}")
    page.locator("#ballot-form button[type=submit]").last.click()  # everything blank
    page.get_by_role("link", name="转到第一题").last.click()  # the second subject's
    page.wait_for_timeout(300)
    target = page.evaluate("location.hash.slice(1)")
    question = page.locator(f"[id='{target}']").bounding_box()
    bands = page.evaluate("""() => [...document.querySelectorAll('.subject > h2')]
        .map(h => h.getBoundingClientRect()).filter(r => r.top <= 1 && r.bottom > 0)
        .map(r => r.bottom)""")
    page.screenshot(path=str(tmp_path / f"ballot-jump-{width}.png"))
    assert bands, "the subject's band is stuck at the top"
    assert question["y"] >= max(bands) - 1, (question, bands)
    context.close()


def test_every_button_in_the_templates_has_a_style():
    """An unstyled button (the draw's 作废 was one) looks like a browser default among styled
    ones: every <button> names its class (primary, secondary or link)."""
    unstyled = [f"{path.name}: {button}" for path in (PACKAGE_DIR / "templates").rglob("*.html")
                for button in re.findall(r"<button\b[^>]*>", path.read_text(encoding="utf-8"))
                if "class=" not in button]
    assert unstyled == []


LAST_LINE = """e => { const text = e.textContent.trim(); const node = document.createRange();
  const lines = []; let top = null;
  const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    for (let i = 0; i < n.length; i++) {
      node.setStart(n, i); node.setEnd(n, i + 1);
      const r = node.getBoundingClientRect(); if (!r.width) continue;
      if (top === null || r.top > top + 4) { lines.push(""); top = r.top; }
      lines[lines.length - 1] += n.data[i];
    } }
  return lines[lines.length - 1].trim(); }"""


def test_no_line_of_the_results_counts_holds_only_a_full_stop_and_a_word(app, browser,
                                                                           live_server):
    """The subject's counts ("发放测评票 … 去掉最高/最低分 0 张。") at every phone width from
    320 to 430 px: its last line holds more than "张。"."""
    campaign_id = closed_campaign(app, ["意见"] * 5)
    context, page = logged_in(browser, live_server, PHONE, "leader")
    with app.app_context():
        subject = db.session.get(Campaign, campaign_id).subjects[0].id
    page.goto(f"{live_server}/campaigns/{campaign_id}/results/{subject}")
    counts = page.locator("li", has_text="发放测评票").first
    short = []
    for width in range(320, 431, 5):
        page.set_viewport_size({"width": width, "height": 740})
        last = counts.evaluate(LAST_LINE)
        if len(last.rstrip("。")) < 3:
            short.append((width, last))
    assert short == []
    context.close()
