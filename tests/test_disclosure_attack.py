"""The attack on disclosure control, as a property: in 500 random closed campaigns and 80
random nominations (民主推荐) a reader with every published figure, every label and the
anonymised ballots, solving exactly, recovers nothing about any small rater group; with the
merge switched off (a test-only setting) the same attacker recovers small groups in most
campaigns and in most nominations, so the test has teeth (checked on every other campaign and
without the Excel summary, whose figures are the page's and the recount record's unrounded:
writing it is most of the cost, and the test is to stay under two minutes). The campaigns are
tried in PARTS tests of their own, each from its own seed, so that the test workers share them
rather than one worker taking minutes at the end of a run; the parts are shared among the
databases tested (two on SQLite and two on PostgreSQL when both are), so the campaigns are
stored and read back on each database without being tried twice."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from analysis.nomination import THRESHOLD_RULES, NominationRule
from analysis.scoring import DONT_KNOW
from evalapp.campaigns.models import Scale
from evalapp.extensions import db
from evalapp.units.models import OrgUnit
from tests.support.apps import BACKENDS
from tests.support.disclosure import GroupPlan, attack, build_campaign
from tests.support.factories import make_world

CAMPAIGNS = 500
NOMINATIONS = 80
PARTS = 4
ITEMS = 3
SCORED = [(scale, offered) for scale in (Scale.LEVELS, Scale.SATISFACTION)
          for offered in (False, True)]
# a nomination's item stands alone on its ballot (`make_nomination_ballot`): not among these
SCALES = [(scale, offered) for scale in Scale if scale is not Scale.NOMINATION
          for offered in (False, True)]


@st.composite
def campaign_plans(draw):
    """1-6 groups with 0-12 returned ballots each, random policy weights, 1-2 subjects, the
    campaign's rules (minimum reporting size, trimming, uniform answers void) at random, each
    item's scale (好..差, 满意..不满意, or the grades of 干部考核 but for the first) and 不了解
    offered or not, and a seed for the answers:
    each item blank one time in eight (a blank in three items makes a ballot void), 不了解 one
    time in six where offered, uniform answers one ballot in ten, satisfaction blank one time
    in ten; a ballot keeps an answer on a scale (one of only 不了解 and blanks has no score,
    which the attacker's model of a mean as a sum over the group's ballots leaves aside)."""
    groups = draw(st.integers(1, 6))
    returned = draw(st.lists(st.integers(0, 12), min_size=groups, max_size=groups))
    weights = draw(st.lists(st.none() | st.integers(1, 20).map(lambda w: w / 20),
                            min_size=groups, max_size=groups))
    settings_ = {"subjects": draw(st.integers(1, 2)),
                 "minimum": draw(st.sampled_from((3, 4, 5, 5, 5, 6))),
                 "trim_above": draw(st.none() | st.integers(2, 10)),
                 "void_uniform": draw(st.booleans()),
                 # the first item scored, the others of any scale (grades, 干部考核, too)
                 "scales": (draw(st.sampled_from(SCORED)), *draw(st.lists(
                     st.sampled_from(SCALES), min_size=ITEMS - 1, max_size=ITEMS - 1)))}
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    plans = []
    for count, weight in zip(returned, weights, strict=True):
        # a group rates every subject of its tickets: all of them, or one
        subjects = (range(settings_["subjects"]) if rng.random() < 0.7
                    else [int(rng.integers(settings_["subjects"]))])
        ballots = []
        for _ballot in range(count):
            for subject in subjects:
                if rng.random() < 0.1:
                    levels = (int(rng.integers(3)),) * ITEMS  # a place every scale has
                else:
                    levels = tuple(_answer(rng, scale, offered)
                                   for scale, offered in settings_["scales"])
                if all(level is None or level == DONT_KNOW or scale is Scale.GRADES
                       for level, (scale, _) in zip(levels, settings_["scales"], strict=True)):
                    levels = (0, *levels[1:])
                answer = None if rng.random() < 0.1 else int(rng.integers(3))
                ballots.append((subject, levels, answer, "意见" if rng.random() < 0.3 else ""))
        plans.append(GroupPlan(count + int(rng.integers(0, 20)) or 1, weight, tuple(ballots)))
    return plans, settings_


def _answer(rng: np.random.Generator, scale: Scale, dont_know: bool) -> int | None:
    if rng.random() < 0.125:
        return None
    if dont_know and rng.random() < 1 / 6:
        return DONT_KNOW
    return int(rng.integers(len(scale.answers)))


@st.composite
def nomination_plans(draw):
    """民主推荐: 1-4 candidates (the subjects), a ballot marking at most k of them (k from 1
    to their number), a threshold; one group of 1-4 tickets and 1-5 of 5-12 or none, in
    random order (any may be small, by the minimum or as its tickets go void: one at least,
    most often one alone, which a naive suppression gives away); random policy weights,
    minimum reporting size, trimming and uniform answers void (rules that change nothing
    here), and a seed for the marks: a ticket marks 0 to k candidates at random, or, with a
    chance of the campaign's own (up to 30%, where there are more than k candidates), more
    than k, and all of its ballots are then stored void for too many marks, as the opening of
    its box leaves them; an opinion one time in ten.

    Every ticket names every candidate, as a nomination's ballot does: a group whose tickets
    named at most k could have no ballot void for too many marks, and would give the void
    ballots of 其他类别 to the other groups in it, a leak that
    tests/test_disclosure_cases.py shows and that is not fixed."""
    candidates = draw(st.integers(1, 4))
    returned = [*draw(st.lists(st.integers(5, 12) | st.just(0), min_size=1, max_size=5)),
                draw(st.integers(1, 4))]
    returned = draw(st.permutations(returned))
    weights = draw(st.lists(st.none() | st.integers(1, 20).map(lambda w: w / 20),
                            min_size=len(returned), max_size=len(returned)))
    k = draw(st.integers(1, candidates))
    rule = NominationRule(k, draw(st.integers(0, 100)), draw(st.sampled_from(THRESHOLD_RULES)))
    settings_ = {"subjects": candidates,
                 "minimum": draw(st.sampled_from((3, 4, 5, 5, 5, 6))),
                 "trim_above": draw(st.none() | st.integers(2, 10)),
                 "void_uniform": draw(st.booleans()), "nomination": rule}
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    over = rng.uniform(0, 0.3) if candidates > k else 0
    plans = []
    for count, weight in zip(returned, weights, strict=True):
        ballots, overvoted = [], []
        for _ticket in range(count):
            void = rng.random() < over
            marked = set(rng.choice(candidates, int(rng.integers(k + 1, candidates + 1) if void
                                                    else rng.integers(0, k + 1)),
                                    replace=False).tolist())
            ballots += [(subject, (0 if subject in marked else 1,), None,
                         "意见" if rng.random() < 0.1 else "") for subject in range(candidates)]
            overvoted += [void] * candidates
        plans.append(GroupPlan(count + int(rng.integers(0, 20)) or 1, weight, tuple(ballots),
                               tuple(overvoted)))
    return plans, settings_


@pytest.mark.parametrize("part", range(PARTS // len(BACKENDS)))
def test_published_figures_give_no_small_group_away(app, backend, part):
    part += BACKENDS.index(backend[0]) * (PARTS // len(BACKENDS))
    with app.app_context():
        make_world()
        db.session.commit()
    for kind, plans, examples in (("campaigns", campaign_plans(), CAMPAIGNS // PARTS),
                                  ("nominations", nomination_plans(), NOMINATIONS // PARTS)):
        outcomes = _attacked(app, plans, examples, part)
        assert sum(outcomes) > len(outcomes) / 2, f"{kind}: {sum(outcomes)} of {len(outcomes)}"


def _attacked(app, plans, examples: int, part: int) -> list[bool]:
    """Tries `examples` campaigns drawn from `plans`: the attack recovers nothing from any;
    on every other one, unmerged, whether it recovered anything (and only what is true)."""
    tried: list[int] = []
    outcomes: list[bool] = []

    @settings(max_examples=examples, deadline=None, database=None)
    @seed(part)
    @given(plans)
    def campaign(plan):
        groups, rules = plan
        with app.app_context():
            unit = db.session.scalar(sa.select(OrgUnit).where(OrgUnit.name_zh == "宁波海关"))
            campaign_id = build_campaign(unit, groups, items=ITEMS, **rules)
        assert attack(app, campaign_id) == []
        tried.append(campaign_id)
        if len(tried) % 2:
            return
        unmerged = attack(app, campaign_id, unmerged=True, workbook=False)
        for found in unmerged:  # what the attacker recovers is real, to the printed digit
            assert abs(found.value - found.truth) <= found.tolerance + 1e-9, found
        outcomes.append(bool(unmerged))

    campaign()
    assert len(tried) >= examples
    return outcomes
