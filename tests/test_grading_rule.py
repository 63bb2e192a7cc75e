"""The 干部考核 rule (analysis.grading): the 优秀 quota and its rounding, the thresholds of the
other grades, and ties at the quota's edge flagged, never broken by order."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.grading import GradingRule, propose, quota


def test_the_quota_of_22_at_20_percent_is_4_half_up_and_5_up():
    assert quota(22, 20, "half_up") == 4  # 4.4
    assert quota(22, 20, "up") == 5
    assert quota(25, 20, "up") == quota(25, 20, "half_up") == 5  # exactly 5, not 5.000…1
    assert quota(23, 20, "half_up") == 5  # 4.6
    assert quota(12, 12.5, "half_up") == 2  # 1.5 rounds half up


@pytest.mark.parametrize(("persons", "percent", "rounding"), [
    (-1, 20, "up"), (10, 120, "up"), (10, -5, "up"), (10, 20, "banker")])
def test_an_impossible_quota_is_refused(persons, percent, rounding):
    with pytest.raises(ValueError):
        quota(persons, percent, rounding)


def _persons(excellent_votes: list[int], raters: int = 10) -> list[tuple[int, int, int, int]]:
    return [(e, raters - e, 0, 0) for e in excellent_votes]


def test_22_persons_give_4_or_5_places_and_a_tie_at_the_edge_is_flagged():
    # 22 persons of 10 votes; the fourth and fifth largest 优秀 shares are equal (7 of 10)
    votes = _persons([10, 9, 8, 7, 7, 6, 6, 5] + [2] * 14)
    half_up = propose(votes, GradingRule(rounding="half_up"))
    assert half_up.places == 4
    assert [p.proposed for p in half_up.persons[:3]] == ["excellent"] * 3
    assert [(p.proposed, p.tied) for p in half_up.persons[3:5]] == [("", True), ("", True)]
    assert half_up.undecided_places == 1  # one place for the two tied
    assert {p.proposed for p in half_up.persons[5:]} == {"competent"}
    up = propose(votes, GradingRule(rounding="up"))
    assert up.places == 5 and up.undecided_places == 0
    assert [p.proposed for p in up.persons[:5]] == ["excellent"] * 5
    assert not any(p.tied for p in up.persons)


def test_the_other_grades_follow_the_thresholds():
    votes = [(6, 4, 0, 0), (4, 2, 4, 0), (2, 3, 1, 4), (0, 0, 0, 0), (3, 7, 0, 0)]
    grading = propose(votes, GradingRule(quota_percent=40))
    assert [p.proposed for p in grading.persons] == [
        "excellent", "basically_competent", "incompetent", "", "competent"]
    assert grading.persons[3].shares is None
    assert grading.persons[1].shares == (0.4, 0.2, 0.4, 0.0)


@given(st.lists(st.integers(0, 10), min_size=1, max_size=12), st.randoms())
def test_no_order_of_the_persons_changes_anyones_proposal(excellent, rng):
    votes = _persons(excellent)
    order = list(range(len(votes)))
    rng.shuffle(order)
    first = propose(votes, GradingRule()).persons
    shuffled = propose([votes[i] for i in order], GradingRule()).persons
    assert [shuffled[order.index(i)] for i in range(len(votes))] == list(first)
    inside = sum(p.proposed == "excellent" for p in first)
    assert inside <= propose(votes, GradingRule()).places


def test_every_split_of_a_tie_is_left_to_a_decision():
    """Two places among five: the first (9 of 10) is in; the second goes to the only one of
    the others with the most 优秀 votes, or is left to a decision among all who share it."""
    for rest in itertools.product((5, 6), repeat=4):
        grading = propose(_persons([9, *rest]), GradingRule(quota_percent=40))
        best = [n for n, votes in enumerate(rest, start=1) if votes == max(rest)]
        tied = [n for n, person in enumerate(grading.persons) if person.tied]
        excellent = [n for n, p in enumerate(grading.persons) if p.proposed == "excellent"]
        assert tied == (best if len(best) > 1 else [])
        assert excellent == ([0] if len(best) > 1 else [0, *best])
        assert grading.undecided_places == (1 if len(best) > 1 else 0)


def test_a_third_of_the_votes_is_not_more_than_a_third():
    # 3 of 9 不称职 (or 基本称职) is exactly a third: not "more than a third"; 4 of 9 is
    votes = [(6, 0, 0, 3), (6, 0, 3, 0), (5, 0, 0, 4), (5, 0, 4, 0), (5, 1, 2, 1)]
    grading = propose(votes, GradingRule(quota_percent=100))
    assert [p.proposed for p in grading.persons] == [
        "excellent", "excellent", "incompetent", "basically_competent", "excellent"]


def test_nobody_without_a_vote_for_excellent_is_proposed_excellent():
    grading = propose([(0, 5, 0, 0), (0, 5, 0, 0)],
                      GradingRule(quota_percent=50, excellent_min_percent=1))
    assert [(p.proposed, p.tied) for p in grading.persons] == [("competent", False)] * 2
