"""Look-back (回头看): a later campaign over the same units compared with an earlier one.

Subjects are matched by unit (and by person too where a campaign has several subjects of one
unit), because the look-back asks whether a unit improved (its party secretary may have
changed); common items by their Chinese wording, because a reworded item asks something else,
though not by its spacing or full- against half-width punctuation, which copying a
questionnaire between files changes. Whatever has no partner is listed, never dropped in
silence. Whether a change is more than chance is tested on the ballots themselves, and on
the very figure shown, so that the words never contradict the number: a rank test on ballot
scores or item points (the analysis package's group comparison, the two rounds as the two
groups) and a chi-square test of the satisfaction rate (satisfied or fairly satisfied against
dissatisfied, a 2 × 2 table of the two rounds).

Each round is read through its results, so the disclosure rule holds in both alike: no figure
by rater group is compared, and a subject that shows counts only in a round (too few ballots
entering its figures) is not compared and adds nothing to the items compared over all units;
otherwise the change, or an item's mean over the units, would give its few ballots away.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from flask_babel import gettext as _

from analysis import GroupComparison, LevelTest, chi_square_levels, compare_groups
from analysis.figures import satisfied_or_not
from evalapp.campaigns.models import Subject
from evalapp.results.compute import BallotStatus, CampaignResults, SubjectResults
from evalapp.results.explain import p_text
from evalapp.text import squeezed


@dataclass(frozen=True)
class Change:
    earlier: float | None
    later: float | None

    @property
    def delta(self) -> float | None:
        """Later minus earlier; rounded to 9 decimals so that two equal figures reached by
        different sums (0.9 as 9/10 and as 18/20) differ by exactly nothing."""
        if self.earlier is None or self.later is None:
            return None
        return round(self.later - self.earlier, 9)


@dataclass(frozen=True)
class ItemChange:
    text: str
    mean: Change
    test: GroupComparison | None


@dataclass(frozen=True)
class SubjectChange:
    earlier: SubjectResults
    later: SubjectResults
    score: Change
    satisfaction: Change
    score_test: GroupComparison | None
    satisfaction_test: LevelTest | None
    items: list[ItemChange]  # the common items asked in both rounds, for this unit


@dataclass(frozen=True)
class Lookback:
    earlier: CampaignResults
    later: CampaignResults
    subjects: list[SubjectChange]
    items: list[ItemChange]
    only_earlier: list[Subject]
    only_later: list[Subject]
    items_only_earlier: list[str]
    items_only_later: list[str]


def _by_unit(results: CampaignResults) -> dict[object, SubjectResults]:
    """Subjects keyed by unit; where a campaign has several subjects of one unit, by unit and
    person, so that none of them is lost."""
    units = Counter(r.subject.unit_id for r in results.subjects)
    return {(r.subject.unit_id if units[r.subject.unit_id] == 1
             else (r.subject.unit_id, r.subject.person_name)): r for r in results.subjects}


def lookback(earlier: CampaignResults, later: CampaignResults) -> Lookback:
    before, after = _by_unit(earlier), _by_unit(later)
    matched = [unit for unit in after if unit in before]
    texts_before = [item.text_zh for item in earlier.campaign.common_items()]
    texts_after = [item.text_zh for item in later.campaign.common_items()]
    keys_before = [squeezed(text) for text in texts_before]
    keys_after = [squeezed(text) for text in texts_after]
    shared = [(text, keys_before.index(key), column)
              for column, (text, key) in enumerate(zip(texts_after, keys_after, strict=True))
              if key in keys_before]

    def item_changes(units: list[object]) -> list[ItemChange]:
        return [_item_change(earlier, later, column_before, column_after, text,
                             [before[u].subject.id for u in units if before[u].has_figures],
                             [after[u].subject.id for u in units if after[u].has_figures])
                for text, column_before, column_after in shared]

    subjects = [_subject_change(earlier, later, before[unit], after[unit], item_changes([unit]))
                for unit in matched]
    items = item_changes(matched)
    return Lookback(
        earlier, later, subjects, items,
        [r.subject for unit, r in before.items() if unit not in after],
        [r.subject for unit, r in after.items() if unit not in before],
        [text for text, key in zip(texts_before, keys_before, strict=True)
         if key not in keys_after],
        [text for text, key in zip(texts_after, keys_after, strict=True)
         if key not in keys_before],
    )


def _subject_change(earlier: CampaignResults, later: CampaignResults, before: SubjectResults,
                    after: SubjectResults, items: list[ItemChange]) -> SubjectChange:
    if not (before.has_figures and after.has_figures):
        return SubjectChange(before, after, Change(before.score, after.score),
                             Change(None, None), None, None, items)
    first = earlier.counted_scores(before.subject.id)
    second = later.counted_scores(after.subject.id)
    counts = [_satisfaction_counts(earlier, before.subject.id),
              _satisfaction_counts(later, after.subject.id)]
    try:
        satisfaction_test = chi_square_levels(counts)
    except ValueError:
        satisfaction_test = None
    return SubjectChange(
        before, after, Change(before.score, after.score),
        Change(before.satisfaction.rate if before.satisfaction else None,
               after.satisfaction.rate if after.satisfaction else None),
        _two_rounds(first, second), satisfaction_test, items)


def _counted(results: CampaignResults, subject_ids: list[int]) -> np.ndarray:
    return np.isin(results.ballots.subject_ids, subject_ids) & (
        results.status == BallotStatus.COUNTED)


def _satisfaction_counts(results: CampaignResults, subject_id: int) -> np.ndarray:
    return satisfied_or_not(results.ballots.satisfaction[_counted(results, [subject_id])])


def _item_points(results: CampaignResults, column: int, subject_ids: list[int]) -> np.ndarray:
    """The points of the common item in `column` on each counted ballot of `subject_ids`,
    NaN where blank or 不了解."""
    levels = results.ballots.levels[_counted(results, subject_ids), column]
    scale = results.campaign.common_items()[column].scale.value
    table = results.rules.item_points([scale])[0]
    return np.where(levels >= 0, table[np.clip(levels, 0, 3)], np.nan)


def _item_change(earlier: CampaignResults, later: CampaignResults, column_before: int,
                 column_after: int, text: str, subjects_before: list[int],
                 subjects_after: list[int]) -> ItemChange:
    first = _item_points(earlier, column_before, subjects_before)
    second = _item_points(later, column_after, subjects_after)
    return ItemChange(text, Change(_mean(first), _mean(second)), _two_rounds(first, second))


def _mean(values: np.ndarray) -> float | None:
    answered = values[~np.isnan(values)]
    return float(answered.mean()) if len(answered) else None


def _two_rounds(first: np.ndarray, second: np.ndarray) -> GroupComparison | None:
    values = np.concatenate([first, second])
    rounds = ["earlier"] * len(first) + ["later"] * len(second)
    try:
        return compare_groups(values, rounds)
    except ValueError:
        return None


def change_text(change: Change, percent: bool = False) -> str:
    """The change as shown beside its verdict: in points with two decimals, or in percentage
    points with one; with more decimals where those would show a change as 0.0, so that a
    verdict of "better" or "worse" never sits beside a change that reads as none."""
    if change.delta is None:
        return "–"
    value = change.delta * 100 if percent else change.delta
    digits = 1 if percent else 2
    while value and round(value, digits) == 0 and digits < 7:
        digits += 1
    text = f"{value:+.{digits}f}" if value else "±0"
    return _("%(change)s points", change=text) if percent else text


def verdict(change: Change, test: GroupComparison | LevelTest | None) -> str:
    """The change in words a non-statistician can act on, worded from the same change that
    `change_text` shows."""
    if change.delta is None:
        return _("Not comparable: one of the rounds has no valid ballots.")
    if test is None:
        return _("Too few ballots to tell whether this is more than chance.")
    if test.significant:
        if not change.delta:
            return _("The same on average, though the answers are spread differently in a way "
                     "that would rarely arise by chance (%(p)s).", p=p_text(test.p_value))
        direction = _("better") if change.delta > 0 else _("worse")
        return _("Clearly %(direction)s: a change this large would rarely arise by chance "
                 "(%(p)s).", direction=direction, p=p_text(test.p_value))
    return _("Within chance: ratings vary this much between rounds anyway (%(p)s); "
             "this is no evidence of a real change.", p=p_text(test.p_value))
