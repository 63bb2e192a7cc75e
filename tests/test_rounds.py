"""Rounds (issue 27, part 1): a design made once at a unit, instantiated as one campaign per
unit below it, and a change of it reaching every campaign not opened yet."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from evalapp.ballotbox.operations import open_campaign
from evalapp.campaigns.default_questionnaire import TemplateItem
from evalapp.campaigns.models import Campaign, CampaignStatus, RaterGroup, Scale
from evalapp.campaigns.operations import GroupData, add_item, save_groups
from evalapp.extensions import db
from evalapp.roster.models import RosterEntry
from evalapp.rounds.models import Round
from evalapp.rounds.operations import (
    RoundData,
    UnitsRefused,
    create_round,
    design_of,
    instantiate,
    propagate,
)
from evalapp.units.models import OrgUnit, UnitKind
from tests.support.factories import make_user, make_world


@dataclass(frozen=True)
class Tree:
    """海关总署 → 宁波海关, 重庆海关 → two 隶属海关 each → two 党支部 each (14 units below the
    root), and a round made at the root."""

    round_id: int
    root: int
    direct: tuple[int, ...]
    subordinate: tuple[int, ...]
    branches: tuple[int, ...]


def make_tree() -> Tree:
    world = make_world()
    subordinate, branches = [], []
    for customs in (world.customs, world.other_customs):
        for n in (1, 2):
            office = OrgUnit(parent=customs, kind=UnitKind.SUBORDINATE,
                             name_zh=f"{customs.name_zh}隶属{n}")
            db.session.add(office)
            subordinate.append(office)
            for m in (1, 2):
                branch = OrgUnit(parent=office, kind=UnitKind.BRANCH, name_zh=f"第{m}党支部")
                db.session.add(branch)
                branches.append(branch)
    db.session.flush()
    make_user("organiser", world.root)
    make_user("below", world.customs)
    round_ = create_round(world.root, RoundData("2026年度党支部书记述职评议"))
    db.session.commit()
    return Tree(round_.id, world.root.id, (world.customs.id, world.other_customs.id),
                tuple(u.id for u in subordinate), tuple(u.id for u in branches))


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
    assert (made.created, made.existing) == (len(below), 0) == (14, 0)
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
    assert (first.created, first.existing) == (8, 0)
    again = instantiate(the_round(tree))
    assert (again.created, again.existing) == (6, 8)
    assert instantiate(the_round(tree)).created == 0
    db.session.commit()
    assert len(members(tree)) == 14


def test_units_outside_or_retired_are_refused(tree):
    outside = make_world_unit()
    db.session.get_one(OrgUnit, tree.branches[0]).retired_at = sa.func.now()
    db.session.flush()
    for chosen in ([outside], [tree.branches[0]], [tree.root]):
        with pytest.raises(UnitsRefused):
            instantiate(the_round(tree), chosen)
    assert instantiate(the_round(tree)).created == 13


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
