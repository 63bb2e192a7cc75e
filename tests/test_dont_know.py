"""不了解 (don't know) is an answer that enters no figure: every score, mean, share, rate and
test of a subject's ballots is what the same ballots give with those answers never asked.
It still counts as an answer for the void rule (it is not a blank), and it is shown apart in
each item's distribution."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.figures import (
    BallotStatus,
    Cell,
    Rules,
    ballot_statuses,
    campaign_alpha,
    scores_by_subject,
    subject_figures,
)
from analysis.scoring import BLANK, DONT_KNOW, NOT_ASKED, SCALE_POINTS, VOTE_SCALES, void_mask

RULES = Rules(points=(100, 80, 60, 40), void_blank_fraction=1.0, void_uniform=True,
              trim_above=5, grades=(90, 80, 60), min_report_size=1)
CELLS = (Cell(population=40, weight=0.6), Cell(population=60, weight=0.4))


@st.composite
def ballots(draw: st.DrawFn) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Item scales, the ballots' answers (without 不了解), where raters said 不了解 instead,
    and each ballot's cell."""
    scales = draw(st.lists(st.sampled_from(sorted(SCALE_POINTS)), min_size=2, max_size=6))
    count = draw(st.integers(4, 24))
    answers = np.array([[draw(st.sampled_from([BLANK, *SCALE_POINTS[scale]]))
                         for scale in scales] for _ in range(count)], dtype=int)
    dont_know = np.array(draw(st.lists(st.lists(st.booleans(), min_size=len(scales),
                                                max_size=len(scales)),
                                       min_size=count, max_size=count)), dtype=bool)
    cell = np.array(draw(st.lists(st.integers(0, 1), min_size=count, max_size=count)))
    return scales, answers, dont_know, cell


def _figures(levels: np.ndarray, scales: list[str], cell: np.ndarray):
    subjects = np.zeros(len(levels), dtype=int)
    scores = scores_by_subject(levels, subjects, {0: RULES.item_points(scales)})
    status = ballot_statuses(levels, subjects, scores, RULES)
    satisfaction = np.arange(len(levels)) % 3
    figures = subject_figures(levels, satisfaction, status, scores, cell, CELLS, (True, True),
                              RULES, [f"item {i}" for i in range(len(scales))], scales)
    counted = status == BallotStatus.COUNTED
    return scores, status, figures, campaign_alpha(levels[counted], RULES.item_points(scales))


@settings(max_examples=150, deadline=None)
@given(ballots())
def test_dont_know_changes_no_score_mean_share_rate_or_test(drawn):
    scales, answers, dont_know, cell = drawn
    said = np.where(dont_know, DONT_KNOW, answers)
    never_asked = np.where(dont_know, NOT_ASKED, answers)
    scores, status, figures, alpha = _figures(said, scales, cell)
    scores_without, status_without, without, alpha_without = _figures(never_asked, scales, cell)

    np.testing.assert_array_equal(scores, scores_without)
    np.testing.assert_array_equal(status, status_without)
    assert figures.score == without.score and figures.grade == without.grade
    assert figures.design == without.design and figures.policy_score == without.policy_score
    assert figures.satisfaction == without.satisfaction and figures.cells == without.cells
    assert figures.comparison == without.comparison
    assert figures.satisfaction_test == without.satisfaction_test
    assert alpha == alpha_without
    assert [(i.mean_points, i.counts, i.shares, i.weak) for i in figures.items] == [
        (i.mean_points, i.counts, i.shares, i.weak) for i in without.items]
    # ... and it is shown: each item's 不了解 are counted apart, among the ballots counted
    # among the ballots counted, and for an item of votes (grades, a nomination's marks:
    # no points, which trimming for a score does not take away) the trimmed ones too
    counted = status == BallotStatus.COUNTED
    entering = counted | (status == BallotStatus.TRIMMED)
    if figures.items:
        assert [i.dont_know for i in figures.items] == [
            int(dont_know[entering if scale in VOTE_SCALES else counted, n].sum())
            for n, scale in enumerate(scales)]
        assert all(i.dont_know == 0 for i in without.items)


def test_dont_know_is_an_answer_for_the_void_rule_not_a_blank():
    # four items asked: two 不了解 and one blank is one blank in four (25 %, not void); two
    # blanks would be half of them (void)
    levels = np.array([[0, DONT_KNOW, DONT_KNOW, BLANK], [0, 1, BLANK, BLANK]])
    assert void_mask(levels, 0.25).tolist() == [False, True]


def test_a_ballot_of_only_dont_know_has_no_score():
    levels = np.array([[DONT_KNOW, DONT_KNOW], [0, DONT_KNOW]])
    scores = scores_by_subject(levels, np.zeros(2, dtype=int),
                               {0: RULES.item_points(["levels", "satisfaction"])})
    assert np.isnan(scores[0]) and scores[1] == 100
