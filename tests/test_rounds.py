"""Rounds (issue 27, part 1): a design made once at a unit, instantiated as one campaign per
unit below it, and a change of it reaching every campaign not opened yet."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from evalapp.audit.models import AuditEntry
from evalapp.auth.models import Role
from evalapp.ballotbox.operations import open_campaign
from evalapp.campaigns.default_questionnaire import TemplateItem
from evalapp.campaigns.models import Campaign, CampaignStatus, RaterGroup, Scale
from evalapp.campaigns.operations import GroupData, add_item, save_groups
from evalapp.extensions import db
from evalapp.roster.models import RosterEntry
from evalapp.rounds.models import Round
from evalapp.rounds.operations import (
    UnitsRefused,
    design_of,
    instantiate,
    propagate,
)
from evalapp.units.models import OrgUnit, UnitKind
from tests.support.factories import make_user
from tests.support.rounds import Tree, make_tree
from tests.support.web import csrf_token, form_values, login


@pytest.fixture
def tree(app_context) -> Tree:
    return make_tree()


def the_round(tree: Tree) -> Round:
    return db.session.get_one(Round, tree.round_id)


def members(tree: Tree) -> dict[int, Campaign]:
    """The round's campaigns by unit, its template apart."""
    return {c.unit_id: c for c in db.session.scalars(sa.select(Campaign).where(
        Campaign.round_id == tree.round_id, ~Campaign.is_template))}


def comparable(campaign: Campaign) -> tuple:
    design = design_of(campaign)
    return design.settings, design.sections, design.groups, design.rules


def test_instantiating_over_a_three_level_tree_copies_the_whole_design(tree):
    template = the_round(tree).template
    template.min_report_size, template.trim_above, template.asks_satisfaction = 7, 9, False
    add_item(template.sections[0], TemplateItem("新增的共性内容", "An item added"),
             Scale.GRADES, dont_know=True)
    save_groups(template, [GroupData(g.id, g.name_zh, g.name_en, 0.25)
                           for g in template.rater_groups])
    db.session.commit()

    made = instantiate(the_round(tree))
    db.session.commit()

    below = {*tree.direct, *tree.subordinate, *tree.branches}
    assert (len(made.new), made.existing) == (len(below), 0) == (14, 0)
    campaigns = members(tree)
    assert set(campaigns) == below
    expected = comparable(the_round(tree).template)
    assert expected[1][0][1][-1]["scale"] is Scale.GRADES
    for campaign in campaigns.values():
        assert comparable(campaign) == expected
        assert campaign.status is CampaignStatus.DRAFT and not campaign.subjects
        assert campaign.title == "2026年度党支部书记述职评议"
    receipts = {c.receipts_key for c in campaigns.values()}
    assert len(receipts) == len(campaigns)


def test_a_subset_then_the_rest_and_again_adds_each_unit_once(tree):
    first = instantiate(the_round(tree), tree.branches)
    assert (len(first.new), first.existing) == (8, 0)
    again = instantiate(the_round(tree))
    assert (len(again.new), again.existing) == (6, 8)
    assert instantiate(the_round(tree)).new == ()
    db.session.commit()
    assert len(members(tree)) == 14


def test_units_outside_or_retired_are_refused(tree):
    outside = make_world_unit()
    db.session.get_one(OrgUnit, tree.branches[0]).retired_at = sa.func.now()
    db.session.flush()
    for chosen in ([outside], [tree.branches[0]], [tree.root]):
        with pytest.raises(UnitsRefused):
            instantiate(the_round(tree), chosen)
    assert len(instantiate(the_round(tree)).new) == 13


def make_world_unit() -> int:
    unit = OrgUnit(kind=UnitKind.ADMINISTRATION, name_zh="另一个总署")
    db.session.add(unit)
    db.session.flush()
    return unit.id


def test_a_change_reaches_the_drafts_but_not_an_opened_campaign(tree):
    instantiate(the_round(tree))
    db.session.commit()
    opened = members(tree)[tree.branches[0]]
    open_campaign(opened)
    db.session.commit()
    before = comparable(opened)

    template = the_round(tree).template
    template.points_poor = 30
    template.sections[1].items[0].text_zh = "改过的题目"
    save_groups(template, [*[GroupData(g.id, g.name_zh[::-1]) for g in template.rater_groups],
                           GroupData(None, "特邀代表")])
    outcome = propagate(the_round(tree))
    db.session.commit()

    assert (outcome.updated, outcome.groups_kept) == (13, ())
    expected = comparable(the_round(tree).template)
    assert expected[0]["points_poor"] == 30 and len(expected[2]) == 5
    for unit_id, campaign in members(tree).items():
        assert comparable(campaign) == (before if unit_id == tree.branches[0] else expected)


