"""A campaign's page as each role sees it: every link on it opens for that role, each role
finds the pages it may open (the tally sheet, the draw's verification), and the scrutineers'
custody fields say which number is k and which is n."""

from __future__ import annotations

import re
from html import unescape

import pytest

from evalapp.auth.models import Role
from evalapp.ballotbox.operations import close_campaign, open_campaign
from evalapp.campaigns.models import Campaign
from evalapp.extensions import db
from tests.support.factories import make_user
from tests.support.organiser import make_setup
from tests.support.web import login

ROLES = ("organiser", "leader", "auditor", "clerk", "scrutineer")
LINK = re.compile(r'<a\b[^>]*\bhref="([^"#]+)"')


@pytest.fixture
def setup(app):
    with app.app_context():
        made = make_setup()
        unit = db.session.get(Campaign, made.campaign).unit
        make_user("clerk", unit, Role.CLERK)
        make_user("scrutineer", unit, Role.SCRUTINEER)
        db.session.commit()
        return made


def links(page: str) -> list[str]:
    return sorted({unescape(href) for href in LINK.findall(page)})


def assert_every_link_opens(app, campaign_id: int) -> dict[str, list[str]]:
    """Each role's campaign page, and that every link on it answers 200 for that role; the
    links, by role."""
    found = {}
    for role in ROLES:
        client = app.test_client()
        login(client, role)
        page = client.get(f"/campaigns/{campaign_id}")
        assert page.status_code == 200, role
        found[role] = links(page.get_data(as_text=True))
        failing = {href: status for href in found[role]
                   if (status := client.get(href).status_code) != 200}
        assert not failing, (role, failing)
    return found


def test_every_link_on_each_roles_campaign_page_opens_for_that_role(app, setup):
    campaign_id, draw_id = setup.campaign, setup.draw
    tally = f"/campaigns/{campaign_id}/paper/tally"
    verify = f"/campaigns/{campaign_id}/draws/{draw_id}/verify"
    draft = assert_every_link_opens(app, campaign_id)
    assert all(tally not in found for found in draft.values())  # nothing to tally yet

    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        campaign.subjects[0].report_text = "述职报告"
        open_campaign(campaign)
        db.session.commit()
    opened = assert_every_link_opens(app, campaign_id)
    for role in ROLES:  # the scrutineers sign the tally sheet: everyone reads it
        assert tally in opened[role], role
    for role in ("leader", "auditor"):
        assert verify in opened[role], role
    assert f"/campaigns/{campaign_id}/draws/" in opened["auditor"]

    with app.app_context():
        close_campaign(db.session.get(Campaign, campaign_id))
    closed = assert_every_link_opens(app, campaign_id)
    results = f"/campaigns/{campaign_id}/results/"
    for role in ("organiser", "leader", "auditor"):
        assert results in closed[role] and tally in closed[role], role
    for role in ("clerk", "scrutineer"):  # no results for them: no link to a 403
        assert results not in closed[role] and tally in closed[role], role


def test_the_custody_fields_say_which_is_k_and_which_is_n(app, client, setup):
    login(client)
    page = client.get(f"/campaigns/{setup.campaign}").get_data(as_text=True)
    label = re.search(r'<label for="custody-threshold">([^<]+)</label>\s*<input type="number" '
                      r'id="custody-threshold" name="threshold"', page)
    assert label and label.group(1) == "k：开箱所需份数"
    assert "<legend>n：各持一份密钥的监票人（逐一勾选）</legend>" in page
    assert "开箱密钥分成 n 份，下面勾选的监票人每人一份；结束测评时其中任意 k 份即可开箱" in page
