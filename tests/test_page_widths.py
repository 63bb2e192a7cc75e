"""No staff page scrolls sideways on a 375 px phone (leaders and organisers read on phones):
every page of the demo, in headless Chromium, is no wider than the screen."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from evalapp.campaigns.models import Campaign, CampaignStatus
from evalapp.campaigns.operations import create_campaign
from evalapp.extensions import db
from evalapp.roster.models import SampleDraw
from tests.support.browser import log_in
from tests.support.demo import PASSWORD

pytestmark = pytest.mark.one_database

PHONE_WIDTH = 375
# The innermost elements reaching past the right edge, to say what to fix.
OVERFLOWING = f"""() => [...document.querySelectorAll("body *")]
  .filter(e => e.getBoundingClientRect().right > {PHONE_WIDTH} + 1 && !e.firstElementChild)
  .slice(0, 5).map(e => `${{e.tagName}}.${{e.className}} `
    + `${{Math.round(e.getBoundingClientRect().right)}}px: ${{e.textContent.slice(0, 40)}}`)"""


def staff_pages(app) -> dict[str, list[str]]:
    """Each role's pages of the demo: an open, a closed and a new draft campaign."""
    with app.app_context():
        campaigns = db.session.scalars(sa.select(Campaign).order_by(Campaign.id)).all()
        opened = next(c for c in campaigns if c.status is CampaignStatus.OPEN)
        closed = [c for c in campaigns if c.status is CampaignStatus.CLOSED][-1]
        draft = create_campaign(opened.unit, "草稿测评")
        db.session.commit()
        draw = db.session.scalar(sa.select(SampleDraw.id).where(
            SampleDraw.campaign_id == opened.id))
        subject = closed.subjects[0].id
        ids = {"open": opened.id, "closed": closed.id, "draft": draft.id,
               "subject": opened.subjects[0].id}
    organiser = ["/campaigns/", "/campaigns/new", "/lookback/"]
    for kind in ("open", "closed", "draft"):
        at = f"/campaigns/{ids[kind]}"
        organiser += [at, f"{at}/questionnaire", f"{at}/scoring", f"{at}/groups",
                      f"{at}/roster/", f"{at}/draws/", f"{at}/tickets/"]
    at = f"/campaigns/{ids['open']}"
    organiser += [f"{at}/monitor", f"{at}/close", f"{at}/draws/{draw}",
                  f"{at}/draws/{draw}/notice", f"{at}/draws/{draw}/verify",
                  f"{at}/subjects/{ids['subject']}", f"/campaigns/{ids['draft']}/subjects/new"]
    at = f"/campaigns/{ids['closed']}"
    organiser += [f"{at}/results/", f"{at}/results/{subject}", f"{at}/rectification/",
                  f"{at}/rectification/{subject}"]
    return {"organiser": organiser,
            "leader": [f"{at}/results/", f"{at}/results/{subject}", f"{at}/rectification/"],
            "auditor": ["/audit/"]}


def test_no_staff_page_is_wider_than_a_phone(app, runner, browser, live_server):
    demo = runner.invoke(args=["demo"])
    assert demo.exit_code == 0, demo.output
    password = PASSWORD.search(demo.output).group(1)
    too_wide, seen = {}, 0
    for role, paths in staff_pages(app).items():
        context = browser.new_context(viewport={"width": PHONE_WIDTH, "height": 800},
                                      is_mobile=True, has_touch=True, locale="zh-CN")
        page = context.new_page()
        log_in(page, live_server, role, password)
        page.wait_for_url(lambda url: "/auth/login" not in url)
        for path in paths:
            response = page.goto(live_server + path)
            assert response.status == 200, (role, path, response.status)
            if page.evaluate("document.documentElement.scrollWidth") > PHONE_WIDTH:
                too_wide[path] = page.evaluate(OVERFLOWING)
            seen += 1
        context.close()
    assert seen > 30
    assert too_wide == {}


def test_the_language_switch_is_a_comfortable_tap_target_on_a_phone(browser, live_server):
    context = browser.new_context(viewport={"width": PHONE_WIDTH, "height": 800},
                                  is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    page.goto(live_server + "/")
    for name in ("中文", "English"):
        box = page.get_by_role("button", name=name).bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, (name, box)
    with page.expect_navigation():
        page.get_by_role("button", name="English").tap()
    assert page.locator("html").get_attribute("lang") == "en"  # switched by a tap
    context.close()