def test_groups_with_a_roster_follow_renames_but_not_a_removal(tree):
    instantiate(the_round(tree), tree.branches[:2])
    db.session.commit()
    with_roster, plain = (members(tree)[unit] for unit in tree.branches[:2])
    last = with_roster.rater_groups[-1]
    db.session.add(RosterEntry(campaign_id=with_roster.id, rater_group_id=last.id, name="某",
                               staff_number="1"))
    db.session.commit()

    template = the_round(tree).template
    save_groups(template, [GroupData(g.id, f"{g.name_zh}（新）")
                           for g in template.rater_groups[:3]])
    outcome = propagate(the_round(tree))
    db.session.commit()

    assert outcome.updated == 2
    assert [c.id for c in outcome.groups_kept] == [with_roster.id]
    names = {c.id: [g.name_zh for g in c.rater_groups] for c in members(tree).values()}
    assert names[plain.id] == ["机关党员（新）", "机关群众（新）", "基层党员（新）"]
    assert names[with_roster.id] == ["机关党员", "机关群众", "基层党员", "基层群众"]
    assert db.session.scalar(sa.select(sa.func.count(RosterEntry.id))) == 1
    # the same number of groups again: the renames reach it, its person stays with the group
    save_groups(template, [*[GroupData(g.id, g.name_zh) for g in template.rater_groups],
                           GroupData(None, "基层群众（新）")])
    assert propagate(the_round(tree)).groups_kept == ()
    db.session.commit()
    person = db.session.scalars(sa.select(RosterEntry)).one()
    assert db.session.get_one(RaterGroup, person.rater_group_id).name_zh == "基层群众（新）"


def test_a_template_is_never_opened_nor_listed(tree):
    template = the_round(tree).template
    template.status = CampaignStatus.OPEN
    template.opened_at = sa.func.now()
    template.box_public_key = bytes(32)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


# The pages


@pytest.fixture
def web(app) -> Tree:
    with app.app_context():
        made = make_tree()
        root = db.session.get_one(OrgUnit, made.root)
        make_user("leader", root, Role.LEADER)
        make_user("sysadmin", root, Role.SYSTEM_ADMIN)
        db.session.commit()
        return made


def post_round(client, path: str, data: dict, page: str | None = None):
    return client.post(path, data={"csrf_token": csrf_token(client, page or path), **data})


def test_an_organiser_makes_a_round_and_its_campaigns_on_the_pages(app, client, web):
    login(client, "organiser")
    made = post_round(client, "/rounds/new", {
        "title": "2027年度述职评议", "unit": web.direct[0], "opens_on": "2027-01-10",
        "closes_on": "2027-01-20"})
    assert made.status_code == 303
    page = client.get(made.headers["Location"])
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "2027年度述职评议" in text
    round_path = made.headers["Location"]
    with app.app_context():
        round_ = db.session.scalars(sa.select(Round).where(Round.title == "2027年度述职评议")).one()
        template_id, subordinate = round_.template.id, (web.subordinate[0], web.subordinate[1])
    # the template is no campaign of the list, and its campaign page is the round's
    assert "这是测评轮次的设计" in client.get(
        f"/campaigns/{template_id}/questionnaire").get_data(as_text=True)
    assert f"/campaigns/{template_id}\"" not in client.get("/campaigns/").get_data(as_text=True)
    assert client.get(f"/campaigns/{template_id}").headers["Location"] == round_path
    assert post_round(client, f"/campaigns/{template_id}/open", {}, round_path).status_code == 409
    assert post_round(client, f"/campaigns/{template_id}/delete", {"confirm": "yes"},
                      round_path).status_code == 409
    # the level of 隶属海关 under 宁波海关: asked first, then made
    path = f"{round_path}/instantiate"
    asked = post_round(client, path, {"scope": "level", "level": "subordinate"}, round_path)
    assert asked.status_code == 200 and "2" in asked.get_data(as_text=True)
    done = post_round(client, path, {"scope": "level", "level": "subordinate",
                                     "confirm": "yes"}, round_path)
    assert done.status_code == 303
    with app.app_context():
        assert set(members_of(round_path)) == set(subordinate)
        entry = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "round.instantiate")).one()
        assert entry.detail["campaigns_made"] == 2
    # a change of the design reaches them, said on the page
    scoring = f"/campaigns/{template_id}/scoring"
    form = form_values(client.get(scoring).get_data(as_text=True))
    saved = post_round(client, scoring, {**form, "min_report_size": "8"})
    assert saved.status_code == 303
    assert "2" in client.get(saved.headers["Location"], follow_redirects=True).get_data(
        as_text=True)
    with app.app_context():
        assert {c.min_report_size for c in members_of(round_path).values()} == {8}


def members_of(round_path: str) -> dict[int, Campaign]:
    round_id = int(round_path.rsplit("/", 1)[1])
    return {c.unit_id: c for c in db.session.scalars(sa.select(Campaign).where(
        Campaign.round_id == round_id, ~Campaign.is_template))}


