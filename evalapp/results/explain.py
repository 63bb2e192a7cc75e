"""How the figures were computed, in words: the same lines on the pages, in the PDF report
and under the Excel summary, because a figure read without its formula and settings is
misread (DOMAIN.md's cautionary tale of a "satisfaction rate" that was 50% when every vote
was 不满意)."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from analysis import GroupComparison, LevelTest
from analysis.figures import ItemFigures
from analysis.scoring import SCALE_POINTS
from evalapp.campaigns.labels import LEVEL_LABELS, SATISFACTION_LABELS
from evalapp.campaigns.models import Campaign, RaterGroup, Scale
from evalapp.i18n import html_lang, localized
from evalapp.results.compute import OTHER, GroupFigures, OtherGroups, SubjectResults

GRADE_LABELS = {"excellent": _l("Excellent"), "good": _l("Good"), "fair": _l("Fair"),
                "poor": _l("Poor"), "": "–"}

TEST_NAMES = {"mann-whitney": _l("Mann-Whitney U test"),
              "kruskal-wallis": _l("Kruskal-Wallis test")}
EFFECT_WORDS = {"large": _l("the difference is large"),
                "moderate": _l("the difference is moderate"),
                "small": _l("the difference is small"),
                "negligible": _l("the difference is negligible")}


def grade_label(grade: str) -> str:
    return str(GRADE_LABELS[grade])


def placed(item: ItemFigures) -> list[tuple[float, int] | None]:
    """An item's (share, count) in the four places of 好/较好/一般/差: a satisfaction item's
    answers in the places that score alike (`analysis.scoring.SCALE_POINTS`), None in a
    place its scale lacks. Tables and charts line items of both scales up this way. An item
    nobody answered on its scale (every answer blank or 不了解) has no share anywhere, not 0 %."""
    cells: list[tuple[float, int] | None] = [None] * 4
    if not sum(item.counts):
        return cells
    for answer, place in enumerate(SCALE_POINTS[item.scale]):
        cells[place] = (item.shares[answer], item.counts[answer])
    return cells


def place_headers(items: Sequence[ItemFigures]) -> list[str]:
    """The headers of the four places over `items`: the levels, each with the satisfaction
    answer that shares its place when a satisfaction item is among them."""
    levels = [str(label) for label in LEVEL_LABELS.values()]
    if all(item.scale == Scale.LEVELS for item in items):
        return levels
    answers = dict(zip(SCALE_POINTS[Scale.SATISFACTION], SATISFACTION_LABELS.values(),
                       strict=True))
    return [f"{level} / {answers[place]}" if place in answers else level
            for place, level in enumerate(levels)]


def other_label(other: OtherGroups) -> str:
    """The merged cell with the groups it holds: 其他类别（机关群众、基层群众）."""
    english = not html_lang().startswith("zh")
    names = (", " if english else "、").join(localized(g, "name") for g in other.groups)
    return f"{OTHER} ({names})" if english else f"{OTHER}（{names}）"


def group_note(result: SubjectResults, group: GroupFigures) -> str:
    """What stands instead of the figures of a group that is not shown on its own."""
    if group.merged and result.other:
        return _("counted in “other groups”")
    return _("not shown (too few ballots)") if group.returned else "–"


def p_text(p_value: float) -> str:
    """A p-value as printed: "p = 0.043", and "p < 0.001" below what three decimals show
    (never "p = 0.000", which reads as impossible)."""
    return f"p = {p_value:.3f}" if p_value >= 0.0005 else "p < 0.001"


def difference_summary(test: GroupComparison | LevelTest) -> str:
    """A test between groups in words for non-statisticians: whether the difference is more
    than chance (with p), how large it is, and whether small groups make it approximate."""
    p = p_text(test.p_value)
    if test.significant:
        summary = _("The groups' ratings very likely differ by more than chance (%(p)s); "
                    "%(size)s.", p=p, size=EFFECT_WORDS[test.effect_class])
    else:
        summary = _("The groups' ratings may differ only by chance (%(p)s); they cannot be "
                    "said to see it differently.", p=p)
    if test.approximate:
        summary = _("%(summary)s Some groups are small, so this is approximate.",
                    summary=summary)
    return summary


def group_difference_lines(result: SubjectResults) -> list[str]:
    """The tests between the rater groups shown, each saying what it compared, in words: the
    groups' scores and satisfaction rates, the figures their table shows (no test when every
    group shows the same rate, e.g. all 100%)."""
    lines = []
    if result.comparison:
        lines.append(_("Ballot scores of the groups shown (%(test)s): %(summary)s",
                       test=TEST_NAMES[result.comparison.test],
                       summary=difference_summary(result.comparison)))
    if result.satisfaction_test:
        lines.append(_("Satisfaction rates of the groups shown (chi-square test of “satisfied "
                       "or fairly satisfied” against “dissatisfied”): %(summary)s",
                       summary=difference_summary(result.satisfaction_test)))
    return lines


def disclosure_line(minimum: int) -> str:
    """The disclosure rule of `analysis.disclosure_cells`, in plain words."""
    return _("Rater groups with fewer than %(n)d raters (fewer than %(n)d ballots entering the "
             "figures, or fewer than %(n)d returned) are merged into “other groups” and "
             "counted as one group, on every page and in every export; when “other groups” "
             "still has fewer than %(n)d, the smallest group shown joins it. In the weighted "
             "scores “other groups” is one group, its weight the sum of its groups' weights. "
             "A subject with fewer than %(n)d ballots entering its figures shows counts only.",
             n=minimum)


def settings_lines(campaign: Campaign, groups: list[RaterGroup]) -> list[str]:
    points = (campaign.points_excellent, campaign.points_good, campaign.points_fair,
              campaign.points_poor)
    void = _("Void: more than %(share)s of the items blank.",
             share=format_percent(campaign.void_blank_fraction))
    if (nominated := campaign.nominated_item()) is not None:
        # marks are never blank: the one void rule of a nomination is too many of them
        void = _("Void: a ballot that marks more than %(max)d candidates, for every candidate "
                 "on it.", max=nominated.rule.max_marks)
    elif campaign.void_uniform:
        void += " " + _("Also void: every answered item given the same level.")
    scored = campaign.scores()
    if campaign.trim_above and scored:  # without points there is no score to drop
        void += " " + _("With more than %(n)d valid ballots the highest and the lowest score "
                        "are dropped.", n=campaign.trim_above)
    lines = [
        _("Item points: 好 %(a)d, 较好 %(b)d, 一般 %(c)d, 差 %(d)d; a blank item is missing, "
          "not zero.", a=points[0], b=points[1], c=points[2], d=points[3]),
        _("A ballot's score is the mean of its answered items; a subject's score is the mean "
          "over valid ballots."),
    ] if scored else []
    lines.append(void)
    if campaign.asks_satisfaction:
        lines.append(_("Satisfaction rate = (satisfied + fairly satisfied) ÷ valid ballots that "
                       "answered the question; strict rate = satisfied ÷ the same; 95% Wilson "
                       "intervals."))
    weighted = [g for g in groups if g.weight]
    if scored:
        lines.append(_("Design-weighted score: each rater group weighted by its roster size "
                       "(stratified sample with finite-population correction, Student's t "
                       "interval)."))
        if weighted:
            lines.append(_("Policy-weighted score: the rater groups' means weighted "
                           "%(weights)s.", weights="，".join(
                               f"{localized(g, 'name')} {format_percent(g.weight)}"
                               for g in weighted)))
        lines.append(_("Grades: 好 from %(a)d, 较好 from %(b)d, 一般 from %(c)d, otherwise 差.",
                       a=campaign.grade_excellent_min, b=campaign.grade_good_min,
                       c=campaign.grade_fair_min))
    lines += [disclosure_line(campaign.min_report_size),
              _("A response rate under half of the tickets issued is flagged.")]
    return lines