def test_the_organisers_below_run_their_campaign_but_not_the_round(app, client, web):
    with app.app_context():
        instantiate(db.session.get_one(Round, web.round_id), [web.direct[0]])
        db.session.commit()
        own = members(web)[web.direct[0]].id
    login(client, "below")
    assert f"/campaigns/{own}\"" in client.get("/campaigns/").get_data(as_text=True)
    page = client.get(f"/campaigns/{own}")
    assert page.status_code == 200
    assert "2026年度党支部书记述职评议" in page.get_data(as_text=True)
    assert "属于一个测评轮次" in client.get(f"/campaigns/{own}/scoring").get_data(as_text=True)
    for path in (f"/rounds/{web.round_id}", f"/rounds/{web.round_id}/edit"):
        assert client.get(path).status_code == 404
    assert post_round(client, f"/rounds/{web.round_id}/instantiate", {"scope": "all"},
                      "/rounds/").status_code == 404
    assert "2026年度" not in client.get("/rounds/").get_data(as_text=True)


@pytest.mark.parametrize("username", ["leader", "sysadmin"])
def test_leaders_and_administrators_are_refused(app, client, web, username,
                                                administrators_enrolled):
    login(client, username)
    for path in ("/rounds/", "/rounds/new", f"/rounds/{web.round_id}"):
        assert client.get(path).status_code == 403


def test_bad_input_is_refused_with_its_reason(app, client, web):
    login(client, "organiser")
    page = f"/rounds/{web.round_id}"
    path = f"{page}/instantiate"
    for data, reason in (
            ({"scope": "chosen"}, "至少"),
            ({"scope": "level", "level": "nonsense"}, ""),
            ({"scope": "elsewhere"}, ""),
            ({"scope": "chosen", "units": str(web.root)}, "下级"),
            ({"scope": "chosen", "units": "abc"}, "")):
        refused = post_round(client, path, data, page)
        assert refused.status_code == 422, data
        assert reason in refused.get_data(as_text=True)
    bad_dates = post_round(client, "/rounds/new", {"title": "x", "unit": web.root,
                                                  "opens_on": "2027-02-01",
                                                  "closes_on": "2027-01-01"})
    assert bad_dates.status_code == 422
    assert post_round(client, "/rounds/new", {"title": "x", "unit": 10**6,
                                              "opens_on": "not a date"}).status_code == 422
    assert client.get("/rounds/999999").status_code == 404
    with app.app_context():
        assert members(web) == {}


def test_a_level_must_be_chosen_and_templates_take_no_subjects(app, client, web):
    login(client, "organiser")
    page = f"/rounds/{web.round_id}"
    refused = post_round(client, f"{page}/instantiate", {"scope": "level"}, page)
    assert refused.status_code == 422 and "请选择层级" in refused.get_data(as_text=True)
    with app.app_context():
        template = db.session.get_one(Round, web.round_id).template.id
    assert client.get(f"/campaigns/{template}/subjects/new").status_code == 409


def test_a_new_title_reaches_the_drafts_but_not_an_opened_campaign(app, client, web):
    with app.app_context():
        instantiate(db.session.get_one(Round, web.round_id), web.direct)
        open_campaign(members(web)[web.direct[0]])
        db.session.commit()
    login(client, "organiser")
    path = f"/rounds/{web.round_id}/edit"
    saved = post_round(client, path, {"title": "新的标题", "opens_on": "2027-03-01",
                                      "closes_on": ""})
    assert saved.status_code == 303
    with app.app_context():
        titles = {unit: c.title for unit, c in members(web).items()}
        round_ = db.session.get_one(Round, web.round_id)
        assert (round_.template.title, str(round_.opens_on), round_.closes_on) == (
            "新的标题", "2027-03-01", None)
    assert titles == {web.direct[0]: "2026年度党支部书记述职评议", web.direct[1]: "新的标题"}


def test_campaigns_made_meanwhile_in_another_window_are_said_not_a_crash(app, client, web,
                                                                         monkeypatch):
    """Two windows confirm at once: the second's plan still holds a unit the first has just
    given its campaign, which the database's unique (round_id, unit_id) refuses."""
    from evalapp.rounds import operations, views

    with app.app_context():
        instantiate(db.session.get_one(Round, web.round_id), [web.direct[0]])
        db.session.commit()
    stale = operations.Plan((web.direct[0], web.direct[1]), 0)
    monkeypatch.setattr(operations, "plan", lambda *_args: stale)
    monkeypatch.setattr(views, "plan", lambda *_args: stale)
    login(client, "organiser")
    page = f"/rounds/{web.round_id}"
    answer = post_round(client, f"{page}/instantiate", {"scope": "all", "confirm": "yes"}, page)
    assert answer.status_code == 303
    assert "另一个窗口" in client.get(page).get_data(as_text=True)
    with app.app_context():
        assert set(members(web)) == {web.direct[0]}
